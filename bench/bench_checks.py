"""Cost of the asset checks on one large partition (default 1,000,000 orders).

Generates one day of demo orders, then materializes that day's partitioned assets in
three stages, each a run of one step: raw_orders, cleaned_orders + quarantined_orders,
warehouse/fct_orders; each stage without any of its checks and with every one of them
(schema drift, the anomaly verdict, the two GX suites compiled to SQL, the column-schema
and documented-columns checks). One run of all the assets without checks cannot be
measured: nothing is built on a day whose latest load its blocking checks have not
judged (the cleaning refuses raw_orders' load that metadata_anomaly and schema_drift
never judged, fct_orders a cleaning gx_quality never judged). So each stage runs with
its checks, then without, then with them again, in that order: its upstream's latest
materialization has been judged before either runs, the next stage finds its own latest
one judged, and the two checked runs around the bare one cancel the machine's drift
(their mean is the stage's checked time). The checks add the stages' checked seconds
over their bare seconds; the minimum of each contender over the rounds is kept, and the
median of the rounds' own overheads beside it. The reconciliation is one aggregate
statement the cleaning step runs whether its check is selected or not, so it stays in
the bare time. Each stage's run pays Dagster's cost of a run on both sides, on an
instance that stores events as the embedded default does (the repository's
``dagster.yaml``). Prints the
materialization time, the time with checks, the overhead, each stage's and each step's
own duration, the CPU seconds of the process beside the wall seconds (with and without,
and the median of the rounds' own overheads), and writes bench/results/checks.json.

``--quality-only`` measures the GX suite of cleaned_orders alone on one synthetic day
of ``--orders`` rows in a DuckDB file, two ways: the platform's path (the suite compiled
to SQL and run in the engine) and Great Expectations validating the day read into pandas
(a pandas datasource, as the checks did before they moved into the engine).

    .venv/bin/python -m bench.bench_checks [--orders 1000000] [--rounds 4] [--quality-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg

from bench.harness import instance_overrides
from devtools.simulate import generate
from orders_core.contract import load_contract
from orders_platform.definitions import build_definitions
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
# The stages, upstream first: each a run of one step, whose upstream's latest
# materialization its checks have judged before it runs.
STAGES = {
    "raw_orders": [PARTITIONED[0]],
    "cleaned_orders": PARTITIONED[1:3],
    "fct_orders": [PARTITIONED[3]],
}


def _stage_jobs(
    everything: dg.JobDefinition, graph, assets: list[dg.AssetKey]
) -> tuple[dg.JobDefinition, dg.JobDefinition]:
    """The stage's assets without their checks (the reconciliation, inside the cleaning
    step, stays) and with every one of them."""
    checks = {key for key in graph.asset_check_keys if key.asset_key in assets}
    bare = everything.get_subset(
        asset_selection=set(assets), asset_check_selection=checks & {RECONCILIATION}
    )
    return bare, everything.get_subset(asset_selection=set(assets), asset_check_selection=checks)


def _round(
    stages: dict[str, tuple[dg.JobDefinition, dg.JobDefinition]], instance: dg.DagsterInstance
) -> dict[str, dict]:
    """One round: each stage with its checks, without, with them again (see the module)."""
    figures = {}
    for name, (bare, with_checks) in stages.items():
        first, first_cpu, steps = _run(with_checks, instance)
        alone, alone_cpu, bare_steps = _run(bare, instance)
        second, second_cpu, again = _run(with_checks, instance)
        _keep_fastest(steps, again)
        figures[name] = {
            "without_checks": alone,
            "with_checks": (first + second) / 2,
            "without_checks_cpu": alone_cpu,
            "with_checks_cpu": (first_cpu + second_cpu) / 2,
            "step_s": steps,
            "bare_step_s": bare_steps,
        }
    return figures


def _step_seconds(result: dg.ExecuteInProcessResult) -> dict[str, float]:
    """Duration of each step, as Dagster measured it."""
    return {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type_value == "STEP_SUCCESS"
    }


def _run(
    job: dg.JobDefinition, instance: dg.DagsterInstance
) -> tuple[float, float, dict[str, float]]:
    """Wall and CPU seconds of one run (the process's CPU: every thread, DuckDB's too; on
    a shared machine CPU moves less with the other processes than wall), and its steps'."""
    started, cpu = time.perf_counter(), time.process_time()
    result = job.execute_in_process(instance=instance, partition_key=DAY.isoformat())
    return time.perf_counter() - started, time.process_time() - cpu, _step_seconds(result)


def _keep_fastest(fastest: dict[str, float], step_seconds: dict[str, float]) -> None:
    """Each step's shortest duration so far, across rounds."""
    for step, value in step_seconds.items():
        fastest[step] = min(value, fastest.get(step, float("inf")))


def _synthetic_cleaned_day(database: str, orders: int) -> None:
    """One day of valid typed orders in staging.cleaned_orders, made by the engine."""
    import duckdb

    from orders_core.sql.dialect import render
    from orders_core.sql.tables import create_statements
    from orders_core.tables import CLEANED_ORDERS

    with duckdb.connect(database) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for statement in create_statements(load_contract(), CLEANED_ORDERS):
            conn.execute(render(statement))
        conn.execute(
            "INSERT INTO staging.cleaned_orders BY NAME SELECT"
            " 'o' || i AS order_id, 'c' || (i % 50000) AS customer_id,"
            " TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i % 86400) AS order_ts,"
            " DATE '2025-01-01' AS order_date, (1 + i % 4) * 12.5 AS amount,"
            " ['USD', 'EUR', 'GBP'][1 + i % 3] AS currency, 1 + i % 4 AS quantity,"
            " 12.5 AS unit_price, ['placed', 'shipped', 'delivered'][1 + i % 3] AS status,"
            " ['north', 'south', 'east'][1 + i % 3] AS region,"
            " sha256('c' || (i % 50000)) AS customer_email_hash,"
            " TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i % 86400) AS updated_at,"
            " 'f.csv' AS source_file, i AS source_line, DATE '2025-01-01' AS partition_date"
            " FROM range(?) AS t(i)",
            [orders],
        )


def quality_paths(orders: int, rounds: int) -> dict[str, float]:
    """Seconds of the cleaned_orders GX suite on one day: in the engine vs GX on pandas."""
    import duckdb

    from devtools.gx_reference import gx_outcomes
    from orders_core.expectations import order_suite
    from orders_core.sql.dialect import render
    from orders_core.sql.quality import evaluate
    from orders_core.tables import CLEANED_ORDERS

    suite = order_suite(load_contract())
    with tempfile.TemporaryDirectory() as tmp:
        database = str(Path(tmp) / "orders.duckdb")
        _synthetic_cleaned_day(database, orders)
        engine, pandas = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            with duckdb.connect(database) as conn:
                conn.execute("SET TimeZone = 'UTC'")
                execute = lambda sql, params: conn.execute(render(sql), params).fetchall()  # noqa: E731
                ((rows, _),) = evaluate(execute, CLEANED_ORDERS, lambda day: suite, [DAY]).values()
            engine.append(time.perf_counter() - started)
            started = time.perf_counter()
            with duckdb.connect(database) as conn:
                conn.execute("SET TimeZone = 'UTC'")
                gx_outcomes(conn, CLEANED_ORDERS, DAY, suite)
            pandas.append(time.perf_counter() - started)
    assert rows == orders
    return {
        "orders": orders,
        "engine_sql_s": round(min(engine), 3),
        "gx_pandas_s": round(min(pandas), 3),
        "speedup": round(min(pandas) / min(engine), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--quality-only", action="store_true")
    args = parser.parse_args(argv)
    if args.quality_only:
        figures = quality_paths(args.orders, args.rounds)
        print(json.dumps(figures, indent=2))
        print(
            f"cleaned_orders GX suite on {args.orders:,} rows: {figures['engine_sql_s']}s in the"
            f" engine vs {figures['gx_pandas_s']}s with GX on pandas ({figures['speedup']}x)"
        )
        return 0

    # The instance stores events as the embedded default does (the repository's dagster.yaml,
    # as bench.platform_run): each check evaluation is a few events, and Dagster's stock
    # SQLite storage, which builds an engine per statement, would charge them about twice.
    with (
        tempfile.TemporaryDirectory() as tmp,
        dg.instance_for_test(overrides=instance_overrides()) as instance,
    ):
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
        everything = defs.resolve_implicit_global_asset_job_def()
        stages = {name: _stage_jobs(everything, graph, assets) for name, assets in STAGES.items()}
        # One warm-up pass pays the one-off imports (pandas paths, GX) outside the timings.
        for _, with_checks in stages.values():
            _run(with_checks, instance)
        rounds = [_round(stages, instance) for _ in range(args.rounds)]
    bare = [sum(r[name]["without_checks"] for name in STAGES) for r in rounds]
    checked = [sum(r[name]["with_checks"] for name in STAGES) for r in rounds]
    bare_cpu = [sum(r[name]["without_checks_cpu"] for name in STAGES) for r in rounds]
    checked_cpu = [sum(r[name]["with_checks_cpu"] for name in STAGES) for r in rounds]
    steps, bare_steps = {}, {}
    for r in rounds:
        for name in STAGES:
            _keep_fastest(steps, r[name]["step_s"])
            _keep_fastest(bare_steps, r[name]["bare_step_s"])
    base, total = min(bare), min(checked)
    figures = {
        "orders": args.orders,
        "rounds": args.rounds,
        "materialization_s": round(base, 2),
        "materialization_with_checks_s": round(total, 2),
        "overhead": round((total - base) / base, 4),
        # Each round's runs are adjacent, so they share the machine's state: the median
        # of the rounds' own overheads moves less with the machine than a ratio of minima.
        "paired_overhead": round(
            statistics.median([(c - b) / b for b, c in zip(bare, checked, strict=True)]), 4
        ),
        "cpu_s": {
            "without_checks": round(min(bare_cpu), 2),
            "with_checks": round(min(checked_cpu), 2),
            "paired_overhead": round(
                statistics.median(
                    [(c - b) / b for b, c in zip(bare_cpu, checked_cpu, strict=True)]
                ),
                4,
            ),
        },
        "stage_s": {
            name: {
                "without_checks": round(min(r[name]["without_checks"] for r in rounds), 2),
                "with_checks": round(min(r[name]["with_checks"] for r in rounds), 2),
            }
            for name in STAGES
        },
        "step_s": {step: round(value, 2) for step, value in sorted(steps.items())},
        "bare_step_s": {step: round(value, 2) for step, value in sorted(bare_steps.items())},
        # The check steps' own seconds; the rest of the overhead is Dagster's cost per
        # step and event, and what the asset steps do differently when checks follow.
        "check_steps_s": round(sum(v for k, v in steps.items() if k not in bare_steps), 2),
        "all_runs_s": {
            "without_checks": [round(x, 2) for x in bare],
            "with_checks": [round(x, 2) for x in checked],
            "without_checks_cpu": [round(x, 2) for x in bare_cpu],
            "with_checks_cpu": [round(x, 2) for x in checked_cpu],
        },
    }
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"checks add {figures['overhead']:.1%} to the partition's materialization "
        f"(target <= 15%; the median of the rounds' own: {figures['paired_overhead']:.1%}; "
        f"the check steps' own seconds: {figures['check_steps_s'] / base:.1%}; CPU seconds: "
        f"{figures['cpu_s']['with_checks']} against {figures['cpu_s']['without_checks']}, "
        f"the median of the rounds' own {figures['cpu_s']['paired_overhead']:.1%}); "
        f"written to {RESULTS}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
