"""Structured JSON run logs that join the traces: ``PLATFORM_LOG_FORMAT=json``.

:class:`JsonLogHandler` is installed for every run by the instance's ``dagster.yaml``::

    python_logs:
      dagster_handler_config:
        handlers:
          json:
            class: resources.json_logs.JsonLogHandler

With ``PLATFORM_LOG_FORMAT=json`` in the run's environment it writes one JSON object per
line to stdout with the run id, job, step, asset, partition, ``trace_id`` and ``span_id``;
unset or ``text`` (the default) it stays silent and Dagster's usual coloured console
logs on stderr are all there is. A handler in ``dagster.yaml`` was chosen over
``dg.Definitions(loggers=...)`` because Dagster only uses the latter for runs whose run
config names the logger, so runs launched from the UI, the CLI or a sensor would silently
keep the default format.

Log lines outside any asset span still carry the run's trace id and the run span's id,
which are derived from the run id, so every line of a run joins its trace.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace

from resources.telemetry import current_labels, partition_attributes, run_trace_ids
from resources.telemetry_spans import (
    ASSET_KEY,
    PARTITION_KEY,
    PARTITION_RANGE_END,
    PARTITION_RANGE_START,
)

LOG_FORMAT_ENV = "PLATFORM_LOG_FORMAT"
LOG_FORMATS = ("text", "json")
_DAGSTER_META = "dagster_meta"
_FIELDS = {
    ASSET_KEY: "asset_key",
    PARTITION_KEY: "partition_key",
    PARTITION_RANGE_START: "partition_range_start",
    PARTITION_RANGE_END: "partition_range_end",
}


class JsonLogFormatter(logging.Formatter):
    """Format a (Dagster) log record as one JSON line with trace and run correlation ids."""

    def format(self, record: logging.LogRecord) -> str:
        meta: Mapping[str, Any] = getattr(record, _DAGSTER_META, None) or {}
        line: dict[str, Any] = {
            "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": meta.get("orig_message") or record.getMessage(),
        }
        for key in ("run_id", "job_name", "step_key"):
            if meta.get(key):
                line[key] = meta[key]
        attributes = partition_attributes(meta.get("job_tags") or {})
        event = meta.get("dagster_event")
        if event is not None:
            line["event_type"] = event.event_type_value
            if event.asset_key is not None:
                attributes[ASSET_KEY] = event.asset_key.to_user_string()
        attributes.update(current_labels())
        line.update(
            {name: attributes[attr] for attr, name in _FIELDS.items() if attr in attributes}
        )
        line.update(_trace_ids(meta.get("run_id")))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _trace_ids(run_id: str | None) -> dict[str, str]:
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        trace_id, span_id = span_context.trace_id, span_context.span_id
    elif run_id:
        trace_id, span_id = run_trace_ids(run_id)
    else:
        return {}
    return {"trace_id": trace.format_trace_id(trace_id), "span_id": trace.format_span_id(span_id)}


def log_format(environ: Mapping[str, str] | None = None) -> str:
    """``PLATFORM_LOG_FORMAT`` (``text`` by default or ``json``), validated."""
    environ = os.environ if environ is None else environ
    value = environ.get(LOG_FORMAT_ENV, "").strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ValueError(f"{LOG_FORMAT_ENV} must be one of {LOG_FORMATS}, got {value!r}")
    return value


class JsonLogHandler(logging.StreamHandler):
    """Writes :class:`JsonLogFormatter` lines to stdout when ``PLATFORM_LOG_FORMAT=json``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(sys.stdout)
        self.enabled = log_format(environ) == "json"
        self.setFormatter(JsonLogFormatter())

    def filter(self, record: logging.LogRecord) -> bool:
        return self.enabled and bool(super().filter(record))
