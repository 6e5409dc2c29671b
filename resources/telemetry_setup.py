"""OpenTelemetry SDK setup at the edge of the process, configured only by ``OTEL_*`` variables.

Asset, check and sensor code never touches the SDK: it goes through
:class:`resources.telemetry.TelemetryResource`, which asks :func:`configure_telemetry`
for the process's :class:`TelemetryHandle`. The handle owns its own providers instead
of installing them as OpenTelemetry's globals, because the global ``set_tracer_provider``
works once per process, which would make the setup impossible to test or reset.

What is read, and by whom (the SDK reads everything it has a reader for):

- ``OTEL_SDK_DISABLED=true``: nothing is built; the API's no-op tracer and meter are used.
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` /
  ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``: a signal is exported only when an endpoint
  for it is set (the OTLP default of ``localhost:4318`` is deliberately not assumed), or
  when ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` is ``console``.
  ``OTEL_*_EXPORTER=none`` turns a signal off.
- ``OTEL_EXPORTER_OTLP_PROTOCOL`` (and the per-signal variant): only ``http/protobuf``
  is installed; any other value logs a warning and turns that signal off rather than
  failing the pipeline.
- ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` (default service name
  ``orders-platform``), ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG``, headers,
  timeouts, compression, batch and export intervals, metric temporality: the SDK.
  Each step process is a short-lived metric stream, so a collector that does not merge
  streams is best fed ``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry.environment_variables import OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER
from opentelemetry.sdk import environment_variables as otel_env
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

log = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "orders-platform"
INSTRUMENTATION_SCOPE = "orders_platform"
SUPPORTED_PROTOCOL = "http/protobuf"


class RunIdGenerator(RandomIdGenerator):
    """Random ids, except for a span started inside :meth:`fixed` (the run span).

    The run span is emitted after the run, but its children were created earlier in
    other processes with ids derived from the run id; the SDK's id generator is the
    public hook that lets the late span take exactly those ids.
    """

    def __init__(self) -> None:
        self._fixed: ContextVar[tuple[int, int] | None] = ContextVar("fixed_ids", default=None)

    @contextmanager
    def fixed(self, trace_id: int, span_id: int) -> Iterator[None]:
        """Make spans started in this block use the given trace and span ids."""
        token = self._fixed.set((trace_id, span_id))
        try:
            yield
        finally:
            self._fixed.reset(token)

    def generate_trace_id(self) -> int:
        fixed = self._fixed.get()
        return fixed[0] if fixed else super().generate_trace_id()

    def generate_span_id(self) -> int:
        fixed = self._fixed.get()
        return fixed[1] if fixed else super().generate_span_id()


@dataclass(frozen=True)
class Instruments:
    """The platform's counters; no-op instruments when metrics are not exported."""

    rows_processed: metrics.Counter
    quarantined_rows: metrics.Counter
    check_failures: metrics.Counter
    held_partitions: metrics.Counter

    @classmethod
    def create(cls, meter: metrics.Meter) -> Instruments:
        """Create the counters on ``meter``."""
        return cls(
            rows_processed=meter.create_counter(
                "orders.rows_processed", unit="{row}", description="Rows read by an asset."
            ),
            quarantined_rows=meter.create_counter(
                "orders.quarantined_rows", unit="{row}", description="Rows rejected to quarantine."
            ),
            check_failures=meter.create_counter(
                "orders.check_failures", unit="{check}", description="Failed asset checks."
            ),
            held_partitions=meter.create_counter(
                "orders.held_partitions",
                unit="{partition}",
                description="Partitions held by the anomaly sensor.",
            ),
        )


@dataclass(frozen=True)
class TelemetryHandle:
    """The tracer, meter and counters of this process, and the providers behind them."""

    tracer: trace.Tracer
    instruments: Instruments
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    id_generator: RunIdGenerator | None = None

    def samples_root(self, trace_id: int, name: str) -> bool:
        """The configured sampler's decision for a root span of ``trace_id``.

        Every process of a run asks this for the same derived trace id, so with the
        standard samplers they all agree on whether the run is traced.
        """
        if self.tracer_provider is None:
            return False
        result = self.tracer_provider.sampler.should_sample(None, trace_id, name)
        return result.decision.is_sampled()

    def force_flush(self, timeout_millis: int = 10_000) -> None:
        """Export what is buffered now; short-lived step processes call this before exiting."""
        if self.tracer_provider is not None:
            self.tracer_provider.force_flush(timeout_millis)
        if self.meter_provider is not None:
            self.meter_provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush and stop the exporters; the handle records nothing afterwards."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


NOOP_HANDLE = TelemetryHandle(
    tracer=trace.NoOpTracer(),
    instruments=Instruments.create(metrics.NoOpMeter(INSTRUMENTATION_SCOPE)),
)

_lock = threading.Lock()
_current: TelemetryHandle | None = None


def configure_telemetry(
    *,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> TelemetryHandle:
    """Return this process's telemetry handle, building it from ``OTEL_*`` on first use.

    Later calls return the same handle. Passing ``span_exporter`` or ``metric_reader``
    (tests, benchmarks) replaces the process's handle with one that uses them instead of
    the exporters chosen from the environment.
    """
    global _current
    with _lock:
        injected = span_exporter is not None or metric_reader is not None
        if _current is not None and not injected:
            return _current
        if _current is not None:
            _current.shutdown()
        _current = _build_handle(span_exporter, metric_reader)
        return _current


def reset_telemetry() -> None:
    """Shut down and forget the process's handle (for tests and benchmarks)."""
    global _current
    with _lock:
        if _current is not None:
            _current.shutdown()
        _current = None


def _build_handle(
    span_exporter: SpanExporter | None, metric_reader: MetricReader | None
) -> TelemetryHandle:
    if os.environ.get(otel_env.OTEL_SDK_DISABLED, "").strip().lower() == "true":
        return NOOP_HANDLE
    span_exporter = span_exporter or _span_exporter_from_env()
    metric_reader = metric_reader or _metric_reader_from_env()
    if span_exporter is None and metric_reader is None:
        return NOOP_HANDLE

    resource = _resource()
    tracer_provider = id_generator = None
    tracer: trace.Tracer = trace.NoOpTracer()
    if span_exporter is not None:
        id_generator = RunIdGenerator()
        tracer_provider = TracerProvider(resource=resource, id_generator=id_generator)
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
        tracer = tracer_provider.get_tracer(INSTRUMENTATION_SCOPE)

    meter_provider = None
    meter: metrics.Meter = metrics.NoOpMeter(INSTRUMENTATION_SCOPE)
    if metric_reader is not None:
        meter_provider = MeterProvider(metric_readers=[metric_reader], resource=resource)
        meter = meter_provider.get_meter(INSTRUMENTATION_SCOPE)

    return TelemetryHandle(
        tracer=tracer,
        instruments=Instruments.create(meter),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        id_generator=id_generator,
    )


def _resource() -> Resource:
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


def _exporter_kind(signal: str, exporter_var: str) -> str | None:
    """``otlp``, ``console`` or None (off) for one signal, from the ``OTEL_*`` variables."""
    choice = os.environ.get(exporter_var, "").strip().lower()
    if choice in ("none", "console"):
        return None if choice == "none" else "console"
    if choice not in ("", "otlp"):
        log.warning(
            "%s=%s is not supported here; %s are not exported", exporter_var, choice, signal
        )
        return None
    endpoint = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT") or os.environ.get(
        otel_env.OTEL_EXPORTER_OTLP_ENDPOINT
    )
    if not endpoint:
        return None
    protocol = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL") or os.environ.get(
        otel_env.OTEL_EXPORTER_OTLP_PROTOCOL, SUPPORTED_PROTOCOL
    )
    if protocol.strip() != SUPPORTED_PROTOCOL:
        log.warning(
            "OTLP protocol %r is not installed (only %s); %s are not exported",
            protocol,
            SUPPORTED_PROTOCOL,
            signal,
        )
        return None
    return "otlp"


def _span_exporter_from_env() -> SpanExporter | None:
    kind = _exporter_kind("traces", OTEL_TRACES_EXPORTER)
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        # Imported here so an unconfigured process never loads the HTTP stack.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


def _metric_reader_from_env() -> MetricReader | None:
    kind = _exporter_kind("metrics", OTEL_METRICS_EXPORTER)
    if kind == "console":
        return PeriodicExportingMetricReader(ConsoleMetricExporter())
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return PeriodicExportingMetricReader(OTLPMetricExporter())
    return None
