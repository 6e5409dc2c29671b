"""Landing entries that belong to no day (a file directly under ``orders/``, a folder that
names no day, a linked folder, a folder of a day before the first partition): no day's
run reads them, so orders_landing_sensor names them on every tick and alerts once when
they change, while the days around them load as usual."""

import datetime as dt

import dagster as dg
import pytest

from orders_platform.definitions import build_definitions
from platform_assets.partitions import daily_partitions
from resources.alerts import AlertWebhook
from resources.landing import (
    NOT_A_DAY,
    OUTSIDE_DAYS,
    SYMLINK_INSIDE,
    LocalLandingZone,
    partition_days,
)
from resources.settings import PlatformSettings
from sensors.batching import JobAssets
from sensors.landing import SENSOR_NAME, evaluate_landing
from tests.support.fixture_data import DAY1, DAY2, day_dir, order, write_csv
from tests.support.requests import requested_days
from tests.support.webhook_server import WebhookServer

PARTITIONS = daily_partitions("2025-01-01")
JOB = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)
ROW = [order("C9", "zoe", "2025-01-02T08:00:00Z", "5.00")]
# Each entry no day reads, by its name relative to the landing root, and why.
OUTSIDE = {
    "orders/stray.csv": OUTSIDE_DAYS,
    "orders/date=2026-13-45/": NOT_A_DAY,
    "orders/Date=2025-01-02/": NOT_A_DAY,
    "orders/dt=2025-01-02/": NOT_A_DAY,
    "orders/date=2024-12-31/": "names a day before the first partition day 2025-01-01",
}


def land_outside(root) -> None:
    write_csv(root / "orders" / "stray.csv", ROW)
    for folder in ("date=2026-13-45", "Date=2025-01-02", "dt=2025-01-02", "date=2024-12-31"):
        (root / "orders" / folder).mkdir()
        write_csv(root / "orders" / folder / "part-000.csv", ROW)


def tick(instance, zone, cursor=None):
    return evaluate_landing(instance, cursor, zone, PARTITIONS, 7, JOB)


def named(result) -> dict[str, str]:
    return {entry.name: entry.reason for entry in result.outside_days}


def test_each_entry_outside_the_days_is_named_and_the_days_still_load(instance, landing):
    root, _ = landing
    land_outside(root)
    zone = LocalLandingZone(root=str(root))
    first = tick(instance, zone)
    assert set(named(first)) == set(OUTSIDE)
    for name, reason in OUTSIDE.items():
        assert named(first)[name].startswith(reason), name
    assert all(f"{name} {named(first)[name]}" in first.decisions[0] for name in OUTSIDE)
    assert first.alert and first.alert.endswith(first.decisions[0])
    days = [day for request in first.run_requests for day in requested_days(request)]
    assert days == [DAY1.isoformat(), DAY2.isoformat()], "no day of the fixture is held back"


def test_the_alert_is_sent_once_per_change_and_the_tick_names_them_while_there(instance, landing):
    root, _ = landing
    zone = LocalLandingZone(root=str(root))
    assert tick(instance, zone).outside_days == []
    land_outside(root)
    first = tick(instance, zone)
    again = tick(instance, zone, first.cursor)
    assert again.alert is None and again.decisions[0] == first.decisions[0]
    write_csv(root / "orders" / "another.csv", ROW)
    changed = tick(instance, zone, again.cursor)
    assert changed.alert and "orders/another.csv" in changed.alert
    for path in root.joinpath("orders").glob("*.csv"):
        path.unlink()
    fewer = tick(instance, zone, changed.cursor)
    assert fewer.alert and "stray.csv" not in fewer.alert
    for folder in ("date=2026-13-45", "Date=2025-01-02", "dt=2025-01-02", "date=2024-12-31"):
        (root / "orders" / folder / "part-000.csv").unlink()
        (root / "orders" / folder).rmdir()
    clean = tick(instance, zone, fewer.cursor)
    assert clean.outside_days == [] and clean.alert is None
    assert not any("outside the days" in decision for decision in clean.decisions)
    land_outside(root)
    assert tick(instance, zone, clean.cursor).alert, "back again: alerted again"


def test_a_linked_folder_under_orders_is_named(instance, landing, tmp_path):
    root, _ = landing
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_csv(elsewhere / "part-000.csv", ROW)
    (root / "orders" / "date=2025-01-04").symlink_to(elsewhere, target_is_directory=True)
    (root / "orders" / "date=2025-01-05").symlink_to(day_dir(root, DAY2), target_is_directory=True)
    result = named(tick(instance, LocalLandingZone(root=str(root))))
    assert result["orders/date=2025-01-04"] == "resolves outside the landing root"
    assert result["orders/date=2025-01-05"] == SYMLINK_INSIDE


def test_the_sensor_logs_and_posts_the_alert(instance, settings, landing):
    root, _ = landing
    land_outside(root)
    defs = build_definitions(settings)
    with WebhookServer() as server:
        resources = {**defs.resources, "alert_webhook": AlertWebhook(url=server.url)}
        with dg.build_sensor_context(
            instance=instance, definitions=defs, resources=resources
        ) as context:
            result = defs.get_sensor_def(SENSOR_NAME)(context)
        with dg.build_sensor_context(
            instance=instance, cursor=result.cursor, definitions=defs, resources=resources
        ) as context:
            quiet = defs.get_sensor_def(SENSOR_NAME)(context)
    (post,) = server.posts
    assert post["text"].startswith("orders landing zone: 5 landing entries outside")
    assert all(name in post["text"] for name in OUTSIDE)
    assert result.run_requests, "the fixture's days are still loaded"
    assert "outside the days' folders" in quiet.skip_reason.skip_message, (
        "every tick names them in the UI"
    )


def test_a_name_outside_the_days_cannot_forge_a_line_of_the_log_or_alert(instance, landing):
    # The tick's text is logged and posted as one line per tick: a file named with a line
    # break wrote a second log line of its own choosing, under the dagster prefix.
    root, _ = landing
    forged = "evil\n2025-01-02 08:00:00 +0000 - dagster - INFO - all days loaded.csv"
    write_csv(root / "orders" / forged, ROW)
    write_csv(root / "orders" / "stray\r.csv", ROW)
    result = tick(instance, LocalLandingZone(root=str(root)))
    assert "\n" not in result.alert and "\r" not in result.alert
    assert "orders/evil\\n2025-01-02 08:00:00 +0000 - dagster - INFO" in result.alert
    assert "orders/stray\\r.csv is a file outside" in result.alert
    assert result.alert.endswith(result.decisions[0])


@pytest.mark.parametrize("spelling", ["date=2025-01-02", "date=20250102"])
def test_a_day_folder_is_not_named_outside(instance, landing, spelling):
    """A day's folder (a misnamed one included: its day's run refuses it) is a day's."""
    root, _ = landing
    (root / "orders" / spelling).mkdir(exist_ok=True)
    assert tick(instance, LocalLandingZone(root=str(root))).outside_days == []


def test_only_the_days_that_are_partitions_are_listed_and_loaded(instance, landing):
    """The sensor lists Dagster's partition keys once a tick (resources.landing.
    partition_days), not has_partition_key once per folder: the days it keeps are still
    exactly those Dagster has, the first day in, the day before it and today (whose
    partition comes tomorrow) out."""
    root, _ = landing
    today = dt.datetime.now(dt.UTC).date()
    first = dt.date(2025, 1, 1)
    around = [first - dt.timedelta(days=1), first, today - dt.timedelta(days=1), today]
    days = sorted({*around, DAY1, DAY2, today + dt.timedelta(days=1)})
    assert partition_days([*reversed(days), DAY1], PARTITIONS) == [
        day for day in [*reversed(days), DAY1] if PARTITIONS.has_partition_key(day.isoformat())
    ]
    for day in days:
        write_csv(day_dir(root, day) / "part-000.csv", ROW)
    result = tick(instance, LocalLandingZone(root=str(root)))
    requested = {day for request in result.run_requests for day in requested_days(request)}
    assert requested == {
        day.isoformat() for day in days if PARTITIONS.has_partition_key(day.isoformat())
    }
    assert (
        first.isoformat() in requested and (today - dt.timedelta(days=1)).isoformat() in requested
    )
    assert today.isoformat() not in requested
