"""Warehouse IO managers whose reads and writes are spans of the run's trace.

An asset's span ends when its function returns, before Dagster hands the result to
the IO manager; the write (delete of the partitions, insert, commit) and the next
step's read are often the larger part of a step, so they get spans of their own.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from resources.dagster_internals import DbIOManager
from resources.telemetry import warehouse_span
from resources.telemetry_spans import DB_RETURNED_ROWS, ROWS_WRITTEN


class TracedDbIOManager(DbIOManager):
    """Dagster's ``DbIOManager`` with one span per table write and read.

    ``db_system`` names the engine, as OpenTelemetry's ``db.system.name`` does.
    """

    def __init__(self, *, db_system: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._db_system = db_system

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        with warehouse_span(context, "write", self._db_system) as span:
            if hasattr(obj, "__len__"):
                span.set_attribute(ROWS_WRITTEN, len(obj))  # type: ignore[arg-type]
            super().handle_output(context, obj)

    def load_input(self, context: dg.InputContext) -> object:
        with warehouse_span(context, "read", self._db_system) as span:
            obj = super().load_input(context)
            if hasattr(obj, "__len__"):
                span.set_attribute(DB_RETURNED_ROWS, len(obj))  # type: ignore[arg-type]
            return obj
