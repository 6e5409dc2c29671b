"""What asset, check and sensor code records on its span: namespaced attributes and counters.

Attribute names follow OpenTelemetry's dotted style: ``dagster.*`` for what Dagster
knows (run, asset, partition, check, sensor), ``orders.*`` for what the platform
measures (rows, quarantine, anomaly scores). Counters carry the same labels as the span.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import dagster as dg
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from resources.telemetry_setup import Instruments

_E = TypeVar("_E")

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
CHECK_EVALUATIONS = "dagster.check.evaluations"
CHECK_FAILED_PARTITIONS = "dagster.check.failed_partitions"
SENSOR_NAME = "dagster.sensor_name"
ROWS_IN = "orders.rows_in"
ROWS_OUT = "orders.rows_out"
QUARANTINED_ROWS = "orders.quarantined_rows"
ANOMALY_SCORE = "orders.anomaly_score"
HELD = "orders.held"
HELD_PARTITIONS = "orders.held_partitions"
RUN_REQUESTS = "orders.run_requests"
RUN_KEY = "dagster.run_key"
DECISION = "orders.decision"
# OpenTelemetry's database semantic conventions, for the IO managers' reads and writes.
DB_SYSTEM = "db.system.name"
DB_COLLECTION = "db.collection.name"
DB_OPERATION = "db.operation.name"
ROWS_WRITTEN = "orders.rows_written"


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
    """The span of one asset check: one result, or one evaluation per partition."""

    failed: bool = False
    failed_partitions: list[str] = field(default_factory=list)
    evaluated: int = 0

    def record_check(self, result: dg.AssetCheckResult) -> dg.AssetCheckResult:
        """Record a check's outcome (a failed check marks the span ERROR) and return it."""
        self._record(result.passed, result.severity, partition_key=None)
        return result

    def record_evaluation(self, evaluation: dg.AssetCheckEvaluation) -> dg.AssetCheckEvaluation:
        """Record one partition's outcome as a span event and return the evaluation.

        The span's outcome is "failed" when any partition failed, and lists those
        partitions; an anomaly score in the metadata is carried on the event.
        """
        event: dict[str, AttributeValue] = {CHECK_PASSED: evaluation.passed}
        if evaluation.partition is not None:
            event[PARTITION_KEY] = evaluation.partition
        score = evaluation.metadata.get("anomaly_score")
        if score is not None:
            event[ANOMALY_SCORE] = float(getattr(score, "value", score))
        self.span.add_event("dagster.check.evaluation", event)
        self._record(evaluation.passed, evaluation.severity, evaluation.partition)
        return evaluation

    def record_events(self, events: Iterable[_E]) -> Iterator[_E]:
        """Pass a check's events through, recording each ``AssetCheckEvaluation``."""
        for event in events:
            if isinstance(event, dg.AssetCheckEvaluation):
                self.record_evaluation(event)
            elif isinstance(event, dg.AssetCheckResult):
                self.record_check(event)
            yield event

    def _record(
        self, passed: bool, severity: dg.AssetCheckSeverity, partition_key: str | None
    ) -> None:
        self.evaluated += 1
        self.span.set_attribute(CHECK_EVALUATIONS, self.evaluated)
        if passed:
            if not self.failed:
                self.span.set_attributes({CHECK_PASSED: True, CHECK_OUTCOME: "passed"})
            return
        self.failed = True
        self.span.set_attributes(
            {CHECK_PASSED: False, CHECK_OUTCOME: "failed", CHECK_SEVERITY: severity.value}
        )
        if partition_key is not None:
            self.failed_partitions.append(partition_key)
            self.span.set_attribute(CHECK_FAILED_PARTITIONS, list(self.failed_partitions))
        self.span.set_status(Status(StatusCode.ERROR, "asset check failed"))
        self.instruments.check_failures.add(
            1, {**self._metric_labels(partition_key), CHECK_SEVERITY: severity.value}
        )


@dataclass
class SensorSpan(TelemetrySpan):
    """The span of one sensor tick."""

    held: int = 0
    max_score: float | None = None

    def record_anomaly(
        self,
        partition_key: str,
        score: float | None,
        *,
        held: bool,
        asset_key: str | None = None,
    ) -> None:
        """Record one judged partition as a span event (``score`` None: released or not
        scored); count it when it is held."""
        event: dict[str, AttributeValue] = {PARTITION_KEY: partition_key, HELD: held}
        if score is not None:
            event[ANOMALY_SCORE] = float(score)
            self.max_score = score if self.max_score is None else max(self.max_score, score)
            self.span.set_attribute(ANOMALY_SCORE, float(self.max_score))
        if asset_key is not None:
            event[ASSET_KEY] = asset_key
        self.span.add_event("orders.partition_scored", event)
        if held:
            self.held += 1
            self.span.set_attribute(HELD_PARTITIONS, self.held)
            labels = {PARTITION_KEY: partition_key}
            if asset_key is not None:
                labels[ASSET_KEY] = asset_key
            self.instruments.held_partitions.add(1, labels)

    def record_decisions(
        self, decisions: Iterable[str], run_requests: Iterable[dg.RunRequest]
    ) -> None:
        """What the tick decided, as span events, and the runs it requested."""
        for decision in decisions:
            self.span.add_event("orders.decision", {DECISION: decision})
        requests = list(run_requests)
        for request in requests:
            event: dict[str, AttributeValue] = {RUN_KEY: request.run_key or ""}
            if request.partition_key is not None:
                event[PARTITION_KEY] = request.partition_key
            for tag, attribute in (
                ("dagster/asset_partition_range_start", PARTITION_RANGE_START),
                ("dagster/asset_partition_range_end", PARTITION_RANGE_END),
            ):
                if tag in request.tags:
                    event[attribute] = request.tags[tag]
            self.span.add_event("dagster.run_request", event)
        self.span.set_attribute(RUN_REQUESTS, len(requests))
