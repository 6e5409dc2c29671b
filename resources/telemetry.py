"""Traces and metrics of runs, asset materializations, asset checks and sensor ticks.

Asset code gets one line::

    @dg.asset(...)
    def cleaned_orders(context: dg.AssetExecutionContext, telemetry: TelemetryResource):
        with telemetry.asset_span(context) as span:
            ...
            span.record_rows(rows_in=len(raw), rows_out=len(clean), quarantined=len(bad))

One run is one trace, whatever the executor. The trace id and the run span's id are
derived from the Dagster run id (:func:`run_trace_ids`), so every step process, however
it was started, parents its spans on the same run span without any context being passed
between processes. The run span itself is emitted once the run has ended, with the run's
recorded start and end times, by the run status sensors of
``sensors/run_telemetry.py`` (:func:`emit_run_span`): only the daemon sees every run
finish, whichever executor or run launcher was used, while a resource only lives as long
as one step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import dagster as dg
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags
from pydantic import PrivateAttr

from resources.telemetry_setup import TelemetryHandle, configure_telemetry
from resources.telemetry_spans import (
    ASSET_KEY,
    CHECK_NAME,
    DB_COLLECTION,
    DB_OPERATION,
    DB_SYSTEM,
    JOB_NAME,
    PARTITION_KEY,
    PARTITION_RANGE_END,
    PARTITION_RANGE_START,
    RUN_ID,
    RUN_STATUS,
    SENSOR_NAME,
    AssetSpan,
    CheckSpan,
    SensorSpan,
)

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

_labels: ContextVar[Mapping[str, str] | None] = ContextVar("telemetry_labels", default=None)


def current_labels() -> Mapping[str, str]:
    """Run, asset and partition of the innermost open telemetry span (for log records)."""
    return _labels.get() or {}


def run_trace_ids(run_id: str) -> tuple[int, int]:
    """The trace id and run span id of a Dagster run, the same in every process.

    Hashed rather than reusing the run UUID's bits: the trace-id ratio sampler reads
    the low 64 bits, which in a UUID4 include fixed variant bits and would skew sampling.
    """
    digest = hashlib.blake2b(run_id.encode(), digest_size=24, person=b"dagster.run").digest()
    return int.from_bytes(digest[:16]) or 1, int.from_bytes(digest[16:]) or 1


def run_span_name(job_name: str) -> str:
    """Name of the span covering a whole run."""
    return f"run {job_name}"


def run_parent_context(handle: TelemetryHandle, run_id: str, job_name: str) -> otel_context.Context:
    """An OpenTelemetry context whose current span is the (remote) run span of ``run_id``."""
    trace_id, span_id = run_trace_ids(run_id)
    sampled = handle.samples_root(trace_id, run_span_name(job_name))
    span_context = SpanContext(
        trace_id,
        span_id,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT),
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def partition_attributes(tags: Mapping[str, str]) -> dict[str, str]:
    """Partition key or range attributes from a run's tags."""
    if PARTITION_TAG in tags:
        return {PARTITION_KEY: tags[PARTITION_TAG]}
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return {
            PARTITION_RANGE_START: tags[RANGE_START_TAG],
            PARTITION_RANGE_END: tags[RANGE_END_TAG],
        }
    return {}


class TelemetryResource(dg.ConfigurableResource):
    """OpenTelemetry spans and counters for assets, checks and sensors.

    Configured only by the standard ``OTEL_*`` environment variables (see
    ``resources/telemetry_setup.py``); without an exporter endpoint every call is a
    no-op. Each process sets telemetry up once and flushes it when the resource is torn
    down at the end of a step or tick, so short-lived step processes lose no spans.
    """

    _handle: TelemetryHandle | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._handle = configure_telemetry()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.handle.force_flush()

    @property
    def handle(self) -> TelemetryHandle:
        """This process's telemetry handle."""
        return self._handle or configure_telemetry()

    @contextmanager
    def asset_span(
        self, context: dg.AssetExecutionContext, asset_key: dg.AssetKey | None = None
    ) -> Iterator[AssetSpan]:
        """Span of an asset materialization, a child of the run span.

        ``asset_key`` is needed only in a multi-asset. An exception escaping the block
        is recorded on the span, whose status becomes ERROR.
        """
        key = asset_key or context.asset_key
        labels = {**_run_labels(context), ASSET_KEY: key.to_user_string()}
        labels.update(_context_partition(context))
        with run_child_span(self.handle, f"materialize {labels[ASSET_KEY]}", labels) as span:
            yield AssetSpan(span, labels, self.handle.instruments)

    @contextmanager
    def check_span(
        self,
        context: dg.AssetCheckExecutionContext | dg.AssetExecutionContext,
        check_key: dg.AssetCheckKey | None = None,
    ) -> Iterator[CheckSpan]:
        """Span of an asset check: a child of the asset span when opened inside one,
        otherwise of the run span. ``check_key`` is needed only for multi-checks or
        checks evaluated inside an asset."""
        if check_key is None:
            specs = list(getattr(context, "check_specs", []))
            if len(specs) != 1:
                raise dg.DagsterInvariantViolationError("check_span needs check_key here")
            check_key = specs[0].key
        labels = {
            **_run_labels(context),
            ASSET_KEY: check_key.asset_key.to_user_string(),
            CHECK_NAME: check_key.name,
        }
        labels.update(_context_partition(context))
        name = f"check {labels[ASSET_KEY]}:{check_key.name}"
        with run_child_span(self.handle, name, labels) as span:
            yield CheckSpan(span, labels, self.handle.instruments)

    @contextmanager
    def sensor_span(
        self, context: dg.SensorEvaluationContext, sensor_name: str | None = None
    ) -> Iterator[SensorSpan]:
        """Span of a sensor tick, the root of its own trace; flushed when the tick ends."""
        name = sensor_name or context.sensor_name
        labels = {SENSOR_NAME: name}
        token = _labels.set(labels)
        try:
            with self.handle.tracer.start_as_current_span(
                f"sensor {name}", context=otel_context.Context(), attributes=labels
            ) as span:
                yield SensorSpan(span, labels, self.handle.instruments)
        finally:
            _labels.reset(token)
            self.handle.force_flush()


@contextmanager
def run_child_span(
    handle: TelemetryHandle, name: str, labels: dict[str, str]
) -> Iterator[trace.Span]:
    """A span inside a run: a child of the current span when that span belongs to the
    run's trace, otherwise of the run span itself. ``labels`` carry the run id and job
    name and become the span's attributes (and the labels of log records meanwhile)."""
    run_id = labels[RUN_ID]
    run_trace_id, _ = run_trace_ids(run_id)
    parent = None
    if trace.get_current_span().get_span_context().trace_id != run_trace_id:
        parent = run_parent_context(handle, run_id, labels[JOB_NAME])
    token = _labels.set(labels)
    try:
        with handle.tracer.start_as_current_span(name, context=parent, attributes=labels) as span:
            yield span
    finally:
        _labels.reset(token)


@contextmanager
def sql_write_span(
    context: dg.AssetExecutionContext, table: str, db_system: str, asset: str | None = None
) -> Iterator[trace.Span]:
    """Span of a SQL step replacing partitions of ``table`` in the engine (its delete,
    insert and commit), a child of the asset's span. Set ``orders.rows_written`` on it."""
    try:
        run_id, job_name = context.run_id, context.job_name
    except dg.DagsterInvariantViolationError:
        yield trace.INVALID_SPAN
        return
    labels = {
        RUN_ID: run_id,
        JOB_NAME: job_name,
        ASSET_KEY: asset or context.asset_key.to_user_string(),
        DB_SYSTEM: db_system,
        DB_COLLECTION: table,
        DB_OPERATION: "write",
    }
    if context.has_partition_key_range:
        key_range = context.partition_key_range
        labels.update({PARTITION_RANGE_START: key_range.start, PARTITION_RANGE_END: key_range.end})
    with run_child_span(configure_telemetry(), f"write {table}", labels) as span:
        yield span


def emit_run_span(
    handle: TelemetryHandle,
    run: dg.DagsterRun,
    *,
    start_time: float,
    end_time: float,
    status: str,
    error: str | None = None,
) -> None:
    """Emit the span of a finished run with the ids its step spans already point to.

    Times are Unix seconds; ``error`` (the failure message) sets the status to ERROR.
    """
    if handle.id_generator is None:
        return
    trace_id, span_id = run_trace_ids(run.run_id)
    attributes = {RUN_ID: run.run_id, JOB_NAME: run.job_name, RUN_STATUS: status}
    attributes.update(partition_attributes(run.tags))
    with handle.id_generator.fixed(trace_id, span_id):
        span = handle.tracer.start_span(
            run_span_name(run.job_name), attributes=attributes, start_time=_nanos(start_time)
        )
    if error is not None:
        span.set_status(Status(StatusCode.ERROR, error))
    span.end(end_time=_nanos(end_time))
    handle.force_flush()


def _nanos(seconds: float) -> int:
    return int(seconds * 1e9)


def _run_labels(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> dict[str, str]:
    run = context.run
    return {RUN_ID: run.run_id, JOB_NAME: run.job_name}


def _context_partition(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> dict[str, str]:
    if context.has_partition_key:
        return {PARTITION_KEY: context.partition_key}
    if context.has_partition_key_range:
        key_range = context.partition_key_range
        return {PARTITION_RANGE_START: key_range.start, PARTITION_RANGE_END: key_range.end}
    return {}
