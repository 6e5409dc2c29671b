"""Money is summed exactly: the same orders give the same figures whatever order the engine
reads them in (a range run, day-by-day runs and re-runs leave the rows of cleaned_orders
and fct_orders in different physical orders, and parallel pipelines feed an aggregate in
no fixed order). customer_metrics' columns, and the per-day figures of the metadata:
fct_orders' revenue, the raw profile's revenue and mean."""

from __future__ import annotations

import datetime as dt
import random

import duckdb

from orders_core.contract import load_contract
from orders_core.metrics import CUSTOMER_METRICS_SQL
from orders_core.profiling import profile_raw
from orders_core.sql.dialect import render
from orders_core.sql.facts import day_currency_figures_sql
from orders_core.sql.money import money_sum
from orders_core.sql.tables import create_statements
from orders_core.tables import CLEANED_ORDERS, FCT_ORDERS, FX_RATES
from tests.support.order_fixtures import csv_bytes, landed, order_rows, raw_frame

# One customer, three orders of one day: 0.3 + 0.1 + 0.2 is 0.6 or 0.6000000000000001
# in doubles, depending on the order of the additions. B and D landed again later with
# older versions, so they are repeated orders (the second branch of current_orders()).
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
    for statement in create_statements(load_contract(), CLEANED_ORDERS, FX_RATES):
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


# One day's amounts whose double sum depends on the order of the additions, right where
# it decides the cents: 2.485 (found by a batching hunt: fct_orders reported 2.48 or 2.49).
AMOUNTS = [0.123, 0.813, 0.662, 0.887]


def _orders(seed: int) -> list[float]:
    shuffled = list(AMOUNTS)
    random.Random(seed).shuffle(shuffled)
    return shuffled


def test_money_sum_is_the_same_in_any_order_and_a_double_sum_is_not():
    conn = duckdb.connect()
    conn.execute("SET threads = 1")  # one pipeline: rows are added in the order given
    exact, doubles = set(), set()
    for seed in range(24):
        values = ", ".join(f"({v!r}::DOUBLE)" for v in _orders(seed))
        source = f"(VALUES {values}) AS t(amount)"
        exact.add(conn.execute(f"SELECT {money_sum('amount')} FROM {source}").fetchone()[0])
        doubles.add(conn.execute(f"SELECT sum(amount) FROM {source}").fetchone()[0])
    assert exact == {2.485}
    assert len(doubles) > 1  # what the exact sum is for
    assert conn.execute(f"SELECT {money_sum('NULL::DOUBLE')}").fetchone()[0] == 0.0


def test_fct_orders_day_figures_do_not_depend_on_the_order_of_its_rows():
    """Gross revenue counts every fact; net revenue leaves out the cancelled and returned
    ones (a NULL status is a purchase): both exact sums."""
    statuses = [None, "delivered", "placed", None, "cancelled", "returned"]
    figures = set()
    for seed in range(8):
        conn = duckdb.connect()
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET threads = 1")
        for statement in create_statements(load_contract(), FCT_ORDERS):
            conn.execute(statement)
        rows = list(zip([*AMOUNTS, 0.1, 0.2], statuses, strict=True))
        random.Random(seed).shuffle(rows)
        for i, (amount, status) in enumerate(rows):
            conn.execute(
                "INSERT INTO warehouse.fct_orders (order_id, customer_id, amount, currency,"
                " status, partition_date) VALUES (?, ?, ?, 'USD', ?, ?)",
                [f"R{i}", f"c{i}", amount, status, DAY],
            )
        figures.add(tuple(conn.execute(render(day_currency_figures_sql()), [DAY, DAY]).fetchall()))
    assert figures == {((DAY, "USD", 6, 2.785, 2.485),)}


def test_the_raw_profiles_revenue_and_mean_do_not_depend_on_the_order_of_its_rows():
    rows = order_rows(4)
    profiles = set()
    for seed in range(8):
        day = [
            dict(row, amount=str(amount)) for row, amount in zip(rows, _orders(seed), strict=True)
        ]
        profile = profile_raw(raw_frame([landed("a.csv", csv_bytes(day))]), load_contract())
        profiles.add((profile["orders/revenue"], profile["orders/mean_order_value"]))
    assert len(profiles) == 1, profiles


def test_the_raw_profiles_scaled_figures_do_not_depend_on_the_order_of_its_rows():
    """The same amounts in JPY (each divided by 1,000 in the scaled figures): 0.123 +
    0.813 + 0.662 + 0.887, whose double sum depends on the order of the additions."""
    rows = order_rows(4)
    profiles = set()
    for seed in range(8):
        day = [
            dict(row, amount=str(round(1000 * amount)), currency="JPY", quantity="")
            for row, amount in zip(rows, _orders(seed), strict=True)
        ]
        profile = profile_raw(raw_frame([landed("a.csv", csv_bytes(day))]), load_contract())
        profiles.add(
            tuple(
                profile[f"orders/scaled_{key}"]
                for key in ("revenue", "mean_order_value", "median_amount")
            )
        )
    # the exact sum 2.485 (a double just below it) to the cent, its mean to 4 places
    assert profiles == {(2.48, 0.6212, 0.7375)}, profiles


def test_the_raw_profile_counts_an_amount_beyond_1e15_as_unparseable():
    rows = [
        dict(row, amount=amount)
        for row, amount in zip(order_rows(4), ["1", "2", "1e300", "x"], strict=True)
    ]
    profile = profile_raw(raw_frame([landed("a.csv", csv_bytes(rows))]), load_contract())
    assert profile["orders/revenue"] == 3.0
    assert profile["orders/mean_order_value"] == 1.5
    assert profile["orders/unparseable_amount_rate"] == 0.5
