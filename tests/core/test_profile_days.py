"""raw_orders' per-day profile is aggregated by statements of a bounded number of rows,
whatever the run's range.

Its medians and distinct counts hold every value they aggregate, which DuckDB cannot
spill: one statement over a 60-day range run of 204,000 rows a day ran out of the step's
572 MiB limit where each day alone fits, and a statement per day cost some 40 ms each
(bench/RESULTS.md, session 36). Which days share a statement changes no figure."""

import datetime as dt

import duckdb

from orders_core import profiling
from orders_core.contract import load_contract
from orders_core.profiling import (
    PROFILE_STATEMENT_ROWS,
    day_rows_sql,
    profile_days,
    profile_sql,
    statement_spans,
)
from orders_core.sql.dialect import DUCKDB, render
from orders_core.sql.tables import ensure_tables
from orders_core.tables import RAW_ORDERS

CONTRACT = load_contract()
START = dt.date(2025, 1, 1)


def _days(n: int) -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range(n)]


def test_a_long_range_is_profiled_in_statements_of_at_most_the_budget():
    days = _days(60)
    spans = statement_spans(dict.fromkeys(days, 204_000), days)
    assert [(first, last) for first, last in spans] == [
        (days[i], days[min(i + 3, 59)]) for i in range(0, 60, 4)
    ]  # 4 days of 204,000 rows: 816,000 <= 1,000,000 < 5 days


def test_a_day_above_the_budget_has_a_statement_of_its_own_and_empty_days_ride_along():
    days = _days(5)
    rows = {days[0]: 10, days[2]: PROFILE_STATEMENT_ROWS * 3, days[4]: 10}  # 1 and 3: none
    assert statement_spans(rows, days) == [
        (days[0], days[1]),
        (days[2], days[2]),
        (days[3], days[4]),
    ]


def test_a_day_between_the_runs_days_counts_towards_the_statement_that_spans_it():
    days = _days(3)
    # the run profiles days 0 and 2; day 1 has rows (another run's) within their bounds
    rows = {days[0]: 600_000, days[1]: 600_000, days[2]: 10}
    assert statement_spans(rows, [days[0], days[2]]) == [
        (days[0], days[0]),
        (days[1], days[2]),
    ]


def test_profile_days_runs_one_statement_per_span():
    days = _days(3)
    calls: list[tuple[str, list]] = []

    def fetch(sql, params):
        calls.append((sql, list(params)))
        if sql == day_rows_sql("raw_input"):
            return [(day, PROFILE_STATEMENT_ROWS) for day in days]
        return []

    profiles = profile_days(fetch, CONTRACT, "raw_input", list(reversed(days)))

    profiled = [params for sql, params in calls if sql == profile_sql(CONTRACT, "raw_input")]
    assert profiled == [[day, day] for day in days]
    assert set(profiles) == set(days)


LANDED = """
INSERT INTO raw.raw_orders (order_id, customer_id, order_ts, amount, currency, updated_at,
    source_file, source_line, source_format, partition_date)
SELECT 'o' || i, 'c' || (i % (40 + d)), strftime(day, '%Y-%m-%d') || 'T08:00:00Z',
    CASE WHEN i % 17 = 0 THEN 'n/a' ELSE ((i * 7) % (90 + d)) || '.50' END,
    CASE WHEN i % 5 = 0 THEN 'JPY' ELSE 'USD' END, NULL, 'file:///l/a.csv', i, 'csv', day
FROM (SELECT d, DATE '2025-01-01' + CAST(d AS INTEGER) AS day FROM range(0, 6) AS t(d)),
    range(1, 200 + 50 * d) AS r(i)
"""


def test_the_profiles_do_not_depend_on_which_days_share_a_statement(monkeypatch):
    with duckdb.connect() as conn:

        def fetch(sql, params=()):
            return conn.execute(render(sql), list(params)).fetchall()

        ensure_tables(fetch, CONTRACT, RAW_ORDERS, dialect=DUCKDB)
        conn.execute(LANDED)
        days = _days(6)
        together = profile_days(fetch, CONTRACT, RAW_ORDERS.qualified, days)
        monkeypatch.setattr(profiling, "PROFILE_STATEMENT_ROWS", 1)  # a statement a day
        apart = profile_days(fetch, CONTRACT, RAW_ORDERS.qualified, days)
    assert together == apart
    assert {day: profile["dagster/row_count"] for day, profile in together.items()} == {
        day: 199 + 50 * i for i, day in enumerate(days)
    }
