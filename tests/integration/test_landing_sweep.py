"""orders_landing_sensor's sweep (sensors/landing_sweep.py): files added, removed or
rewritten in a day older than the lookback are loaded on a sweep tick; a landing zone
moved or copied (every fingerprint differs) is alerted once, never reloaded on its own.

The sweep's decisions are tested on materializations reported straight into the
instance; one test runs the real pipeline and compares the warehouse with a fresh build.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.partitions import daily_partitions
from resources.alerts import AlertWebhook
from resources.instance_history import CHECK_NAME, FILES_FINGERPRINT, FINGERPRINT, RAW_ORDERS
from resources.landing import LandingFileInfo, LocalLandingZone, files_fingerprint, fingerprint
from resources.settings import PlatformSettings
from sensors.batching import JobAssets
from sensors.landing import SENSOR_NAME, evaluate_landing
from sensors.landing_sweep import mass_bound
from tests.support.batching import ALL_TABLES
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums
from tests.support.requests import execute_request, requested_days
from tests.support.webhook_server import WebhookServer

START = dt.date(2025, 1, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(40)]
NEWEST = DAYS[-1]
# A day well outside the lookback (7): 30 days before the newest.
OLD = NEWEST - dt.timedelta(days=30)
PARTITIONS = daily_partitions(START.isoformat())
JOB = JobAssets.of(build_definitions(PlatformSettings(partitions_start=START.isoformat())).assets)
LOOKBACK = 7


def land(root: Path) -> None:
    """Forty days of twenty orders each, amounts and customers varying a little."""
    for i, day in enumerate(DAYS):
        write_csv(
            day_dir(root, day) / "part-000.csv",
            [
                order(
                    f"o-{i}-{k}",
                    f"c{(i + k) % 11}",
                    f"{day.isoformat()}T{k % 24:02d}:15:00Z",
                    f"{10 + (i * 7 + k * 3) % 13}.50",
                )
                for k in range(20)
            ],
        )


def add_late_file(root: Path, day: dt.date = OLD) -> None:
    write_csv(
        day_dir(root, day) / "late-000.csv",
        [order(f"late-{day.isoformat()}", "c3", f"{day.isoformat()}T21:00:00Z", "12.50")],
    )


@pytest.fixture
def zone(tmp_path) -> LocalLandingZone:
    land(tmp_path / "landing")
    return LocalLandingZone(root=str(tmp_path / "landing"))


def report_loads(instance, zone: LocalLandingZone, days=DAYS, earlier_release=False) -> None:
    """Record a raw_orders load of each day's current files (as an earlier release
    recorded it: without orders/landing_files)."""
    for day in days:
        files = zone.list_day(day)
        metadata = {FINGERPRINT: fingerprint(files)}
        if not earlier_release:
            metadata[FILES_FINGERPRINT] = files_fingerprint(files)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key=RAW_ORDERS, partition=day.isoformat(), metadata=metadata
            )
        )


def tick(instance, zone, cursor, sweep_ticks=1):
    return evaluate_landing(
        instance, cursor, zone, PARTITIONS, LOOKBACK, JOB, sweep_ticks=sweep_ticks
    )


def loaded(instance, zone) -> str:
    """The cursor of a tick after every day was loaded (no sweep yet)."""
    report_loads(instance, zone)
    first = tick(instance, zone, None, sweep_ticks=0)
    assert not tick(instance, zone, first.cursor, sweep_ticks=0).run_requests
    return first.cursor


def days_of(result) -> list[str]:
    return [day for request in result.run_requests for day in requested_days(request)]


def sensor_tick(defs: dg.Definitions, instance, cursor: str | None, resources: dict):
    """One evaluation of the real orders_landing_sensor of ``defs``."""
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=resources
    ) as context:
        return defs.get_sensor_def(SENSOR_NAME)(context)


def test_a_file_added_to_an_old_day_is_loaded_and_the_warehouse_equals_a_fresh_build(
    tmp_path,
):
    """A late file 30 days back: the lookback's ticks never list it; the sweep tick loads
    the day (and the customer tables, once), and the tables equal a fresh run of the final
    landing zone. Before the sweep its order was missing from the warehouse for ever."""
    landing = tmp_path / "landing"
    land(landing)
    settings = PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(tmp_path / "sensor.duckdb"),
        partitions_start=START.isoformat(),
        landing_sweep_ticks=3,
    )
    defs = build_definitions(settings)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    cursor = None
    with local_instance() as instance:

        def ticked() -> list[str]:
            nonlocal cursor
            result = sensor_tick(defs, instance, cursor, defs.resources)
            cursor = result.cursor
            for request in result.run_requests or []:
                assert execute_request(job, instance, request, SENSOR_NAME).success
            return [day for r in result.run_requests or [] for day in requested_days(r)]

        assert len(ticked()) == len(DAYS)  # the first load, then the customer tables
        ticked()
        assert ticked() == [], "the first sweep finds every day as loaded"
        add_late_file(landing)
        assert ticked() == [] and ticked() == [], "the lookback's ticks do not list the day"
        assert ticked() == [OLD.isoformat()], "the sweep tick loads it, downstream in the run"
        assert [ticked() for _ in range(3)] == [[], [], []], "and never again"
        swept = table_checksums(settings.duckdb_path, ALL_TABLES)
    fresh = replace(settings, duckdb_path=str(tmp_path / "fresh.duckdb"))
    with local_instance() as instance:
        assert run_range(fresh, instance, START.isoformat(), NEWEST.isoformat()).success
    assert swept == table_checksums(fresh.duckdb_path, ALL_TABLES)


def test_only_sweep_ticks_list_every_day_and_query_the_instance(instance, zone):
    """The lookback's ticks cost what they did (a listing of 7 days, no instance query on
    a quiet tick); every 4th tick lists every day once and reads their loads in two
    queries."""
    cursor = loaded(instance, zone)
    storage = instance.event_log_storage
    with (
        mock.patch.object(
            LocalLandingZone, "scan_day", autospec=True, side_effect=LocalLandingZone.scan_day
        ) as listed,
        mock.patch.object(
            type(storage),
            "get_latest_storage_id_by_partition",
            autospec=True,
            side_effect=type(storage).get_latest_storage_id_by_partition,
        ) as latest,
        mock.patch.object(
            type(storage),
            "fetch_materializations",
            autospec=True,
            side_effect=type(storage).fetch_materializations,
        ) as fetched,
    ):
        costs = []
        for _ in range(8):
            result = tick(instance, zone, cursor, sweep_ticks=4)
            cursor = result.cursor
            assert result.run_requests == []
            costs.append((listed.call_count, latest.call_count, fetched.call_count))
            for counter in (listed, latest, fetched):
                counter.reset_mock()
    quiet = (LOOKBACK, 0, 0)
    sweep = (len(DAYS), 1, 1)
    # the cursor has counted one tick: the 4th and 8th ticks are the 3rd and 7th here
    assert costs == [quiet, quiet, sweep, quiet, quiet, quiet, sweep, quiet]


def test_the_sweep_reloads_changed_removed_and_gone_old_days_once(instance, zone, tmp_path):
    cursor = loaded(instance, zone)
    root = Path(zone.root)
    add_late_file(root, OLD)
    (day_dir(root, DAYS[5]) / "part-000.csv").unlink()
    shutil.rmtree(day_dir(root, DAYS[3]))
    result = tick(instance, zone, cursor)
    assert days_of(result) == sorted(d.isoformat() for d in (DAYS[3], DAYS[5], OLD))
    assert f"{DAYS[3].isoformat()}: folder gone (sweep), load" in result.decisions
    assert f"{OLD.isoformat()}: files changed (sweep), load" in result.decisions
    assert result.sweep_alert is None
    again = tick(instance, zone, result.cursor)
    assert again.run_requests == [], "requested, not loaded yet: not requested twice"
    report_loads(instance, zone, [DAYS[5], OLD])
    report_loads(instance, zone, [DAYS[3]])
    assert tick(instance, zone, again.cursor).run_requests == []


def test_a_held_old_day_is_left_to_the_anomaly_sensor(instance, zone):
    cursor = loaded(instance, zone)
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS, check_name=CHECK_NAME, passed=False, partition=OLD.isoformat()
        )
    )
    add_late_file(Path(zone.root))
    result = tick(instance, zone, cursor)
    assert result.run_requests == []
    assert f"{OLD.isoformat()}: files changed but held; orders_anomaly_sensor" in result.decisions


def test_up_to_the_bound_old_days_are_reloaded_beyond_it_none(instance, zone):
    cursor = loaded(instance, zone)
    older = [d for d in DAYS if d < NEWEST - dt.timedelta(days=LOOKBACK)]
    bound = mass_bound(LOOKBACK, len(older))
    assert bound == LOOKBACK
    for day in older[:bound]:
        add_late_file(Path(zone.root), day)
    assert len(days_of(tick(instance, zone, cursor))) == bound
    add_late_file(Path(zone.root), older[bound])
    result = tick(instance, zone, cursor)
    assert result.run_requests == []
    assert result.sweep_alert is not None
    assert f"{bound + 1} loaded days ({older[0].isoformat()}, " in result.sweep_alert
    assert (
        f"dg launch --assets 'raw_orders*' --partition-range {older[0].isoformat()}"
        f"...{older[bound].isoformat()}" in result.sweep_alert
    )


def test_a_zone_copied_to_a_new_uri_requests_nothing_and_alerts_once(instance, zone, tmp_path):
    """The landing zone copied with its files' modification times to another
    ORDERS_LANDING_URI: every day's fingerprint differs (it digests the full path). No day
    is loaded again, the lookback's neither; the sensor logs and posts one alert."""
    report_loads(instance, zone)
    copy = tmp_path / "moved"
    shutil.copytree(zone.root, copy)
    settings = PlatformSettings(
        landing_uri=str(copy),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start=START.isoformat(),
        landing_sweep_ticks=2,
    )
    defs = build_definitions(settings)
    with WebhookServer() as server:
        resources = {**defs.resources, "alert_webhook": AlertWebhook(url=server.url)}
        # the sensor's cursor from before the move: every day seen at the old location
        cursor = tick(instance, zone, None, sweep_ticks=0).cursor
        for _ in range(6):
            result = sensor_tick(defs, instance, cursor, resources)
            assert not result.run_requests
            cursor = result.cursor
    (post,) = server.posts
    older = [d.isoformat() for d in DAYS if d < NEWEST - dt.timedelta(days=LOOKBACK - 1)]
    assert post["text"].startswith(f"orders landing sweep: {len(older)} loaded days (")
    assert "ORDERS_LANDING_URI points at a moved or copied landing zone" in post["text"]
    assert f"--partition-range {older[0]}...{older[-1]}" in post["text"]
    assert json.loads(cursor)["sweep"]["requested"] == {}


@pytest.mark.parametrize("how", ["new modification times", "loaded by an earlier release"])
def test_a_copy_the_sweep_cannot_tell_from_changed_files_reloads_nothing_old(
    instance, zone, tmp_path, how
):
    """Copied with new modification times, or loaded before orders/landing_files: every
    day differs as if its files changed. The lookback's days load again (as before the
    sweep); the older ones are named in one alert, never requested."""
    report_loads(instance, zone, earlier_release=how == "loaded by an earlier release")
    cursor = tick(instance, zone, None, sweep_ticks=0).cursor
    copy = tmp_path / "copy"
    if how == "new modification times":
        shutil.copytree(zone.root, copy, copy_function=shutil.copyfile)
    else:
        shutil.copytree(zone.root, copy)
    moved = LocalLandingZone(root=str(copy))
    result = tick(instance, moved, cursor)
    lookback = [d.isoformat() for d in DAYS[-LOOKBACK:]]
    assert days_of(result) == lookback
    older = [d.isoformat() for d in DAYS[:-LOOKBACK]]
    assert not set(days_of(result)) & set(older)
    assert result.sweep_alert is not None
    assert f"{len(older)} loaded days ({older[0]}, " in result.sweep_alert
    assert "nothing requested" in result.sweep_alert
    assert f"--partition-range {older[0]}...{older[-1]}" in result.sweep_alert
    later = tick(instance, moved, result.cursor)
    assert later.sweep_alert is None and not set(days_of(later)) & set(older)


def test_a_file_name_that_is_not_utf8_has_a_files_fingerprint():
    """A landed name that is not UTF-8 comes from the listing with its bytes escaped
    (surrogateescape, as os.listdir gives it): raw_orders failed digesting it for
    orders/landing_files (UnicodeEncodeError) and loaded no day of its run."""
    name = b"caf\xe9.csv".decode("utf-8", "surrogateescape")
    file = LandingFileInfo(f"file:///landing/{name}", name, 10, "1")
    other = replace(file, name="cafe.csv")
    assert files_fingerprint([file]) == files_fingerprint([replace(file, uri="file:///b")])
    assert files_fingerprint([file]) != files_fingerprint([other])
