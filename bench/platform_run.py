"""Child process: materialize the orders_pipeline job over landed days, report its cost.

``--mode single`` is the single-run backfill (one run, range tags, the way the
asset backfill policy launches it); ``--mode per-partition`` runs the same job
once per day, sequentially. Runs go through ``dagster.execute_job`` (what a run
worker does; ``execute_in_process`` would keep every step output in memory) with
the in-process executor, on a fresh SQLite instance in a temporary DAGSTER_HOME
and a fresh DuckDB file. Not timed: interpreter start-up, imports (also those the
steps make at first use: scikit-learn for the anomaly check, SciPy's optimizer for the
CLV fit, imported before the clock starts, so that one run over 30 days and 30 runs in
one process pay them alike, outside the clock), definitions, a run launcher or daemon,
nor the bench's reads after the runs (step times, table counts).
``bench.run``'s launched figures time whole processes, imports included. With
``--work DIR`` the instance and the DuckDB file live in DIR and are kept, so that
successive processes can each run one partition on the same warehouse, as a
deployment's run launcher starts one process per run.

    python -m bench.platform_run --landing DIR --start 2025-01-01 --days 30 --mode single
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib
import resource
import tempfile
import warnings
from pathlib import Path

import dagster as dg
import duckdb

from bench.harness import Timer, emit, instance_overrides
from bench.published import summary_of
from resources.settings import PlatformSettings

# Definitions are built when their module is imported: silence beta notices first.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions  # noqa: E402

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
EXECUTORS = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}


def orders_job(landing: str, duckdb_path: str, start: str, executor: str) -> dg.JobDefinition:
    """The orders_pipeline job of a local deployment (rebuilt by ``execute_job``), on the
    chosen executor (a local deployment uses the in-process one)."""
    settings = PlatformSettings(
        landing_uri=landing, duckdb_path=duckdb_path, partitions_start=start
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    return job.with_executor_def(EXECUTORS[executor])


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


def import_first_use_libraries() -> None:
    """Import what the steps import at first use (the libraries a code location load
    leaves out), as every other import, before the clock starts. Timed, the one run paid
    them (1.0 s for scikit-learn) and the 30 runs of one process paid them once between
    them: a one-off cost of the process charged to one mode (bench/RESULTS.md, session 14)."""
    importlib.import_module("sklearn.ensemble")
    importlib.import_module("scipy.optimize")


def materialize(
    landing: str, start: dt.date, days: int, mode: str, work: Path, executor: str = "in_process"
) -> dict:
    """Run the job over ``days`` days from ``start``; wall seconds, step seconds, row counts."""
    duckdb_path = str(work / "orders.duckdb")
    job = dg.build_reconstructable_job(
        __name__ if __name__ != "__main__" else "bench.platform_run",
        "orders_job",
        reconstructable_args=(landing, duckdb_path, str(start), executor),
    )
    keys = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
    steps: dict[str, float] = {}
    (work / "dagster_home").mkdir(exist_ok=True)
    import_first_use_libraries()
    with dg.DagsterInstance.local_temp(
        tempdir=str(work / "dagster_home"), overrides=instance_overrides()
    ) as instance:
        with Timer() as timer:
            run_ids = _run(job, instance, keys, mode)
        # Read after the clock: the bench's own reads of the instance, not the platform's.
        for run_id in run_ids:
            for step, seconds in _step_seconds(instance, run_id).items():
                steps[step] = round(steps.get(step, 0.0) + seconds, 3)
    return {
        "mode": mode,
        "executor": executor,
        "runs": 1 if mode == "single" else days,
        "seconds": timer.wall_s,
        "cpu_s": timer.cpu_s,
        "step_seconds": steps,
        "rows": _table_counts(duckdb_path),
        "published": summary_of(duckdb_path),
    }


def _run(job, instance, keys: list[str], mode: str) -> list[str]:
    """Execute the runs; their ids. A result is not entered (``with``): that initializes the
    job's resources again, after the run, to load outputs, which a run worker never does
    (hunt 79: 0.09 s of a 5 x 2,000 run, 1 s of five runs of a day, on a loaded machine)."""
    runs = (
        [{RANGE_START: keys[0], RANGE_END: keys[-1]}]
        if mode == "single"
        else [{"dagster/partition": key} for key in keys]
    )
    run_ids = []
    for tags in runs:
        result = dg.execute_job(job, instance, tags=tags)
        if not result.success:
            raise RuntimeError(f"run {result.run_id} failed")
        run_ids.append(result.run_id)
    return run_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--mode", choices=("single", "per-partition"), default="single")
    parser.add_argument("--executor", choices=sorted(EXECUTORS), default="in_process")
    parser.add_argument("--profile", help="write cProfile stats of the run to this file")
    parser.add_argument("--work", help="keep the instance and the DuckDB file in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as temporary:
        work = args.work or temporary
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        figures = materialize(
            args.landing, args.start, args.days, args.mode, Path(work), args.executor
        )
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    # Step processes of the multiprocess executor are children: their peak counts too.
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    emit({**figures, "children_peak_rss_mb": round(children_mb, 1)})


if __name__ == "__main__":
    main()
