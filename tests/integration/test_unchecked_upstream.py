"""Nothing is built on a cleaned day whose blocking checks have not passed, in any run:
fct_orders leaves it unpublished, customer_metrics leaves its rows out.

Dagster stops an asset after a failed blocking check only inside the run that evaluated
it, and automation only while one has failed. A UI backfill of every asset runs the
daily range in one run and the customer tables in another, which Dagster's asset
backfill starts once cleaned_orders is materialized, whatever its checks said (seen on a
live deployment: a run force-terminated after cleaning, before reconciliation).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.events import StepMaterializationData

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.assets.common import IO_RETRY_POLICY, unpassed_upstream
from resources import instance_history
from resources.instance_history import (
    CLEANED_ORDERS,
    WITHHELD_DAYS,
    unpassed_checks,
    unpassed_latest,
)
from tests.support.check_history import count_index_connections, report_judged, report_planned
from tests.support.local_instance import local_instance
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import permanent_failure_message

DAYS = ("2025-01-01", "2025-01-02", "2025-01-03")
BAD = DAYS[1]
RANGE = range_tags(dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1]))
METRICS = [dg.AssetKey("customer_metrics")]
FACTS = [dg.AssetKey(["warehouse", "fct_orders"])]
CLV = dg.AssetKey("customer_clv")
DIM = [dg.AssetKey(["warehouse", "dim_customers"])]
CLV_BLOCKING = [
    dg.AssetCheckKey(CLV, name)
    for name in (
        "clv_finite_and_non_negative",
        "model_parameters_finite_and_positive",
        "no_missing_or_infinite_values",
        "prob_alive_within_unit_interval",
    )
]
BLOCKING = [
    dg.AssetCheckKey(CLEANED_ORDERS, "gx_quality"),
    dg.AssetCheckKey(CLEANED_ORDERS, "reconciliation"),
]


def _facts_days(settings) -> set[str]:
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        rows = conn.execute("select distinct cast(order_date as varchar) from warehouse.fct_orders")
        return {day for (day,) in rows.fetchall()}


def _customer_orders(settings) -> int:
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        ((orders,),) = conn.execute(
            "select sum(order_count) from analytics.customer_metrics"
        ).fetchall()
        return int(orders or 0)


def _cleaned_orders(settings, but: str = "") -> int:
    """cleaned_orders' distinct orders of every day but ``but``."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        ((orders,),) = conn.execute(
            "select count(distinct order_id) from staging.cleaned_orders"
            " where cast(partition_date as varchar) <> ?",
            [but],
        ).fetchall()
        return int(orders)


def _withheld(instance: dg.DagsterInstance) -> str:
    event = instance.get_latest_materialization_event(METRICS[0])
    return event.asset_materialization.metadata[WITHHELD_DAYS].value


def _logged(instance: dg.DagsterInstance, run_id: str, text: str) -> list[str]:
    return [
        record.user_message
        for record in instance.all_logs(run_id)
        if text in (record.user_message or "")
    ]


def _gx_failed(instance: dg.DagsterInstance, day: str) -> None:
    """cleaned_orders' order suite failing the latest materialization of ``day``."""
    _failed(instance, CLEANED_ORDERS, "gx_quality", day)


def _failed(
    instance: dg.DagsterInstance,
    asset: dg.AssetKey,
    check: str,
    day: str | None,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> None:
    """``check`` failing the latest materialization of ``asset`` (of ``day``, if partitioned)."""
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset, asset_partitions=[day] if day else None), limit=1
    ).records
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=asset,
            check_name=check,
            passed=False,
            partition=day,
            severity=severity,
            target_materialization_data=AssetCheckEvaluationTargetMaterializationData(
                storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
            ),
        )
    )


def test_a_day_failing_cleaned_checks_is_built_on_by_no_later_run(settings, instance):
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    assert unpassed_checks(instance, BLOCKING) == {}
    published = _facts_days(settings)
    assert BAD in published

    _gx_failed(instance, BAD)
    assert unpassed_checks(instance, BLOCKING) == {BAD: ["gx_quality"]}
    left_out = job.execute_in_process(instance=instance, asset_selection=METRICS)
    assert left_out.success
    assert _withheld(instance) == BAD
    assert _customer_orders(settings) == _cleaned_orders(settings, but=BAD)
    (warning,) = _logged(instance, left_out.run_id, "Left out of customer_metrics")
    assert f"cleaned_orders's blocking checks have not passed for 1 day(s): {BAD} (gx_quality)" in (
        warning
    )
    # fct_orders is daily: a day whose checks passed is published, the failed one refused.
    one_day = job.execute_in_process(
        instance=instance, asset_selection=FACTS, partition_key=DAYS[0]
    )
    assert one_day.success
    refused = job.execute_in_process(
        instance=instance, asset_selection=FACTS, partition_key=BAD, raise_on_error=False
    )
    assert f"{BAD}: gx_quality not passed: fix the cause" in permanent_failure_message(refused)
    # A range holding it publishes its other days and leaves it as it was.
    ranged = job.execute_in_process(instance=instance, asset_selection=FACTS, tags=RANGE)
    assert ranged.success
    marked = {
        m.materialization.partition: m.materialization.metadata
        for m in ranged.get_asset_materialization_events()
    }
    assert "gx_quality" in marked[BAD]["orders/not_published"].value
    assert "orders/not_published" not in marked[DAYS[0]]

    # Run again with its checks, the day passes and everything builds on it.
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    assert unpassed_checks(instance, BLOCKING) == {}
    assert job.execute_in_process(instance=instance, asset_selection=METRICS).success
    assert _withheld(instance) == "none"
    assert _customer_orders(settings) == _cleaned_orders(settings)
    assert _facts_days(settings) == published


def test_a_cleaned_day_its_checks_never_judged_is_built_on_by_no_later_run(settings, instance):
    """A newer materialization than the one the checks judged: a run that selected the
    asset without its checks, or one stopped between the cleaning and its checks."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    instance.report_runless_asset_event(dg.AssetMaterialization(CLEANED_ORDERS, partition=BAD))
    assert unpassed_checks(instance, BLOCKING) == {BAD: ["gx_quality", "reconciliation"]}
    assert unpassed_checks(instance, BLOCKING, [DAYS[0]]) == {}
    assert job.execute_in_process(instance=instance, asset_selection=METRICS).success
    assert _withheld(instance) == BAD
    assert _customer_orders(settings) == _cleaned_orders(settings, but=BAD)


def test_a_run_queued_behind_the_one_that_judged_the_days_does_not_unjudge_them(settings, instance):
    """Dagster's latest execution of a day is the latest planned: a run queued behind
    (the next sensor run of the same days) plans its own before it starts."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    report_planned(instance, DAYS, checks=BLOCKING)
    assert unpassed_checks(instance, BLOCKING) == {}
    assert job.execute_in_process(instance=instance, asset_selection=METRICS).success
    # A run that stopped after cleaning, before its checks: the new data is unjudged.
    stopped = report_planned(instance, [BAD], dg.DagsterRunStatus.CANCELED, checks=BLOCKING)
    instance.report_runless_asset_event(dg.AssetMaterialization(CLEANED_ORDERS, partition=BAD))
    assert unpassed_checks(instance, BLOCKING) == {BAD: ["gx_quality", "reconciliation"]}
    assert stopped.status == dg.DagsterRunStatus.CANCELED


def test_days_another_run_is_writing_are_waited_for_not_left_out(instance):
    """Two terminal runs of the same days at once (``dg launch`` runs outside the queue):
    the other run wrote the day and has yet to check it. The step is retried, not failed."""
    writer = instance.add_run(
        dg.DagsterRun(job_name=ALL_ASSETS_JOB, run_id="writer", status=dg.DagsterRunStatus.STARTED)
    )
    report_planned(instance, [BAD], checks=BLOCKING)
    written = dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name=ALL_ASSETS_JOB,
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(CLEANED_ORDERS, partition=BAD)
        ),
    )
    instance.report_dagster_event(written, run_id=writer.run_id)
    context = SimpleNamespace(instance=instance, run_id="reader", retry_number=0)
    with pytest.raises(dg.Failure, match="written by run writer, still in progress") as waiting:
        unpassed_upstream(context, BLOCKING)
    assert waiting.value.allow_retries
    # The step's last attempt: the writer has not judged the day within the step's retries
    # (about 15 s of backoff; a range run's checks take longer). Refused, saying so: the
    # run failure alert and the UI showed "Retried." on the failure that ended the run.
    last = SimpleNamespace(instance=instance, run_id="reader", retry_number=3)
    assert IO_RETRY_POLICY.max_retries == last.retry_number
    with pytest.raises(dg.Failure, match="written by run writer, still in progress") as final:
        unpassed_upstream(last, BLOCKING)
    assert not final.value.allow_retries
    message = final.value.description
    assert "Retried." not in message
    assert f"{BAD} (gx_quality, reconciliation)" in message
    assert "not retried again" in message and "once run writer has finished" in message
    instance.report_run_failed(writer)  # it stopped before its checks: left out for good
    assert unpassed_upstream(context, BLOCKING) == {BAD: ["gx_quality", "reconciliation"]}


def test_customer_clv_failing_its_checks_is_published_by_no_later_run(settings, instance):
    """dim_customers run alone (the UI's Materialize on it) after a run whose customer_clv
    failed a blocking check: Dagster skipped it in that run, not in the next."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert unpassed_latest(instance, CLV_BLOCKING) == []  # never materialized
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    assert unpassed_latest(instance, CLV_BLOCKING) == []
    assert job.execute_in_process(instance=instance, asset_selection=DIM).success
    # A failure as a warning stops nothing in a run (no model fitted on too few customers).
    _failed(instance, CLV, "prob_alive_within_unit_interval", None, dg.AssetCheckSeverity.WARN)
    assert unpassed_latest(instance, CLV_BLOCKING) == []

    _failed(instance, CLV, "prob_alive_within_unit_interval", None)
    assert unpassed_latest(instance, CLV_BLOCKING) == ["prob_alive_within_unit_interval"]
    refused = job.execute_in_process(instance=instance, asset_selection=DIM, raise_on_error=False)
    assert not refused.success
    assert (
        "customer_clv's blocking checks have not passed its latest materialization:"
        " prob_alive_within_unit_interval." in permanent_failure_message(refused)
    )
    # A newer materialization no check judged (a run stopped inside the step) is refused too.
    instance.report_runless_asset_event(dg.AssetMaterialization(CLV))
    assert unpassed_latest(instance, CLV_BLOCKING) == sorted(key.name for key in CLV_BLOCKING)

    # customer_clv again, with its checks: dim_customers builds on it.
    clv = job.execute_in_process(instance=instance, asset_selection=[CLV, *DIM])
    assert clv.success
    assert unpassed_latest(instance, CLV_BLOCKING) == []
    assert job.execute_in_process(instance=instance, asset_selection=DIM).success


@pytest.mark.parametrize("queued", [False, True])
def test_the_guard_reads_as_many_rows_not_as_many_queries_as_there_are_days(
    instance, monkeypatch, queued
):
    """A run queued behind the one that judged the days planned their latest executions:
    the verdict of every day is read again, one query for all of them, not one per day
    and check (730 days on PostgreSQL: 29 s before, a new connection each)."""
    few, many = [f"2025-01-{n:02d}" for n in range(1, 4)], [*DAYS, *_days(4, 60)]
    costs = {}
    for days in (few, many):
        with local_instance() as fresh:
            report_judged(fresh, CLEANED_ORDERS, days, BLOCKING, failed=[days[1]])
            # A day cleaned again and never judged (a run stopped between the two).
            fresh.report_runless_asset_event(
                dg.AssetMaterialization(CLEANED_ORDERS, partition=days[2])
            )
            if queued:
                report_planned(fresh, days, checks=BLOCKING)
            opened = count_index_connections(fresh, monkeypatch)
            assert unpassed_checks(fresh, BLOCKING) == {
                days[1]: ["gx_quality", "reconciliation"],
                days[2]: ["gx_quality", "reconciliation"],
            }
            costs[len(days)] = opened[0]
    assert costs[len(few)] == costs[len(many)], costs


def _days(first: int, last: int) -> list[str]:
    start = dt.date(2025, 1, 1)
    return [(start + dt.timedelta(days=n - 1)).isoformat() for n in range(first, last + 1)]


def test_the_verdicts_of_many_queued_days_are_read_in_chunks(instance, monkeypatch):
    """Days past a chunk of the verdicts' query are judged as the first ones."""
    days = _days(1, 7)
    report_judged(instance, CLEANED_ORDERS, days, BLOCKING, failed=[days[1], days[5]])
    report_planned(instance, days, checks=BLOCKING)
    monkeypatch.setattr(instance_history, "VERDICT_CHUNK", 2)
    both = ["gx_quality", "reconciliation"]
    assert unpassed_checks(instance, BLOCKING) == {days[1]: both, days[5]: both}


def test_the_facts_suite_judges_the_facts_by_the_days_fct_orders_withheld(settings, instance):
    """Another run cleaned a day again after this run published its facts and has yet to
    check it (two runs of the same days at once): the day's new cleaning is unjudged, but
    the facts were published with it competing. The facts' suite recounts by the days
    fct_orders withheld (its materializations say which), not by the instance's verdicts
    of now, which would expect the day's orders elsewhere and fail the facts."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    facts = FACTS[0]
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=facts, asset_partitions=[BAD]), limit=1
    ).records
    assert record.asset_materialization.metadata[WITHHELD_DAYS].value == "none"
    instance.report_runless_asset_event(dg.AssetMaterialization(CLEANED_ORDERS, partition=BAD))
    assert unpassed_checks(instance, BLOCKING) == {BAD: ["gx_quality", "reconciliation"]}
    check = job.get_subset(
        asset_selection=set(), asset_check_selection={dg.AssetCheckKey(facts, "gx_quality")}
    )
    judged = check.execute_in_process(instance=instance, tags=RANGE)
    verdicts = {e.partition: e.passed for e in judged.get_asset_check_evaluations()}
    assert verdicts == dict.fromkeys(DAYS, True)
