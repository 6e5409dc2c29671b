"""A run orders_anomaly_sensor requested that fails before metadata_anomaly judges its days.

Not requested again (no failed run is retried automatically: dagster.yaml); posted by
orders_run_failure_sensor; re-executed from failure, it publishes its days and the
sensor takes its verdicts like any other (docs/anomaly_hold.md, "Range runs"). The graph
is tests/support/sensor_graph.py's (trivial bodies, the real asset keys), with raw_orders
failing while an outage flag file exists and a late day deferred until its history is
loaded, driven by tests/support/sensor_reruns.py.
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
        shown = listed(instance)
        assert late in shown, "devtools.held lists the deferred day its failed run left"
        assert failed.run_id[:8] in shown[late] and "FAILURE" in shown[late]
        assert "load first" not in shown[late], "its days are loaded: loading them does nothing"
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
        # Still held for the check (left out of later days' baselines) and devtools.held.
        assert held in failed_partitions(instance, DAYS)
        shown = listed(instance)
        assert held in shown and failed.run_id[:8] in shown[held]
        post = watch.alert()
        assert held in post["text"] and "raw_orders" in json.dumps(post)

        fixed = (*watch.args[:3], "[]")  # the corrected files pass
        assert reexecute_from_failure(instance, failed.run_id, fixed).is_success
        assert daemon.tick() == []
        assert held in instance.get_materialized_partitions(FCT_ORDERS)
        assert held not in SensorState.from_json(daemon.cursor).held
        assert held not in listed(instance)
