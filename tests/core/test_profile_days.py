"""raw_orders' per-day profile is aggregated one day at a time, whatever the run's range.

Its medians and distinct counts hold every value they aggregate, which DuckDB cannot
spill: one statement over a 60-day range run of 204,000 rows a day ran out of the step's
572 MiB limit where each day alone fits (bench/RESULTS.md, session 36)."""

import datetime as dt

from orders_core.contract import load_contract
from orders_core.profiling import profile_days, profile_sql

CONTRACT = load_contract()


def test_a_range_of_days_is_profiled_one_day_at_a_time():
    days = [dt.date(2025, 1, 3), dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    calls: list[tuple[str, list]] = []

    def fetch(sql, params):
        calls.append((sql, list(params)))
        return []

    profiles = profile_days(fetch, CONTRACT, "raw_input", days)

    profiled = [params for sql, params in calls if sql == profile_sql(CONTRACT, "raw_input")]
    assert profiled == [[day, day] for day in sorted(days)]
    assert set(profiles) == set(days)
