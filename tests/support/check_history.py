"""metadata_anomaly executions written straight into an instance: verdicts and the planned
executions a queued or stopped run leaves (Dagster writes one per partition when a run
is created)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationPlanned,
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._core.utils import make_new_run_id

from orders_platform.definitions import ALL_ASSETS_JOB
from platform_assets.partitions import daily_partitions
from resources.instance_history import CHECK_NAME, RAW_ORDERS, latest_materializations

PARTITIONS = daily_partitions("2025-01-01")


def report_verdict(
    instance: dg.DagsterInstance,
    day: str,
    passed: bool,
    metadata: dict | None = None,
    run: DagsterRun | None = None,
) -> None:
    """A completed metadata_anomaly evaluation of ``day``, in a run of its own (an
    execution is one per run and day), or in ``run`` (one that planned it:
    :func:`report_planned`)."""
    if run is None:
        run = instance.add_run(
            DagsterRun(
                job_name=ALL_ASSETS_JOB, run_id=make_new_run_id(), status=DagsterRunStatus.SUCCESS
            )
        )
    evaluation = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
        job_name=ALL_ASSETS_JOB,
        event_specific_data=dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS,
            check_name=CHECK_NAME,
            passed=passed,
            partition=day,
            metadata=metadata or {},
        ),
    )
    instance.report_dagster_event(evaluation, run_id=run.run_id)


def report_planned(
    instance: dg.DagsterInstance,
    days: Sequence[str],
    status: DagsterRunStatus = DagsterRunStatus.NOT_STARTED,
    checks: Sequence[dg.AssetCheckKey] = (dg.AssetCheckKey(RAW_ORDERS, CHECK_NAME),),
) -> DagsterRun:
    """A run of ``days`` that planned their executions of ``checks`` (metadata_anomaly by
    default; queued, or ended with ``status`` before judging them)."""
    run = instance.add_run(
        DagsterRun(job_name=ALL_ASSETS_JOB, run_id=make_new_run_id(), status=status)
    )
    for check in checks:
        planned = DagsterEvent(
            event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED.value,
            job_name=ALL_ASSETS_JOB,
            event_specific_data=AssetCheckEvaluationPlanned(
                asset_key=check.asset_key,
                check_name=check.name,
                partitions_subset=PARTITIONS.subset_with_partition_keys(
                    list(days)
                ).to_serializable_subset(),
            ),
        )
        instance.report_dagster_event(planned, run_id=run.run_id)
    return run


def report_judged(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    days: Sequence[str],
    checks: Sequence[dg.AssetCheckKey],
    failed: Sequence[str] = (),
) -> DagsterRun:
    """A finished run that materialized ``days`` of ``asset_key`` and evaluated ``checks``
    on each day's new materialization (failing the days of ``failed``), as a range run
    does: the executions planned at its start, then completed."""
    run = report_planned(instance, days, DagsterRunStatus.STARTED, checks=checks)
    for day in days:
        materialized = DagsterEvent(
            event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
            job_name=ALL_ASSETS_JOB,
            event_specific_data=StepMaterializationData(
                dg.AssetMaterialization(asset_key, partition=day)
            ),
        )
        instance.report_dagster_event(materialized, run_id=run.run_id)
    latest = latest_materializations(instance, asset_key, days)
    for check in checks:
        for day in days:
            record = latest[day]
            evaluation = DagsterEvent(
                event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
                job_name=ALL_ASSETS_JOB,
                event_specific_data=dg.AssetCheckEvaluation(
                    asset_key=asset_key,
                    check_name=check.name,
                    passed=day not in failed,
                    partition=day,
                    target_materialization_data=AssetCheckEvaluationTargetMaterializationData(
                        storage_id=record.storage_id,
                        run_id=record.run_id,
                        timestamp=record.timestamp,
                    ),
                ),
            )
            instance.report_dagster_event(evaluation, run_id=run.run_id)
    end_run(instance, run, success=not failed)
    return run


def end_run(instance: dg.DagsterInstance, run: DagsterRun, success: bool) -> None:
    """``run`` ends, successful or failed, as its last event says."""
    end = DagsterEventType.RUN_SUCCESS if success else DagsterEventType.RUN_FAILURE
    instance.report_dagster_event(
        DagsterEvent(event_type_value=end.value, job_name=ALL_ASSETS_JOB), run_id=run.run_id
    )


def count_index_connections(instance: dg.DagsterInstance, monkeypatch) -> list[int]:
    """Counts the event log's index connections (a query each; on PostgreSQL, a new
    connection each: Dagster's storage does not pool them)."""
    storage = instance.event_log_storage
    opened = [0]
    connect = storage.index_connection

    def counted():
        opened[0] += 1
        return connect()

    monkeypatch.setattr(storage, "index_connection", counted)
    return opened


@contextmanager
def counted_statements() -> Iterator[list[int]]:
    """Counts the SQL statements every SQLAlchemy engine executes inside the block (the
    instance's event log and run storage alike), in the list's one item."""
    import sqlalchemy as sa

    count = [0]

    def counted(*_args, **_kwargs) -> None:
        count[0] += 1

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", counted)
    try:
        yield count
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", counted)
