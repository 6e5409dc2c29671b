"""A held day whose landing zone moves to another ORDERS_LANDING_URI, its files kept.

Every day's landing fingerprint digests full paths, so it differs at the new location;
orders_anomaly_sensor tells the same files (name, size, version: ``landing_files`` in the
metadata_anomaly evaluation) from corrected ones, and runs the day again only for the
latter. On the pipeline's shape with a verdict the test sets (tests/support/sensor_graph.py).
"""

import datetime as dt
import shutil

import dagster as dg

from sensors.orders_anomaly import SensorState
from tests.support.fixture_data import day_dir
from tests.support.sensor_graph import DAYS, Daemon, build_graph

HELD = DAYS[4]


def test_a_held_day_in_a_moved_zone_is_not_run_again_until_its_files_change(tmp_path):
    first_zone, moved_zone = tmp_path / "zone", tmp_path / "moved"
    folder = day_dir(first_zone, dt.date.fromisoformat(HELD))
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("order_id\nA1\n")
    instance = dg.DagsterInstance.ephemeral()
    daemon = Daemon(build_graph({HELD}, str(first_zone)), instance)
    assert daemon.tick() == []
    assert not daemon.run_day(HELD).success
    assert daemon.tick() == []
    assert HELD in SensorState.from_json(daemon.cursor).held

    shutil.copytree(first_zone, moved_zone)  # copy2: names, sizes and mtimes kept
    moved = Daemon(build_graph({HELD}, str(moved_zone)), instance)
    moved.cursor = daemon.cursor
    assert moved.tick() == [], "the same files elsewhere were judged already"
    assert moved.tick() == []
    assert HELD in SensorState.from_json(moved.cursor).held

    (day_dir(moved_zone, dt.date.fromisoformat(HELD)) / "a.csv").write_text("order_id\nA2\n")
    (refresh,) = moved.tick()
    assert refresh.partition_key == HELD
