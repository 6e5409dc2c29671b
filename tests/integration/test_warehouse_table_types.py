"""A warehouse written by an earlier release, or altered by hand, meets today's platform.

A column the platform added since is added (its old rows NULL); a column whose type is of
another kind than the platform writes stops the step at once, naming the table, the
column, both types and what to do. Before, DuckDB cast into it: a DECIMAL(18,2)
``monetary_value`` published 6.6175 as 6.62, a ``TIMESTAMP`` ``order_ts`` lost its zone, a
VARCHAR ``order_date`` took text, and every run said it succeeded.
"""

import dagster as dg
import duckdb
import pytest

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import TableTypeMismatchError, ensure_tables, type_kind
from resources.warehouse import DuckDBWarehouse
from tests.support.pipeline_helpers import permanent_failure_message, run_range


def _columns(session, table) -> dict[str, str]:
    rows = session.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ?",
        [table.schema, table.name],
    )
    return dict(rows)


def test_a_column_an_earlier_release_lacked_is_added_with_null_in_old_rows():
    with DuckDBWarehouse(database=":memory:").session() as session:
        session.execute("CREATE SCHEMA raw")
        texts = [*load_contract().column_names, "source_file"]
        columns = ", ".join(f"{name} VARCHAR" for name in texts)
        session.execute(f"CREATE TABLE raw.raw_orders ({columns}, partition_date DATE)")
        session.execute("INSERT INTO raw.raw_orders (order_id) VALUES ('old')")
        ensure_tables(session.execute, load_contract(), tables.RAW_ORDERS)
        columns = _columns(session, tables.RAW_ORDERS)
        assert columns["source_line"] == "BIGINT"
        assert columns["file_header"] == "VARCHAR"
        assert session.execute("SELECT order_id, source_line FROM raw.raw_orders") == [
            ("old", None)
        ]


@pytest.mark.parametrize(
    ("table", "column", "altered", "shown", "dropped"),
    [
        (
            tables.FCT_ORDERS,
            "amount",
            "DECIMAL(18,2)",
            "DECIMAL(18,2) (decimal of scale 2)",
            "region",
        ),
        (
            tables.FCT_ORDERS,
            "order_ts",
            "TIMESTAMP",
            "TIMESTAMP (timestamp without time zone)",
            "status",
        ),
        (tables.FCT_ORDERS, "order_date", "VARCHAR", "VARCHAR (text)", "status"),
        (tables.CUSTOMER_METRICS, "order_count", "DOUBLE", "DOUBLE (double)", "as_of_date"),
    ],
)
def test_a_column_of_another_kind_is_refused_by_name_before_anything_is_added(
    table, column, altered, shown, dropped
):
    with DuckDBWarehouse(database=":memory:").session() as session:
        ensure_tables(session.execute, load_contract(), table)
        session.execute(f"ALTER TABLE {table.qualified} ALTER {column} TYPE {altered}")
        session.execute(f"ALTER TABLE {table.qualified} DROP COLUMN {dropped}")
        with pytest.raises(TableTypeMismatchError) as refused:
            ensure_tables(session.execute, load_contract(), table)
        assert f"{table.qualified}.{column} is {shown} in the warehouse" in str(refused.value)
        assert "docs/backfill-runbook.md" in str(refused.value)
        assert dropped not in _columns(session, table)


def test_kinds_the_platform_accepts_in_both_engines():
    # DuckDB's names, then Snowflake's (as information_schema gives them), for the types
    # the platform creates: each the same kind as what the platform writes.
    assert type_kind("INTEGER", 0) == type_kind("NUMBER", 0) == type_kind("BIGINT")
    assert type_kind("TEXT") == type_kind("VARCHAR")
    assert type_kind("FLOAT") == type_kind("DOUBLE")
    assert type_kind("TIMESTAMP_TZ") == type_kind("TIMESTAMP WITH TIME ZONE")
    assert type_kind("NUMBER", 2) != type_kind("DOUBLE")
    assert type_kind("TIMESTAMP_NTZ") != type_kind("TIMESTAMP WITH TIME ZONE")


def test_a_run_on_a_retyped_money_column_fails_at_once_and_rounds_nothing(settings, instance):
    assert run_range(settings, instance, "2025-01-01", "2025-01-03").success
    metrics = "SELECT customer_id, monetary_value FROM analytics.customer_metrics"
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute(
            "ALTER TABLE analytics.customer_metrics ALTER monetary_value TYPE DECIMAL(18,1)"
        )
        altered = conn.execute(metrics).fetchall()
    result = run_range(settings, instance, "2025-01-01", "2025-01-03", raise_on_error=False)
    assert not result.success
    message = permanent_failure_message(result)
    assert (
        "analytics.customer_metrics.monetary_value is DECIMAL(18,1) (decimal of scale 1)"
        " in the warehouse, where the platform writes DOUBLE"
    ) in message
    failed = [
        e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    assert failed == ["customer_metrics"]
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        assert sorted(conn.execute(metrics).fetchall()) == sorted(altered)  # nothing written
