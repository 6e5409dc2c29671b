"""A run orders_anomaly_sensor requested that is canceled: before it starts (a queued run
terminated), or once metadata_anomaly has judged its days (terminated mid-run).

Not requested again (an engineer stopped it; no run that did not finish is retried
automatically), and nothing is left behind silently: the canceled run is posted by
orders_run_canceled_sensor with how to finish it (re-execute it from failure), and a held
or deferred day it did not judge stays held: `devtools.held` lists it with that run
(docs/anomaly_hold.md, "Range runs"). The graph is tests/support/sensor_graph.py's, driven
by tests/support/sensor_reruns.py.
"""

import datetime as dt
import json

import dagster as dg

from resources.instance_history import failed_partitions
from sensors.orders_anomaly import SensorState
from tests.support.fixture_data import day_dir
from tests.support.requests import requested_days
from tests.support.sensor_graph import DAYS, FCT_ORDERS
from tests.support.sensor_reruns import listed, reexecute_from_failure, watched


def test_a_deferred_days_rerun_canceled_before_it_starts(tmp_path):
    late = DAYS[5]
    for day in DAYS[:6]:
        day_dir(tmp_path, dt.date.fromisoformat(day)).mkdir(parents=True)
    with watched(tmp_path, waits={late: DAYS[:5]}, canceled=True) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_day(late).success
        assert daemon.tick() == []
        assert daemon.run_range(DAYS[:5]).success
        (request,) = daemon.tick()
        assert requested_days(request) == [late]

        canceled = watch.cancel_before_start(request)
        for _ in range(3):
            assert daemon.tick() == [], "the sensor does not ask for a canceled request again"
        assert late in SensorState.from_json(daemon.cursor).deferred
        post = watch.canceled_alert()
        assert late in post["text"] and "canceled" in post["text"]
        assert "Re-execute from failure" in json.dumps(post)
        shown = listed(instance)
        assert late in shown, "the deferred day is still listed by devtools.held"
        assert canceled.run_id[:8] in shown[late] and "CANCELED" in shown[late]
        assert "load first" not in shown[late], "its days are loaded: loading them does nothing"

        run = reexecute_from_failure(instance, canceled.run_id, watch.args)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert daemon.tick() == []
        assert late in instance.get_materialized_partitions(FCT_ORDERS)
        assert not SensorState.from_json(daemon.cursor).deferred
        assert late not in listed(instance)


def test_a_held_days_refresh_canceled_before_it_starts(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,), canceled=True) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_day(held).success
        assert daemon.tick() == []
        folder = day_dir(tmp_path, dt.date.fromisoformat(held))
        folder.mkdir(parents=True)
        (folder / "a.csv").write_text("order_id\nA1\n")  # corrected files
        (refresh,) = daemon.tick()
        canceled = watch.cancel_before_start(refresh)
        for _ in range(3):
            assert daemon.tick() == []
        assert held in SensorState.from_json(daemon.cursor).held
        # Still held for the check (left out of later days' baselines) and the landing sensor.
        assert held in failed_partitions(instance, DAYS)
        shown = listed(instance)
        assert held in shown and canceled.run_id[:8] in shown[held]
        assert "release:" in shown[held]
        post = watch.canceled_alert()
        assert held in post["text"]

        fixed = (*watch.args[:3], "[]")  # the corrected files pass
        assert reexecute_from_failure(instance, canceled.run_id, fixed).is_success
        assert daemon.tick() == []
        assert held in instance.get_materialized_partitions(FCT_ORDERS)
        assert held not in listed(instance)


def test_a_blocked_ranges_rerun_canceled_before_it_starts(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,), canceled=True) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_range(DAYS[:10]).success
        before, after = daemon.tick()
        assert requested_days(before) == DAYS[:4]
        canceled = watch.cancel_before_start(before)
        assert daemon.execute([after])[0].success
        (downstream,) = daemon.tick()  # both runs have finished
        assert daemon.execute([downstream])[0].success
        for _ in range(3):
            assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[5:10])
        post = watch.canceled_alert()  # the days were judged normal: only the alert tells
        assert f"{DAYS[0]}...{DAYS[3]}" in post["text"] and "canceled" in post["text"]
        assert "Re-execute from failure" in json.dumps(post)

        assert reexecute_from_failure(instance, canceled.run_id, watch.args).is_success
        assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[:10]) - {held}


def test_a_blocked_ranges_rerun_canceled_after_the_check(tmp_path):
    held = DAYS[4]
    with watched(tmp_path, held=(held,), canceled=True) as watch:
        daemon, instance = watch.daemon, watch.daemon.instance
        assert not daemon.run_range(DAYS[:10]).success
        before, after = daemon.tick()
        canceled = watch.cancel_after_check(before)  # judged normal, not published
        assert daemon.execute([after])[0].success
        (downstream,) = daemon.tick()
        assert daemon.execute([downstream])[0].success
        for _ in range(3):
            assert daemon.tick() == []
        assert not set(DAYS[:4]) & instance.get_materialized_partitions(FCT_ORDERS)
        post = watch.canceled_alert()
        assert f"{DAYS[0]}...{DAYS[3]}" in post["text"]

        assert reexecute_from_failure(instance, canceled.run_id, watch.args).is_success
        assert daemon.tick() == []
        assert instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS[:10]) - {held}
