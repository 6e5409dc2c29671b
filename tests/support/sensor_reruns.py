"""Runs orders_anomaly_sensor requested that end without publishing their days: the
sensor's daemon over tests/support/sensor_graph.py's graph, the alert sensors' webhook,
and what an engineer does about such a run (re-execute it from failure).

Shared by test_sensor_rerun_failures (runs that fail before the check),
test_sensor_rerun_canceled (runs that are canceled, before or after the check) and
test_sensor_rerun_killed (runs whose worker is lost).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.storage.tags import PARTITION_NAME_TAG, TAGS_TO_MAYBE_OMIT_ON_RETRY

from devtools.held import format_table, held_partitions
from resources.alerts import AlertWebhook
from sensors.orders_anomaly import SENSOR_NAME
from sensors.run_failure import build_run_failure_sensor
from tests.support.local_instance import local_instance
from tests.support.requests import daemon_tags
from tests.support.sensor_graph import JOB_NAME, Daemon, build_graph
from tests.support.webhook_server import WebhookServer


def _cancel_after_check(flag: Path):
    """While ``flag`` exists, the run is canceled once the check has judged its days: an
    engineer terminates it, the run worker is interrupted in the check's step."""

    def cancel() -> None:
        if flag.exists():
            context = dg.OpExecutionContext.get()
            context.instance.report_run_canceling(context.dagster_run)
            raise DagsterExecutionInterruptedError()

    return cancel


def _graph(root: str, flag: str, waits_json: str, held_json: str) -> dg.Definitions:
    held, waits = set(json.loads(held_json)), json.loads(waits_json)
    after_check = _cancel_after_check(Path(root) / "cancel")
    return build_graph(held, root, after_check=after_check, waits=waits, outage_flag=flag)


def rerun_job(root: str, flag: str, waits_json: str, held_json: str) -> dg.JobDefinition:
    """The job, rebuilt from plain arguments in the re-execution's process."""
    return _graph(root, flag, waits_json, held_json).resolve_job_def(JOB_NAME)


def reexecute_from_failure(instance, run_id: str, args: tuple) -> dg.DagsterRun:
    """What an engineer does from the alert: re-execute the run from failure (a failed or
    a canceled run)."""
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


def canceled_alerts(instance, server, cursor=None):
    from sensors.run_failure import build_run_canceled_sensor

    return alert_tick(build_run_canceled_sensor(), instance, server, cursor)


@dataclass
class Watched:
    """The sensor's daemon over the graph, the alert webhook's server and what rebuilds
    the job for a re-execution."""

    daemon: Daemon
    server: WebhookServer
    args: tuple[str, str, str, str]
    alerts: str | None = None
    canceled: str | None = None

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

    def cancel_before_start(self, request: dg.RunRequest, cancel: bool = True) -> dg.DagsterRun:
        """The daemon creates ``request``'s run; an engineer terminates it before it starts
        (a queued run canceled; left not started if not ``cancel``)."""
        instance, job = self.daemon.instance, self.daemon.job
        tags = daemon_tags(request, SENSOR_NAME)
        if request.partition_key:
            tags[PARTITION_NAME_TAG] = request.partition_key
        selection = frozenset(request.asset_selection or ())
        run = instance.create_run_for_job(
            job_def=job.get_subset(asset_selection=selection) if selection else job,
            tags=tags,
            asset_selection=selection or None,
        )
        if cancel:
            instance.report_run_canceled(run)
        return instance.get_run_by_id(run.run_id)

    def start_and_lose(self, request: dg.RunRequest) -> dg.DagsterRun:
        """The daemon launches ``request``'s run and its worker dies before the check: the
        run is left STARTED (until run monitoring marks it failed)."""
        run = self.cancel_before_start(request, cancel=False)
        self.daemon.instance.handle_run_event(
            run.run_id,
            dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=run.job_name),
        )
        run = self.daemon.instance.get_run_by_id(run.run_id)
        assert run.status == dg.DagsterRunStatus.STARTED
        return run

    def cancel_after_check(self, request: dg.RunRequest) -> dg.DagsterRun:
        """Execute ``request``; an engineer terminates it once the check has judged its days."""
        flag = Path(self.args[0]) / "cancel"
        flag.touch()
        try:
            (result,) = self.daemon.execute([request])
        finally:
            flag.unlink()
        run = self.daemon.instance.get_run_by_id(result.run_id)
        assert run.status == dg.DagsterRunStatus.CANCELED
        return run

    def canceled_alert(self) -> dict:
        """The canceled-run sensor's latest post, after a tick of it."""
        posts = len(self.server.posts)
        self.canceled = canceled_alerts(self.daemon.instance, self.server, self.canceled)
        assert len(self.server.posts) > posts, "no canceled run was posted"
        return self.server.posts[-1]


@contextmanager
def watched(
    tmp_path: Path, waits: dict | None = None, held: tuple = (), canceled: bool = False
) -> Iterator[Watched]:
    """The graph's daemon, the failure alerts (and the canceled-run alerts if ``canceled``)
    watching from now on."""
    args = (str(tmp_path), str(tmp_path / "outage"), json.dumps(waits or {}), json.dumps(held))
    with local_instance() as instance, WebhookServer() as server:
        watch = Watched(Daemon(_graph(*args), instance), server, args)
        watch.alerts = failure_alerts(instance, server)
        if canceled:
            watch.canceled = canceled_alerts(instance, server)
        assert watch.daemon.tick() == []
        yield watch


def left_out_tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, result, webhook_url: str
) -> None:
    """One evaluation of orders_run_left_out_sensor on a run that succeeded (``result``,
    an ``ExecuteInProcessResult``), posting to ``webhook_url``."""
    from sensors.run_failure import LEFT_OUT_SENSOR_NAME

    context = dg.build_run_status_sensor_context(
        sensor_name=LEFT_OUT_SENSOR_NAME,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=result.get_run_success_event(),
        resources={"alert_webhook": AlertWebhook(url=webhook_url)},
    )
    defs.resolve_sensor_def(LEFT_OUT_SENSOR_NAME)(context)
