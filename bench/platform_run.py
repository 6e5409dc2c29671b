"""Child process: materialize the orders_pipeline job over landed days, report its cost.

``--mode single`` is the single-run backfill (one run, range tags, the way the
asset backfill policy launches it); ``--mode per-partition`` runs the same job
once per day, sequentially. Both use ``execute_in_process`` (the in-process
executor) on a fresh SQLite instance in a temporary DAGSTER_HOME and a fresh
DuckDB file, so only the platform's own work is timed: no run launcher or
daemon, and no interpreter start-up (imports and definitions are loaded before
the clock starts).

    python -m bench.platform_run --landing DIR --start 2025-01-01 --days 30 --mode single
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import tempfile
import warnings
from pathlib import Path

import dagster as dg
import duckdb

from bench.harness import Timer, emit
from resources.settings import PlatformSettings

# Definitions are built when their module is imported: silence beta notices first.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
from platform_assets.definitions import ALL_ASSETS_JOB, build_definitions  # noqa: E402

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    return {
        stats.step_key: round(stats.end_time - stats.start_time, 3)
        for stats in instance.get_run_step_stats(run_id)
        if stats.end_time and stats.start_time
    }


def _table_counts(duckdb_path: str) -> dict[str, int]:
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        return {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
            for table in ("raw.raw_orders", "warehouse.fct_orders", "warehouse.dim_customers")
        }


def materialize(landing: str, start: dt.date, days: int, mode: str, work: Path) -> dict:
    """Run the job over ``days`` days from ``start``; wall seconds, step seconds, row counts."""
    settings = PlatformSettings(
        landing_uri=landing, duckdb_path=str(work / "orders.duckdb"), partitions_start=str(start)
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    keys = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
    steps: dict[str, float] = {}
    (work / "dagster_home").mkdir()
    with dg.DagsterInstance.local_temp(
        tempdir=str(work / "dagster_home"), overrides={"telemetry": {"enabled": False}}
    ) as instance:
        with Timer() as timer:
            _run(job, instance, keys, mode, steps)
    return {
        "mode": mode,
        "runs": 1 if mode == "single" else days,
        "seconds": timer.wall_s,
        "cpu_s": timer.cpu_s,
        "step_seconds": steps,
        "rows": _table_counts(settings.duckdb_path),
    }


def _run(job, instance, keys: list[str], mode: str, steps: dict[str, float]) -> None:
    if mode == "single":
        result = job.execute_in_process(
            instance=instance, tags={RANGE_START: keys[0], RANGE_END: keys[-1]}
        )
        steps.update(_step_seconds(instance, result.run_id))
        return
    for key in keys:
        result = job.execute_in_process(instance=instance, partition_key=key)
        for step, seconds in _step_seconds(instance, result.run_id).items():
            steps[step] = round(steps.get(step, 0.0) + seconds, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--mode", choices=("single", "per-partition"), default="single")
    parser.add_argument("--profile", help="write cProfile stats of the run to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as work:
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        figures = materialize(args.landing, args.start, args.days, args.mode, Path(work))
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    emit(figures)


if __name__ == "__main__":
    main()
