"""Child process: ticks of the real orders_anomaly_sensor against 1,000 / 10,000 / 100,000
partitions of history.

The history (one raw_orders materialization and one metadata_anomaly evaluation per
day, one day in 500 held) is bulk-written into a temporary SQLite instance by
:func:`bench.bench_sensor.write_history`. The sensor definition of the platform is then
evaluated the way the daemon does it (``build_sensor_context`` with its resources,
telemetry included): one first tick (no cursor), then ``--repetitions`` ordinary ticks,
each after one more day was materialized and judged. ``sensor_tick_s`` is the median
ordinary tick, the cost that repeats every minute.

    python -m bench.sensor_tick --sizes 1000 10000 100000 --repetitions 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile

import dagster as dg

from bench.bench_sensor import JOB, report_held_day, write_history
from bench.harness import Timer, emit, median_of
from resources.alerts import AlertWebhook
from resources.landing import LocalLandingZone
from resources.telemetry import TelemetryResource
from sensors.orders_anomaly import SENSOR_NAME, build_anomaly_sensor

WHAT_IS_TIMED = (
    "orders_anomaly_sensor evaluated with its resources on an instance holding the history; "
    "median of ordinary ticks, each after one more day was materialized and held"
)


def _tick(sensor, instance, cursor, resources) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=resources, sensor_name=SENSOR_NAME
    ) as context:
        return sensor(context)


def measure(size: int, repetitions: int, landing_root: str) -> dict:
    sensor = build_anomaly_sensor("orders_pipeline", JOB)
    resources = {
        "landing": LocalLandingZone(root=landing_root),
        "alert_webhook": AlertWebhook(url=""),
        "telemetry": TelemetryResource(),
    }
    with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test(temp_dir=tmp) as instance:
        keys = write_history(instance, size)
        with Timer() as first:
            cursor = _tick(sensor, instance, None, resources).cursor
        samples = []
        day = dt.date.fromisoformat(keys[-1])
        for _ in range(repetitions):
            day += dt.timedelta(days=1)
            report_held_day(instance, day.isoformat(), fingerprint=day.isoformat())
            with Timer() as timer:
                cursor = _tick(sensor, instance, cursor, resources).cursor
            samples.append(timer.wall_s)
        if day.isoformat() not in (cursor or ""):
            raise RuntimeError(f"the sensor did not hold {day}")
    return {"first_tick_s": first.wall_s, "tick_s": median_of(samples), "samples_s": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as landing_root:
        for size in args.sizes:
            figures[str(size)] = measure(size, args.repetitions, landing_root)
    emit(
        {
            "sensor_tick_s": {size: f["tick_s"] for size, f in figures.items()},
            "sensor_first_tick_s": {size: f["first_tick_s"] for size, f in figures.items()},
            "samples_s": {size: f["samples_s"] for size, f in figures.items()},
            "what": WHAT_IS_TIMED,
        }
    )


if __name__ == "__main__":
    main()
