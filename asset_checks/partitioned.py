"""Per-partition results of asset checks, also in single-run backfills of a range of days.

Dagster turns an ``AssetCheckResult`` into an evaluation of the run's partition, but a
range run (``BackfillPolicy.single_run()``) has no single partition: the result would be
stored for no partition at all and each day's planned evaluation would stay "in
progress" for ever. So the checks here emit the check's output once and one
``AssetCheckEvaluation`` per day, each pointing at that day's latest materialization of
the checked asset. That pointer is what makes the result *current* for the UI and for
``AutomationCondition.all_deps_blocking_checks_passed()``; a new materialization of the
day makes it stale until the check runs again.

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
from resources.pii import redact_metadata


@dataclass(frozen=True)
class PartitionOutcome:
    """The verdict of one check on one partition."""

    passed: bool
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


def latest_materializations(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_keys: Iterable[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """The latest materialization of each partition (none for a partition never
    materialized), as check evaluations' targets: two queries whatever the range, not one
    per day."""
    wanted = set(partition_keys)
    if not wanted:  # Dagster reads an empty set as "every partition"
        return {}
    latest = instance.get_latest_storage_id_by_partition(
        asset_key, dg.DagsterEventType.ASSET_MATERIALIZATION, wanted
    )
    if not latest:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values())),
        limit=len(latest),
    ).records
    by_id = {record.storage_id: record for record in records}
    return {
        partition: AssetCheckEvaluationTargetMaterializationData(
            storage_id=storage_id,
            run_id=by_id[storage_id].run_id,
            timestamp=by_id[storage_id].timestamp,
        )
        for partition, storage_id in latest.items()
    }


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
    targets = latest_materializations(context.instance, check_key.asset_key, outcomes)
    for partition_key, outcome in outcomes.items():
        yield dg.AssetCheckEvaluation(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=outcome.passed,
            metadata=redact_metadata(outcome.metadata),
            severity=outcome.severity,
            description=redact_emails(outcome.description) if outcome.description else None,
            blocking=spec.blocking,
            partition=partition_key,
            target_materialization_data=targets.get(partition_key),
        )
