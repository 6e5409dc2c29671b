"""The guard of customer_metrics and fct_orders (nothing is built on a cleaned day whose
blocking checks have not passed: the day is left out) on the production instance: deploy/dagster.yaml on a real
PostgreSQL server, with real runs of the pipeline (local files and DuckDB).

tests/integration/test_unchecked_upstream.py holds the same rules on SQLite; Dagster's
check history reads go through other SQL on PostgreSQL (its dialect, its batched event
writes, a connection per query).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from dagster._core.events import StepMaterializationData

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.assets.common import IO_RETRY_POLICY
from resources.instance_history import CLEANED_ORDERS, WITHHELD_DAYS, unpassed_checks
from tests.support.check_history import count_index_connections, report_judged, report_planned
from tests.support.order_fixtures import range_tags

pytestmark = pytest.mark.services

DAYS = ("2025-01-01", "2025-01-02", "2025-01-03")
RANGE = range_tags(dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1]))
METRICS = [dg.AssetKey("customer_metrics")]
BLOCKING = [
    dg.AssetCheckKey(CLEANED_ORDERS, "gx_quality"),
    dg.AssetCheckKey(CLEANED_ORDERS, "reconciliation"),
]


def _withheld(instance: dg.DagsterInstance) -> str:
    event = instance.get_latest_materialization_event(METRICS[0])
    return event.asset_materialization.metadata[WITHHELD_DAYS].value


def test_the_guard_on_postgres_leaves_out_unjudged_days_until_they_pass(settings, prod_instance):
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=prod_instance, tags=RANGE).success
    infos = prod_instance.event_log_storage.get_asset_check_partition_info(BLOCKING)
    assert sorted((i.check_key.name, i.partition_key) for i in infos) == sorted(
        (check.name, day) for check in BLOCKING for day in DAYS
    )
    assert all(
        i.latest_target_materialization_storage_id == i.latest_materialization_storage_id
        for i in infos
    )
    assert unpassed_checks(prod_instance, BLOCKING) == {}

    # A run stopped between the cleaning and its checks, then one queued behind it.
    stopped = report_planned(prod_instance, [DAYS[1]], dg.DagsterRunStatus.CANCELED, BLOCKING)
    prod_instance.report_runless_asset_event(
        dg.AssetMaterialization(CLEANED_ORDERS, partition=DAYS[1])
    )
    report_planned(prod_instance, DAYS, checks=BLOCKING)
    assert stopped.status == dg.DagsterRunStatus.CANCELED
    assert unpassed_checks(prod_instance, BLOCKING) == {DAYS[1]: ["gx_quality", "reconciliation"]}
    # customer_metrics leaves the day out (and fct_orders would not publish it).
    assert job.execute_in_process(instance=prod_instance, asset_selection=METRICS).success
    assert _withheld(prod_instance) == DAYS[1]

    # The day run again with its checks: they pass, and the customer tables build on it.
    assert job.execute_in_process(instance=prod_instance, partition_key=DAYS[1]).success
    assert unpassed_checks(prod_instance, BLOCKING) == {}
    assert job.execute_in_process(instance=prod_instance, asset_selection=METRICS).success
    assert _withheld(prod_instance) == "none"


def test_the_guard_on_postgres_reads_the_verdicts_of_queued_days_in_one_query(
    prod_instance, monkeypatch
):
    """A run queued behind the one that judged the days planned their latest executions:
    their verdicts are read in one query, not one per day and check (a new PostgreSQL
    connection each: 730 days took 29 s)."""
    start = dt.date(2025, 1, 1)
    days = [(start + dt.timedelta(days=n)).isoformat() for n in range(120)]
    report_judged(prod_instance, CLEANED_ORDERS, days, BLOCKING, failed=[days[7]])
    opened = count_index_connections(prod_instance, monkeypatch)
    assert unpassed_checks(prod_instance, BLOCKING) == {days[7]: ["gx_quality", "reconciliation"]}
    judged = opened[0]
    report_planned(prod_instance, days, checks=BLOCKING)
    opened[0] = 0
    assert unpassed_checks(prod_instance, BLOCKING) == {days[7]: ["gx_quality", "reconciliation"]}
    assert opened[0] == judged + len(BLOCKING), (judged, opened[0])


def test_days_another_run_is_writing_are_retried_then_refused_saying_so(settings, prod_instance):
    """Two terminal runs of the same days at once: the other run cleaned a day and has yet
    to check it. The step is retried with its backoff, then refused, and the failure that
    ends the run says it is not retried (it said "Retried.")."""
    report_judged(prod_instance, CLEANED_ORDERS, list(DAYS), BLOCKING)
    writer = report_planned(prod_instance, [DAYS[1]], dg.DagsterRunStatus.STARTED, BLOCKING)
    written = dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name=ALL_ASSETS_JOB,
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(CLEANED_ORDERS, partition=DAYS[1])
        ),
    )
    prod_instance.report_dagster_event(written, run_id=writer.run_id)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(
        instance=prod_instance, asset_selection=METRICS, raise_on_error=False
    )
    assert not result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == IO_RETRY_POLICY.max_retries
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.user_failure_data.description
    assert f"{DAYS[1]} (gx_quality, reconciliation)" in message
    assert f"written by run {writer.run_id}, still in progress" in message
    assert "Retried." not in message
    assert f"It is not retried again ({IO_RETRY_POLICY.max_retries + 1} attempts)" in message


def test_a_load_metadata_anomaly_never_judged_on_postgres_is_left_alone_and_listed(
    settings, prod_instance, monkeypatch
):
    """tests/integration/test_held_day_cleaning.py on the production instance: the check's
    step failed after raw_orders loaded the day; a re-clean leaves the day alone and
    devtools.held lists it with the stopped run (its reads are SQL of their own)."""
    import asset_checks.anomaly
    from devtools.held import held_partitions, unjudged_partitions
    from resources.instance_history import NOT_CLEANED

    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=prod_instance, tags=RANGE).success

    def unreachable(*args, **kwargs):
        raise OSError("warehouse connection reset")

    with monkeypatch.context() as patch:
        patch.setattr(asset_checks.anomaly, "evaluate_days", unreachable)
        stopped = job.execute_in_process(
            instance=prod_instance, partition_key=DAYS[0], raise_on_error=False
        )
    assert not stopped.success
    re_clean = [CLEANED_ORDERS, dg.AssetKey("quarantined_orders")]
    ranged = job.execute_in_process(instance=prod_instance, tags=RANGE, asset_selection=re_clean)
    marked = {
        m.materialization.partition: m.materialization.metadata
        for m in ranged.get_asset_materialization_events()
        if m.materialization.asset_key == CLEANED_ORDERS
    }
    assert "metadata_anomaly not passed" in marked[DAYS[0]][NOT_CLEANED].value
    assert NOT_CLEANED not in marked[DAYS[1]]
    assert held_partitions(prod_instance) == []
    (listed,) = unjudged_partitions(prod_instance)
    assert (listed.partition, listed.stopped_run) == (DAYS[0], stopped.run_id)


def test_held_days_on_postgres_are_read_in_fewer_statements_than_days(prod_instance, tmp_path):
    """The anomaly sensor's first tick and devtools.held read 40 held days' verdicts, runs
    and schema_drift executions at once: 4 statements a day before (213 for 50 days)."""
    from devtools.held import held_partitions
    from resources.instance_history import CHECK_KEY, RAW_ORDERS
    from resources.landing import LocalLandingZone
    from resources.settings import PlatformSettings
    from sensors.batching import JobAssets
    from sensors.orders_anomaly import evaluate_tick
    from tests.support.check_history import counted_statements

    start = dt.date(2025, 1, 1)
    days = [(start + dt.timedelta(days=n)).isoformat() for n in range(60)]
    report_judged(prod_instance, RAW_ORDERS, days, [CHECK_KEY], failed=days[20:])
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start=days[0])).assets)
    zone = LocalLandingZone(root=str(tmp_path / "landing"))
    with counted_statements() as tick:
        outcome = evaluate_tick(prod_instance, None, zone, job)
    assert sorted(outcome.state.held) == days[20:] and len(outcome.held) == 40
    with counted_statements() as listing:
        held = held_partitions(prod_instance)
    assert [item.partition for item in held] == days[20:]
    assert tick[0] < 40 and listing[0] < 40, (tick[0], listing[0])
