"""What judging a day run before its history costs: the landed days profiled from files.

metadata_anomaly judges a day against the raw_orders metadata of the days before it. Run
before them (newest first, a random batching), it profiles the landed days raw_orders has
not loaded from their files (``landed_day_profiles``: raw_orders' load and profile into a
scratch DuckDB file) instead of deferring the day, up to ``ORDERS_ANOMALY_PROFILE_LIMIT_MB``.

For ``--days`` generated days of ``--orders-per-day``, each round (alternating the two):

- ``profile``: the last day run alone, the full graph, on a fresh instance and warehouse
  (its check profiles every earlier day): the run's seconds, the check step's, the verdict
  and whether the day was published;
- ``defer``: the same with profiling off (``ORDERS_ANOMALY_PROFILE_LIMIT_MB=0``): the day
  is deferred and nothing downstream runs;

and, once, ``landed_day_profiles`` over the earlier days alone (seconds, orders/s, peak
RSS of this process). Imports and the generation of the landing zone are not timed.

    python -m bench.history_profiles --days 30 --orders-per-day 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg

from bench.harness import emit, instance_overrides, median_of, peak_rss_mb
from devtools.simulate import generate
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
from asset_checks.anomaly import CHECK_OP_NAME  # noqa: E402
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions  # noqa: E402
from platform_assets.assets.ingestion import landed_day_profiles  # noqa: E402

START = dt.date(2025, 1, 1)


def _last_day_alone(work: Path, landing: Path, last: dt.date, limit_mb: int) -> dict:
    settings = PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(work / "orders.duckdb"),
        partitions_start=START.isoformat(),
        anomaly_profile_limit_mb=limit_mb,
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    (work / "home").mkdir()
    with dg.DagsterInstance.local_temp(
        tempdir=str(work / "home"), overrides=instance_overrides()
    ) as instance:
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance, partition_key=last.isoformat(), raise_on_error=False
        )
        seconds = time.perf_counter() - started
        steps = {s.step_key: s for s in instance.get_run_step_stats(result.run_id)}
        check = steps[CHECK_OP_NAME]
        (evaluation,) = [
            e.event_specific_data
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
            and e.event_specific_data.check_name == "metadata_anomaly"
        ]
        published = any(
            m.materialization.asset_key.to_user_string() == "warehouse/fct_orders"
            for m in result.get_asset_materialization_events()
        )
    return {
        "run_s": round(seconds, 2),
        "check_step_s": round(check.end_time - check.start_time, 2),
        "verdict": evaluation.metadata["verdict"].value,
        "published": published,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders-per-day", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-history-profiles-") as folder:
        work = Path(folder)
        landing = work / "landing"
        generate(landing, START, args.days, args.orders_per_day, seed=11)
        days = [START + dt.timedelta(days=i) for i in range(args.days)]
        started = time.perf_counter()
        profiles = landed_day_profiles(LocalLandingZone(root=str(landing)), days[:-1], 2**40)
        seconds = time.perf_counter() - started
        rows = sum(int(p["dagster/row_count"]) for p in (profiles or {}).values())
        figures: dict = {
            "days": args.days,
            "orders_per_day": args.orders_per_day,
            "profiled_days": len(days) - 1,
            "profiled_rows": rows,
            "profile_s": round(seconds, 2),
            "profile_rows_per_s": round(rows / seconds),
            "peak_rss_mb_after_profiles": round(peak_rss_mb()),
        }
        samples: dict[str, list[dict]] = {"profile": [], "defer": []}
        for round_ in range(args.rounds):
            for mode, limit in (("profile", 1024), ("defer", 0))[:: 1 if round_ % 2 == 0 else -1]:
                run_dir = work / f"{mode}-{round_}"
                run_dir.mkdir()
                samples[mode].append(_last_day_alone(run_dir, landing, days[-1], limit))
        for mode, runs in samples.items():
            figures[mode] = {
                "runs": runs,
                "median_run_s": median_of([r["run_s"] for r in runs]),
                "median_check_step_s": median_of([r["check_step_s"] for r in runs]),
            }
        emit(figures)


if __name__ == "__main__":
    main()
