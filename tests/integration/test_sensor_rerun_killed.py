"""A run orders_anomaly_sensor requested whose worker is lost mid-step: the run is left
STARTED until run monitoring marks it failed, and Dagster's run retries (dagster.yaml:
for lost workers) may re-execute it from failure.

Until then its days are pending and the unpartitioned downstream waits (the sensor's skip
reason says so); once it failed, it is posted and its days handled as for any failed run
(test_sensor_rerun_failures); a failed run that will be retried is not finished yet: the
downstream waits for the retry. The graph is tests/support/sensor_graph.py's, driven by
tests/support/sensor_reruns.py.
"""

from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.storage.tags import AUTO_RETRY_RUN_ID_TAG, WILL_RETRY_TAG

from sensors.batching import MISSING_TICKS
from sensors.orders_anomaly import SensorState
from tests.support.requests import requested_days
from tests.support.sensor_graph import DAYS, FCT_ORDERS
from tests.support.sensor_reruns import reexecute_from_failure, watched

LOST = JobFailureData(None, RunFailureReason.UNEXPECTED_TERMINATION)


def test_a_rerun_left_started_holds_the_downstream_until_it_is_marked_failed(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,)) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_range(DAYS[:10]).success
        before, after = daemon.tick()
        lost = watch.start_and_lose(before)  # its worker died: still STARTED
        assert daemon.execute([after])[0].success
        for _ in range(3):
            assert daemon.tick() == [], "the downstream waits for the run left STARTED"
        state = SensorState.from_json(daemon.cursor)
        assert set(DAYS[:4]) <= set(state.pending) and state.downstream.run_keys

        instance.report_run_failed(lost, "run worker lost", LOST)  # run monitoring
        (downstream,) = daemon.tick()
        assert requested_days(downstream) == []
        assert daemon.execute([downstream])[0].success
        assert daemon.tick() == []
        assert not SensorState.from_json(daemon.cursor).pending
        post = watch.alert()
        assert f"{DAYS[0]}...{DAYS[3]}" in post["text"]

        assert reexecute_from_failure(instance, lost.run_id, watch.args).is_success
        assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[:10]) - {held}


def test_the_downstream_waits_for_the_retry_of_a_lost_rerun(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,)) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        lost = _lost_for_retry(watch)
        assert daemon.tick() == [], "the downstream waits for the retry Dagster will launch"

        retry = reexecute_from_failure(instance, lost.run_id, watch.args)  # run retries
        instance.add_run_tags(lost.run_id, {AUTO_RETRY_RUN_ID_TAG: retry.run_id})
        assert retry.is_success
        (downstream,) = daemon.tick()
        assert daemon.execute([downstream])[0].success
        assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[:10]) - {held}


def test_a_retry_that_never_comes_holds_the_downstream_for_a_few_ticks_only(tmp_path):
    """Dagster's retry daemon may never launch a retry it tagged (the job renamed, the run
    group gone): the downstream waits MISSING_TICKS ticks for it, as for a run key never
    submitted, then runs (it waited for ever)."""
    with watched(tmp_path, held=(DAYS[4],)) as watch:
        daemon = watch.daemon
        _lost_for_retry(watch)
        for _ in range(MISSING_TICKS - 1):
            assert daemon.tick() == [], "the downstream waits for the retry"
        (downstream,) = daemon.tick()
        assert requested_days(downstream) == []
        assert daemon.execute([downstream])[0].success
        assert daemon.tick() == []


def _lost_for_retry(watch):
    """A blocked range is re-run in two runs; the first loses its worker, run monitoring
    fails it and Dagster tags it for a retry; the second succeeds."""
    daemon, instance = watch.daemon, watch.daemon.instance
    assert not daemon.run_range(DAYS[:10]).success
    before, after = daemon.tick()
    lost = watch.start_and_lose(before)
    assert daemon.execute([after])[0].success
    instance.add_run_tags(lost.run_id, {WILL_RETRY_TAG: "true"})
    instance.report_run_failed(lost, "run worker lost", LOST)  # run monitoring
    return lost
