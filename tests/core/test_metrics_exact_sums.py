"""customer_metrics sums money exactly: the same orders give the same bytes whatever order
the engine reads them in (a range run, day-by-day runs and re-runs leave the rows of
cleaned_orders and fct_orders in different physical orders, and parallel pipelines feed
an aggregate in no fixed order)."""

from __future__ import annotations

import datetime as dt

import duckdb

from orders_core.contract import load_contract
from orders_core.metrics import CUSTOMER_METRICS_SQL
from orders_core.sql.dialect import render
from orders_core.sql.tables import create_statements
from orders_core.tables import CLEANED_ORDERS

# One customer, three orders of one day: 0.3 + 0.1 + 0.2 is 0.6 or 0.6000000000000001
# in doubles, depending on the order of the additions. B and D landed again later with
# older versions, so they are repeated orders (the second branch of CURRENT_ORDERS).
DAY = dt.date(2025, 1, 1)
LATER = dt.datetime(2025, 1, 9, tzinfo=dt.UTC)
ORDERS = [
    ("A", "c1", 1, "0.3", None),
    ("B", "c1", 1, "0.1", LATER),
    ("D", "c1", 1, "0.2", LATER),
    ("D", "c2", 2, "5", None),
    ("B", "c2", 3, "5", None),
]


def _metrics(rows, threads: int | None = None, runs: int = 1) -> set[tuple]:
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    if threads:
        conn.execute(f"SET threads = {threads}")
    for statement in create_statements(load_contract(), CLEANED_ORDERS):
        conn.execute(statement)
    for order_id, customer, day, amount, updated in rows:
        ts = dt.datetime(2025, 1, day, 10, tzinfo=dt.UTC)
        conn.execute(
            "INSERT INTO staging.cleaned_orders (order_id, customer_id, order_ts, order_date,"
            " amount, currency, updated_at, source_file, source_line, partition_date)"
            " VALUES (?, ?, ?, ?, ?, 'USD', ?, 'f.csv', 1, ?)",
            [order_id, customer, ts, ts.date(), float(amount), updated or ts, ts.date()],
        )
    sql = render(CUSTOMER_METRICS_SQL)
    return {tuple(conn.execute(sql, ["2025-01-03"] * 3).fetchall()) for _ in range(runs)}


def test_total_revenue_does_not_depend_on_the_order_rows_are_read_in():
    results = _metrics(ORDERS, threads=1) | _metrics(ORDERS[::-1], threads=1)
    results |= _metrics(ORDERS, runs=100)  # every thread: the engine's own scheduling
    assert len(results) == 1, results
    (c1,) = [row for row in next(iter(results)) if row[0] == "c1"]
    assert c1[6] == 0.6  # total_revenue: the exact sum, as a double
