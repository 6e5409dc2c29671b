"""Landed files the platform cannot read fail the day visibly; gzip files are read."""

import gzip
import logging

import dagster as dg
import duckdb

from orders_core import tables
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.landing import NOT_A_FILE, LocalLandingZone
from tests.support.order_fixtures import DAY, csv_bytes, land, order_rows, settings_for

UNREADABLE = [".DS_Store", "._a.csv", "orders.zip", "orders.xlsx"]


def test_dot_files_are_listed_and_folders_refused(tmp_path):
    landing = tmp_path / "landing"
    folder = land(landing, DAY, "a.csv", csv_bytes(order_rows(2))).parent
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "nested").mkdir()
    (folder / "nested" / "b.csv").write_bytes(csv_bytes(order_rows(2)))
    listing = LocalLandingZone(root=str(landing)).scan_day(DAY)
    assert [f.name for f in listing.files] == [".DS_Store", "a.csv"]
    assert [(r.name, r.reason) for r in listing.refused] == [("nested/", NOT_A_FILE)]


def _run(tmp_path, instance, files: dict[str, bytes]):
    landing = tmp_path / "landing"
    for name, data in files.items():
        land(landing, DAY, name, data)
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(
        instance=instance, partition_key=DAY.isoformat(), raise_on_error=False
    )
    [materialization] = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(tables.RAW_ORDERS.key)
    ]
    [drift] = [e for e in result.get_asset_check_evaluations() if e.check_name == "schema_drift"]
    return settings, result, materialization.metadata, drift


def test_a_day_of_unreadable_files_fails_schema_drift_with_their_names(tmp_path, instance):
    files = {name: b"PK\x03\x04 order_id,customer_email" for name in UNREADABLE}
    files["a.csv.gz"] = gzip.compress(csv_bytes(order_rows(4)))
    settings, result, metadata, drift = _run(tmp_path, instance, files)
    assert not result.success  # the blocking drift check holds the day

    assert metadata[tables.UNREADABLE_FILES_METADATA].value == len(UNREADABLE)
    assert metadata["orders/files"].value == 1
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.ERROR
    assert drift.metadata["drift/unreadable"].value == 1
    for name in UNREADABLE:
        assert name in metadata[tables.UNREADABLE_NAMES_METADATA].value
        assert name in drift.metadata["unreadable_files"].value
    assert "unreadable (landing files)" in drift.description

    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "select source_file, source_format, parse_error from raw.raw_orders"
        ).fetchall()
    assert len(rows) == 4
    assert all(r[0].endswith("/a.csv.gz") and r[1] == "csv" and r[2] is None for r in rows)


def test_a_day_of_only_unreadable_files_does_not_look_empty_and_healthy(tmp_path, instance):
    _, result, metadata, drift = _run(tmp_path, instance, {"orders.csv.zip": b"PK\x03\x04"})
    assert not result.success
    assert metadata["dagster/partition_row_count"].value == 0
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.ERROR
    assert drift.metadata["unreadable_files"].value == "orders.csv.zip"


def test_the_runs_log_names_the_drifted_day_and_its_unreadable_files(tmp_path, instance):
    """A terminal's `dg launch` shows the run's log: Dagster's step failure names the
    check only ("raw_orders: schema_drift"), and the evaluations do not name their day."""
    _, result, _, _ = _run(tmp_path, instance, {"orders.xlsx": b"PK\x03\x04"})
    assert not result.success
    errors = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == logging.ERROR and entry.step_key == "raw_orders_schema_drift"
    ]
    assert any(
        f"{DAY.isoformat()} (Schema drift: unreadable" in message
        and "orders.xlsx" in message
        and "run them again with raw_orders" in message
        for message in errors
    ), errors


def test_readable_gzip_files_pass(tmp_path, instance):
    files = {
        "a.csv.gz": gzip.compress(csv_bytes(order_rows(3))),
        "b.csv": csv_bytes(order_rows(2, prefix="p")),
    }
    _, _, metadata, drift = _run(tmp_path, instance, files)
    assert drift.passed
    assert tables.UNREADABLE_FILES_METADATA not in metadata
    assert metadata["dagster/partition_row_count"].value == 5


def test_an_empty_gzip_file_fails_the_day_as_unreadable(tmp_path, instance):
    """A ``.gz`` file of no byte is not an empty export (gzip writes 20 bytes for one) but
    an upload cut to nothing: each is one malformed_record saying so and the day fails,
    where they passed as files of no order."""
    files = {"a.csv.gz": b"", "b.jsonl.gz": b"", "c.csv": csv_bytes(order_rows(2))}
    settings, result, _, drift = _run(tmp_path, instance, files)
    assert not result.success
    assert not drift.passed and "unreadable (file content)" in drift.description
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "select regexp_extract(source_file, '[^/]*$'), source_format, parse_error"
            " from raw.raw_orders where parse_error is not null order by 1"
        ).fetchall()
    assert [(name, fmt) for name, fmt, _ in rows] == [("a.csv.gz", "csv"), ("b.jsonl.gz", "jsonl")]
    assert all(error.startswith("unreadable_gzip: ") for _, _, error in rows)
