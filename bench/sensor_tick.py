"""Child process: one anomaly-sensor tick against 1,000 / 10,000 / 100,000 partitions of history.

HOOK: ``sensor_tick`` below is what is timed. The orders_anomaly_sensor
(``sensors/anomaly_sensor.py``) is not on main yet, so it runs the scoring core
the sensor is built on: features over the whole metadata history
(``build_features``) and the verdicts of the newest 7 partitions
(``score_partitions``). Once the sensor lands, replace its body with one
evaluation of the sensor (``build_sensor_context`` on an instance holding the
history) and set ``WHAT_IS_TIMED`` accordingly; the JSON key stays
``sensor_tick_s``.

    python -m bench.sensor_tick --sizes 1000 10000 100000 --repetitions 3
"""

from __future__ import annotations

import argparse

import pandas as pd

from bench.bench_anomaly import synthetic_history
from bench.harness import Timer, emit, median_of
from sensors.anomaly import build_features, score_partitions

NEW_PARTITIONS = 7
WHAT_IS_TIMED = "scoring core: build_features over the history + score_partitions of the newest 7"


def sensor_tick(history: pd.DataFrame) -> None:
    """One tick over ``history`` (partition metadata, one row per day); see the module HOOK."""
    features = build_features(history)
    verdicts = score_partitions(features, features.index[-NEW_PARTITIONS:])
    if len(verdicts) != NEW_PARTITIONS:
        raise RuntimeError(f"expected {NEW_PARTITIONS} verdicts, got {len(verdicts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    ticks: dict[str, float] = {}
    samples: dict[str, list[float]] = {}
    for size in args.sizes:
        history = synthetic_history(size)
        sensor_tick(history)  # warm-up: imports and first-call caches are not a tick's cost
        samples[str(size)] = []
        for _ in range(args.repetitions):
            with Timer() as timer:
                sensor_tick(history)
            samples[str(size)].append(timer.wall_s)
        ticks[str(size)] = median_of(samples[str(size)])
    emit({"sensor_tick_s": ticks, "samples_s": samples, "what": WHAT_IS_TIMED})


if __name__ == "__main__":
    main()
