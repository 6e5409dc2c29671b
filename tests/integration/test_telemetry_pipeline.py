"""OpenTelemetry through the real order pipeline: the trace must tell the run's story.

The toy-graph tests (tests/test_telemetry.py) pin the span mechanics; these run the real
definitions on the 3-day landing fixture (plus a day-2 file with an undeclared column,
so a check fails) and read the spans back: in memory for a two-partition range run and
a sensor tick, and over OTLP/HTTP from ``make run``'s own entry point in a subprocess
(its two runs: load and judge, then publish).
"""

import os
import subprocess
import sys

import dagster as dg
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from devtools.otlp_receiver import OtlpReceiver
from orders_platform.definitions import build_definitions
from resources import build_resources
from resources.telemetry import run_trace_ids
from resources.telemetry_setup import configure_telemetry, reset_telemetry
from sensors.run_telemetry import emit_finished_run_span
from tests.support import paths
from tests.support.fixture_data import DAY2, HEADER, day_dir, order, write_csv
from tests.support.pipeline_helpers import run_range

REPO = paths.REPO
ASSET_SPANS = {
    "materialize raw_orders",
    "materialize fx_rates",
    "materialize cleaned_orders",
    "materialize warehouse/fct_orders",
    "materialize customer_metrics",
    "materialize customer_clv",
    "materialize warehouse/dim_customers",
}


@pytest.fixture(autouse=True)
def clean_telemetry(monkeypatch: pytest.MonkeyPatch):
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    reset_telemetry()
    yield
    reset_telemetry()


@pytest.fixture
def drifted_landing(landing):
    """The fixture landing zone plus one day-2 order in a file with an extra column."""
    root, expected = landing
    row = {**order("B5", "frank", "2025-01-02T12:00:00Z", "70.00"), "coupon": "WINTER"}
    write_csv(day_dir(root, DAY2) / "part-002.csv", [row], header=[*HEADER, "coupon"])
    return root, expected


def by_name(spans) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def test_range_run_spans_nest_under_the_run_with_rows_and_check_outcomes(
    drifted_landing, settings, instance
):
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    handle = configure_telemetry(span_exporter=exporter, metric_reader=reader)
    result = run_range(settings, instance, "2025-01-01", "2025-01-02", raise_on_error=False)
    assert result.success
    emit_finished_run_span(handle, instance, result.dagster_run)

    spans = exporter.get_finished_spans()
    named = by_name(spans)
    trace_id, run_span_id = run_trace_ids(result.run_id)
    assert {span.context.trace_id for span in spans} == {trace_id}
    run = named["run orders_pipeline"]
    assert run.parent is None and run.context.span_id == run_span_id
    assert run.attributes["dagster.partition_range.start"] == "2025-01-01"
    assert run.attributes["dagster.partition_range.end"] == "2025-01-02"

    assert ASSET_SPANS <= set(named)
    for name in ASSET_SPANS:
        assert named[name].parent.span_id == run_span_id, name
        assert named[name].attributes["dagster.run_id"] == result.run_id
        assert run.start_time <= named[name].start_time <= named[name].end_time <= run.end_time

    raw, cleaned = named["materialize raw_orders"], named["materialize cleaned_orders"]
    assert raw.attributes["dagster.partition_range.start"] == "2025-01-01"
    assert raw.attributes["orders.rows_in"] == 7 + 6
    assert cleaned.attributes["orders.rows_in"] == 13
    assert cleaned.attributes["orders.rows_out"] == 4 + 4
    assert cleaned.attributes["orders.quarantined_rows"] == 2 + 1
    assert named["materialize warehouse/fct_orders"].attributes["orders.rows_out"] == 8

    # The reconciliation check runs inside the cleaning step: its span is a child.
    reconciliation = named["check cleaned_orders:reconciliation"]
    assert reconciliation.parent.span_id == cleaned.context.span_id
    assert reconciliation.attributes["dagster.check.outcome"] == "passed"
    assert reconciliation.attributes["dagster.check.evaluations"] == 2
    # So are the FX rates' checks, inside the fx_rates and customer_metrics steps.
    for asset, check in (
        ("fx_rates", "fx_rates_valid"),
        ("customer_metrics", "fx_rates_available"),
    ):
        fx_check = named[f"check {asset}:{check}"]
        assert fx_check.parent.span_id == named[f"materialize {asset}"].context.span_id
        assert fx_check.attributes["dagster.check.outcome"] == "passed", check

    drift = named["check raw_orders:schema_drift"]
    assert drift.parent.span_id == run_span_id
    assert drift.attributes["dagster.partition_range.start"] == "2025-01-01"
    assert drift.attributes["dagster.partition_range.end"] == "2025-01-02"
    assert drift.status.status_code is StatusCode.ERROR
    assert drift.attributes["dagster.check.outcome"] == "failed"
    assert drift.attributes["dagster.check.severity"] == "WARN"
    assert list(drift.attributes["dagster.check.failed_partitions"]) == ["2025-01-02"]
    per_day = {e.attributes["dagster.partition_key"]: e.attributes for e in drift.events}
    assert per_day["2025-01-01"]["dagster.check.passed"] is True
    assert per_day["2025-01-02"]["dagster.check.passed"] is False

    anomaly = named["check raw_orders:metadata_anomaly"]
    assert anomaly.attributes["dagster.check.outcome"] == "passed"  # too little history
    for check in ("cleaned_orders:gx_quality", "warehouse/fct_orders:gx_quality"):
        assert named[f"check {check}"].attributes["dagster.check.outcome"] == "passed"
    # Three customers' history cannot fit a CLV model: those checks warn, under the asset.
    clv = named["materialize customer_clv"]
    under_clv = {s.name: s for s in spans if s.parent and s.parent.span_id == clv.context.span_id}
    clv_checks = [s for name, s in under_clv.items() if name.startswith("check customer_clv:")]
    assert len(clv_checks) == 5
    # A generator asset yields its output inside its span: the write is a child too.
    assert "write analytics.customer_clv" in under_clv
    assert {s.attributes["dagster.check.outcome"] for s in clv_checks} >= {"failed"}

    # The SQL steps write inside their asset's span: rows move in the engine, none are read
    # back into Python.
    write = named["write raw.raw_orders"]
    assert write.attributes["db.system.name"] == "duckdb"
    assert write.attributes["orders.rows_written"] == 13
    assert write.parent.span_id == named["materialize raw_orders"].context.span_id
    assert named["write staging.cleaned_orders"].attributes["orders.rows_written"] == 8
    assert "read staging.cleaned_orders" not in named
    # So do the whole tables, whose rows none of the steps reads back.
    for asset, table in (
        ("customer_metrics", "analytics.customer_metrics"),
        ("warehouse/dim_customers", "warehouse.dim_customers"),
    ):
        materialized, written = named[f"materialize {asset}"], named[f"write {table}"]
        assert written.parent.span_id == materialized.context.span_id
        assert (
            written.attributes["orders.rows_written"] == materialized.attributes["orders.rows_out"]
        )
        assert written.attributes["orders.rows_written"] > 0
        assert f"read {table}" not in named

    handle.force_flush()
    points = {
        (metric.name, tuple(sorted(point.attributes.items()))): point.value
        for rm in reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
        for point in metric.data.data_points
    }
    quarantined = {
        dict(labels)["dagster.partition_key"]: value
        for (name, labels), value in points.items()
        if name == "orders.quarantined_rows"
    }
    assert quarantined == {"2025-01-01": 2, "2025-01-02": 1}
    failures = [
        dict(labels)
        for (name, labels), _ in points.items()
        if name == "orders.check_failures" and dict(labels)["dagster.check.name"] == "schema_drift"
    ]
    assert [f["dagster.partition_key"] for f in failures] == ["2025-01-02"]


def test_sensor_ticks_are_spans_with_their_decisions(landing, settings, instance):
    exporter = InMemorySpanExporter()
    configure_telemetry(span_exporter=exporter)
    defs = build_definitions(settings)
    resources = build_resources(settings)

    landing_sensor = defs.get_sensor_def("orders_landing_sensor")
    with dg.build_sensor_context(
        instance=instance,
        definitions=defs,
        resources=resources,
        sensor_name="orders_landing_sensor",
    ) as context:
        requests = list(landing_sensor(context).run_requests)
    [tick] = exporter.get_finished_spans()
    assert tick.name == "sensor orders_landing_sensor" and tick.parent is None
    assert tick.attributes["orders.run_requests"] == len(requests) == 1  # both days, one run
    (requested,) = [e.attributes for e in tick.events if e.name == "dagster.run_request"]
    assert requested["dagster.partition_range.start"] == "2025-01-01"
    assert requested["dagster.partition_range.end"] == "2025-01-02"
    decisions = [
        e.attributes["orders.decision"] for e in tick.events if e.name == "orders.decision"
    ]
    assert decisions[:2] == ["2025-01-01: new, load", "2025-01-02: new, load"]

    anomaly_sensor = defs.get_sensor_def("orders_anomaly_sensor")

    def tick(cursor: str | None) -> str | None:
        with dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            definitions=defs,
            resources=resources,
            sensor_name="orders_anomaly_sensor",
        ) as context:
            return anomaly_sensor(context).cursor

    first = tick(None)  # takes the held days as they stand, judges nothing
    assert run_range(settings, instance, "2025-01-01", "2025-01-02").success
    tick(first)
    ticks = [s for s in exporter.get_finished_spans() if s.name == "sensor orders_anomaly_sensor"]
    assert len(ticks) == 2
    judged = [e.attributes for e in ticks[1].events if e.name == "orders.partition_scored"]
    assert [(e["dagster.partition_key"], e["orders.held"]) for e in judged] == [
        ("2025-01-01", False),
        ("2025-01-02", False),
    ]
    assert all(e["dagster.asset_key"] == "raw_orders" for e in judged)
    assert ticks[1].attributes["orders.run_requests"] == 0


def test_make_run_exports_the_story_of_the_run_over_otlp(drifted_landing, tmp_path):
    """``make run``'s entry point with an OTLP endpoint on loopback, as an operator would."""
    root, _ = drifted_landing
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ORDERS_"))},
        "DAGSTER_HOME": str(home),
        "ORDERS_LANDING_URI": str(root),
        "ORDERS_PARTITIONS_START": "2025-01-01",
        "DUCKDB_PATH": str(tmp_path / "orders.duckdb"),
        "OTEL_SERVICE_NAME": "orders-e2e",
    }
    with OtlpReceiver() as receiver:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
        done = subprocess.run(
            [sys.executable, "-m", "devtools.run_local"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        spans = receiver.spans()
        rows = receiver.metric_points("orders.rows_processed")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]

    # make run loads and judges (raw_orders and its checks), then publishes: a trace per run.
    runs = [span for span in spans if span.name == "run orders_pipeline"]
    assert len(runs) == 2
    assert all(len(run.parent_span_id) == 0 for run in runs)
    assert {span.trace_id for span in spans} == {run.trace_id for run in runs}
    children = {
        run.span_id: {span.name for span in spans if span.parent_span_id == run.span_id}
        for run in runs
    }
    load, publish = sorted(
        runs, key=lambda run: "materialize raw_orders" not in children[run.span_id]
    )
    for run in runs:
        attributes = {a.key: a.value for a in run.attributes}
        assert attributes["dagster.run.status"].string_value == "SUCCESS"
        assert attributes["dagster.partition_range.start"].string_value == "2025-01-01"
        assert attributes["dagster.partition_range.end"].string_value == "2025-01-02"
    assert "materialize raw_orders" in children[load.span_id]
    assert ASSET_SPANS - {"materialize raw_orders"} <= children[publish.span_id]
    named = {span.name: span for span in spans}
    # SQL steps write inside their asset's span
    fct_span = named["materialize warehouse/fct_orders"].span_id
    assert named["write warehouse.fct_orders"].parent_span_id == fct_span
    assert named["write raw.raw_orders"].parent_span_id == named["materialize raw_orders"].span_id
    cleaned = {a.key: a.value for a in named["materialize cleaned_orders"].attributes}
    assert cleaned["orders.rows_in"].int_value == 13
    assert cleaned["orders.quarantined_rows"].int_value == 3
    drift = named["check raw_orders:schema_drift"]
    assert drift.status.code == drift.status.STATUS_CODE_ERROR
    assert drift.trace_id == load.trace_id
    assert sum(point.as_int for point in rows) >= 13
