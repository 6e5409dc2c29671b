"""fct_orders' publishing and the facts' expected counts with withheld days (days whose
cleaning has not passed cleaned_orders' blocking checks: their rows compete for no
order) give the same rows on DuckDB and on Snowflake (fakesnow), and the ones the
publishing rule asks for. The snapshots in tests/snapshots/sql hold the statements
without withheld days; every other test of them on Snowflake ran none.
"""

from __future__ import annotations

import datetime as dt

import pytest

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.dialect import DUCKDB, SNOWFLAKE, render
from orders_core.sql.facts import (
    AFFECTED_TABLE,
    affected_orders_sql,
    current_day_counts_sql,
    publish_statements,
)
from orders_core.sql.tables import ensure_tables
from resources.warehouse import DuckDBWarehouse, Warehouse
from tests.support.prod_pipeline import snowflake_warehouse
from tests.support.prod_tables import canonical_rows

pytestmark = pytest.mark.services

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(5)]
# order, day index, updated_at (day index, hour), amount
CLEANED = [
    ("x", 0, (0, 9), "10.00"),  # stands: day 2's newer version is withheld
    ("x", 1, (1, 12), "99.00"),
    ("y", 0, (0, 9), "20.00"),  # moves to day 4, whose newer version passed
    ("y", 3, (3, 12), "21.00"),
    ("z", 2, (2, 9), "30.00"),  # day 3 withheld: published nowhere
    ("w", 1, (1, 9), "40.00"),  # day 2's own order: not published (its day is left out)
    ("v", 4, (4, 9), "50.00"),
    ("v", 2, (4, 23), "51.00"),  # newer, but withheld: day 5's older version stands
]
WITHHELD = [DAYS[1], DAYS[2]]
# the days fct_orders publishes, as runs: day 1, then days 4-5
RUNS = [(DAYS[0], DAYS[0]), (DAYS[3], DAYS[4])]
COLUMNS = ("order_id", "customer_id", "order_ts", "order_date", "amount", "currency")
COLUMNS += ("updated_at", "source_file", "source_line", "partition_date")


def _duckdb(tmp_path) -> Warehouse:
    return DuckDBWarehouse(database=str(tmp_path / "facts.duckdb"))


def _snowflake() -> Warehouse:
    return snowflake_warehouse()


def _published(warehouse: Warehouse, withheld: list[dt.date]) -> tuple[list, list]:
    """The facts after publishing :data:`RUNS` as fct_orders does, and the expected
    per-day counts over every day, as the publication suite reads them."""
    with warehouse.session() as session:
        ensure_tables(
            session.execute,
            load_contract(),
            tables.CLEANED_ORDERS,
            tables.FCT_ORDERS,
            dialect=session.dialect,
        )
        marks = ", ".join("?" * len(COLUMNS))
        for line, (order, day, (updated, hour), amount) in enumerate(CLEANED, start=1):
            placed = f"{DAYS[day]}T08:00:00Z"
            stamp = f"{DAYS[updated]}T{hour:02d}:00:00Z"
            session.execute(
                f"INSERT INTO {tables.CLEANED_ORDERS.qualified} ({', '.join(COLUMNS)})"  # noqa: S608
                f" VALUES ({marks})",
                [order, "c1", placed, DAYS[day], amount, "USD", stamp, "a.csv", line, DAYS[day]],
            )
        delete, insert = publish_statements(len(withheld))
        for first, last in RUNS:
            session.execute(
                f"CREATE OR REPLACE TEMPORARY TABLE {AFFECTED_TABLE} AS {affected_orders_sql()}",
                [first, last] * 2,
            )
            with session.transaction():
                session.execute(delete)
                session.execute(insert, [first, last, *withheld] * 2)
        first, last = DAYS[0], DAYS[-1]
        counts = session.execute(
            current_day_counts_sql(len(withheld)),
            [first, last, *withheld, first, last, *withheld, first, last, first, last],
        )
    facts = warehouse.query(
        f"SELECT order_id, partition_date, amount FROM {tables.FCT_ORDERS.qualified}"  # noqa: S608
    )
    return facts, counts


def _counts(rows) -> list[tuple[str, int]]:
    return sorted((str(day)[:10], int(n)) for day, n in rows)


# (amount, order, day) of the facts and (day, count) of the current versions, per
# withheld days: only the versions of the days that passed compete.
EXPECTED = {
    "two": (
        [("10.0", "x", "2025-01-01"), ("21.0", "y", "2025-01-04"), ("50.0", "v", "2025-01-05")],
        [("2025-01-01", 1), ("2025-01-04", 1), ("2025-01-05", 1)],
    ),
    # day 3 passed: v's newer version there wins, and z is its current version
    "one": (
        [("10.0", "x", "2025-01-01"), ("21.0", "y", "2025-01-04"), ("51.0", "v", "2025-01-03")],
        [("2025-01-01", 1), ("2025-01-03", 2), ("2025-01-04", 1)],
    ),
}


@pytest.mark.parametrize(
    ("name", "withheld"), [("two", WITHHELD), ("one", WITHHELD[:1])], ids=["two", "one"]
)
def test_publishing_with_withheld_days_is_the_same_on_duckdb_and_snowflake(
    tmp_path, fake_snowflake, name, withheld
):
    local_facts, local_counts = _published(_duckdb(tmp_path), withheld)
    prod_facts, prod_counts = _published(_snowflake(), withheld)
    assert canonical_rows(prod_facts) == canonical_rows(local_facts) == EXPECTED[name][0]
    assert _counts(prod_counts) == _counts(local_counts) == EXPECTED[name][1]


def test_without_withheld_days_the_same_rows_compete_on_both(tmp_path, fake_snowflake):
    """The statements of the snapshots (withheld=0): the newer versions of x (day 2) and v
    (day 3) win, published through the runs of days 1 and 4-5."""
    local_facts, local_counts = _published(_duckdb(tmp_path), [])
    prod_facts, prod_counts = _published(_snowflake(), [])
    assert canonical_rows(prod_facts) == canonical_rows(local_facts)
    assert _counts(prod_counts) == _counts(local_counts)
    assert canonical_rows(local_facts) == [
        ("21.0", "y", "2025-01-04"),
        ("51.0", "v", "2025-01-03"),
        ("99.0", "x", "2025-01-02"),
    ]
    assert _counts(local_counts) == [("2025-01-02", 2), ("2025-01-03", 2), ("2025-01-04", 1)]


def test_the_statements_with_withheld_days_reach_snowflake_without_duckdb_hints():
    """fakesnow, DuckDB underneath, would run ``NOT MATERIALIZED``; Snowflake refuses it.
    Each withheld day is a placeholder in both parts of the candidates."""
    for withheld in (1, 3):
        for sql in (*publish_statements(withheld), current_day_counts_sql(withheld)):
            assert "NOT MATERIALIZED" in render(sql, DUCKDB) or "DELETE" in sql
            rendered = render(sql, SNOWFLAKE)
            assert "MATERIALIZED" not in rendered.upper()
            assert rendered.count("?") == sql.count("?")
        insert = render(publish_statements(withheld)[1], SNOWFLAKE)
        assert insert.count("?") == 2 * (2 + withheld)
