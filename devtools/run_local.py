"""``make run``: the main job on the embedded default, start to finish.

Generates demo orders when the landing zone is empty, materializes every asset
for the landed days in one run on the Dagster instance in DAGSTER_HOME (so
``make ui`` shows it), and prints what reached the warehouse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import warnings

import dagster as dg
import duckdb

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings, parse_day
from resources.telemetry_setup import configure_telemetry
from resources.warehouse_pool import ensure_warehouse_pool
from sensors.run_telemetry import emit_finished_run_span

SUMMARY = (
    (
        "select count(*), count(distinct partition_date), coalesce(sum(amount), 0)"
        " from warehouse.fct_orders",
        "warehouse.fct_orders       {:,} orders over {} days, revenue {:,.2f}",
    ),
    (
        "select count(*), count(*) filter (where frequency > 0) from warehouse.dim_customers",
        "warehouse.dim_customers    {:,} customers, {:,} with repeat purchases",
    ),
    (
        "select count(*), count(distinct reason_code) from staging.quarantined_orders",
        "staging.quarantined_orders {:,} rows rejected ({} distinct reason codes)",
    ),
)
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30, help="demo days to generate if empty")
    parser.add_argument("--orders-per-day", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)

    settings = PlatformSettings.from_env()
    if settings.env != "local":
        parser.error("make run uses the embedded default; unset PLATFORM_ENV or set it to local")
    landing = LocalLandingZone(root=settings.landing_uri)
    if not landing.list_days():
        from devtools.simulate import generate

        start = parse_day(settings.partitions_start, "ORDERS_PARTITIONS_START")
        print(f"Landing zone {settings.landing_uri} is empty: generating {args.days} demo days.")
        generate(
            landing_root=settings.landing_uri,
            start=start,
            days=args.days,
            orders_per_day=args.orders_per_day,
            seed=args.seed,
            progress=True,
        )
    first_allowed = parse_day(settings.partitions_start, "ORDERS_PARTITIONS_START")
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    days = [d for d in landing.list_days() if first_allowed <= d <= yesterday]
    if not days:
        print("No landed day falls inside the partitions; nothing to run.", file=sys.stderr)
        return 1
    start, end = days[0].isoformat(), days[-1].isoformat()
    print(f"Materializing every asset for {start}...{end} in one run.")

    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    with dg.DagsterInstance.get() as instance:
        # Before `make ui` or a bare `dg dev` queues runs here (resources/warehouse_pool.py).
        ensure_warehouse_pool(instance)
        result = job.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
            run_config=QUIET_LOGS,
            raise_on_error=False,
        )
        # No daemon watches an in-process run: close its trace here (a no-op untraced).
        failure = None if result.success else result.get_run_failure_event().message
        emit_finished_run_span(configure_telemetry(), instance, result.dagster_run, failure)
    print(f"Run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    print(f"Warehouse {settings.duckdb_path}:")
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        for sql, line in SUMMARY:
            print("  " + line.format(*conn.execute(sql).fetchone()))
    print("Browse it with `make ui` (http://127.0.0.1:3000).")
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
