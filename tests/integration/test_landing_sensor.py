"""orders_landing_sensor on the 3-day fixture landing zone, with materializations reported
straight into a temp instance (no pipeline runs)."""

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from orders_core import tables
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.partitions import daily_partitions
from resources.instance_history import CHECK_NAME, FINGERPRINT, RAW_ORDERS
from resources.landing import LocalLandingZone, fingerprint
from resources.settings import PlatformSettings
from sensors.batching import JobAssets
from sensors.landing import SENSOR_NAME, candidate_days, evaluate_landing
from tests.support.check_history import report_planned, report_verdict
from tests.support.fixture_data import DAY1, DAY2, DAY3, day_dir, order, write_csv
from tests.support.requests import execute_request, requested_days

PARTITIONS = daily_partitions("2025-01-01")
CUSTOMER_METRICS, CUSTOMER_CLV, DIM_CUSTOMERS = (
    dg.AssetKey(t.key) for t in (tables.CUSTOMER_METRICS, tables.CUSTOMER_CLV, tables.DIM_CUSTOMERS)
)
JOB = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)


@pytest.fixture
def zone(landing) -> LocalLandingZone:
    """The fixture's three days, day 3 (empty in the fixture) with one file landed."""
    root, _ = landing
    write_csv(
        day_dir(root, DAY3) / "part-000.csv",
        [order("C1", "erin", "2025-01-03T08:00:00Z", "12.00")],
    )
    return LocalLandingZone(root=str(root))


def materialize(instance, zone: LocalLandingZone, day) -> None:
    """Record a raw_orders load of the day's current files."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=RAW_ORDERS,
            partition=day.isoformat(),
            metadata={FINGERPRINT: fingerprint(zone.list_day(day))},
        )
    )


def tick(instance, zone, cursor=None, lookback_days=7, max_new_days=400):
    return evaluate_landing(instance, cursor, zone, PARTITIONS, lookback_days, JOB, max_new_days)


def keys(result) -> list[str]:
    """The days the tick's requests load, in order (a range run counts each of its days)."""
    return [day for request in result.run_requests for day in requested_days(request)]


def test_new_days_are_loaded_once(instance, zone):
    first = tick(instance, zone)
    assert keys(first) == [DAY1.isoformat(), DAY2.isoformat(), DAY3.isoformat()]
    (request,) = first.run_requests
    assert request.run_key.startswith(f"{DAY1.isoformat()}...{DAY3.isoformat()}:")
    assert request.asset_selection is None, "one run: every asset, downstream included"
    assert tick(instance, zone, first.cursor).run_requests == []


def test_a_landing_zone_that_is_not_there_is_named_and_loads_nothing(instance, zone, tmp_path):
    """A mistyped ORDERS_LANDING_URI (or a clone before `make run` made data/landing) said
    "no new or changed landing files", and the days it had seen were requested again as
    emptied, each run failing in raw_orders."""
    seen = tick(instance, zone)
    missing = LocalLandingZone(root=str(tmp_path / "no-such-landing"))
    for cursor in (None, seen.cursor):
        result = tick(instance, missing, cursor)
        assert result.run_requests == []
        assert result.cursor == (cursor or "")
        (decision,) = result.decisions
        assert decision.startswith(
            f"nothing requested: the landing zone {tmp_path / 'no-such-landing'}"
            " is not a directory (ORDERS_LANDING_URI)"
        )
    assert keys(tick(instance, zone, seen.cursor)) == []


def test_days_already_loaded_with_the_same_files_are_skipped(instance, zone):
    materialize(instance, zone, DAY1)
    assert keys(tick(instance, zone)) == [DAY2.isoformat(), DAY3.isoformat()]


def test_a_late_file_requests_the_day_again_with_a_new_run_key(instance, zone, landing):
    for day in (DAY1, DAY2, DAY3):
        materialize(instance, zone, day)
    quiet = tick(instance, zone)
    assert quiet.run_requests == []
    (day_dir(landing[0], DAY2) / "late-000.csv").write_text(
        "order_id,customer_id,order_ts,amount,currency\nL1,zoe,2025-01-02T23:00:00Z,9.00,EUR\n"
    )
    (request,) = tick(instance, zone, quiet.cursor).run_requests
    assert request.partition_key == DAY2.isoformat()
    # the files, then the raw_orders materialization the run replaces
    assert request.run_key.startswith(f"{DAY2.isoformat()}:{fingerprint(zone.list_day(DAY2))}~")


def test_files_going_back_to_an_earlier_state_get_a_run_key_never_used(instance, zone, tmp_path):
    """The daemon skips a request whose run key the sensor used before: a file moved out
    and back (its mtime kept; on S3, the same content re-uploaded keeps its ETag) brings
    back an earlier fingerprint, and a key of the files alone left the other state
    loaded, silently."""
    parquet = day_dir(Path(zone.root), DAY2) / "part-001.parquet"
    cursor, used = None, set()
    for step in ("load", "out", "back", "out", "back"):
        if step == "out":
            parquet.rename(tmp_path / parquet.name)
        elif step == "back":
            (tmp_path / parquet.name).rename(parquet)
        result = tick(instance, zone, cursor)
        cursor = result.cursor
        expected = [DAY1, DAY2, DAY3] if step == "load" else [DAY2]
        assert keys(result) == [day.isoformat() for day in expected], step
        for request in result.run_requests:
            assert request.run_key not in used, (step, request.run_key)
            used.add(request.run_key)
        for day in expected:  # the run loads the day's files
            materialize(instance, zone, day)


def test_a_watched_day_whose_folder_is_gone_is_loaded_again_once(instance, zone, landing):
    """Its files withdrawn (on S3 the day's prefix goes with its last file): the day is
    loaded again with no files, so what they published is withdrawn too."""
    import shutil

    for day in (DAY1, DAY2, DAY3):
        materialize(instance, zone, day)
    quiet = tick(instance, zone)
    shutil.rmtree(day_dir(landing[0], DAY2))

    gone = tick(instance, zone, quiet.cursor)

    (request,) = gone.run_requests
    assert request.partition_key == DAY2.isoformat()
    assert request.run_key.startswith(f"{DAY2.isoformat()}:{fingerprint([])}~")
    assert f"{DAY2.isoformat()}: folder gone, load" in gone.decisions
    assert tick(instance, zone, gone.cursor).run_requests == []


def test_a_folder_gone_before_the_first_tick_is_loaded_again_once(instance, zone, landing):
    """Days run by hand before the sensor was on (a first backfill), then a folder among
    them withdrawn: the first tick has no cursor that saw it, and the day kept what its
    files had published (hunt 73)."""
    for day in (DAY1, DAY2, DAY3):
        materialize(instance, zone, day)
    shutil.rmtree(day_dir(landing[0], DAY2))

    first = tick(instance, zone)

    (request,) = first.run_requests
    assert request.partition_key == DAY2.isoformat()
    assert f"{DAY2.isoformat()}: folder gone, load" in first.decisions
    materialize(instance, zone, DAY2)  # the run loads no file
    assert tick(instance, zone, first.cursor).run_requests == []
    assert tick(instance, zone).run_requests == []  # a first tick again: loaded as gone


def test_held_days_are_left_to_the_anomaly_sensor(instance, zone, landing):
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS,
            check_name=CHECK_NAME,
            passed=False,
            partition=DAY3.isoformat(),
        )
    )
    result = tick(instance, zone)
    assert keys(result) == [DAY1.isoformat(), DAY2.isoformat()]
    assert any("held" in d and DAY3.isoformat() in d for d in result.decisions)


def test_a_held_day_stays_left_while_the_anomaly_sensors_rerun_of_it_is_queued(instance, zone):
    """The anomaly sensor, ticking first, requested a run of a held day whose files changed:
    that run's planned evaluation is the day's latest, still unjudged. The landing sensor
    must not load the day a second time (it did: both sensors ran the whole graph)."""
    from dagster._core.events import DagsterEvent, DagsterEventType

    report_verdict(instance, DAY3.isoformat(), passed=False)
    run = report_planned(instance, [DAY3.isoformat()])
    result = tick(instance, zone)
    assert keys(result) == [DAY1.isoformat(), DAY2.isoformat()]
    assert any("held" in d and DAY3.isoformat() in d for d in result.decisions)

    # That run failing before it judged the day leaves the day held (devtools.held names
    # the run to re-execute): still the anomaly sensor's, not loaded a second time here.
    instance.handle_run_event(
        run.run_id,
        DagsterEvent(event_type_value=DagsterEventType.RUN_FAILURE.value, job_name=ALL_ASSETS_JOB),
    )
    assert DAY3.isoformat() not in keys(tick(instance, zone))


def test_cost_is_bounded_by_the_lookback_and_the_new_day_cap(instance, zone, landing):
    first = tick(instance, zone, lookback_days=1, max_new_days=2)
    assert keys(first) == [DAY1.isoformat(), DAY2.isoformat()]
    second = tick(instance, zone, first.cursor, lookback_days=1, max_new_days=2)
    assert keys(second) == [DAY3.isoformat()]
    assert set(json.loads(second.cursor)["seen"]) == {DAY3.isoformat()}
    (day_dir(landing[0], DAY1) / "late-000.csv").write_text("order_id\nX\n")
    assert tick(instance, zone, second.cursor, lookback_days=1).run_requests == []


def test_a_folder_landed_late_for_an_older_day_is_loaded(instance, zone, landing, tmp_path):
    """Files of a day that had none arrive after later days were loaded, outside the
    lookback: the day is loaded once. Never loaded, it also made the anomaly check defer
    every later day whose history window holds it (landed, not loaded), for ever."""
    folder = day_dir(landing[0], DAY2)
    shutil.move(folder, tmp_path / "late")
    first = tick(instance, zone, lookback_days=1)
    assert keys(first) == [DAY1.isoformat(), DAY3.isoformat()]
    for day in (DAY1, DAY3):
        materialize(instance, zone, day)
    quiet = tick(instance, zone, first.cursor, lookback_days=1)
    assert quiet.run_requests == []
    shutil.move(tmp_path / "late", folder)

    late = tick(instance, zone, quiet.cursor, lookback_days=1)

    assert keys(late) == [DAY2.isoformat()]
    assert f"{DAY2.isoformat()}: new, load" in late.decisions
    assert tick(instance, zone, late.cursor, lookback_days=1).run_requests == []


def test_candidate_days_relist_the_lookback_then_new_days():
    days = [DAY1, DAY2, DAY3]
    assert candidate_days(days, None, 1, 10) == days
    assert candidate_days(days, DAY2.isoformat(), 1, 10) == [DAY2, DAY3]


def test_the_sensor_definition_ticks_with_its_resources(instance, settings, zone):
    defs = build_definitions(settings)
    with dg.build_sensor_context(
        instance=instance, definitions=defs, resources=defs.resources
    ) as context:
        result = defs.get_sensor_def(SENSOR_NAME)(context)
    assert keys(result) == [DAY1.isoformat(), DAY2.isoformat(), DAY3.isoformat()]
    assert json.loads(result.cursor)["newest"] == DAY3.isoformat()


def test_days_around_a_held_day_load_apart_and_the_downstream_once(instance, settings, zone):
    """On the real job: DAY1 and DAY3 load in two runs, then customer_clv is fitted once."""
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS, check_name=CHECK_NAME, passed=False, partition=DAY2.isoformat()
        )
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    first = tick(instance, zone)
    assert keys(first) == [DAY1.isoformat(), DAY3.isoformat()]
    assert all(
        not {CUSTOMER_CLV, CUSTOMER_METRICS} & set(r.asset_selection) for r in first.run_requests
    )
    for request in first.run_requests:
        assert execute_request(job, instance, request, SENSOR_NAME).success
    second = tick(instance, zone, first.cursor)
    (downstream,) = second.run_requests
    result = execute_request(job, instance, downstream, SENSOR_NAME)
    assert result.success
    materialized = [e.materialization.asset_key for e in result.get_asset_materialization_events()]
    # the unpartitioned assets, the FX rates reloaded with the customer tables
    fx_rates = dg.AssetKey("fx_rates")
    assert sorted(materialized) == sorted([fx_rates, CUSTOMER_METRICS, CUSTOMER_CLV, DIM_CUSTOMERS])
    assert tick(instance, zone, second.cursor).run_requests == []
    # Replayed from the older cursor, the downstream is now fresher than the runs: no rerun.
    assert tick(instance, zone, first.cursor).run_requests == []
