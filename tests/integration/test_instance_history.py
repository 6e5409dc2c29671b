"""resources.instance_history.failed_partitions and devtools.held: a day is held or
deferred by its latest completed metadata_anomaly evaluation, whatever was planned after
it; left_alone_by: the days a run (or its run group) left alone in the cleaning."""

import datetime as dt

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._core.storage.tags import AUTO_RETRY_RUN_ID_TAG, WILL_RETRY_TAG
from dagster._core.utils import make_new_run_id

from devtools.held import format_table, held_partitions
from orders_platform.definitions import ALL_ASSETS_JOB
from resources import instance_history
from resources.instance_history import RAW_ORDERS, failed_partitions
from tests.support.check_history import report_planned, report_verdict

DAYS = [(dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(12)]


@pytest.mark.parametrize("page", [1, 2, instance_history.FAILED_PAGE])
def test_a_planned_execution_keeps_the_last_verdict_whatever_the_page(instance, monkeypatch, page):
    monkeypatch.setattr(instance_history, "FAILED_PAGE", page)
    held, cleared, passed, never, failed_again = DAYS[:5]
    report_verdict(instance, held, passed=False)
    report_verdict(instance, cleared, passed=False)
    report_verdict(instance, cleared, passed=True)
    report_verdict(instance, passed, passed=True)
    report_verdict(instance, failed_again, passed=True)
    report_verdict(instance, failed_again, passed=False)
    for day in DAYS[5:]:  # other held days, judged and not planned again
        report_verdict(instance, day, passed=False)
    report_planned(instance, [held, cleared, passed, never, failed_again])
    assert failed_partitions(instance) == {held, failed_again, *DAYS[5:]}
    assert failed_partitions(instance, DAYS[:5]) == {held, failed_again}
    assert failed_partitions(instance, [cleared, never]) == set()


def test_a_queued_backfill_costs_one_pass_over_the_failures(instance, monkeypatch):
    """A queued backfill plans every day of its range: the held days are found without a
    query per planned day (1,500 planned days took 6.7 s that way)."""
    report_verdict(instance, DAYS[0], passed=False)
    report_verdict(instance, DAYS[1], passed=True)
    report_planned(instance, [f"2030-01-{d:02d}" for d in range(1, 29)] + DAYS[:2])
    asked = []
    real = instance_history.latest_evaluation
    monkeypatch.setattr(
        instance_history, "latest_evaluation", lambda i, day: asked.append(day) or real(i, day)
    )
    assert failed_partitions(instance) == {DAYS[0]}
    assert asked == [DAYS[0]]


def test_a_deferred_days_stopped_rerun_says_to_load_its_days_until_they_are(instance):
    """Re-run by hand without the days it waits for, and stopped before the check: the
    listing says to load them (re-executing the run alone would defer the day again),
    and once they are loaded, to re-execute the stopped run."""
    deferred, first, second = DAYS[9], DAYS[2], DAYS[3]
    waiting = {"verdict": "deferred", "waiting_for": dg.MetadataValue.json([first, second])}
    report_verdict(instance, deferred, passed=False, metadata=waiting)
    stopped = report_planned(instance, [deferred], status=DagsterRunStatus.FAILURE)
    instance.report_runless_asset_event(dg.AssetMaterialization(RAW_ORDERS, partition=first))

    (item,) = held_partitions(instance)
    assert (item.stopped_run, item.unloaded) == (stopped.run_id, (second,))
    table = format_table([item])
    assert stopped.run_id[:8] in table and f"--partition {second}" in table

    instance.report_runless_asset_event(dg.AssetMaterialization(RAW_ORDERS, partition=second))
    (item,) = held_partitions(instance)
    assert item.unloaded == () and "load first" not in format_table([item])


def test_a_rerun_dagster_will_retry_is_not_named_to_re_execute_by_hand(instance):
    """A lost worker's run that Dagster retries: re-executing it as well would run the
    day twice. Once the retry is launched and stops in turn, that one is named."""
    held = DAYS[6]
    report_verdict(instance, held, passed=False)
    lost = report_planned(instance, [held], status=DagsterRunStatus.FAILURE)
    instance.add_run_tags(lost.run_id, {WILL_RETRY_TAG: "true"})
    (item,) = held_partitions(instance)
    assert item.stopped_run == "" and "release:" in format_table([item])

    instance.add_run_tags(lost.run_id, {AUTO_RETRY_RUN_ID_TAG: "retry"})
    retry = report_planned(instance, [held], status=DagsterRunStatus.FAILURE)
    (item,) = held_partitions(instance)
    assert item.stopped_run == retry.run_id


def _cleaned(instance, day: str, marker: bool, **run) -> dg.DagsterRun:
    """A cleaned_orders materialization of ``day`` by a new run (``run``: its root and
    parent), a :data:`NOT_CLEANED` marker if ``marker``."""
    added = instance.add_run(DagsterRun(job_name=ALL_ASSETS_JOB, run_id=make_new_run_id(), **run))
    metadata = {instance_history.NOT_CLEANED: "not cleaned in this run"} if marker else {}
    instance.report_dagster_event(
        DagsterEvent(
            event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
            job_name=ALL_ASSETS_JOB,
            event_specific_data=StepMaterializationData(
                dg.AssetMaterialization(
                    instance_history.CLEANED_ORDERS, partition=day, metadata=metadata
                )
            ),
        ),
        run_id=added.run_id,
    )
    return added


def test_a_day_is_left_alone_by_the_run_group_that_wrote_its_marker(instance):
    """fct_orders leaves out the days its own run (or a re-execution of it) left alone,
    not those an earlier run did: their rows are what their last cleaning left."""
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    ranged = _cleaned(instance, days[0], marker=True)
    _cleaned(instance, days[1], marker=False, root_run_id=None)
    _cleaned(instance, days[2], marker=True)  # another, earlier-finished run
    root = ranged.run_id
    again = DagsterRun(
        job_name=ranged.job_name, run_id=make_new_run_id(), root_run_id=root, parent_run_id=root
    )
    later = DagsterRun(job_name=ranged.job_name, run_id=make_new_run_id())
    assert instance_history.left_alone_by(instance, days, ranged) == [days[0]]
    assert instance_history.left_alone_by(instance, days, again) == [days[0]]
    assert instance_history.left_alone_by(instance, days, later) == []
    # a marker a re-execution wrote, read by a later re-execution of the same root
    _cleaned(instance, days[1], marker=True, root_run_id=root, parent_run_id=root)
    assert instance_history.left_alone_by(instance, days, again) == days[:2]


@pytest.mark.parametrize("page", [1, 3, 500])
def test_executions_since_reads_every_newer_execution_oldest_first_whatever_the_pages(
    instance, monkeypatch, page
):
    """orders_anomaly_sensor's read of what is new: every execution (planned ones too)
    after the cursor's record, oldest first, wherever the cursor falls among pages that
    grow from one record; a tick with nothing new reads the newest record alone."""
    for i, day in enumerate(DAYS):
        report_verdict(instance, day, passed=i % 3 != 0)
    report_planned(instance, DAYS[:4])
    report_verdict(instance, DAYS[0], passed=True)
    storage = instance.event_log_storage
    every = storage.get_asset_check_execution_history(instance_history.CHECK_KEY, limit=1_000)
    ids = sorted(record.id for record in every)
    assert len(ids) == len(DAYS) + 5
    for after in [0, *ids]:
        found = instance_history.executions_since(instance, after, page=page)
        assert [record.id for record in found] == [i for i in ids if i > after], after
        assert {record.partition for record in found} <= set(DAYS)

    asked = []
    real = storage.get_asset_check_execution_history
    monkeypatch.setattr(
        storage,
        "get_asset_check_execution_history",
        lambda *a, **kw: asked.append(kw["limit"]) or real(*a, **kw),
    )
    assert instance_history.executions_since(instance, ids[-1], page=page) == []
    assert asked == [1]


def test_days_loaded_and_not_judged_are_listed_with_what_to_do(instance):
    """A day whose latest raw_orders load metadata_anomaly has not judged is left alone by
    the cleaning: the listing says so, with the run judging it (nothing to do), or the
    command that runs it again with its checks (loaded by a run without them). A day
    only queued (planned, not loaded again) keeps its verdict and is not listed."""
    from devtools.held import NOT_JUDGED, unjudged_partitions
    from tests.support.check_history import report_judged

    judging, unchecked, queued = DAYS[1], DAYS[2], DAYS[3]
    check = instance_history.CHECK_KEY
    report_judged(instance, RAW_ORDERS, [judging, unchecked, queued], checks=[check])
    assert unjudged_partitions(instance) == []

    running = report_planned(instance, [judging], status=DagsterRunStatus.STARTED)
    instance.report_dagster_event(
        DagsterEvent(
            event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
            job_name=ALL_ASSETS_JOB,
            event_specific_data=StepMaterializationData(
                dg.AssetMaterialization(RAW_ORDERS, partition=judging)
            ),
        ),
        run_id=running.run_id,
    )
    instance.report_runless_asset_event(dg.AssetMaterialization(RAW_ORDERS, partition=unchecked))
    report_planned(instance, [queued])

    listed = {item.partition: item for item in unjudged_partitions(instance)}
    assert set(listed) == {judging, unchecked}
    assert {item.verdict for item in listed.values()} == {NOT_JUDGED}
    assert listed[judging].judging_run == running.run_id
    table = format_table(list(listed.values()))
    assert table.startswith("No partition is held.\n2 day(s) loaded but not judged")
    assert f"is being judged by run {running.run_id[:8]} (STARTED)" in table
    assert f"--partition {judging}" not in table
    assert "without metadata_anomaly" in table
    assert f"dg launch --assets 'raw_orders*' --partition {unchecked}" in table
