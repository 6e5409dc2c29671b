"""UTC days as plain dates."""

from __future__ import annotations

import datetime as dt

from orders_core.calendar import consecutive_runs

START = dt.date(2025, 1, 1)


def test_days_are_grouped_into_runs_of_consecutive_days():
    d = [START + dt.timedelta(days=i) for i in (5, 0, 1, 9, 2, 1)]
    assert consecutive_runs(d) == [[d[1], d[2], d[4]], [d[0]], [d[3]]]
    assert consecutive_runs([START.replace(month=2, day=28), START.replace(month=3, day=1)]) == [
        [START.replace(month=2, day=28), START.replace(month=3, day=1)]
    ]
    assert consecutive_runs([]) == []
