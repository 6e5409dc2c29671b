"""UTC days: the unit of partitioning, as plain dates (no Dagster here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol


class Window(Protocol):
    """A half-open time window, such as a partition time window."""

    start: dt.datetime
    end: dt.datetime


def days_in_window(window: Window) -> list[dt.date]:
    """The UTC days covered by a time window (end exclusive)."""
    first = window.start.date()
    count = (window.end.date() - first).days
    return [first + dt.timedelta(days=offset) for offset in range(count)]


def day_keys(first: dt.date, last: dt.date) -> list[str]:
    """``YYYY-MM-DD`` keys of every day from ``first`` to ``last`` inclusive."""
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


# Most days one run covers (backfill policy of the daily assets, and the sensors' range
# runs): a month.
DAYS_PER_RUN = 31


def consecutive_runs(days: Iterable[dt.date]) -> list[list[dt.date]]:
    """``days`` sorted and without repeats, in runs of consecutive days (a check evaluates
    each run with one statement, so a day far from the others does not widen its range)."""
    runs: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs
