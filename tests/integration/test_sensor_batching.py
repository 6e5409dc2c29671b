"""How many runs the anomaly sensor requests for a blocked 30-day range with one held day.

On the pipeline's shape with a verdict the test sets (tests/support/sensor_graph.py), so
the count does not depend on the detector's tuning; the sensor is the real one, ticked
like the daemon would, and its requests are executed.
"""

import datetime as dt
import json

import dagster as dg

from resources.instance_history import CLEANED_ORDERS, RAW_ORDERS
from sensors.batching import MISSING_TICKS, JobAssets
from sensors.orders_anomaly import SENSOR_NAME
from tests.support.requests import daemon_tags, requested_days
from tests.support.sensor_graph import (
    CUSTOMER_CLV,
    DAYS,
    FCT_ORDERS,
    UNPARTITIONED,
    Daemon,
    build_graph,
)


def selected(request: dg.RunRequest, defs: dg.Definitions) -> set[dg.AssetKey]:
    if request.asset_selection is None:
        return set(defs.resolve_asset_graph().get_all_asset_keys())
    return set(request.asset_selection)


def blocked_range(tmp_path, held_day: str) -> tuple[Daemon, dg.ExecuteInProcessResult]:
    """A single-run range of all 30 days, blocked by ``held_day``, after a first tick."""
    defs = build_graph({held_day}, str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    daemon = Daemon(defs, instance)
    assert daemon.tick() == []
    return daemon, daemon.run_range(DAYS)


def test_a_held_day_inside_the_range_gives_two_range_runs_and_one_downstream_run(tmp_path):
    held = DAYS[14]
    daemon, blocked = blocked_range(tmp_path, held)
    assert not blocked.success, "the failed blocking check stops the range run"

    first = daemon.tick()
    assert [requested_days(r) for r in first] == [DAYS[:14], DAYS[15:]]
    for request in first:
        assert selected(request, daemon.defs) >= {RAW_ORDERS, CLEANED_ORDERS, FCT_ORDERS}
        assert not selected(request, daemon.defs) & UNPARTITIONED
    assert daemon.tick() == [], "the downstream waits until both runs have finished"

    assert all(result.success for result in daemon.execute(first))
    (downstream,) = daemon.tick()
    assert downstream.partition_key is None and requested_days(downstream) == []
    assert selected(downstream, daemon.defs) == UNPARTITIONED
    assert downstream.run_key.startswith("downstream:")
    (result,) = daemon.execute([downstream])
    materialized = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == UNPARTITIONED
    daemon.until_quiet()

    # Before: one run per normal day (29), each refitting customer_clv.
    assert len(daemon.requests) == 3
    assert [r for r in daemon.requests if CUSTOMER_CLV in selected(r, daemon.defs)] == [downstream]
    days = [day for r in daemon.requests for day in requested_days(r)]
    assert sorted(days) == sorted(set(DAYS) - {held}), "every normal day once, the held one never"


def test_a_held_first_day_gives_a_single_run_with_the_downstream(tmp_path):
    daemon, _ = blocked_range(tmp_path, DAYS[0])
    (request,) = daemon.tick()
    assert requested_days(request) == DAYS[1:]
    assert request.run_key.startswith(f"{DAYS[1]}...{DAYS[-1]}:")
    assert selected(request, daemon.defs) >= {RAW_ORDERS, CLEANED_ORDERS} | UNPARTITIONED
    (result,) = daemon.execute([request])
    assert result.success
    keys = [e.materialization.asset_key for e in result.get_asset_materialization_events()]
    assert keys.count(CUSTOMER_CLV) == 1 and keys.count(CLEANED_ORDERS) == len(DAYS) - 1
    daemon.until_quiet()
    assert daemon.requests == [request]


def test_the_downstream_is_not_rerun_when_something_else_refreshed_it(tmp_path):
    daemon, _ = blocked_range(tmp_path, DAYS[14])
    assert all(result.success for result in daemon.execute(daemon.tick()))
    refreshed = daemon.job.execute_in_process(
        instance=daemon.instance, asset_selection=sorted(UNPARTITIONED, key=str)
    )
    assert refreshed.success  # e.g. the automation sensor, or an engineer
    assert daemon.tick() == []
    assert len(daemon.requests) == 2


def test_a_run_the_daemon_never_created_stops_blocking_after_a_few_ticks(tmp_path):
    daemon, _ = blocked_range(tmp_path, DAYS[14])
    first = daemon.tick()
    assert len(first) == 2  # never executed: as if the daemon had dropped the tick
    for _ in range(MISSING_TICKS - 1):
        assert daemon.tick() == []
    (downstream,) = daemon.tick()
    assert selected(downstream, daemon.defs) == UNPARTITIONED


def test_requests_are_tagged_for_the_daemon_and_run_keys_are_stable(tmp_path):
    daemon, _ = blocked_range(tmp_path, DAYS[14])
    first = daemon.tick()
    tags = daemon_tags(first[0], SENSOR_NAME)
    assert tags["dagster/asset_partition_range_start"] == DAYS[0]
    assert tags["dagster/asset_partition_range_end"] == DAYS[13]
    assert tags["orders/trigger"] == "anomaly-unblock"
    # Ahead of a queued backfill's runs (resources/warehouse_pool.py), the downstream too.
    assert all(r.tags["dagster/priority"] == "1" for r in first)
    assert all(result.success for result in daemon.execute(first))
    (downstream,) = daemon.tick()
    assert downstream.tags["dagster/priority"] == "1"
    # The same blocked range judged again gives the same run keys: the daemon runs them once.
    again, _ = blocked_range(tmp_path / "again", DAYS[14])
    assert [r.run_key for r in again.tick()] == [r.run_key for r in first]


def test_a_cursor_written_before_batching_is_read(tmp_path):
    daemon, _ = blocked_range(tmp_path, DAYS[14])
    old = json.loads(daemon.cursor)
    del old["downstream"]
    daemon.cursor = json.dumps(old)
    assert len(daemon.tick()) == 2


def test_a_long_stretch_of_days_is_cut_into_runs_of_at_most_a_month():
    from orders_core.calendar import DAYS_PER_RUN
    from sensors.batching import DayWork, _groups

    job = JobAssets(partitioned=frozenset({dg.AssetKey("raw_orders")}), unpartitioned=frozenset())
    start = dt.date(2025, 1, 1)
    work = [
        DayWork(
            day=(start + dt.timedelta(days=i)).isoformat(),
            fingerprint=f"f{i}",
            assets=frozenset({dg.AssetKey("raw_orders")}),
            trigger="landing",
        )
        for i in range(75)
    ]
    sizes = [len(group) for group in _groups(work, job)]
    assert sizes == [DAYS_PER_RUN, DAYS_PER_RUN, 75 - 2 * DAYS_PER_RUN]


def test_a_range_blocked_before_the_sensor_started_is_run_again_on_its_first_tick(tmp_path):
    """A backfill made before the sensor was turned on, stopped by one held day: the first
    tick runs its normal days again (it used to start after every existing record, and
    the 29 days were never published)."""
    held = DAYS[14]
    daemon = Daemon(build_graph({held}, str(tmp_path)), dg.DagsterInstance.ephemeral())
    assert not daemon.run_range(DAYS).success

    first = daemon.tick()
    assert [requested_days(r) for r in first] == [DAYS[:14], DAYS[15:]]
    assert all(result.success for result in daemon.execute(first))
    daemon.until_quiet()
    days = [day for r in daemon.requests for day in requested_days(r)]
    assert sorted(days) == sorted(set(DAYS) - {held}), "every normal day once, the held one never"
    published = daemon.instance.get_materialized_partitions(FCT_ORDERS)
    assert published == set(DAYS) - {held}


def test_days_run_again_before_the_sensor_started_are_not_requested_twice(tmp_path):
    held = DAYS[14]
    daemon = Daemon(build_graph({held}, str(tmp_path)), dg.DagsterInstance.ephemeral())
    assert not daemon.run_range(DAYS).success
    # An engineer re-ran the first half by hand before turning the sensor on.
    assert daemon.run_range(DAYS[:14]).success

    (request,) = daemon.tick()
    assert requested_days(request) == DAYS[15:]


def test_a_range_blocked_while_the_sensor_starts_is_run_again(tmp_path):
    """The sensor's first tick comes while a range run is still going, its verdicts
    recorded (one day held): once the run has ended blocked, its normal days are run
    again and the held day is known as held."""
    held = DAYS[14]
    first: list[list[dg.RunRequest]] = []
    defs = build_graph({held}, str(tmp_path), after_check=lambda: first.append(daemon.tick()))
    daemon = Daemon(defs, dg.DagsterInstance.ephemeral())
    assert not daemon.run_range(DAYS).success
    assert first == [[]], "the run had not ended: nothing to run yet"

    daemon.until_quiet()
    assert held in json.loads(daemon.cursor)["held"]
    days = [day for r in daemon.requests for day in requested_days(r)]
    assert sorted(days) == sorted(set(DAYS) - {held}), "every normal day once, the held one never"
    assert daemon.instance.get_materialized_partitions(FCT_ORDERS) == set(DAYS) - {held}
