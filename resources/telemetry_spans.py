"""What asset, check and sensor code records on its span: namespaced attributes and counters.

Attribute names follow OpenTelemetry's dotted style: ``dagster.*`` for what Dagster
knows (run, asset, partition, check, sensor), ``orders.*`` for what the platform
measures (rows, quarantine, anomaly scores). Counters carry the same labels as the span.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from resources.telemetry_setup import Instruments

RUN_ID = "dagster.run_id"
JOB_NAME = "dagster.job_name"
RUN_STATUS = "dagster.run.status"
ASSET_KEY = "dagster.asset_key"
PARTITION_KEY = "dagster.partition_key"
PARTITION_RANGE_START = "dagster.partition_range.start"
PARTITION_RANGE_END = "dagster.partition_range.end"
CHECK_NAME = "dagster.check.name"
CHECK_PASSED = "dagster.check.passed"
CHECK_OUTCOME = "dagster.check.outcome"
CHECK_SEVERITY = "dagster.check.severity"
SENSOR_NAME = "dagster.sensor_name"
ROWS_IN = "orders.rows_in"
ROWS_OUT = "orders.rows_out"
QUARANTINED_ROWS = "orders.quarantined_rows"
ANOMALY_SCORE = "orders.anomaly_score"
HELD = "orders.held"
HELD_PARTITIONS = "orders.held_partitions"


@dataclass
class TelemetrySpan:
    """An open span and the Dagster labels its metrics carry."""

    span: trace.Span
    labels: dict[str, str]
    instruments: Instruments

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Set one namespaced attribute (``orders.*``) on the span."""
        self.span.set_attribute(key, value)

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Set several attributes on the span."""
        self.span.set_attributes(attributes)

    def _metric_labels(self, partition_key: str | None) -> dict[str, str]:
        if partition_key is None:
            return self.labels
        labels = {k: v for k, v in self.labels.items() if not k.startswith("dagster.partition")}
        return {**labels, PARTITION_KEY: partition_key}


@dataclass
class AssetSpan(TelemetrySpan):
    """The span of one asset materialization (one partition or a range)."""

    totals: dict[str, int] = field(default_factory=dict)

    def record_rows(
        self,
        *,
        rows_in: int | None = None,
        rows_out: int | None = None,
        quarantined: int | None = None,
        partition_key: str | None = None,
    ) -> None:
        """Add row counts: span attributes hold the run's totals, counters each partition.

        In a range run call it once per partition with ``partition_key``.
        """
        labels = self._metric_labels(partition_key)
        for name, value in (
            (ROWS_IN, rows_in),
            (ROWS_OUT, rows_out),
            (QUARANTINED_ROWS, quarantined),
        ):
            if value is not None:
                self.totals[name] = self.totals.get(name, 0) + int(value)
                self.span.set_attribute(name, self.totals[name])
        if rows_in:
            self.instruments.rows_processed.add(int(rows_in), labels)
        if quarantined:
            self.instruments.quarantined_rows.add(int(quarantined), labels)


@dataclass
class CheckSpan(TelemetrySpan):
    """The span of one asset check evaluation."""

    def record_check(self, result: dg.AssetCheckResult) -> dg.AssetCheckResult:
        """Record a check's outcome (a failed check marks the span ERROR) and return it."""
        outcome = "passed" if result.passed else "failed"
        self.span.set_attributes(
            {
                CHECK_PASSED: result.passed,
                CHECK_OUTCOME: outcome,
                CHECK_SEVERITY: result.severity.value,
            }
        )
        if not result.passed:
            self.span.set_status(Status(StatusCode.ERROR, f"asset check {outcome}"))
            self.instruments.check_failures.add(
                1, {**self.labels, CHECK_SEVERITY: result.severity.value}
            )
        return result


@dataclass
class SensorSpan(TelemetrySpan):
    """The span of one sensor tick."""

    held: int = 0
    max_score: float | None = None

    def record_anomaly(
        self, partition_key: str, score: float, *, held: bool, asset_key: str | None = None
    ) -> None:
        """Record one scored partition as a span event; count it when it is held."""
        event = {PARTITION_KEY: partition_key, ANOMALY_SCORE: float(score), HELD: held}
        if asset_key is not None:
            event[ASSET_KEY] = asset_key
        self.span.add_event("orders.partition_scored", event)
        self.max_score = score if self.max_score is None else max(self.max_score, score)
        self.span.set_attribute(ANOMALY_SCORE, float(self.max_score))
        if held:
            self.held += 1
            self.span.set_attribute(HELD_PARTITIONS, self.held)
            labels = {PARTITION_KEY: partition_key}
            if asset_key is not None:
                labels[ASSET_KEY] = asset_key
            self.instruments.held_partitions.add(1, labels)
