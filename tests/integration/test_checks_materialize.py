"""Checks through the real assets: per-partition results in range runs, same-run blocking."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from tests.support.bad_inputs import corpus
from tests.support.order_fixtures import (
    DAY,
    HEADER,
    csv_bytes,
    land,
    order_rows,
    range_tags,
    settings_for,
)

PREVIOUS = DAY - dt.timedelta(days=1)
NO_AMOUNT = [h for h in HEADER if h != "amount"]


def _run(tmp_path, instance, tags=None, partition_key=None):
    job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)
    return job.execute_in_process(
        instance=instance, tags=tags, partition_key=partition_key, raise_on_error=False
    )


def _evaluations(result):
    return {
        (e.asset_key.to_user_string(), e.check_name, e.partition): e
        for e in result.get_asset_check_evaluations()
    }


def test_range_run_records_every_check_per_partition(tmp_path, instance):
    for day in (PREVIOUS, DAY):
        land(tmp_path / "landing", day, "a.csv", csv_bytes(order_rows(30, day)))
    result = _run(tmp_path, instance, tags=range_tags(PREVIOUS, DAY))
    assert result.success
    evaluations = _evaluations(result)
    for day in (PREVIOUS, DAY):
        for asset, check in [
            ("raw_orders", "schema_drift"),
            ("cleaned_orders", "reconciliation"),
            ("cleaned_orders", "gx_quality"),
            ("warehouse/fct_orders", "gx_quality"),
        ]:
            evaluation = evaluations[(asset, check, day.isoformat())]
            assert evaluation.passed, evaluation.description
            assert evaluation.target_materialization_data is not None
    balance = evaluations[("cleaned_orders", "reconciliation", DAY.isoformat())].metadata
    assert balance["reconciliation/raw_rows"].value == 30
    assert balance["reconciliation/row_difference"].value == 0
    assert ("warehouse/fct_orders", "column_schema_change", None) in evaluations


def test_error_drift_stops_downstream_in_the_same_run_until_fixed(tmp_path, instance):
    landing = tmp_path / "landing"
    bad = land(landing, DAY, "a.csv", csv_bytes(order_rows(10), NO_AMOUNT))
    failed = _run(tmp_path, instance, partition_key=DAY.isoformat())
    assert not failed.success
    drift = _evaluations(failed)[("raw_orders", "schema_drift", DAY.isoformat())]
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.ERROR
    assert drift.metadata["drift/missing_required"].value == 1
    assert "drift" in drift.metadata
    started = {e.step_key for e in failed.all_events if e.event_type_value == "STEP_START"}
    assert "raw_orders" in started
    assert not started & {"clean_orders", "warehouse__fct_orders", "customer_metrics"}
    keys = {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()}
    assert keys == {"raw_orders", "fx_rates"}  # fx_rates is of no day: reloaded by any run

    bad.write_bytes(csv_bytes(order_rows(10)))
    fixed = _run(tmp_path, instance, partition_key=DAY.isoformat())
    assert fixed.success
    keys = {e.asset_key.to_user_string() for e in fixed.get_asset_materialization_events()}
    assert {"cleaned_orders", "warehouse/fct_orders", "warehouse/dim_customers"} <= keys


def test_a_day_without_columns_to_compare_says_so_instead_of_matching(tmp_path, instance):
    """A day with no landed file, and one whose only file is empty: nothing was compared
    with the contract, so schema_drift does not say the columns match. Both pass (an empty
    day can be legitimate; its volume is metadata_anomaly's to judge). A header-only file
    whose header matches the contract passes saying its header was compared."""
    landing = tmp_path / "landing"
    empty, header_only = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    land(landing, DAY, "a.csv", csv_bytes(order_rows(10)))
    land(landing, empty, "a.csv", b"")
    land(landing, header_only, "a.csv", csv_bytes([]))
    result = _run(tmp_path, instance, tags=range_tags(PREVIOUS, header_only))
    evaluations = _evaluations(result)
    drift = {
        day: evaluations[("raw_orders", "schema_drift", day.isoformat())]
        for day in (PREVIOUS, DAY, empty, header_only)
    }
    assert all(e.passed for e in drift.values())
    assert drift[PREVIOUS].description.startswith("No file landed for this day")
    assert drift[PREVIOUS].metadata["files"].value == 0
    assert drift[empty].description == (
        "1 landed file(s) with no order rows and no header (empty): no columns to compare"
        " with the contract."
    )
    assert drift[header_only].description == (
        "1 landed file(s) with no order rows; the header of 1 of them (header only) matches"
        " the contract."
    )
    assert drift[DAY].description == "Landed columns match the contract."


def test_a_header_only_files_columns_are_compared(tmp_path, instance):
    """raw_orders keeps no row of a file with a header and no record, so its header is kept
    in its metadata and schema_drift compares it: a header-only CSV (plain or gzip) or an
    empty Parquet file that lost a required column fails the day as any file would, alone
    or beside a good file; a renamed column is named."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    landing = tmp_path / "landing"
    alone, beside, renamed, parquet = (DAY + dt.timedelta(days=i) for i in range(4))
    land(landing, alone, "a.csv.gz", gzip.compress(csv_bytes([], NO_AMOUNT)))
    land(landing, beside, "a.csv", csv_bytes(order_rows(10, beside)))
    land(landing, beside, "b.csv", csv_bytes([], NO_AMOUNT))
    land(landing, renamed, "a.csv", csv_bytes(order_rows(10, renamed)))
    renamed_header = ["order_amount" if h == "amount" else h for h in HEADER]
    land(landing, renamed, "b.csv", csv_bytes([], renamed_header))
    table = pa.table({name: pa.array([], pa.string()) for name in NO_AMOUNT})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    land(landing, parquet, "a.parquet", sink.getvalue().to_pybytes())
    result = _run(tmp_path, instance, tags=range_tags(alone, parquet))
    evaluations = _evaluations(result)
    drift = {
        day: evaluations[("raw_orders", "schema_drift", day.isoformat())]
        for day in (alone, beside, renamed, parquet)
    }
    for day, evaluation in drift.items():
        assert not evaluation.passed, day
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR, day
        assert "missing_required amount" in evaluation.description, day
        assert evaluation.metadata["header_only_files"].value == 1, day
        (missing,) = [
            r
            for r in evaluation.metadata["drift"].value.records
            if r.data["kind"] == "missing_required"
        ]
        assert (missing.data["files"], missing.data["rows"]) == (1, 0), day
    assert "renamed amount" in drift[renamed].description
    assert "added order_amount" in drift[renamed].description
    materialized = {
        (e.asset_key.to_user_string(), e.partition)
        for e in result.get_asset_materialization_events()
    }
    raw = [
        e for e in result.get_asset_materialization_events() if e.partition == beside.isoformat()
    ]
    (listed,) = raw[0].materialization.metadata["orders/header_only_files"].value["headers"]
    assert listed["file"].endswith("b.csv") and "amount" not in listed["header"]
    assert not any(asset == "cleaned_orders" for asset, _ in materialized)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "sql_in_text_kept_verbatim",
        "formula_in_text",
        "mixed_formats_in_one_day",
        "duplicate_newer_update",
        "parquet_typed_columns",
        "lone_cr_outside_quotes",
        "quoted_newline_in_header",
    ],
)
def test_corpus_cases_through_the_assets(tmp_path, instance, name):
    case = next(case for case in corpus() if case.name == name)
    for index, file in enumerate(case.files):
        land(tmp_path / "landing", DAY, f"{index}-{file.name}", file.data)
    result = _run(tmp_path, instance, partition_key=DAY.isoformat())
    assert result.success
    evaluations = _evaluations(result)
    for asset in ("cleaned_orders", "warehouse/fct_orders"):
        assert evaluations[(asset, "gx_quality", DAY.isoformat())].passed
    assert evaluations[("cleaned_orders", "reconciliation", DAY.isoformat())].passed
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        raw_rows = conn.execute("select count(*) from raw.raw_orders").fetchone()[0]
        cleaned = conn.execute("select count(*) from warehouse.fct_orders").fetchone()[0]
        reasons = {
            row[0]
            for row in conn.execute("select reason_code from staging.quarantined_orders").fetchall()
        }
        for order_id, column, value in case.cleaned_values:
            stored = conn.execute(
                f"select {column} from warehouse.fct_orders where order_id = ?", [order_id]
            ).fetchone()[0]
            assert stored == value
    assert case.reasons <= reasons
    assert cleaned >= case.min_cleaned
    assert raw_rows >= cleaned + case.superseded


def test_a_retyped_column_counted_in_the_engine_fails_only_its_day(tmp_path, instance):
    """The check counts unparseable values in the engine over each day's sample (no rows
    come back to pandas but each file's first ones): 60 of 300 order_ts values that are
    not timestamps make the day ERROR, with counts and examples; the clean day passes."""
    land(tmp_path / "landing", PREVIOUS, "a.csv", csv_bytes(order_rows(300, PREVIOUS)))
    rows = order_rows(300, DAY)
    for row in rows[240:]:  # beyond the first rows of the file
        row["order_ts"] = "next tuesday"
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(rows))
    result = _run(tmp_path, instance, tags=range_tags(PREVIOUS, DAY))
    evaluations = _evaluations(result)
    assert evaluations[("raw_orders", "schema_drift", PREVIOUS.isoformat())].passed
    failed = evaluations[("raw_orders", "schema_drift", DAY.isoformat())]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    text = str(failed.description) + str({k: v.value for k, v in failed.metadata.items()})
    assert "order_ts" in text and "next tuesday" in text


def test_a_range_with_a_blocked_day_publishes_the_other_days(tmp_path, instance):
    """A blocking check failing one day of a range, not the others, stops that day alone:
    the run publishes the other days (what day-by-day runs publish) and leaves the
    drifted day unpublished; its check evaluation says it did not stop the run."""
    land(tmp_path / "landing", PREVIOUS, "a.csv", csv_bytes(order_rows(20, PREVIOUS)))
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(order_rows(20, DAY), NO_AMOUNT))
    ranged = _run(tmp_path, instance, tags=range_tags(PREVIOUS, DAY))
    assert ranged.success
    evaluations = _evaluations(ranged)
    assert evaluations[("raw_orders", "schema_drift", PREVIOUS.isoformat())].passed
    drifted = evaluations[("raw_orders", "schema_drift", DAY.isoformat())]
    assert not drifted.passed and not drifted.blocking
    assert "left_out" in drifted.metadata
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        cleaned = conn.execute("select distinct partition_date from staging.cleaned_orders")
        assert cleaned.fetchall() == [(PREVIOUS,)]
        facts = conn.execute("select distinct partition_date from warehouse.fct_orders")
        assert facts.fetchall() == [(PREVIOUS,)]

    # The drifted day alone: Dagster's own block (every day of the run failed).
    alone = _run(tmp_path, instance, partition_key=DAY.isoformat())
    assert not alone.success
    evaluations = _evaluations(alone)
    assert evaluations[("raw_orders", "schema_drift", DAY.isoformat())].blocking
    keys = {e.asset_key.to_user_string() for e in alone.get_asset_materialization_events()}
    assert keys == {"raw_orders", "fx_rates"}  # fx_rates is of no day: reloaded by any run
