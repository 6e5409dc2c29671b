"""No e-mail address in clear outside raw and quarantine: not in the published tables, and
nowhere in the Dagster instance (event log, check results, logs, compute logs).

The real pipeline runs on landing files with e-mails in every place a careless upstream
puts them; then the warehouse and everything the instance stored are searched for them.
"""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import duckdb
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.landing import GONE, LocalLandingZone
from resources.telemetry_setup import configure_telemetry, reset_telemetry
from tests.support.local_instance import local_instance
from tests.support.order_fixtures import (
    HEADER as CONTRACT_HEADER,
)
from tests.support.order_fixtures import (
    csv_bytes,
    land,
    order_rows,
    range_tags,
    settings_for,
)

DAY1, DAY2, DAY3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)
CONTACT = "contact.canary@example.org"  # an extra column named "contact"
NAMED = "named.canary@example.org"  # an extra column named "Email Address"
JSONL = "jsonl.canary@example.org"  # nested in an extra field of a JSON Lines record
CONTRACT_EMAIL = "contract.canary@example.org"  # the contract's customer_email
ORDER_ID = "orderid.canary@example.org"  # an invalid order_id, copied into reason_detail
MALFORMED = "malformed.canary@example.org"  # inside a record with too many fields
HEADER_ROW = "header.canary@example.org"  # a "header" that is really a data row
CANARIES = (CONTACT, NAMED, JSONL, CONTRACT_EMAIL, ORDER_ID, MALFORMED, HEADER_ROW)
PUBLISHED = (
    "staging.cleaned_orders",
    "analytics.customer_metrics",
    "analytics.customer_clv",
    "warehouse.fct_orders",
    "warehouse.dim_customers",
)
ALLOWED = ("raw.raw_orders", "staging.quarantined_orders")


def _land_pii(landing: Path) -> None:
    land(landing, DAY1, "a.csv", csv_bytes(order_rows(6, DAY1, prefix="N")))
    rows = order_rows(8, DAY2, prefix="P")
    for i, row in enumerate(rows):
        row.update(contact=CONTACT if i % 2 else "front desk", promo=f"SAVE{i}")
        row["Email Address"] = NAMED
    rows[1]["customer_email"] = CONTRACT_EMAIL
    rows[2]["order_id"] = ORDER_ID
    header = [*CONTRACT_HEADER, "contact", "Email Address", "promo"]
    malformed = f"P-bad,c001,{DAY2}T10:00:00Z,5.00,USD,{MALFORMED},extra\n"
    land(landing, DAY2, "a.csv", csv_bytes(rows, header) + malformed.encode())
    nested = {**order_rows(1, DAY2, prefix="J")[0], "meta": {"by": JSONL}}
    land(landing, DAY2, "b.jsonl", (json.dumps(nested) + "\n").encode())
    # No header: the first order is read as the header, its e-mail as a column name.
    headless = order_rows(3, DAY3, prefix="H")
    headless[0]["customer_email"] = HEADER_ROW
    land(landing, DAY3, "a.csv", csv_bytes(headless).split(b"\n", 1)[1])


def _instance_text(instance: dg.DagsterInstance) -> str:
    """Everything the instance holds about its runs, serialized: runs, every event of
    every run (metadata, descriptions, log messages, errors), check executions."""
    texts = []
    for run in instance.get_runs():
        texts.append(dg.serialize_value(run))
        texts += [dg.serialize_value(record) for record in instance.all_logs(run.run_id)]
    for key in instance.get_asset_keys():
        records = instance.fetch_materializations(key, limit=1000).records
        texts += [dg.serialize_value(record) for record in records]
    return "\n".join(texts)


def _stored_bytes(root: Path) -> dict[str, bytes]:
    """Every file under the instance's directory: its SQLite storage and compute logs."""
    return {str(path): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _table_text(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    return conn.execute(f"select * from {table}").df().to_csv()  # noqa: S608


def test_no_email_reaches_published_tables_or_the_dagster_instance(tmp_path, capfd):
    settings = settings_for(tmp_path)
    _land_pii(tmp_path / "landing")
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    (tmp_path / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        published = job.execute_in_process(
            instance=instance, tags=range_tags(DAY1, DAY2), raise_on_error=False
        )
        assert published.success
        held = job.execute_in_process(
            instance=instance, partition_key=DAY3.isoformat(), raise_on_error=False
        )
        # The headless file misses every required column: drift holds the day.
        assert not held.success
        [drift] = [e for e in held.get_asset_check_evaluations() if e.check_name == "schema_drift"]
        assert not drift.passed and "<email>" in drift.description

        raw = {
            (m.materialization.asset_key.to_user_string(), m.materialization.partition): (
                m.materialization.metadata
            )
            for run in (published, held)
            for m in run.get_asset_materialization_events()
        }
        pii_day = raw[("raw_orders", DAY2.isoformat())]
        assert pii_day["orders/pii_extra_columns"].value == 3
        assert pii_day["orders/pii_extra_column_names"].value == "Email Address, contact, meta"
        headless_day = raw[("raw_orders", DAY3.isoformat())]
        assert headless_day["orders/pii_extra_column_names"].value == "<email>"

        found = _instance_text(instance)
        stored = _stored_bytes(Path(instance.root_directory))
    assert any(path.endswith(".err") and data for path, data in stored.items())
    captured = capfd.readouterr()
    for canary in CANARIES:
        assert canary not in found, f"{canary} in the instance's event log"
        leaks = [path for path, data in stored.items() if canary.encode() in data]
        assert not leaks, f"{canary} in {leaks}"
        assert canary not in captured.out + captured.err, f"{canary} in the process output"

    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        for table in PUBLISHED:
            text = _table_text(conn, table)
            columns = [r[0] for r in conn.execute(f"describe {table}").fetchall()]  # noqa: S608
            assert "pii_extra_columns_json" not in columns
            for canary in CANARIES:
                assert canary not in text, f"{canary} published in {table}"
        kept = "\n".join(_table_text(conn, table) for table in ALLOWED)
        assert conn.execute("select count(*) from staging.cleaned_orders").fetchone()[0] > 0
        quarantined = [r[0] for r in conn.execute("describe staging.quarantined_orders").fetchall()]
    # Raw and quarantine keep the rows as they arrived: the e-mails are there, nowhere else.
    for canary in CANARIES:
        assert canary in kept, f"{canary} was not landed: the fixture is wrong"
    assert "pii_extra_columns_json" in quarantined


def test_a_landed_file_gone_mid_run_leaves_no_e_mail_in_the_step_error_or_trace(
    tmp_path, monkeypatch
):
    # A file named with an address (an attachment saved under its sender) is moved away
    # between the listing and the read: the step's error, stored with its retry in the
    # event log and recorded on the asset's span, quoted the file's whole path.
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    canary = "gone.canary@example.org"
    landing = tmp_path / "landing"
    land(landing, DAY1, "a.csv", csv_bytes(order_rows(4, DAY1)))
    gone = land(landing, DAY1, f"from {canary}.csv", csv_bytes(order_rows(2, DAY1, "G")))
    listed = LocalLandingZone.scan_day

    def scan_then_move(zone, day):
        listing = listed(zone, day)
        gone.unlink(missing_ok=True)
        return listing

    monkeypatch.setattr(LocalLandingZone, "scan_day", scan_then_move)
    exporter = InMemorySpanExporter()
    reset_telemetry()
    try:
        handle = configure_telemetry(span_exporter=exporter)
        job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)
        with local_instance() as instance:
            result = job.execute_in_process(
                instance=instance, partition_key=DAY1.isoformat(), raise_on_error=False
            )
            found = _instance_text(instance)
        handle.force_flush()
        spans = [span.to_json() for span in exporter.get_finished_spans()]
    finally:
        reset_telemetry()
    # The retry lists the day again, without the file, and loads it.
    assert result.success
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert [e.step_key for e in retried] == ["raw_orders"]
    assert f"from <email>: {GONE}" in retried[0].event_specific_data.error.cause.message
    assert any(GONE in span for span in spans)
    assert canary not in found
    assert not [span for span in spans if canary in span]


def test_a_header_only_file_named_with_an_address_is_recorded_masked(tmp_path):
    # raw_orders records a file with a header and no record by its URI, for schema_drift:
    # the URI percent-encodes the name, "@" as "%40", which the masking did not see.
    canary = "header.only.canary@example.org"
    landing = tmp_path / "landing"
    land(landing, DAY1, "a.csv", csv_bytes(order_rows(3, DAY1)))
    land(landing, DAY1, f"from {canary}.csv", csv_bytes([], [*CONTRACT_HEADER, "note"]))
    job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)
    with local_instance() as instance:
        result = job.execute_in_process(
            instance=instance, partition_key=DAY1.isoformat(), raise_on_error=False
        )
        found = _instance_text(instance)
    assert result.success
    [drift] = [e for e in result.get_asset_check_evaluations() if e.check_name == "schema_drift"]
    assert drift.description == "Schema drift: added note"  # its header is still judged
    encoded = Path(landing / f"from {canary}.csv").as_uri().rsplit("/", 1)[1]
    assert "%40" in encoded
    assert canary not in found and encoded.removesuffix(".csv") not in found
    assert "from%20%3Cemail%3E" in found
