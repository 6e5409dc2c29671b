"""Per-partition results of asset checks, also in single-run backfills of a range of days.

Dagster turns an ``AssetCheckResult`` into an evaluation of the run's partition, but a
range run (``BackfillPolicy.single_run()``) has no single partition: the result would be
stored for no partition at all and each day's planned evaluation would stay "in
progress" for ever. So the checks here emit the check's output once and one
``AssetCheckEvaluation`` per day, each pointing at that day's latest materialization of
the checked asset. That pointer is what makes the result *current* for the UI and for
``AutomationCondition.all_deps_blocking_checks_passed()``; a new materialization of the
day makes it stale until the check runs again.

A blocking check stops a run's downstream steps only when it fails *every* day of the
run (:func:`stops_the_run`). When some days pass, the failing days' evaluations are
emitted with ``blocking=False`` and the downstream steps leave those days alone
themselves (``cleaned_orders`` does not clean them, ``fct_orders`` does not publish
them): a range run then publishes the days that day-by-day runs publish, which Dagster's
own rule (any failed blocking evaluation stops the whole step) would not. The check's
spec stays blocking, which is what the UI and automation read.

Checks read landed values; whatever they report goes through
:func:`resources.pii.redact_metadata` first, so no e-mail address reaches the event log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from orders_core.pii import redact_emails
from resources.dagster_internals import AssetCheckEvaluationTargetMaterializationData
from resources.instance_history import LEFT_OUT, LEFT_OUT_TEXT, latest_materializations
from resources.pii import redact_metadata


@dataclass(frozen=True)
class PartitionOutcome:
    """The verdict of one check on one partition."""

    passed: bool
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


def check_target(
    record: dg.EventLogRecord | None,
) -> AssetCheckEvaluationTargetMaterializationData | None:
    """A materialization record as a check evaluation's target (None: no materialization)."""
    if record is None:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
    )


def stops_the_run(verdicts: Iterable[tuple[bool, dg.AssetCheckSeverity]]) -> bool:
    """Whether a blocking check's evaluations of a run, as ``(passed, severity)`` per day,
    are emitted blocking: only when every day failed with ERROR, so Dagster skips the
    run's downstream steps as it does in a run of any one of those days. With a day that
    passes (or only warns), the failures are emitted non-blocking and the downstream
    steps skip the failed days, day by day (see the module docstring)."""
    verdicts = list(verdicts)
    return bool(verdicts) and all(
        not passed and severity == dg.AssetCheckSeverity.ERROR for passed, severity in verdicts
    )


def left_out_metadata(
    metadata: Mapping[str, Any], day_only: bool, passed: bool, severity: dg.AssetCheckSeverity
) -> dict[str, Any]:
    """``metadata`` of a blocking check's evaluation, saying :data:`LEFT_OUT` when it
    failed with ERROR without stopping the run (``day_only``): what the alerts read."""
    if day_only and not passed and severity == dg.AssetCheckSeverity.ERROR:
        return {**metadata, LEFT_OUT: LEFT_OUT_TEXT}
    return dict(metadata)


def partition_check_events(
    context: dg.OpExecutionContext,
    check_key: dg.AssetCheckKey,
    outcomes: Mapping[str, PartitionOutcome],
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """The events of one check over the partitions of the current run.

    Yields nothing when the check is not selected in this run (asset subsetting).
    """
    if check_key not in context.selected_asset_check_keys:
        return
    spec = context.assets_def.get_spec_for_check_key(check_key)
    yield dg.Output(
        None, output_name=context.assets_def.get_output_name_for_asset_check_key(check_key)
    )
    latest = latest_materializations(context.instance, check_key.asset_key, outcomes)
    blocking = spec.blocking and stops_the_run((o.passed, o.severity) for o in outcomes.values())
    for partition_key, outcome in outcomes.items():
        yield dg.AssetCheckEvaluation(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=outcome.passed,
            metadata=redact_metadata(
                left_out_metadata(
                    outcome.metadata,
                    spec.blocking and not blocking,
                    outcome.passed,
                    outcome.severity,
                )
            ),
            severity=outcome.severity,
            description=redact_emails(outcome.description) if outcome.description else None,
            blocking=blocking,
            partition=partition_key,
            target_materialization_data=check_target(latest.get(partition_key)),
        )
