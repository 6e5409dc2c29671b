"""A warehouse written by an earlier release, or altered by hand, meets today's platform.

A column the platform added since is added (its old rows NULL), also to raw_orders when a
re-clean reads days an earlier release loaded; a column whose type is of
another kind than the platform writes stops the step at once, naming the table, the
column, both types and what to do. Before, DuckDB cast into it: a DECIMAL(18,2)
``monetary_value`` published 6.6175 as 6.62, a ``TIMESTAMP`` ``order_ts`` lost its zone, a
VARCHAR ``order_date`` took text, and every run said it succeeded.
"""

import re

import dagster as dg
import duckdb
import pytest

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import TableTypeMismatchError, ensure_tables, type_kind
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.warehouse import DuckDBWarehouse
from tests.support.paths import REPO
from tests.support.pipeline_helpers import permanent_failure_message, run_range

RE_CLEAN = [dg.AssetKey("cleaned_orders"), dg.AssetKey("quarantined_orders")]
RANGE = {
    "dagster/asset_partition_range_start": "2025-01-01",
    "dagster/asset_partition_range_end": "2025-01-03",
}
# The fix docs/backfill-runbook.md ("A warehouse column of another type") gives for DuckDB.
RUNBOOK_FIX = next(
    fix
    for fix in re.findall(
        r"`(ALTER TABLE [^`]+)`",
        (REPO / "docs" / "backfill-runbook.md").read_text(encoding="utf-8"),
    )
    if "customer_metrics" in fix
)
# Lineage columns raw_orders (and the quarantine, its copy) gained over releases.
LATER_LINEAGE = ("pii_extra_columns_json", "source_format", "file_header")


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
        ensure_tables(session.execute, load_contract(), tables.RAW_ORDERS, dialect=session.dialect)
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
        ensure_tables(session.execute, load_contract(), table, dialect=session.dialect)
        session.execute(f"ALTER TABLE {table.qualified} ALTER {column} TYPE {altered}")
        session.execute(f"ALTER TABLE {table.qualified} DROP COLUMN {dropped}")
        with pytest.raises(TableTypeMismatchError) as refused:
            ensure_tables(session.execute, load_contract(), table, dialect=session.dialect)
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
    # DuckDB's pragma_table_info names the scale in the type, Snowflake gives it apart.
    assert type_kind("DECIMAL(18,2)") == type_kind("NUMBER", 2) != type_kind("DOUBLE")
    assert type_kind("DECIMAL(38,0)") == type_kind("NUMBER", 0) == type_kind("BIGINT")


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
    # The runbook's fix, as it writes it, gives the column its type back: the next run passes.
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute(RUNBOOK_FIX)
    assert run_range(settings, instance, "2025-01-01", "2025-01-03").success


def test_a_re_clean_of_days_an_earlier_release_loaded_adds_the_later_lineage_columns(
    settings, instance
):
    """Before, the quarantine's read of raw_orders failed ('Values list "raw" does not
    have a column named "pii_extra_columns_json"'), retried three times."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    quarantine = "SELECT order_id, reason_code, source_line FROM staging.quarantined_orders"
    with duckdb.connect(settings.duckdb_path) as conn:
        cleaned = conn.execute("SELECT * FROM staging.cleaned_orders").fetchall()
        rejected = conn.execute(quarantine).fetchall()
        assert rejected  # the fixture landing has rows to quarantine
        for table in ("raw.raw_orders", "staging.quarantined_orders"):
            for column in LATER_LINEAGE:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    re_clean = job.execute_in_process(
        instance=instance, tags=RANGE, asset_selection=RE_CLEAN, raise_on_error=False
    )
    assert re_clean.success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        assert sorted(conn.execute("SELECT * FROM staging.cleaned_orders").fetchall()) == sorted(
            cleaned
        )
        assert sorted(conn.execute(quarantine).fetchall()) == sorted(rejected)
        nulls = " AND ".join(f"{column} IS NULL" for column in LATER_LINEAGE)
        for table in ("raw.raw_orders", "staging.quarantined_orders"):
            assert conn.execute(f"SELECT bool_and({nulls}) FROM {table}").fetchone() == (True,)
