"""Build years of real history: the platform run over 731 small days, snapshotted.

The landing zone is the demo simulator's (``devtools.simulate``: dirt, late files,
updates, FX rates), with few orders a day and an injected anomaly every 91 days. The
whole job (every asset and check, as the sensors' runs) is executed in process, in range
runs of ``DAYS_PER_RUN`` (31) days as the sensors cut them, on an instance configured by
the repository's ``dagster.yaml`` (the SQLite instance of ``make run``). After the run
that reaches each of ``--snapshots`` days, the instance and the warehouse are copied to
``<out>/days-N/`` (``home/``, ``orders.duckdb``), with a landing zone holding those days
only (``landing/``) and, apart, the next day's folder (``next/``): what
``bench.history_scale`` times ticks and checks on. Nothing is synthetic: every event was
written by a real run.

    python -m bench.history_build --out /dev/shm/history --orders-per-day 40

Prints the seconds of each run (the cost per day of history).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import time
import warnings
from pathlib import Path

import dagster as dg

from orders_core.calendar import DAYS_PER_RUN

REPO = Path(__file__).resolve().parent.parent
START = dt.date(2024, 12, 1)
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def settings_for(landing: Path, duckdb_path: Path):
    from resources.settings import PlatformSettings

    return PlatformSettings(
        landing_uri=str(landing), duckdb_path=str(duckdb_path), partitions_start=START.isoformat()
    )


def open_instance(home: Path) -> dg.DagsterInstance:
    """The instance in ``home``, configured by the repository's dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def copy_landing(source: Path, target: Path, days: list[dt.date]) -> None:
    """The folders of ``days`` (and every FX rates file) of ``source`` under ``target``."""
    (target / "orders").mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "fx_rates", target / "fx_rates", dirs_exist_ok=True)
    for day in days:
        name = f"date={day.isoformat()}"
        shutil.copytree(
            source / "orders" / name, target / "orders" / name, copy_function=shutil.copy2
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--orders-per-day", type=int, default=40)
    parser.add_argument("--snapshots", type=int, nargs="+", default=[30, 180, 365, 730])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from devtools.simulate import generate
    from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions

    out: Path = args.out
    source = out / "landing-all"
    work = out / "work"
    every = [START + dt.timedelta(days=i) for i in range(args.days + 1)]
    anomalies = {START + dt.timedelta(days=i): "volume_spike" for i in range(60, args.days, 91)}
    began = time.perf_counter()
    generate(source, START, args.days + 1, args.orders_per_day, seed=7, anomalies=anomalies)
    print(f"landing: {args.days + 1} days generated in {time.perf_counter() - began:.1f} s")
    copy_landing(source, work / "landing", [])
    settings = settings_for(work / "landing", work / "orders.duckdb")
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    done = 0
    with open_instance(work / "home") as instance:
        for target in sorted(args.snapshots):
            while done < target:
                days = every[done : min(target, done + DAYS_PER_RUN)]
                copy_landing(source, work / "landing", days)
                began = time.perf_counter()
                result = job.execute_in_process(
                    instance=instance,
                    tags={
                        "dagster/asset_partition_range_start": days[0].isoformat(),
                        "dagster/asset_partition_range_end": days[-1].isoformat(),
                    },
                    run_config=QUIET_LOGS,
                    raise_on_error=False,
                )
                took = time.perf_counter() - began
                done += len(days)
                print(
                    f"run {days[0]}...{days[-1]} ({len(days)} days, history {done}):"
                    f" {took:.1f} s, {took / len(days):.2f} s/day, success={result.success}",
                    flush=True,
                )
            snap = out / f"days-{target}"
            shutil.rmtree(snap, ignore_errors=True)
            shutil.copytree(work / "home", snap / "home")
            shutil.copy(work / "orders.duckdb", snap / "orders.duckdb")
            shutil.copytree(work / "landing", snap / "landing")
            copy_landing(source, snap / "next", [every[target]])
            print(f"snapshot {snap} ({target} days)", flush=True)


if __name__ == "__main__":
    main()
