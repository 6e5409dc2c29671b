"""fct_orders is published a few days at a time, yet must equal one rule over all history.

Publishing days replaces the facts of the orders those days touch
(``orders_core.sql.facts``); the rule it must agree with is "each order's current
version among every cleaned row" (``current_orders_sql`` over the whole table). Here
the statements run in DuckDB over cleaned rows written directly: random days are
re-cleaned (their rows replaced, as a changed or withdrawn landing file does) and
published in random ranges and orders, and once every changed day has run again the
facts must be exactly the current versions. Versions tie on ``updated_at`` across
days and files, and orders change customer, so every step of the tie-break counts.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_core.contract import load_contract
from orders_core.sql.dialect import render
from orders_core.sql.facts import (
    AFFECTED_TABLE,
    affected_orders_sql,
    current_orders_sql,
    publish_statements,
)
from orders_core.sql.tables import create_statements, quoted
from orders_core.tables import (
    CLEANED_ORDERS,
    CLEANED_ORDERS_COLUMNS,
    FCT_ORDERS,
    FCT_ORDERS_COLUMNS,
)

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(5)]
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _day_rows(rng: random.Random, day: dt.date) -> list[dict]:
    """A day's cleaned rows: at most one per order (cleaning deduplicates a day), few
    orders shared with other days, updated_at values that tie across days."""
    rows = {}
    for line in range(2, 2 + rng.randint(0, 5)):
        order_id = f"o{rng.randint(0, 6)}"
        rows[order_id] = {
            **dict.fromkeys(CLEANED_ORDERS_COLUMNS),
            "order_id": order_id,
            "customer_id": rng.choice(["a", "b"]),
            "order_ts": dt.datetime.combine(day, dt.time(1), dt.UTC),
            "order_date": day,
            "amount": float(rng.randint(1, 9)),
            "currency": "USD",
            "updated_at": START + dt.timedelta(hours=rng.choice([0, 1, 24, 48])),
            "source_file": rng.choice(["file:///l/a.csv", "file:///l/b.csv"]),
            "source_line": line,
            "partition_date": day,
        }
    return list(rows.values())


def _clean(conn, day: dt.date, rows: list[dict]) -> None:
    """Replace the day's cleaned rows, as the cleaning step does (the rows in one
    statement: a statement each cost as much as the publication's)."""
    conn.execute(f"DELETE FROM {quoted(CLEANED_ORDERS)} WHERE partition_date = ?", [day])
    if not rows:
        return
    columns = ", ".join(CLEANED_ORDERS_COLUMNS)
    marks = "(" + ", ".join("?" for _ in CLEANED_ORDERS_COLUMNS) + ")"
    conn.execute(
        f"INSERT INTO {quoted(CLEANED_ORDERS)} ({columns})"  # noqa: S608
        f" VALUES {', '.join(marks for _ in rows)}",
        [row[name] for row in rows for name in CLEANED_ORDERS_COLUMNS],
    )


def _publish(conn, first: int, last: int) -> None:
    """The fct_orders step's statements for the days first..last."""
    bounds = [DAYS[first], DAYS[last]]
    conn.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE {AFFECTED_TABLE} AS {affected_orders_sql()}",
        bounds * 2,
    )
    delete, insert = publish_statements()
    conn.execute(render(delete))
    conn.execute(render(insert), bounds * 2)


def _rows(conn, sql: str) -> list[str]:
    return sorted(repr(row) for row in conn.execute(sql).fetchall())


@pytest.fixture(scope="module")
def tables() -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory database with the two tables for every example (each empties them
    first): a new database and its tables cost as much as a day's publication."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    for statement in create_statements(load_contract(), CLEANED_ORDERS, FCT_ORDERS):
        conn.execute(statement)
    yield conn
    conn.close()


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.randoms(use_true_random=False))
def test_facts_published_in_any_ranges_and_orders_are_the_current_versions(tables, rng):
    conn = tables
    for table in (CLEANED_ORDERS, FCT_ORDERS):
        conn.execute(f"DELETE FROM {quoted(table)}")  # noqa: S608
    landed = {day: _day_rows(rng, day) for day in DAYS}
    stale = set(range(len(DAYS)))  # days whose landing changed since they last ran
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.4:  # a day's files change (or go) after it ran
            changed = rng.randrange(len(DAYS))
            landed[DAYS[changed]] = _day_rows(rng, DAYS[changed])
            stale.add(changed)
        first = rng.randrange(len(DAYS))
        last = rng.randrange(first, len(DAYS))
        for day in DAYS[first : last + 1]:
            _clean(conn, day, landed[day])
        _publish(conn, first, last)
        stale -= set(range(first, last + 1))
    for index in rng.sample(sorted(stale), len(stale)):  # the changed days run again
        _clean(conn, DAYS[index], landed[DAYS[index]])
        _publish(conn, index, index)

    columns = ", ".join(FCT_ORDERS_COLUMNS)
    current = current_orders_sql(columns=FCT_ORDERS_COLUMNS)
    expected = _rows(conn, render(f"SELECT {columns} FROM ({current}) AS current_versions"))  # noqa: S608
    assert _rows(conn, f"SELECT {columns} FROM {quoted(FCT_ORDERS)}") == expected  # noqa: S608
    orders = conn.execute(f"SELECT count(*), count(DISTINCT order_id) FROM {quoted(FCT_ORDERS)}")
    total, distinct = orders.fetchone()
    assert total == distinct
