"""Cost of the anomaly hold against 1,000 / 10,000 / 100,000 partitions of history.

History (one raw_orders materialization and one metadata_anomaly evaluation per day,
one day in 500 held) is bulk-inserted into a temp SQLite instance through dagster's
own storage tables: writing it event by event through the instance API costs 15-90 ms
an event on a shared machine, which would make the 100,000 case take hours. Then:

* ``bootstrap_tick_s``: the sensor's first tick (no cursor: one aggregate query for the
  held days, then their latest evaluations);
* ``incremental_tick_s``: a tick after one more day was loaded and held (the cost that
  repeats every minute; it must not grow with history);
* ``check_s``: metadata_anomaly scoring the new day (reads its 84-day window only).

    ./.venv/bin/python -m bench.bench_sensor [--sizes 1000 10000 100000]

Prints a table and writes bench/results/sensor.json.
"""

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageTable,
)
from dagster_shared.serdes import serialize_value

from asset_checks.anomaly import anomaly_config, evaluate_days
from bench.bench_anomaly import synthetic_history
from devtools.instances import one_event_log_instance
from orders_platform.definitions import defs
from resources.instance_history import CHECK_NAME, FINGERPRINT, RAW_ORDERS
from resources.landing import LocalLandingZone
from sensors.batching import JobAssets
from sensors.orders_anomaly import evaluate_tick

JOB = JobAssets.of(defs.assets or [])

RESULTS = Path(__file__).parent / "results" / "sensor.json"
HELD_EVERY = 500


def _entry(event_type: DagsterEventType, data, timestamp: float) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=RUNLESS_RUN_ID,
        timestamp=timestamp,
        step_key=None,
        job_name=RUNLESS_JOB_NAME,
        dagster_event=DagsterEvent(
            event_type_value=event_type.value,
            job_name=RUNLESS_JOB_NAME,
            event_specific_data=data,
        ),
    )


def _row(entry: EventLogEntry, partition: str) -> dict:
    return {
        "run_id": entry.run_id,
        "event": serialize_value(entry),
        "dagster_event_type": entry.dagster_event.event_type_value,
        "timestamp": dt.datetime.fromtimestamp(entry.timestamp, dt.UTC).replace(tzinfo=None),
        "asset_key": RAW_ORDERS.to_string(),
        "partition": partition,
    }


def write_history(instance: dg.DagsterInstance, days: int) -> list[str]:
    """Bulk-insert ``days`` materializations and evaluations; returns the partition keys."""
    history = synthetic_history(days)
    keys = [d.date().isoformat() for d in history.index]
    start = time.time() - days
    materializations = []
    for i, key in enumerate(keys):
        metadata = {
            c.split(":", 1)[1]: float(v)
            for c, v in history.iloc[i].items()
            if c.startswith("raw_orders:")
        }
        mat = dg.AssetMaterialization(
            asset_key=RAW_ORDERS, partition=key, metadata={**metadata, FINGERPRINT: f"fp-{key}"}
        )
        materializations.append(
            _row(
                _entry(
                    DagsterEventType.ASSET_MATERIALIZATION, StepMaterializationData(mat), start + i
                ),
                key,
            )
        )
    storage = instance.event_log_storage
    with storage.index_connection() as conn:
        conn.execute(SqlEventLogStorageTable.insert(), materializations)
        ids = dict(
            conn.execute(
                SqlEventLogStorageTable.select()
                .with_only_columns(
                    SqlEventLogStorageTable.c.partition, SqlEventLogStorageTable.c.id
                )
                .where(SqlEventLogStorageTable.c.dagster_event_type == "ASSET_MATERIALIZATION")
            ).fetchall()
        )
        evaluations, checks = [], []
        for i, key in enumerate(keys):
            passed = i % HELD_EVERY != HELD_EVERY - 1
            evaluation = dg.AssetCheckEvaluation(
                asset_key=RAW_ORDERS,
                check_name=CHECK_NAME,
                passed=passed,
                partition=key,
                description="normal" if passed else "anomalous: synthetic",
                metadata={
                    "anomaly_score": 0.5 if passed else 0.7,
                    "landing_fingerprint": f"fp-{key}",
                },
            )
            entry = _entry(DagsterEventType.ASSET_CHECK_EVALUATION, evaluation, start + i + 0.5)
            evaluations.append(_row(entry, key))
            checks.append(
                {
                    "asset_key": RAW_ORDERS.to_string(),
                    "check_name": CHECK_NAME,
                    "partition": key,
                    "run_id": RUNLESS_RUN_ID,
                    "execution_status": "SUCCEEDED" if passed else "FAILED",
                    "evaluation_event": evaluations[-1]["event"],
                    "evaluation_event_timestamp": evaluations[-1]["timestamp"],
                    "materialization_event_storage_id": ids[key],
                }
            )
        conn.execute(SqlEventLogStorageTable.insert(), evaluations)
        eval_ids = dict(
            conn.execute(
                SqlEventLogStorageTable.select()
                .with_only_columns(
                    SqlEventLogStorageTable.c.partition, SqlEventLogStorageTable.c.id
                )
                .where(SqlEventLogStorageTable.c.dagster_event_type == "ASSET_CHECK_EVALUATION")
            ).fetchall()
        )
        for check in checks:
            check["evaluation_event_storage_id"] = eval_ids[check["partition"]]
        conn.execute(AssetCheckExecutionsTable.insert(), checks)
    return keys


def report_held_day(instance: dg.DagsterInstance, day: str, fingerprint: str) -> None:
    """A new day materialized and held by metadata_anomaly, as a run would record it."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=RAW_ORDERS, partition=day, metadata={FINGERPRINT: fingerprint}
        )
    )
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS,
            check_name=CHECK_NAME,
            passed=False,
            partition=day,
            metadata={"landing_fingerprint": fingerprint, "anomaly_score": 0.9},
        )
    )


def measure(days: int, landing: LocalLandingZone) -> dict[str, float]:
    with one_event_log_instance() as instance:
        written = time.perf_counter()
        keys = write_history(instance, days)
        written = time.perf_counter() - written

        start = time.perf_counter()
        first = evaluate_tick(instance, None, landing, JOB)
        bootstrap = time.perf_counter() - start
        assert len(first.state.held) == days // HELD_EVERY, first.state.held

        new_day = (dt.date.fromisoformat(keys[-1]) + dt.timedelta(days=1)).isoformat()
        report_held_day(instance, new_day, fingerprint="x")
        start = time.perf_counter()
        second = evaluate_tick(instance, first.state.to_json(), landing, JOB)
        incremental = time.perf_counter() - start
        assert new_day in second.state.held and [n.partition for n in second.held] == [new_day]

        start = time.perf_counter()
        (verdict,) = evaluate_days(
            instance, [keys[-1]], anomaly_config(0.65, 56), None, landed=lambda: keys
        )
        check = time.perf_counter() - start
        assert verdict.metadata["training_partitions"].value > 0
    return {
        "history_partitions": days,
        "write_history_s": round(written, 2),
        "bootstrap_tick_s": round(bootstrap, 3),
        "incremental_tick_s": round(incremental, 3),
        "check_s": round(check, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as landing_root:
        landing = LocalLandingZone(root=landing_root)
        results = []
        for days in args.sizes:
            results.append(measure(days, landing))
            print("  ".join(f"{k}={v}" for k, v in results[-1].items()), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
