"""OpenTelemetry layer: span trees, metrics, OTLP export and JSON logs on a toy asset graph."""

import json

import dagster as dg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from devtools.otlp_receiver import OtlpReceiver
from resources.json_logs import log_format
from resources.telemetry import (
    TelemetryResource,
    run_parent_context,
    run_span_name,
    run_trace_ids,
)
from resources.telemetry_setup import (
    NOOP_HANDLE,
    TelemetryHandle,
    configure_telemetry,
    reset_telemetry,
)
from sensors.run_telemetry import build_run_telemetry_sensors
from tests.support.local_instance import local_instance

DAILY = dg.DailyPartitionsDefinition(start_date="2025-01-01")
JSON_HANDLER = {"json": {"class": "resources.json_logs.JsonLogHandler"}}
RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2025-01-02",
    "dagster/asset_partition_range_end": "2025-01-03",
}


@dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
def toy_orders(context: dg.AssetExecutionContext, telemetry: TelemetryResource) -> None:
    """Pretends to clean 10 rows per day, quarantining 2."""
    with telemetry.asset_span(context) as span:
        for key in context.partition_keys:
            span.record_rows(rows_in=10, rows_out=8, quarantined=2, partition_key=key)
        context.log.info("cleaned toy orders")


@dg.asset(partitions_def=DAILY, deps=[toy_orders], backfill_policy=dg.BackfillPolicy.single_run())
def toy_summary(context: dg.AssetExecutionContext, telemetry: TelemetryResource) -> None:
    """Downstream of toy_orders, so a multiprocess run has two steps."""
    with telemetry.asset_span(context) as span:
        span.set_attribute("orders.revenue", 12.5)


@dg.asset(partitions_def=DAILY)
def toy_broken(context: dg.AssetExecutionContext, telemetry: TelemetryResource) -> None:
    """Always fails, like an unreadable landing file."""
    with telemetry.asset_span(context):
        raise ValueError("unreadable landing file")


@dg.asset_check(asset=toy_orders)
def toy_orders_has_no_quarantine(
    context: dg.AssetCheckExecutionContext, telemetry: TelemetryResource
) -> dg.AssetCheckResult:
    """Fails whenever rows were quarantined (always, here)."""
    with telemetry.check_span(context) as span:
        return span.record_check(dg.AssetCheckResult(passed=False))


@dg.sensor()
def toy_anomaly_sensor(
    context: dg.SensorEvaluationContext, telemetry: TelemetryResource
) -> dg.SkipReason:
    """Scores two partitions and holds the anomalous one."""
    with telemetry.sensor_span(context) as span:
        span.record_anomaly("2025-01-02", 0.71, held=True, asset_key="toy_orders")
        span.record_anomaly("2025-01-03", 0.42, held=False, asset_key="toy_orders")
    return dg.SkipReason("one partition held")


toy_defs = dg.Definitions(
    assets=[toy_orders, toy_summary],
    jobs=[dg.define_asset_job("toy_job", selection=[toy_orders, toy_summary])],
    resources={"telemetry": TelemetryResource()},
)


def toy_job() -> dg.JobDefinition:
    """The two-step job, reconstructable in step processes."""
    return toy_defs.resolve_job_def("toy_job")


@pytest.fixture(autouse=True)
def clean_telemetry(monkeypatch: pytest.MonkeyPatch):
    """No OTEL_* from the developer's shell, and no handle left over between tests."""
    import os

    for name in list(os.environ):
        if name.startswith("OTEL_") or name == "PLATFORM_LOG_FORMAT":
            monkeypatch.delenv(name)
    reset_telemetry()
    yield
    reset_telemetry()


@pytest.fixture
def exported() -> tuple[TelemetryHandle, InMemorySpanExporter, InMemoryMetricReader]:
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    return configure_telemetry(span_exporter=exporter, metric_reader=reader), exporter, reader


def close_run(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> None:
    """Do what the daemon does when the run ends: evaluate the matching run status sensor."""
    status = result.dagster_run.status.value.lower()
    sensor = next(s for s in build_run_telemetry_sensors() if s.name.endswith(status))
    event = result.get_run_success_event() if result.success else result.get_run_failure_event()
    with dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"telemetry": TelemetryResource()},
    ) as context:
        sensor(context)


def by_name(spans: list[ReadableSpan]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def counter_points(reader: InMemoryMetricReader, name: str) -> list:
    data = reader.get_metrics_data()
    return [
        point
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def test_range_materialization_is_one_trace_under_the_run_span(exported):
    handle, exporter, reader = exported
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [toy_orders, toy_orders_has_no_quarantine],
        tags=RANGE_TAGS,
        instance=instance,
        resources={"telemetry": TelemetryResource()},
    )
    close_run(result, instance)

    spans = by_name(exporter.get_finished_spans())
    run = spans["run __ephemeral_asset_job__"]
    asset = spans["materialize toy_orders"]
    check = spans["check toy_orders:toy_orders_has_no_quarantine"]
    trace_id, run_span_id = run_trace_ids(result.run_id)
    assert run.parent is None
    assert (run.context.trace_id, run.context.span_id) == (trace_id, run_span_id)
    for child in (asset, check):
        assert child.context.trace_id == trace_id
        assert child.parent.span_id == run_span_id
    assert run.attributes["dagster.run_id"] == result.run_id
    assert run.attributes["dagster.run.status"] == "SUCCESS"
    assert run.attributes["dagster.partition_range.start"] == "2025-01-02"
    assert run.status.status_code is StatusCode.UNSET
    assert asset.attributes["dagster.asset_key"] == "toy_orders"
    assert asset.attributes["dagster.partition_range.start"] == "2025-01-02"
    assert asset.attributes["dagster.partition_range.end"] == "2025-01-03"
    assert asset.attributes["orders.rows_in"] == 20
    assert asset.attributes["orders.rows_out"] == 16
    assert asset.attributes["orders.quarantined_rows"] == 4
    assert run.start_time <= asset.start_time <= asset.end_time <= run.end_time

    assert check.status.status_code is StatusCode.ERROR
    assert check.attributes["dagster.check.outcome"] == "failed"
    assert check.attributes["dagster.check.passed"] is False

    handle.force_flush()
    rows = counter_points(reader, "orders.rows_processed")
    assert {p.attributes["dagster.partition_key"]: p.value for p in rows} == {
        "2025-01-02": 10,
        "2025-01-03": 10,
    }
    assert [p.value for p in counter_points(reader, "orders.quarantined_rows")] == [2, 2]
    [failures] = counter_points(reader, "orders.check_failures")
    assert failures.value == 1
    assert failures.attributes["dagster.check.name"] == "toy_orders_has_no_quarantine"


def test_failing_asset_records_the_exception_on_asset_and_run_spans(exported):
    _, exporter, _ = exported
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [toy_broken],
        partition_key="2025-01-02",
        instance=instance,
        resources={"telemetry": TelemetryResource()},
        raise_on_error=False,
    )
    close_run(result, instance)

    spans = by_name(exporter.get_finished_spans())
    asset, run = spans["materialize toy_broken"], spans["run __ephemeral_asset_job__"]
    assert asset.status.status_code is StatusCode.ERROR
    assert asset.attributes["dagster.partition_key"] == "2025-01-02"
    [event] = [e for e in asset.events if e.name == "exception"]
    assert event.attributes["exception.type"] == "ValueError"
    assert event.attributes["exception.message"] == "unreadable landing file"
    assert run.status.status_code is StatusCode.ERROR
    assert run.attributes["dagster.run.status"] == "FAILURE"
    assert asset.parent.span_id == run.context.span_id


def test_sensor_tick_is_its_own_flushed_trace(exported):
    _, exporter, reader = exported
    with dg.build_sensor_context(
        sensor_name="toy_anomaly_sensor", resources={"telemetry": TelemetryResource()}
    ) as context:
        toy_anomaly_sensor(context)

    [tick] = exporter.get_finished_spans()
    assert tick.name == "sensor toy_anomaly_sensor"
    assert tick.parent is None
    assert tick.attributes["dagster.sensor_name"] == "toy_anomaly_sensor"
    assert tick.attributes["orders.anomaly_score"] == pytest.approx(0.71)
    assert tick.attributes["orders.held_partitions"] == 1
    scored = [e.attributes for e in tick.events]
    assert [(e["dagster.partition_key"], e["orders.held"]) for e in scored] == [
        ("2025-01-02", True),
        ("2025-01-03", False),
    ]
    [held] = counter_points(reader, "orders.held_partitions")
    assert held.value == 1
    assert held.attributes == {
        "dagster.partition_key": "2025-01-02",
        "dagster.asset_key": "toy_orders",
    }


def test_unconfigured_telemetry_is_a_no_op():
    handle = configure_telemetry()
    assert handle is NOOP_HANDLE
    assert configure_telemetry() is handle
    result = dg.materialize(
        [toy_orders], partition_key="2025-01-02", resources={"telemetry": TelemetryResource()}
    )
    assert result.success
    assert handle.tracer_provider is None  # no span is recorded


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        },
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
        },
    ],
)
def test_disabled_or_unsupported_configuration_exports_nothing(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert configure_telemetry() is NOOP_HANDLE


def test_sampler_from_environment_drops_whole_runs(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    exporter = InMemorySpanExporter()
    handle = configure_telemetry(span_exporter=exporter)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [toy_orders],
        partition_key="2025-01-02",
        instance=instance,
        resources={"telemetry": TelemetryResource()},
    )
    close_run(result, instance)
    handle.force_flush()
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize("sampler", ["traceidratio", "parentbased_traceidratio"])
def test_every_process_of_a_run_makes_the_same_sampling_decision(monkeypatch, sampler):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", sampler)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    handle = configure_telemetry(span_exporter=InMemorySpanExporter())
    decisions = []
    for n in range(64):
        run_id = f"00000000-0000-4000-8000-{n:012d}"
        parent = run_parent_context(handle, run_id, "toy_job")
        with handle.tracer.start_as_current_span("step", context=parent) as span:
            root_decision = handle.samples_root(run_trace_ids(run_id)[0], run_span_name("toy_job"))
            assert span.is_recording() == root_decision
            decisions.append(root_decision)
    assert 0 < sum(decisions) < len(decisions)


def test_a_force_terminated_run_closes_its_trace_once(exported):
    """The UI's "Force termination" records RUN_CANCELED twice (the UI marks the run
    canceled, then its stopping process reports it); the daemon calls the canceled sensor for
    each, which exported the run span twice."""
    _, exporter, _ = exported
    sensor = next(s for s in build_run_telemetry_sensors() if s.name.endswith("canceled"))
    with local_instance() as instance:
        run = instance.create_run_for_job(toy_job())
        instance.report_run_canceled(run, message="forcibly marked as canceled")
        instance.report_run_canceled(run, message='Execution of run for "toy_job" canceled.')
        run = instance.get_run_by_id(run.run_id)
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.RUN_CANCELED
        ).records
        for record in records:
            with dg.build_run_status_sensor_context(
                sensor_name=sensor.name,
                dagster_event=record.event_log_entry.dagster_event,
                dagster_instance=instance,
                dagster_run=run,
                resources={"telemetry": TelemetryResource()},
            ) as context:
                sensor(context)
    assert len(records) == 2
    assert [span.name for span in exporter.get_finished_spans()] == ["run toy_job"]


def test_run_span_sensors_load_in_definitions_and_start_running():
    sensors = build_run_telemetry_sensors()
    defs = dg.Definitions(
        assets=[toy_orders], sensors=sensors, resources={"telemetry": TelemetryResource()}
    )
    dg.Definitions.validate_loadable(defs)
    assert {s.name for s in sensors} == {
        "telemetry_run_span_success",
        "telemetry_run_span_failure",
        "telemetry_run_span_canceled",
    }
    assert {s.default_status for s in sensors} == {dg.DefaultSensorStatus.RUNNING}


def test_spans_and_metrics_reach_an_otlp_http_receiver(monkeypatch):
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "orders-test")
        instance = dg.DagsterInstance.ephemeral()
        result = dg.materialize(
            [toy_orders],
            partition_key="2025-01-02",
            instance=instance,
            resources={"telemetry": TelemetryResource()},
        )
        close_run(result, instance)
        reset_telemetry()

        spans = {span.name: span for span in receiver.spans()}
        rows = receiver.metric_points("orders.rows_processed")

    trace_id, run_span_id = run_trace_ids(result.run_id)
    asset = spans["materialize toy_orders"]
    run = spans["run __ephemeral_asset_job__"]
    assert int.from_bytes(asset.trace_id) == int.from_bytes(run.trace_id) == trace_id
    assert int.from_bytes(asset.parent_span_id) == int.from_bytes(run.span_id) == run_span_id
    attributes = {a.key: a.value for a in asset.attributes}
    assert attributes["dagster.partition_key"].string_value == "2025-01-02"
    assert attributes["orders.rows_in"].int_value == 10
    [resource] = {
        a.value.string_value
        for request in receiver.traces
        for rs in request.resource_spans
        for a in rs.resource.attributes
        if a.key == "service.name"
    }
    assert resource == "orders-test"
    assert rows[-1].as_int == 10  # cumulative: every flush re-sends the running total


@pytest.mark.slow
def test_multiprocess_run_is_one_trace(monkeypatch, tmp_path):
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{receiver.endpoint}/v1/traces")
        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
            with dg.execute_job(
                dg.reconstructable(toy_job),
                instance=instance,
                tags={"dagster/partition": "2025-01-02"},
            ) as result:
                assert result.success
                run_id = result.run_id
        spans = receiver.spans()

    trace_id, run_span_id = run_trace_ids(run_id)
    assert {s.name for s in spans} == {"materialize toy_orders", "materialize toy_summary"}
    assert {int.from_bytes(s.trace_id) for s in spans} == {trace_id}
    assert {int.from_bytes(s.parent_span_id) for s in spans} == {run_span_id}


def test_log_format_is_text_unless_json_is_asked_for():
    assert log_format({}) == "text"
    assert log_format({"PLATFORM_LOG_FORMAT": " JSON "}) == "json"
    with pytest.raises(ValueError, match="PLATFORM_LOG_FORMAT"):
        log_format({"PLATFORM_LOG_FORMAT": "xml"})


def run_with_json_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path, log_format: str
) -> tuple[str, list[dict]]:
    """Materialize toy_orders on an instance whose dagster.yaml installs JsonLogHandler."""
    monkeypatch.setenv("PLATFORM_LOG_FORMAT", log_format)
    overrides = {"python_logs": {"dagster_handler_config": {"handlers": JSON_HANDLER}}}
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        result = dg.materialize(
            [toy_orders],
            partition_key="2025-01-02",
            instance=instance,
            resources={"telemetry": TelemetryResource()},
        )
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    return result.run_id, lines


def test_json_log_lines_carry_the_asset_span_ids(exported, monkeypatch, capsys, tmp_path):
    _, exporter, _ = exported
    run_id, lines = run_with_json_logs(monkeypatch, capsys, tmp_path, "json")
    asset = by_name(exporter.get_finished_spans())["materialize toy_orders"]

    [line] = [line for line in lines if line["message"] == "cleaned toy orders"]
    assert line["trace_id"] == trace.format_trace_id(asset.context.trace_id)
    assert line["span_id"] == trace.format_span_id(asset.context.span_id)
    assert line["run_id"] == run_id
    assert line["asset_key"] == "toy_orders"
    assert line["partition_key"] == "2025-01-02"
    assert line["level"] == "INFO"


def test_json_logs_join_the_run_trace_even_without_tracing(monkeypatch, capsys, tmp_path):
    run_id, lines = run_with_json_logs(monkeypatch, capsys, tmp_path, "json")
    trace_id, run_span_id = run_trace_ids(run_id)

    assert {line["trace_id"] for line in lines} == {trace.format_trace_id(trace_id)}
    assert trace.format_span_id(run_span_id) in {line["span_id"] for line in lines}
    assert {line["run_id"] for line in lines} == {run_id}


def test_text_log_format_writes_no_json(monkeypatch, capsys, tmp_path):
    _, lines = run_with_json_logs(monkeypatch, capsys, tmp_path, "text")
    assert lines == []
