"""A day held by metadata_anomaly that also fails schema_drift: a release cannot publish it,
so the held alert, devtools.held and make run's report say the day fails schema_drift and
to fix its landing files first, as the run-failure alert does, instead of offering the
release."""

import datetime as dt

import dagster as dg
import pytest

from asset_checks.anomaly import CHECK_OP_NAME
from devtools.held import format_table, held_partitions
from devtools.run_local import report_held
from devtools.run_progress import FailedCheck
from devtools.simulate import generate
from orders_platform.definitions import ALL_ASSETS_JOB
from resources.instance_history import (
    CHECK_KEY,
    CLEANED_ORDERS,
    DRIFT_KEY,
    RAW_ORDERS,
    failed_blocking_evaluations,
)
from resources.landing import LocalLandingZone
from sensors.alerting import FIX_LANDING_FILES, HeldNotice, held_message
from sensors.orders_anomaly import SENSOR_NAME, SensorState
from sensors.run_failure import SENSOR_NAME as RUN_FAILURE_SENSOR
from sensors.run_failure import blocked_checks, left_out_checks
from sensors.run_failure import describe_failure as describe_run_failure
from tests.support.local_instance import local_instance
from tests.support.local_platform import local_platform, sensor_resources
from tests.support.order_fixtures import range_tags
from tests.support.webhook_server import WebhookServer

START = dt.date(2025, 1, 6)
DAYS = 22
SPIKE = (START + dt.timedelta(days=DAYS - 1)).isoformat()


def _rename_amount(landing, day: str) -> None:
    for path in (landing / "orders" / f"date={day}").iterdir():
        lines = path.read_text().split("\n", 1)
        path.write_text(lines[0].replace('"amount"', '"amt"') + "\n" + lines[1])


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """Every day loaded and judged in one range run; the last is a volume spike whose
    files also lost their ``amount`` column (held and drifting)."""
    tmp = tmp_path_factory.mktemp("held_drift")
    landing = tmp / "landing"
    generate(
        landing, START, DAYS, 200, seed=7, anomalies={dt.date.fromisoformat(SPIKE): "volume_spike"}
    )
    _rename_amount(landing, SPIKE)
    defs, job = local_platform(landing, tmp, START)
    with WebhookServer() as server, local_instance() as instance:
        resources = sensor_resources(landing, server.url)
        sensor = defs.resolve_sensor_def(SENSOR_NAME)
        # The daemon ticks every sensor: the run-failure sensor sees the blocked run too.
        failures = defs.resolve_sensor_def(RUN_FAILURE_SENSOR)

        def tick(cursor):
            with dg.build_sensor_context(
                instance=instance, cursor=cursor, definitions=defs, resources=resources
            ) as context:
                return sensor(context).cursor

        def tick_failures(cursor):
            context = dg.build_sensor_context(
                instance=instance,
                cursor=cursor,
                resources={"alert_webhook": resources["alert_webhook"]},
            )
            return failures.evaluate_tick(context).cursor

        cursor, failures_cursor = tick(None), tick_failures(None)
        loaded = job.execute_in_process(
            instance=instance,
            asset_selection=[RAW_ORDERS],
            tags=range_tags(START, dt.date.fromisoformat(SPIKE)),
            raise_on_error=False,
        )
        cursor = tick(cursor)
        tick_failures(failures_cursor)
        yield instance, job, loaded, list(server.posts), SensorState.from_json(cursor)


def test_the_day_is_held_and_fails_schema_drift(platform):
    _, _, loaded, _, state = platform
    failed = {
        (e.asset_check_key, e.partition)
        for e in loaded.get_asset_check_evaluations()
        if not e.passed
    }
    assert failed == {(CHECK_KEY, SPIKE), (DRIFT_KEY, SPIKE)}
    assert list(state.held) == [SPIKE]


def test_the_held_day_is_one_post_naming_both_reasons(platform):
    """The held alert names the hold and the drift, and what to do; the run-failure
    sensor, which sees the same blocked run, leaves the day to it (a second post said the
    day was held and pointed at the first)."""
    _, _, _, posts, _ = platform
    assert len(posts) == 1, [post["text"] for post in posts]
    (post,) = posts
    assert "held by metadata_anomaly" in post["text"] and "schema_drift" in post["text"]


def test_the_held_alert_says_fix_the_files_first_not_release(platform):
    _, _, _, posts, _ = platform
    (post,) = posts
    assert f"{SPIKE} also fail(s) schema_drift: fix the landing files first" in post["text"]
    section = post["blocks"][-1]["text"]["text"]
    assert section.startswith(f"*{SPIKE}*")
    assert "→ Also fails schema_drift (Schema drift: " in section
    assert "missing_required amount" in section
    assert FIX_LANDING_FILES in section
    assert "Release after review" not in section and "--config-json" not in section


def test_the_run_alerts_leave_the_day_to_the_held_alert(platform):
    """Both reasons of the held day are the held alert's. The range's other days passed,
    so the run went on without it (it succeeded) and the left-out alert keeps none for its
    own post; a run stopped by the day alone is described the same way by the run-failure
    sensor."""
    instance, _, loaded, _, _ = platform
    assert loaded.success
    run = instance.get_run_by_id(loaded.run_id)
    left_out = blocked_checks(failed_blocking_evaluations(instance, run.run_id, left_out=True))
    assert {(c.partition, c.check) for c in left_out} == {
        (SPIKE, "metadata_anomaly"),
        (SPIKE, "schema_drift"),
    }
    assert failed_blocking_evaluations(instance, run.run_id) == []
    assert left_out_checks(instance, run.run_id) == ()
    failure = describe_run_failure(run, [], None, left_out)
    assert failure.held_days == [SPIKE] and failure.other_blocked == ()


def test_the_listing_says_so_too(platform):
    instance, _, _, _, _ = platform
    (held,) = held_partitions(instance)
    assert held.partition == SPIKE and "missing_required amount" in held.schema_drift
    table = format_table([held], ".venv/bin/dg")
    assert "also fails schema_drift (Schema drift: " in table and FIX_LANDING_FILES in table
    assert "release:" not in table


def test_a_release_indeed_publishes_nothing_while_schema_drift_fails(platform):
    """The reason the release is not offered: the released run is still blocked."""
    instance, job, _, _, _ = platform
    release = {"ops": {CHECK_OP_NAME: {"config": {"release": True, "reason": "promotion"}}}}
    result = job.execute_in_process(
        instance=instance, partition_key=SPIKE, run_config=release, raise_on_error=False
    )
    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    assert evaluations[CHECK_KEY].passed and not evaluations[DRIFT_KEY].passed
    materialized = {m.materialization.asset_key for m in result.get_asset_materialization_events()}
    assert CLEANED_ORDERS not in materialized


def test_a_held_day_without_drift_keeps_its_release():
    _, blocks = held_message([HeldNotice("2025-03-01", "anomalous: test", 0.7)])
    assert "Release after review" in blocks[-1]["text"]["text"]


def test_make_run_lists_the_fix_for_a_drifting_held_day(capsys):
    held = {
        day: FailedCheck("metadata_anomaly", "raw_orders", day, "anomalous: test", {})
        for day in ("2025-03-01", "2025-03-02")
    }
    report_held(held, "/h", {"2025-03-02": "Schema drift: missing_required amount"})
    out = capsys.readouterr().out
    assert "--partition 2025-03-01 " in out and "--partition 2025-03-02 " not in out
    assert "also fails schema_drift (Schema drift: missing_required amount)" in out


def _judge(instance, run_id: str, day: str, check: dg.AssetCheckKey, description: str) -> None:
    """A failed (ERROR, blocking) evaluation of ``check`` on ``day`` in run ``run_id``."""
    from dagster._core.events import DagsterEvent, DagsterEventType

    evaluation = dg.AssetCheckEvaluation(
        asset_key=RAW_ORDERS,
        check_name=check.name,
        passed=False,
        partition=day,
        description=description,
        severity=dg.AssetCheckSeverity.ERROR,
        blocking=True,
    )
    event = DagsterEvent(
        DagsterEventType.ASSET_CHECK_EVALUATION.value,
        job_name=ALL_ASSETS_JOB,
        event_specific_data=evaluation,
    )
    instance.report_dagster_event(event, run_id=run_id)


@pytest.mark.parametrize("first_tick", [False, True], ids=["later_tick", "first_tick"])
def test_the_alert_waits_for_the_runs_schema_drift_verdict(tmp_path, instance, first_tick):
    """The held day's run has not judged schema_drift yet (its step still to come) when
    the sensor reads the hold: no alert until it has, then the alert names the drift. The
    sensor's first tick (no cursor) waits as a later one does: it alerted at once, offering
    a release that cannot publish the day."""
    from dagster._core.storage.dagster_run import DagsterRunStatus

    from sensors.batching import JobAssets
    from sensors.orders_anomaly import evaluate_tick
    from tests.support.check_history import report_planned

    landing, job = LocalLandingZone(root=str(tmp_path)), JobAssets(frozenset(), frozenset())
    cursor = None if first_tick else evaluate_tick(instance, None, landing, job).state.to_json()
    day = "2025-01-10"
    run = report_planned(instance, [day], DagsterRunStatus.STARTED, checks=[CHECK_KEY, DRIFT_KEY])
    _judge(instance, run.run_id, day, CHECK_KEY, "anomalous: test")
    waiting = evaluate_tick(instance, cursor, landing, job)
    assert waiting.held == [] and day in waiting.state.pending and not waiting.state.held
    _judge(instance, run.run_id, day, DRIFT_KEY, "Schema drift: missing_required amount")
    instance.report_run_failed(instance.get_run_by_id(run.run_id))
    (notice,) = evaluate_tick(instance, waiting.state.to_json(), landing, job).held
    assert notice.schema_drift == "Schema drift: missing_required amount"
