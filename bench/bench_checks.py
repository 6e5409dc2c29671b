"""Cost of the asset checks on one large partition (default 1,000,000 orders).

Generates one day of demo orders, then materializes that day's partitioned assets
(raw_orders, cleaned_orders + quarantined_orders, warehouse/fct_orders) twice per
round: once without any check and once with every check of those assets (schema
drift, reconciliation, the two GX suites, the column-schema check). Rounds alternate
the two to share the machine's noise; the minimum of each is kept. Reconciliation
runs inside the cleaning step, so it is timed apart on the same frames and taken
out of the bare time. Prints the
materialization time, the time with checks, the overhead and each check step's
own duration, and writes bench/results/checks.json.

    ./.venv/bin/python bench/bench_checks.py [--orders 1000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import dagster as dg

from asset_checks.reconciliation import reconcile_days
from devtools.simulate import generate
from orders_core.cleaning import clean_orders
from orders_core.contract import load_contract
from orders_core.ingest import LandedFile, read_landed_files, with_partition_date
from orders_platform.definitions import build_definitions
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings

DAY = dt.date(2025, 1, 1)
PARTITIONED = [
    dg.AssetKey("raw_orders"),
    dg.AssetKey("cleaned_orders"),
    dg.AssetKey("quarantined_orders"),
    dg.AssetKey(["warehouse", "fct_orders"]),
]
RESULTS = Path(__file__).parent / "results" / "checks.json"
RECONCILIATION = dg.AssetCheckKey(dg.AssetKey("cleaned_orders"), "reconciliation")


def _reconciliation_seconds(landing: Path) -> float:
    """Time of the reconciliation alone on the day's raw frame and cleaning result."""
    contract = load_contract()
    zone = LocalLandingZone(root=str(landing))
    files = [
        LandedFile(uri=i.uri, name=i.name, size=i.size, data=zone.read(i))
        for i in zone.list_day(DAY)
    ]
    raw = with_partition_date(read_landed_files(contract, files), DAY)
    result = clean_orders(raw, contract, b"bench-key-long-enough")
    started = time.perf_counter()
    reconcile_days(raw, result, [DAY], contract)
    return time.perf_counter() - started


def _step_seconds(result: dg.ExecuteInProcessResult) -> dict[str, float]:
    """Duration of each step, as Dagster measured it."""
    return {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type_value == "STEP_SUCCESS"
    }


def _run(job: dg.JobDefinition, instance: dg.DagsterInstance) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    result = job.execute_in_process(instance=instance, partition_key=DAY.isoformat())
    return time.perf_counter() - started, _step_seconds(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test() as instance:
        root = Path(tmp)
        started = time.perf_counter()
        generate(root / "landing", DAY, days=1, orders_per_day=args.orders, seed=7)
        print(f"generated {args.orders:,} orders in {time.perf_counter() - started:.1f}s")
        settings = PlatformSettings(
            landing_uri=str(root / "landing"),
            duckdb_path=str(root / "orders.duckdb"),
            partitions_start=DAY.isoformat(),
        )
        defs = build_definitions(settings)
        graph = defs.resolve_asset_graph()
        checks = {key for key in graph.asset_check_keys if key.asset_key in PARTITIONED}
        everything = defs.resolve_implicit_global_asset_job_def()
        # Reconciliation lives inside the cleaning step (not subsettable): it stays in the
        # bare run and its own cost is timed apart, on the same frames.
        without = everything.get_subset(
            asset_selection=set(PARTITIONED), asset_check_selection={RECONCILIATION}
        )
        with_checks = everything.get_subset(
            asset_selection=set(PARTITIONED), asset_check_selection=checks
        )
        # One warm-up run pays the one-off imports (pandas paths, GX) outside the timings.
        _run(with_checks, instance)
        bare, checked, steps = [], [], {}
        for _ in range(args.rounds):
            seconds, _ = _run(without, instance)
            bare.append(seconds)
            seconds, step_seconds = _run(with_checks, instance)
            checked.append(seconds)
            for step, value in step_seconds.items():
                steps[step] = min(value, steps.get(step, float("inf")))
        reconciliation = _reconciliation_seconds(root / "landing")
    base, total = min(bare) - reconciliation, min(checked)
    figures = {
        "orders": args.orders,
        "rounds": args.rounds,
        "materialization_s": round(base, 2),
        "materialization_with_checks_s": round(total, 2),
        "overhead": round((total - base) / base, 4),
        "reconciliation_s": round(reconciliation, 3),
        "step_s": {step: round(value, 2) for step, value in sorted(steps.items())},
        "all_runs_s": {
            "without_checks": [round(x, 2) for x in bare],
            "with_checks": [round(x, 2) for x in checked],
        },
    }
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"checks add {figures['overhead']:.1%} to the partition's materialization "
        f"(target < 30%); written to {RESULTS}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
