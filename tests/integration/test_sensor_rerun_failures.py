"""A run orders_anomaly_sensor requested that fails before metadata_anomaly judges its days.

Not requested again (no failed run is retried automatically: dagster.yaml); posted by
orders_run_failure_sensor; re-executed from failure, it publishes its days and the
sensor takes its verdicts like any other (docs/anomaly_hold.md, "Range runs"). The graph
is tests/support/sensor_graph.py's (trivial bodies, the real asset keys), with raw_orders failing
while an outage flag file exists and a late day deferred until its history is loaded.
"""

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import TAGS_TO_MAYBE_OMIT_ON_RETRY

from resources.alerts import AlertWebhook
from sensors.orders_anomaly import SensorState
from sensors.run_failure import build_run_failure_sensor
from tests.support.fixture_data import day_dir
from tests.support.requests import requested_days
from tests.support.sensor_graph import DAYS, FCT_ORDERS, JOB_NAME, Daemon, build_graph
from tests.support.webhook_server import WebhookServer


def _graph(root: str, flag: str, waits_json: str, held_json: str) -> dg.Definitions:
    held, waits = set(json.loads(held_json)), json.loads(waits_json)
    return build_graph(held, root, waits=waits, outage_flag=flag)


def rerun_job(root: str, flag: str, waits_json: str, held_json: str) -> dg.JobDefinition:
    """The job, rebuilt from plain arguments in the re-execution's process."""
    return _graph(root, flag, waits_json, held_json).resolve_job_def(JOB_NAME)


def reexecute_from_failure(instance, run_id: str, args: tuple) -> dg.DagsterRun:
    """What an engineer does from the failure alert: re-execute the run from failure."""
    recon = dg.build_reconstructable_job(__name__, "rerun_job", reconstructable_args=args)
    options = dg.ReexecutionOptions.from_failure(run_id, instance)
    parent = instance.get_run_by_id(run_id)
    tags = {k: v for k, v in parent.tags.items() if k not in TAGS_TO_MAYBE_OMIT_ON_RETRY}
    with dg.execute_job(
        recon,
        instance=instance,
        tags=tags,  # as the UI's re-execution and run_retries keep them
        reexecution_options=options,
        run_config={"execution": {"config": {"in_process": {}}}},
        raise_on_error=False,
    ) as result:
        return instance.get_run_by_id(result.run_id)


def failure_alerts(instance, server, cursor=None):
    sensor = build_run_failure_sensor()
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"alert_webhook": AlertWebhook(url=server.url)}
    )
    return sensor.evaluate_tick(context).cursor


@dataclass
class Watched:
    """The sensor's daemon over the graph, the alert webhook's server and what rebuilds
    the job for a re-execution."""

    daemon: Daemon
    server: WebhookServer
    args: tuple[str, str, str, str]
    alerts: str | None = None

    def fail_in_outage(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """Execute ``request`` while raw_orders cannot reach the landing zone."""
        flag = Path(self.args[1])
        flag.touch()
        try:
            (result,) = self.daemon.execute([request])
        finally:
            flag.unlink()
        assert not result.success
        return result

    def alert(self) -> dict:
        """The failure sensor's latest post, after a tick of it."""
        self.alerts = failure_alerts(self.daemon.instance, self.server, self.alerts)
        return self.server.posts[-1]


@contextmanager
def watched(tmp_path: Path, waits: dict | None = None, held: tuple = ()) -> Iterator[Watched]:
    args = (str(tmp_path), str(tmp_path / "outage"), json.dumps(waits or {}), json.dumps(held))
    with dg.instance_for_test() as instance, WebhookServer() as server:
        watch = Watched(Daemon(_graph(*args), instance), server, args)
        watch.alerts = failure_alerts(instance, server)
        assert watch.daemon.tick() == []
        yield watch


def test_a_deferred_days_rerun_failing_before_the_check(tmp_path):
    late = DAYS[5]
    for day in DAYS[:6]:
        day_dir(tmp_path, dt.date.fromisoformat(day)).mkdir(parents=True)
    with watched(tmp_path, waits={late: DAYS[:5]}) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        # Newest first: the late day is deferred, then its history is loaded.
        assert not daemon.run_day(late).success
        assert daemon.tick() == []
        assert list(SensorState.from_json(daemon.cursor).deferred) == [late]
        assert daemon.run_range(DAYS[:5]).success
        (request,) = daemon.tick()
        assert requested_days(request) == [late]

        failed = watch.fail_in_outage(request)
        for _ in range(3):
            assert daemon.tick() == [], "the sensor does not ask for a failed request again"
        assert late not in instance.get_materialized_partitions(FCT_ORDERS)
        post = watch.alert()  # (the deferral's own run was posted too)
        assert late in post["text"] and "raw_orders" in json.dumps(post)

        assert daemon.run_range(DAYS[:5]).success
        assert daemon.tick() == [], "loading the awaited days again does not ask either"
        run = reexecute_from_failure(instance, failed.run_id, watch.args)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert daemon.tick() == []
        assert late in instance.get_materialized_partitions(FCT_ORDERS)
        assert not SensorState.from_json(daemon.cursor).deferred


def test_a_blocked_ranges_rerun_failing_before_the_check(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,)) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_range(DAYS[:10]).success
        before, after = daemon.tick()
        assert requested_days(before) == DAYS[:4] and requested_days(after) == DAYS[5:10]
        failed = watch.fail_in_outage(before)
        assert daemon.execute([after])[0].success
        (downstream,) = daemon.tick()  # both runs have finished
        assert daemon.execute([downstream])[0].success
        for _ in range(3):
            assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[5:10])
        post = watch.alert()
        assert DAYS[0] in post["text"] and "raw_orders" in json.dumps(post)

        assert reexecute_from_failure(instance, failed.run_id, watch.args).is_success
        assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[:10]) - {held}


def test_a_held_days_refresh_failing_before_the_check(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,)) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_day(held).success
        assert daemon.tick() == []
        folder = day_dir(tmp_path, dt.date.fromisoformat(held))
        folder.mkdir(parents=True)
        (folder / "a.csv").write_text("order_id\nA1\n")  # corrected files
        (refresh,) = daemon.tick()
        failed = watch.fail_in_outage(refresh)
        for _ in range(3):
            assert daemon.tick() == []
        assert held in SensorState.from_json(daemon.cursor).held
        post = watch.alert()
        assert held in post["text"] and "raw_orders" in json.dumps(post)

        fixed = (*watch.args[:3], "[]")  # the corrected files pass
        assert reexecute_from_failure(instance, failed.run_id, fixed).is_success
        assert daemon.tick() == []
        assert held in instance.get_materialized_partitions(FCT_ORDERS)
        assert held not in SensorState.from_json(daemon.cursor).held
