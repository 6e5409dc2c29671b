"""Child process: one step of the platform (or the checks of the day assets) on landed days.

What a step process of the multiprocess executor holds: Dagster, the code location and
one step. The selection runs with ``execute_in_process`` on the days ``--start`` ..
``--start + days - 1`` against an existing DuckDB file and Dagster home, so a sequence
of calls (raw, clean, fct, checks) builds the warehouse step by step. Reports the
step's wall and CPU seconds (all threads), the process's resident set before the run (Dagster and the
definitions loaded) and its peak (``VmHWM``).

    python -m bench.step_run --landing DIR --duckdb FILE --home DIR --start 2025-01-01 \\
        --days 1 --step raw_orders
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
import time
import warnings
from pathlib import Path

import dagster as dg

import resources
from bench.harness import emit, instance_overrides
from resources.settings import PlatformSettings
from resources.warehouse import DuckDBWarehouse, SqlSession

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
from orders_platform.definitions import build_definitions  # noqa: E402

RAW = dg.AssetKey("raw_orders")
CLEANED, QUARANTINED = dg.AssetKey("cleaned_orders"), dg.AssetKey("quarantined_orders")
FCT = dg.AssetKey(["warehouse", "fct_orders"])
DAY_ASSETS = {RAW, CLEANED, QUARANTINED, FCT}
# The reconciliation is computed by the cleaning step whether it is selected or not.
RECONCILIATION = dg.AssetCheckKey(CLEANED, "reconciliation")
METRICS, CLV = dg.AssetKey("customer_metrics"), dg.AssetKey("customer_clv")
DIM = dg.AssetKey(["warehouse", "dim_customers"])
STEPS = {
    "raw_orders": {RAW},
    "clean_orders": {CLEANED, QUARANTINED},
    "fct_orders": {FCT},
    "checks": set(),
    # Whole tables over everything the earlier steps stored (no partition). customer_clv
    # evaluates its checks inside its step, so they are selected with it.
    "customer_metrics": {METRICS},
    "customer_clv": {CLV},
    "dim_customers": {DIM},
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def profile_sql() -> dict[str, float]:
    """Seconds per statement of the warehouse sessions from now on (``SqlSession`` wrapped),
    keyed by the statement's first words; Arrow appends and commits are keyed apart."""
    seconds: dict[str, float] = {}

    def timed(label_of, method):
        def run(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                label = label_of(*args)
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started

        return run

    SqlSession.execute = timed(lambda sql, *_: " ".join(sql.split())[:90], SqlSession.execute)
    SqlSession.append = timed(lambda table, *_: f"append Arrow rows to {table}", SqlSession.append)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--duckdb", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--step", choices=sorted(STEPS), required=True)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 512MB")
    parser.add_argument("--sql-profile", action="store_true", help="seconds per SQL statement")
    args = parser.parse_args()
    statements = profile_sql() if args.sql_profile else None
    settings = PlatformSettings(
        landing_uri=args.landing, duckdb_path=args.duckdb, partitions_start=args.start.isoformat()
    )
    if args.memory_limit:
        # The local deployment builds its DuckDBWarehouse in resources/__init__.py.
        resources.DuckDBWarehouse = functools.partial(
            DuckDBWarehouse, memory_limit=args.memory_limit
        )
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    checks = {key for key in graph.asset_check_keys if key.asset_key in DAY_ASSETS} - {
        RECONCILIATION
    }
    selected_checks = {
        "checks": checks,
        "clean_orders": {RECONCILIATION},
        # A whole table's checks are evaluated in its step: selected with it.
        **{
            step: {key for key in graph.asset_check_keys if key.asset_key in STEPS[step]}
            for step in ("customer_metrics", "customer_clv", "dim_customers")
        },
    }.get(args.step, set())
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=STEPS[args.step], asset_check_selection=selected_checks
    )
    last = args.start + dt.timedelta(days=args.days - 1)
    if STEPS[args.step] and not STEPS[args.step] & DAY_ASSETS:
        tags = {}  # a whole table: no partition
    elif args.days == 1:
        tags = {"dagster/partition": args.start.isoformat()}
    else:
        tags = {
            "dagster/asset_partition_range_start": args.start.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        }
    Path(args.home).mkdir(parents=True, exist_ok=True)
    before = rss_mb()
    with dg.DagsterInstance.local_temp(
        tempdir=args.home, overrides=instance_overrides()
    ) as instance:
        started, cpu = time.perf_counter(), time.process_time()
        result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=True)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    steps = {
        event.step_key: round(event.event_specific_data.duration_ms / 1000, 3)
        for event in result.all_events
        if event.event_type_value == "STEP_SUCCESS"
    }
    checks: dict[str, bool] = {}  # passed on every day it judged
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        checks[name] = checks.get(name, True) and evaluation.passed
    emit({"step": args.step, "seconds": round(seconds, 3), "cpu_s": round(cpu, 3),
          "step_seconds": steps, "checks_passed": checks,
          "rss_before_run_mb": before})  # fmt: skip
    if statements is not None:
        for label, value in sorted(statements.items(), key=lambda item: -item[1])[:12]:
            print(f"{value:8.2f} s  {label}", file=sys.stderr)


if __name__ == "__main__":
    main()
