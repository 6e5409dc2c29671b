"""A minimal OTLP/HTTP receiver on 127.0.0.1 for tests and benchmarks.

Accepts ``POST /v1/traces`` and ``POST /v1/metrics`` with protobuf bodies, decodes them
with opentelemetry-proto and keeps the requests, so a test can assert on exactly what
an exporter sent over the wire.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_ROUTES: dict[str, tuple[type, type]] = {
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
}


class OtlpReceiver:
    """Receives OTLP/HTTP exports in a background thread; use as a context manager."""

    def __init__(self) -> None:
        self.traces: list[ExportTraceServiceRequest] = []
        self.metrics: list[ExportMetricsServiceRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """Base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def spans(self) -> list[Span]:
        """Every span received so far."""
        with self._lock:
            return [
                span
                for request in self.traces
                for resource_spans in request.resource_spans
                for scope_spans in resource_spans.scope_spans
                for span in scope_spans.spans
            ]

    def metric_points(self, name: str) -> list[Any]:
        """Every data point received so far for the metric ``name``."""
        with self._lock:
            return [
                point
                for request in self.metrics
                for resource_metrics in request.resource_metrics
                for scope_metrics in resource_metrics.scope_metrics
                for metric in scope_metrics.metrics
                if metric.name == name
                for point in metric.sum.data_points
            ]

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _store(self, path: str, body: bytes) -> bytes | None:
        if path not in _ROUTES:
            return None
        request_type, response_type = _ROUTES[path]
        request = request_type.FromString(body)
        with self._lock:
            (self.traces if path == "/v1/traces" else self.metrics).append(request)
        return response_type().SerializeToString()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                response = receiver._store(self.path, body)
                self.send_response(404 if response is None else 200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(response or b"")))
                self.end_headers()
                self.wfile.write(response or b"")

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output quiet."""

        return Handler
