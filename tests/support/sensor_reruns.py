"""Runs orders_anomaly_sensor requested that end without publishing their days: the
sensor's daemon over tests/support/sensor_graph.py's graph, the alert sensors' webhook,
and what an engineer does about such a run (re-execute it from failure).

Used by test_sensor_rerun_failures (runs that fail before the check).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import TAGS_TO_MAYBE_OMIT_ON_RETRY

from devtools.held import format_table, held_partitions
from resources.alerts import AlertWebhook
from sensors.run_failure import build_run_failure_sensor
from tests.support.sensor_graph import JOB_NAME, Daemon, build_graph
from tests.support.webhook_server import WebhookServer


def _graph(root: str, flag: str, waits_json: str, held_json: str) -> dg.Definitions:
    held, waits = set(json.loads(held_json)), json.loads(waits_json)
    return build_graph(held, root, waits=waits, outage_flag=flag)


def rerun_job(root: str, flag: str, waits_json: str, held_json: str) -> dg.JobDefinition:
    """The job, rebuilt from plain arguments in the re-execution's process."""
    return _graph(root, flag, waits_json, held_json).resolve_job_def(JOB_NAME)


def reexecute_from_failure(instance, run_id: str, args: tuple) -> dg.DagsterRun:
    """What an engineer does from the alert: re-execute the run from failure."""
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


def listed(instance: dg.DagsterInstance) -> dict[str, str]:
    """``python -m devtools.held``: each listed day's lines of the table."""
    found: dict[str, str] = {}
    day = ""
    for line in format_table(held_partitions(instance)).splitlines()[1:]:
        if line.startswith("- "):
            day = line.split()[1]
            found[day] = line
        elif day:
            found[day] += "\n" + line
    return found


def alert_tick(sensor: dg.SensorDefinition, instance, server, cursor=None):
    """One tick of a run status alert sensor posting to ``server``; its new cursor."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"alert_webhook": AlertWebhook(url=server.url)}
    )
    return sensor.evaluate_tick(context).cursor


def failure_alerts(instance, server, cursor=None):
    return alert_tick(build_run_failure_sensor(), instance, server, cursor)


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
    """The graph's daemon and the failure alerts, watching from now on."""
    args = (str(tmp_path), str(tmp_path / "outage"), json.dumps(waits or {}), json.dumps(held))
    with dg.instance_for_test() as instance, WebhookServer() as server:
        watch = Watched(Daemon(_graph(*args), instance), server, args)
        watch.alerts = failure_alerts(instance, server)
        assert watch.daemon.tick() == []
        yield watch
