"""A held day whose fixed files land while a run that includes it is in flight (a range
backfilled by hand, a sensor's range): that run judges the day on the files it lists, so
orders_anomaly_sensor waits for its verdict instead of re-running the day at once, which
repeated the run's work with the same results. Event-driven, no clock: the day is re-run
after that run only if it is still held on other files than the ones landed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from orders_platform.definitions import build_definitions
from resources.landing import LocalLandingZone, fingerprint
from resources.settings import PlatformSettings
from sensors.batching import JobAssets
from sensors.orders_anomaly import evaluate_tick
from tests.support.check_history import end_run, report_planned, report_verdict
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.requests import requested_days

HELD = dt.date(2025, 3, 1)


def _held_then_fixed_while_a_range_runs(tmp_path: Path, instance: dg.DagsterInstance):
    """The day held on its first files; the sensor's cursor; the fix landed; a range run
    around the day started (its verdicts planned, none given yet). Returns the zone, the
    cursor, the run and the held and fixed fingerprints."""
    zone = LocalLandingZone(root=str(tmp_path / "landing"))
    folder = day_dir(tmp_path / "landing", HELD)
    write_csv(folder / "a.csv", [order("A1", "c1", "2025-03-01T10:00:00Z", "1.00")])
    held_fp = fingerprint(zone.list_day(HELD))
    metadata = {"verdict": "anomalous", "landing_fingerprint": held_fp}
    report_verdict(instance, HELD.isoformat(), passed=False, metadata=metadata)
    job = _job()
    cursor = evaluate_tick(instance, None, zone, job).state.to_json()
    write_csv(folder / "b.csv", [order("B1", "c2", "2025-03-01T11:00:00Z", "2.00")])
    fixed_fp = fingerprint(zone.list_day(HELD))
    days = [(HELD + dt.timedelta(days=i)).isoformat() for i in (-1, 0, 1)]
    run = report_planned(instance, days, dg.DagsterRunStatus.STARTED)
    return zone, cursor, run, held_fp, fixed_fp


def _job() -> JobAssets:
    return JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)


@pytest.mark.parametrize("judged", ["fixed", "held-files"])
def test_a_fix_landing_while_a_range_run_judges_the_day_waits_for_that_runs_verdict(
    tmp_path, judged
):
    job = _job()
    with dg.instance_for_test() as instance:
        zone, cursor, run, held_fp, fixed_fp = _held_then_fixed_while_a_range_runs(
            tmp_path, instance
        )

        waiting = evaluate_tick(instance, cursor, zone, job)
        assert waiting.run_requests == [], waiting.decisions
        assert f"{HELD}: held, landing files changed; a run in flight judges the day" in (
            " ".join(waiting.decisions)
        )

        # The run judges the day: on the fixed files (it listed them), or on the first
        # ones (it listed the day before the fix landed), and ends.
        if judged == "fixed":
            metadata = {"verdict": "normal", "landing_fingerprint": fixed_fp}
            report_verdict(instance, HELD.isoformat(), True, metadata, run=run)
        else:
            metadata = {"verdict": "anomalous", "landing_fingerprint": held_fp}
            report_verdict(instance, HELD.isoformat(), False, metadata, run=run)
        # A range run holding one day still publishes the others: it succeeds either way.
        end_run(instance, run, success=True)
        after = evaluate_tick(instance, waiting.state.to_json(), zone, job)

        if judged == "fixed":  # published by that run: nothing to repeat
            assert after.run_requests == [], after.decisions
            assert HELD.isoformat() not in after.state.held
        else:  # still held on files that are gone: the fixed ones are run now
            (request,) = after.run_requests
            assert requested_days(request) == [HELD.isoformat()]
            assert request.run_key.startswith(f"{HELD}:{fixed_fp}")
