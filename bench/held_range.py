"""A range of days with one day failing ``schema_drift``: what it takes to publish the others.

``--mode range`` runs the range once, as a CLI or UI backfill does. ``--mode split`` runs
what ``orders_anomaly_sensor`` requested after such a range run was stopped as a whole:
the range (blocked), then the days before and the days after the failing one as two
range runs of the daily assets, then the customer tables once. Before a check failing
one day of a run left that day out alone (session 27), ``range`` published no day and
``split`` was the way to publish them; now ``range`` publishes them in its one run. Both
modes run on a fresh SQLite instance and DuckDB file, in this process, timed from the
first run to the last (imports and the landing zone's generation are not timed).

    python -m bench.held_range --days 30 --orders-per-day 20000 --mode range
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg
import duckdb

from bench.harness import emit, instance_overrides
from devtools.simulate import generate
from resources.settings import PlatformSettings

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions  # noqa: E402

START = dt.date(2025, 1, 1)
CUSTOMER_TABLES = ["customer_metrics", "customer_clv", "warehouse/dim_customers"]


def _tags(first: dt.date, last: dt.date) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }


def _published(duckdb_path: str) -> tuple[int, int]:
    """Days and rows of warehouse.fct_orders (0, 0 before the table exists)."""
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        try:
            return conn.execute(
                "select count(distinct partition_date), count(*) from warehouse.fct_orders"
            ).fetchone()
        except duckdb.CatalogException:
            return 0, 0


def measure(work: Path, days: int, orders_per_day: int, failing: int, mode: str) -> dict:
    landing = work / "landing"
    generate(landing, START, days, orders_per_day, seed=11)
    bad = START + dt.timedelta(days=failing)
    (landing / "orders" / f"date={bad}" / "notes.txt").write_text("not orders\n")
    settings = PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(work / "orders.duckdb"),
        partitions_start=START.isoformat(),
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    last = START + dt.timedelta(days=days - 1)
    plan: list[tuple[dict[str, str], list[str] | None]] = [(_tags(START, last), None)]
    if mode == "split":
        below = build_definitions(settings).resolve_asset_graph()
        daily = [
            key.to_user_string()
            for key in below.get_all_asset_keys()
            if below.get(key).partitions_def is not None
        ]
        plan += [
            (_tags(START, bad - dt.timedelta(days=1)), daily),
            (_tags(bad + dt.timedelta(days=1), last), daily),
            ({}, CUSTOMER_TABLES),
        ]
    (work / "home").mkdir()
    outcomes = []
    with dg.DagsterInstance.local_temp(
        tempdir=str(work / "home"), overrides=instance_overrides()
    ) as instance:
        started = time.perf_counter()
        for tags, keys in plan:
            selection = [dg.AssetKey.from_user_string(k) for k in keys] if keys else None
            result = job.execute_in_process(
                instance=instance, tags=tags, asset_selection=selection, raise_on_error=False
            )
            outcomes.append("succeeded" if result.success else "failed")
        seconds = time.perf_counter() - started
    published_days, rows = _published(settings.duckdb_path)
    return {
        "mode": mode,
        "days": days,
        "orders_per_day": orders_per_day,
        "failing_day": bad.isoformat(),
        "runs": len(plan),
        "run_outcomes": outcomes,
        "seconds": round(seconds, 2),
        "published_days": int(published_days),
        "published_rows": int(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders-per-day", type=int, default=20000)
    parser.add_argument("--failing-day", type=int, default=15, help="index of the day")
    parser.add_argument("--mode", choices=("range", "split"), default="range")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-held-range-") as work:
        emit(measure(Path(work), args.days, args.orders_per_day, args.failing_day, args.mode))


if __name__ == "__main__":
    main()
