"""One run opens the warehouse at a time, whatever launched it: the "warehouse" pool.

Runs are built from the real definitions the way each launch path builds them (the job of the
schedule and sensors, the asset job of a UI backfill and of the automation sensor), queued on an
instance configured with our dagster.yaml files, and dequeued by Dagster's own run queue
daemon (its launcher only records).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import EmptyWorkspaceTarget, InProcessWorkspaceLoadTarget
from dagster._daemon.monitoring import run_monitoring
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)
from dagster_graphql.test.utils import execute_dagster_graphql

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources import warehouse_pool
from resources.settings import REPO_ROOT, PlatformSettings
from resources.warehouse_pool import (
    MAX_RUNTIME_TAG,
    PLATFORM_RUN_TAGS,
    WAREHOUSE_POOL,
    ensure_warehouse_pool,
)
from tests.support.local_instance import local_instance

INSTANCE_FILES = {
    "local": REPO_ROOT / "dagster.yaml",
    "production": REPO_ROOT / "deploy" / "dagster.yaml",
}
WAREHOUSE_RESOURCES = {"warehouse"}
QUEUED = dg.DagsterRunStatus.QUEUED
LOGGER = logging.getLogger(__name__)
DEFS = build_definitions(PlatformSettings(partitions_start="2025-01-01"))
ASSET_JOB = DEFS.resolve_implicit_global_asset_job_def()
ORIGIN = RemoteRepositoryOrigin(
    InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="orders_platform.definitions"),
        location_name="orders_platform",
    ),
    "__repository__",
)


def queue_settings(path: Path) -> dict:
    """The run coordinator and concurrency sections of one instance file."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: config[key] for key in ("run_coordinator", "concurrency")}


@contextmanager
def queue_instance(path: Path) -> Iterator[tuple[dg.DagsterInstance, Callable[[], None]]]:
    """An instance with the file's queue settings, and one pass of its run queue daemon."""
    overrides = {
        **queue_settings(path),
        "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"},
    }
    with (
        dg.instance_for_test(overrides=overrides) as instance,
        create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance) as context,
    ):
        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        yield instance, lambda: list(daemon.run_iteration(context))


def create_run(
    instance: dg.DagsterInstance,
    status: dg.DagsterRunStatus,
    tags: dict[str, str],
    assets: list[str] | None = None,
) -> dg.DagsterRun:
    """A run as a launch path creates it: of the job, or of the asset job with a selection."""
    job = ASSET_JOB if assets else DEFS.resolve_job_def(ALL_ASSETS_JOB)
    return instance.create_run_for_job(
        job_def=job,
        asset_selection=frozenset(dg.AssetKey.from_user_string(a) for a in assets)
        if assets
        else None,
        tags=tags,
        status=status,
        remote_job_origin=RemoteJobOrigin(ORIGIN, job.name),
    )


def launch_paths(instance: dg.DagsterInstance) -> dict[str, dg.DagsterRun]:
    """One queued run per launch path, each on days of its own (no tag limit applies)."""
    return {
        "ui backfill of all assets": create_run(
            instance,
            QUEUED,
            {
                "dagster/backfill": "abcdefgh",
                "dagster/asset_partition_range_start": "2025-02-01",
                "dagster/asset_partition_range_end": "2025-02-10",
            },
            assets=[key.to_user_string() for key in ASSET_JOB.asset_layer.executable_asset_keys],
        ),
        "landing sensor": create_run(
            instance,
            QUEUED,
            {"dagster/partition": "2025-03-01", "orders/trigger": "landing"},
        ),
        "automation sensor": create_run(
            instance, QUEUED, {"dagster/from_automation_condition": "true"}, ["customer_metrics"]
        ),
    }


def statuses(instance: dg.DagsterInstance, runs: dict[str, dg.DagsterRun]) -> dict[str, str]:
    return {name: instance.get_run_by_id(run.run_id).status.value for name, run in runs.items()}


@pytest.mark.parametrize("env", ["local", "prod"])
def test_every_step_that_opens_the_warehouse_is_in_the_pool(env):
    settings = PlatformSettings(env=env, landing_uri="s3://bucket/orders" if env == "prod" else "x")
    defs = build_definitions(settings)
    nodes = [*defs.resolve_asset_graph().assets_defs]
    pooled, unpooled = set(), set()
    for definition in nodes:
        if not definition.is_executable:
            continue
        uses_warehouse = bool(definition.required_resource_keys & WAREHOUSE_RESOURCES)
        (pooled if uses_warehouse else unpooled).add(definition.node_def.name)
        assert (definition.node_def.pool == WAREHOUSE_POOL) == uses_warehouse, (
            definition.node_def.name
        )
    # Every asset writes the warehouse; the checks that do not open it stay out of the pool.
    assert {"raw_orders", "clean_orders", "customer_metrics", "customer_clv"} <= pooled
    assert {"warehouse__fct_orders", "warehouse__dim_customers"} <= pooled
    assert "raw_orders_metadata_anomaly" in unpooled


@pytest.mark.parametrize("name", sorted(INSTANCE_FILES))
def test_both_instances_limit_the_pool_per_run(name):
    pools = queue_settings(INSTANCE_FILES[name])["concurrency"]["pools"]
    assert pools["granularity"] == "run"
    assert pools["default_limit"] == 1


def january(status: dg.DagsterRunStatus, instance: dg.DagsterInstance, **tags: str):
    """`make run`, a UI backfill or a sensor's range run over January."""
    return create_run(
        instance,
        status,
        {
            "dagster/asset_partition_range_start": "2025-01-01",
            "dagster/asset_partition_range_end": "2025-01-31",
            **tags,
        },
    )


def end(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """The run ends (how does not matter to the queue)."""
    instance.report_run_failed(instance.get_run_by_id(run.run_id))


@pytest.mark.parametrize("name", sorted(INSTANCE_FILES))
def test_queue_starts_one_warehouse_run_at_a_time_whatever_launched_it(name):
    with queue_instance(INSTANCE_FILES[name]) as (instance, dequeue):
        assert ensure_warehouse_pool(instance) == 1
        running = january(dg.DagsterRunStatus.STARTED, instance)
        queued = launch_paths(instance)
        assert all(r.run_op_concurrency.all_pools == {WAREHOUSE_POOL} for r in queued.values())

        dequeue()
        assert set(statuses(instance, queued).values()) == {"QUEUED"}

        end(instance, running)
        dequeue()
        dequeue()
        started = [name for name, s in statuses(instance, queued).items() if s != "QUEUED"]
        assert len(started) == 1, statuses(instance, queued)


@pytest.mark.parametrize("name", sorted(INSTANCE_FILES))
def test_a_day_run_never_starts_inside_a_running_range(name):
    """The tag limits cannot compare a day with a range (one per ``dagster/partition`` value,
    one range start at a time): only the pool keeps these two from writing 2025-01-10 at once.
    """
    with queue_instance(INSTANCE_FILES[name]) as (instance, dequeue):
        ensure_warehouse_pool(instance)
        running = january(dg.DagsterRunStatus.STARTED, instance)
        day = {
            "a day from the UI": create_run(instance, QUEUED, {"dagster/partition": "2025-01-10"}),
            "a day from a sensor": create_run(
                instance, QUEUED, {"dagster/partition": "2025-01-10", **PLATFORM_RUN_TAGS}
            ),
        }
        for _ in range(3):
            dequeue()
        assert set(statuses(instance, day).values()) == {"QUEUED"}

        end(instance, running)
        dequeue()
        dequeue()
        # The same day twice: one at a time as well, the platform's first.
        assert statuses(instance, day) == {
            "a day from the UI": "QUEUED",
            "a day from a sensor": "STARTING",
        }


@pytest.mark.parametrize("name", sorted(INSTANCE_FILES))
def test_the_platforms_own_runs_go_ahead_of_a_queued_backfill(name):
    """A day that lands while a backfill's runs are queued waits for the run in progress only."""
    with queue_instance(INSTANCE_FILES[name]) as (instance, dequeue):
        ensure_warehouse_pool(instance)
        running = january(dg.DagsterRunStatus.STARTED, instance, **{"dagster/backfill": "b1"})
        chunks = [
            create_run(
                instance,
                QUEUED,
                {
                    "dagster/backfill": "b1",
                    "dagster/asset_partition_range_start": start,
                    "dagster/asset_partition_range_end": end,
                },
            )
            for start, end in (("2025-02-01", "2025-02-28"), ("2025-03-01", "2025-03-31"))
        ]
        fresh = create_run(
            instance,
            QUEUED,
            {"dagster/partition": "2025-06-02", "orders/trigger": "landing", **PLATFORM_RUN_TAGS},
        )
        end(instance, running)
        dequeue()
        runs = {"fresh day": fresh, "february": chunks[0], "march": chunks[1]}
        assert statuses(instance, runs) == {
            "fresh day": "STARTING",
            "february": "QUEUED",
            "march": "QUEUED",
        }


def test_the_schedule_and_the_automation_sensor_carry_the_priority():
    """The landing and anomaly sensors' requests: tests/integration/test_sensor_batching.py."""
    schedule = DEFS.resolve_schedule_def("orders_pipeline_daily")
    with local_instance() as instance:
        tick = schedule.evaluate_tick(
            dg.build_schedule_context(
                instance=instance,
                scheduled_execution_time=dt.datetime(2025, 3, 2, 2, tzinfo=dt.UTC),
                repository_def=DEFS.get_repository_def(),
            )
        )
    (request,) = tick.run_requests
    assert request.tags["dagster/partition"] == "2025-03-01"
    assert request.tags.items() >= PLATFORM_RUN_TAGS.items()
    automation = DEFS.resolve_sensor_def("default_automation_condition_sensor")
    assert automation.run_tags.items() >= PLATFORM_RUN_TAGS.items()


def test_the_platforms_runs_carry_a_runtime_limit():
    """On the job (merged into every run the sensors and the schedule start, and into its
    launches) and on the automation sensor's runs; none when set to 0."""
    limit = {MAX_RUNTIME_TAG: str(PlatformSettings().run_max_runtime_s)}
    assert DEFS.resolve_job_def(ALL_ASSETS_JOB).run_tags == limit
    automation = DEFS.resolve_sensor_def("default_automation_condition_sensor")
    assert automation.run_tags == {**PLATFORM_RUN_TAGS, **limit}
    unlimited = build_definitions(
        PlatformSettings(partitions_start="2025-01-01", run_max_runtime_s=0)
    )
    assert MAX_RUNTIME_TAG not in unlimited.resolve_job_def(ALL_ASSETS_JOB).run_tags
    assert unlimited.resolve_sensor_def("default_automation_condition_sensor").run_tags == (
        PLATFORM_RUN_TAGS
    )


# What the UI sends for a run of the job: the launchpad's "Materialize" and the Materialize
# dialog's "Launch 1 run" (a single partition) on the job's page.
LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { tags { key value } } }
    ... on PythonError { message }
  }
}
"""


def test_a_run_of_the_job_launched_from_the_ui_carries_the_runtime_limit():
    """The webserver puts the job's definition tags on a run it launches, not its run_tags
    (which only the sensors, the schedule and in-process runs read): with the limit set as
    run_tags, a run of the job launched from the UI had none and could hold the queue."""
    params = {
        "selector": {
            "repositoryLocationName": "orders_platform",
            "repositoryName": "__repository__",
            "pipelineName": ALL_ASSETS_JOB,
        },
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2025-03-01"}]},
    }
    target = InProcessWorkspaceLoadTarget(ORIGIN.code_location_origin)
    with (
        queue_instance(INSTANCE_FILES["local"]) as (instance, _),
        create_test_daemon_workspace_context(target, instance) as workspace,
    ):
        result = execute_dagster_graphql(
            workspace.create_request_context(), LAUNCH_RUN, {"params": params}
        )
    launched = result.data["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    tags = {tag["key"]: tag["value"] for tag in launched["run"]["tags"]}
    assert tags[MAX_RUNTIME_TAG] == str(PlatformSettings().run_max_runtime_s)


@pytest.mark.parametrize("name", sorted(INSTANCE_FILES))
def test_run_monitoring_stops_a_run_past_its_limit(name, monkeypatch):
    """With one run at a time in the pool, a hung run would hold every other. Dagster's run
    monitoring (on in both instance files) stops a run of the job (failed) once it has run longer
    than the tag the job puts on it, and leaves one within it alone."""
    config = yaml.safe_load(INSTANCE_FILES[name].read_text(encoding="utf-8"))
    assert config["run_monitoring"]["enabled"] is True
    job = DEFS.resolve_job_def(ALL_ASSETS_JOB)
    limit = float(job.run_tags[MAX_RUNTIME_TAG])
    with queue_instance(INSTANCE_FILES[name]) as (instance, _):
        runs = {}
        for day in ("2025-03-01", "2025-03-02"):
            # As the sensor daemon creates it: the job's run tags, then the request's.
            run = create_run(
                instance,
                dg.DagsterRunStatus.NOT_STARTED,
                {**job.run_tags, **PLATFORM_RUN_TAGS, "dagster/partition": day},
            )
            instance.report_dagster_event(
                DagsterEvent(DagsterEventType.RUN_START.value, job_name=job.name), run.run_id
            )
            runs[day] = instance.get_run_record_by_id(run.run_id)
        hung, recent = runs["2025-03-01"], runs["2025-03-02"]
        now = recent.start_time + limit - 60
        monkeypatch.setattr(run_monitoring, "get_current_timestamp", lambda: now)
        for record in (hung, recent):
            run_monitoring.check_run_timeout(instance, record, LOGGER, 0.0)
        assert (
            instance.get_run_by_id(recent.dagster_run.run_id).status == dg.DagsterRunStatus.STARTED
        )

        now = hung.start_time + limit + 1
        run_monitoring.check_run_timeout(instance, hung, LOGGER, 0.0)
        assert instance.get_run_by_id(hung.dagster_run.run_id).status == dg.DagsterRunStatus.FAILURE
        messages = [
            event.message
            for event in instance.all_logs(hung.dagster_run.run_id)
            if event.is_dagster_event
        ]
        assert any(f"maximum runtime of {int(limit)} seconds" in m for m in messages), messages


def test_without_the_stored_limit_the_first_pass_starts_every_run():
    """Why ensure_warehouse_pool exists: Dagster 1.13 stores a pool's default limit during the
    first dequeue pass that meets the pool, after deciding that pass without it."""
    with queue_instance(INSTANCE_FILES["local"]) as (instance, dequeue):
        queued = launch_paths(instance)
        dequeue()
        assert list(statuses(instance, queued).values()).count("STARTING") == 2  # max runs: 2


def test_ensure_warehouse_pool_keeps_a_limit_an_operator_set():
    with queue_instance(INSTANCE_FILES["local"]) as (instance, dequeue):
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 3)
        assert ensure_warehouse_pool(instance) == 3
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 3


def test_a_limit_stored_from_an_older_default_follows_the_current_one(tmp_path):
    """Production's default was 2: the deploy step stores 1 on an upgraded instance."""

    def instance(default_limit: int):
        settings = queue_settings(INSTANCE_FILES["production"])
        pools = {**settings["concurrency"]["pools"], "default_limit": default_limit}
        settings["concurrency"] = {**settings["concurrency"], "pools": pools}
        return dg.instance_for_test(overrides=settings, temp_dir=str(tmp_path))

    with instance(2) as before:
        assert ensure_warehouse_pool(before) == 2
    with instance(1) as after:
        assert ensure_warehouse_pool(after) == 1
        assert after.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1


def test_the_deploy_step_warns_about_a_limit_set_above_one(tmp_path, monkeypatch, capsys):
    (tmp_path / "dagster.yaml").write_text(
        yaml.safe_dump(queue_settings(INSTANCE_FILES["production"])), encoding="utf-8"
    )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert warehouse_pool.main() == 0
    assert "at most 1 run(s)" in capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 2)
    assert warehouse_pool.main() == 0
    out = capsys.readouterr().out
    assert "at most 2 run(s)" in out
    assert "warning: a limit of 2 lets a run of one day start" in out
