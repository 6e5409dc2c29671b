"""``make bench``: the platform against what a user would write instead.

Writes bench/results/latest.json and bench/results/latest.md. Nothing passes or
fails here: the figures are printed next to their targets. Each contender runs
in its own child process (see :mod:`bench.harness`); timed figures are medians
of ``--repetitions`` runs, because the machine may be shared.

    python -m bench.run --days 30 --orders-per-day 100000 [--repetitions 3]
        [--sections end_to_end backfill sensor definitions clv overhead memory]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.harness import REPO_ROOT, machine, median_of, run_child
from bench.published import require_same
from bench.report import markdown

RESULTS = REPO_ROOT / "bench" / "results"
DATA = REPO_ROOT / "data" / "bench"
START = dt.date(2025, 1, 1)
SECTIONS = ("end_to_end", "backfill", "sensor", "definitions", "clv", "overhead", "memory")
EXECUTOR = "in_process (dagster.execute_job, temporary SQLite DAGSTER_HOME)"


def dataset(days: int, orders_per_day: int, seed: int) -> tuple[Path, dict]:
    """A generated landing zone (reused when it already exists) and its summary."""
    landing = DATA / f"landing-{days}x{orders_per_day}-s{seed}"
    summary = run_child(
        "dataset",
        ["--landing", landing, "--start", START, "--days", days,
         "--orders-per-day", orders_per_day, "--seed", seed],
    )  # fmt: skip
    print(f"  dataset {landing.name}: {summary['rows']:,} rows"
          f" ({'generated' if summary['generated'] else 'reused'})", flush=True)  # fmt: skip
    return landing, summary


def platform(landing: Path, days: int, mode: str = "single", executor: str = "in_process") -> dict:
    return run_child(
        "platform_run",
        ["--landing", landing, "--start", START, "--days", days, "--mode", mode,
         "--executor", executor],
    )  # fmt: skip


def _script(module: str, landing: Path) -> dict:
    """A contender without Dagster: ``bench.<module>`` writing a fresh DuckDB file."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{module}-") as work:
        return run_child(module, ["--landing", landing, "--duckdb", f"{work}/orders.duckdb"])


def baseline(landing: Path) -> dict:
    return _script("baseline", landing)


def duckdb_script(landing: Path) -> dict:
    return _script("duckdb_script", landing)


CONTENDERS = {"platform": None, "duckdb_script": duckdb_script, "baseline": baseline}


def _median(samples: list[dict], key: str) -> float:
    return median_of([sample[key] for sample in samples])


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, for the figures' run conditions."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def end_to_end(
    days: int,
    orders_per_day: int,
    seed: int,
    repetitions: int,
    contenders: Sequence[str] = ("platform", "duckdb_script"),
) -> dict:
    """Single-run backfill of the whole graph against the scripts, in rotating order.

    ``contenders`` must hold the platform and the DuckDB script; add ``baseline`` for
    the pandas + DuckDB script too."""
    landing, summary = dataset(days, orders_per_day, seed)
    names = [name for name in CONTENDERS if name in contenders]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    load_start = load_average()
    reference: tuple[str, dict] | None = None
    for repetition in range(repetitions):
        shift = repetition % len(names)
        for name in names[shift:] + names[:shift]:
            run = CONTENDERS[name]
            sample = platform(landing, days) if run is None else run(landing)
            runs[name].append(sample)
            print(f"  end_to_end {name}: {sample['seconds']:.1f} s"
                  f" (process {sample['process_wall_s']:.1f} s)", flush=True)  # fmt: skip
            # Times compare only between runs that published the same tables.
            if reference is None:
                reference = (f"the first {name} run", sample["published"])
            else:
                require_same(reference[0], reference[1], f"a {name} run", sample["published"])
    load_end = load_average()
    platform_s, script_s = (
        _median(runs["platform"], "seconds"),
        _median(runs["duckdb_script"], "seconds"),
    )
    rows = summary["rows"]
    fct = {name: runs[name][-1]["rows"]["warehouse.fct_orders"] for name in runs}
    to_fct = [
        sum(
            s["step_seconds"].get(k, 0.0)
            for k in ("raw_orders", "clean_orders", "warehouse__fct_orders")
        )
        for s in runs["platform"]
    ]
    # Each pair (platform, script) of a repetition shared the machine's state.
    pairs = [
        p["seconds"] / d["seconds"]
        for p, d in zip(runs["platform"], runs["duckdb_script"], strict=True)
    ]
    figures = {
        "days": days,
        "orders_per_day": orders_per_day,
        "landed_rows": rows,
        "landing_bytes": summary["bytes"],
        "executor": EXECUTOR,
        "load_average_start": load_start,
        "load_average_end": load_end,
        "platform_s": platform_s,
        "duckdb_script_s": script_s,
        "ratio_to_duckdb_script": round(platform_s / script_s, 3),
        "paired_ratio_to_duckdb_script": round(statistics.median(pairs), 3),
        "duckdb_script_orders_per_s": round(rows / script_s),
        "orders_per_s": round(rows / platform_s),
        "orders_per_s_raw_to_fct_steps": round(rows / statistics.median(to_fct)),
        # Whole child processes: interpreter, imports and definitions, untimed above.
        "platform_process_s": _median(runs["platform"], "process_wall_s"),
        "duckdb_script_process_s": _median(runs["duckdb_script"], "process_wall_s"),
        "platform_cpu_s": _median(runs["platform"], "cpu_s"),
        "duckdb_script_cpu_s": _median(runs["duckdb_script"], "cpu_s"),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in runs["platform"]),
        "fct_orders_rows": fct,
        # Checked equal in every run of every contender (bench/published.py).
        "published": runs["platform"][0]["published"],
        "dim_customers_rows": {n: runs[n][-1]["rows"]["warehouse.dim_customers"] for n in runs},
        "platform_step_s": runs["platform"][len(runs["platform"]) // 2]["step_seconds"],
        "duckdb_script_peak_rss_mb": max(s["peak_rss_mb"] for s in runs["duckdb_script"]),
        "samples_s": {name: [s["seconds"] for s in samples] for name, samples in runs.items()},
    }
    if "baseline" in runs:
        baseline_s = _median(runs["baseline"], "seconds")
        figures |= {
            "baseline_s": baseline_s,
            "ratio": round(platform_s / baseline_s, 3),
            "baseline_cpu_s": _median(runs["baseline"], "cpu_s"),
            "baseline_peak_rss_mb": max(s["peak_rss_mb"] for s in runs["baseline"]),
            "baseline_step_s": runs["baseline"][len(runs["baseline"]) // 2]["step_seconds"],
        }
    return figures


def launched(landing: Path, days: int, mode: str) -> float:
    """Seconds of the backfill as a deployment runs it, a process per run (the run
    launcher's): interpreter start-up, imports and definitions included. ``single``: one
    process over every day; ``per-partition``: one process per day, on one warehouse."""
    with tempfile.TemporaryDirectory(prefix="bench-launched-") as work:
        starts = (
            [START] if mode == "single" else [START + dt.timedelta(days=i) for i in range(days)]
        )
        return round(sum(
            run_child("platform_run", [
                "--landing", landing, "--start", start, "--mode", mode, "--work", work,
                "--days", days if mode == "single" else 1,
            ])["process_wall_s"]
            for start in starts
        ), 3)  # fmt: skip


def backfill(days: int, orders_per_day: int, seed: int, repetitions: int) -> dict:
    """One run over ``days`` small partitions against one run per partition: all runs in
    one process, then a process per run (as launched by a deployment)."""
    landing, summary = dataset(days, orders_per_day, seed)
    single, per_partition, launched_single, launched_per_partition = [], [], [], []
    load_start = load_average()
    for _ in range(repetitions):
        single.append(platform(landing, days, "single"))
        per_partition.append(platform(landing, days, "per-partition"))
        launched_single.append(launched(landing, days, "single"))
        launched_per_partition.append(launched(landing, days, "per-partition"))
        print(f"  backfill single {single[-1]['seconds']:.1f} s,"
              f" per partition {per_partition[-1]['seconds']:.1f} s; a process per run:"
              f" {launched_single[-1]:.1f} s, {launched_per_partition[-1]:.1f} s", flush=True)  # fmt: skip
    single_s, per_partition_s = _median(single, "seconds"), _median(per_partition, "seconds")
    launched_s = median_of(launched_single)
    launched_per_partition_s = median_of(launched_per_partition)
    return {
        "partitions": days,
        "orders_per_day": orders_per_day,
        "landed_rows": summary["rows"],
        "executor": EXECUTOR + "; per-partition runs are sequential in one process",
        "single_run_s": single_s,
        "per_partition_s": per_partition_s,
        "speedup": round(per_partition_s / single_s, 2),
        "launched_single_run_s": launched_s,
        "launched_per_partition_s": launched_per_partition_s,
        "launched_speedup": round(launched_per_partition_s / launched_s, 2),
        "single_run_step_s": single[len(single) // 2]["step_seconds"],
        "per_partition_step_s": per_partition[len(per_partition) // 2]["step_seconds"],
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "samples_s": {
            "single_run": [s["seconds"] for s in single],
            "per_partition": [s["seconds"] for s in per_partition],
            "launched_single_run": launched_single,
            "launched_per_partition": launched_per_partition,
        },
    }


def definitions_load(repetitions: int) -> dict:
    samples = [run_child("definitions_load", []) for _ in range(max(repetitions, 5))]
    return {
        "definitions_load_s": _median(samples, "seconds"),
        "definitions_load_cpu_s": _median(samples, "cpu_s"),
        "definitions_load_process_s": _median(samples, "process_wall_s"),
        "definitions_load_samples_s": [s["seconds"] for s in samples],
    }


def _overhead(off: list[float], on: list[float]) -> float:
    return round(100 * (statistics.median(on) / statistics.median(off) - 1), 2)


def tracing_overhead(rows: int, seed: int, repetitions: int) -> dict:
    """The whole graph on one day of ``rows`` orders, tracing off and on, alternating."""
    landing, summary = dataset(1, rows, seed)
    args = ["--landing", landing, "--start", START, "--days", 1]
    off, on, spans = [], [], 0
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for repetition in range(repetitions):
        for traced in (False, True) if repetition % 2 == 0 else (True, False):
            if traced:
                sample = run_child("traced_run", args)
                on.append(sample["seconds"])
                spans = sample["spans_received"]
            else:
                sample = platform(landing, 1)
                off.append(sample["seconds"])
            cpu[traced].append(sample["cpu_s"])
        print(f"  tracing off {off[-1]:.1f} s, on {on[-1]:.1f} s; CPU {cpu[False][-1]:.1f},"
              f" {cpu[True][-1]:.1f} s", flush=True)  # fmt: skip
    return {
        "landed_rows": summary["rows"],
        "off_s": round(statistics.median(off), 3),
        "on_s": round(statistics.median(on), 3),
        "overhead_pct": _overhead(off, on),
        # Runs alternate, so each on/off pair shared the machine's state: the median of the
        # pairs' ratios is less sensitive to a noisy neighbour than the ratio of medians.
        "paired_overhead_pct": round(
            100 * (statistics.median(b / a for a, b in zip(off, on, strict=True)) - 1), 2
        ),
        # CPU seconds of the run's process (the receiver's decoding included when on): what
        # tracing costs, which a loaded machine's wall seconds cannot show.
        "paired_cpu_overhead_pct": round(
            100
            * (statistics.median(b / a for a, b in zip(cpu[False], cpu[True], strict=True)) - 1),
            2,
        ),
        "spans_per_run": spans,
        "samples_s": {"off": off, "on": on},
        "samples_cpu_s": {"off": cpu[False], "on": cpu[True]},
        "note": "the whole orders_pipeline job on one day; on = OTLP/HTTP export to a "
        "receiver on loopback in the same process (bench/traced_run.py)",
    }


def checks_overhead(rows: int, repetitions: int) -> dict:
    """bench/bench_checks.py: the partitioned assets of one day with and without checks.
    A failure of the child is a ``{"failed": ...}`` figure with the end of its error, so
    that the sections after it still run and the table says the target was not measured."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.bench_checks", "--orders", str(rows),
         "--rounds", str(repetitions)],
        cwd=REPO_ROOT, check=False, capture_output=True, text=True,
    )  # fmt: skip
    if completed.returncode != 0:
        error = completed.stderr.strip().splitlines()[-1:] or [f"exit {completed.returncode}"]
        print(f"  checks overhead FAILED: {error[0][:600]}", flush=True)
        return {"rows": rows, "failed": error[0][-2000:]}
    figures = json.loads((RESULTS / "checks.json").read_text())
    return {
        "rows": rows,
        "overhead_pct": round(100 * figures["overhead"], 2),
        "without_checks_s": figures.get("materialization_s"),
        "with_checks_s": figures.get("materialization_with_checks_s"),
        "step_s": figures.get("step_s"),
        "note": "raw_orders, cleaned/quarantined_orders and fct_orders of one day, each a run "
        "with its checks (drift, anomaly, GX suites as SQL, column schema, documented "
        "columns), without them, and with them again (nothing is built on a load its blocking "
        "checks never judged, so one run of all of them without checks cannot run); the "
        "reconciliation statement runs in the cleaning step either way",
    }


def memory(orders: Sequence[int], parts: Sequence[int]) -> list[dict]:
    """bench/memory_curve.py: peak RSS of each day step, per day size and file split."""
    output = RESULTS / "memory_curve.json"
    subprocess.run(
        [sys.executable, "-m", "bench.memory_curve", "--orders", *map(str, orders),
         "--parts", *map(str, parts), "--output", str(output)],
        cwd=REPO_ROOT, check=True,
    )  # fmt: skip
    return json.loads(output.read_text())


def cpu_seconds() -> float:
    """CPU seconds (user and system) of this process and of its children waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@contextmanager
def section(results: dict, name: str) -> Iterator[None]:
    """Time a section (wall, and CPU of the bench and every child process it ran) into
    ``results["section_seconds"]``: what a reviewer's run of the section costs."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    yield
    spent = {
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(cpu_seconds() - cpu, 1),
    }
    results.setdefault("section_seconds", {})[name] = spent
    print(f"  {name}: {spent['wall_s']:.1f} s wall, {spent['cpu_s']:.1f} s CPU", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--backfill-days", type=int, default=30)
    parser.add_argument("--backfill-orders-per-day", type=int, default=1_000)
    parser.add_argument(
        "--memory-orders", type=int, nargs="*", default=[1_000_000, 4_000_000, 8_000_000]
    )
    parser.add_argument("--memory-parts", type=int, nargs="+", default=[8, 1])
    parser.add_argument(
        "--with-baseline", action="store_true", help="also run the pandas + DuckDB baseline"
    )
    parser.add_argument("--overhead-rows", type=int, default=1_000_000)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)

    results: dict = {"machine": machine(), "arguments": vars(args) | {"output": str(args.output)}}
    sections = set(args.sections)
    if "end_to_end" in sections:
        print("end to end", flush=True)
        with section(results, "end_to_end"):
            results["end_to_end"] = end_to_end(
                args.days,
                args.orders_per_day,
                args.seed,
                args.repetitions,
                [*CONTENDERS] if args.with_baseline else ["platform", "duckdb_script"],
            )
        e2e = results["end_to_end"]
        print(
            f"  platform {e2e['platform_s']} s, DuckDB script {e2e['duckdb_script_s']} s:"
            f" {e2e['ratio_to_duckdb_script']}x; raw -> fct"
            f" {e2e['orders_per_s_raw_to_fct_steps']:,} orders/s",
            flush=True,
        )
        write(results, args.output)
    if "backfill" in sections:
        print("backfill policy", flush=True)
        with section(results, "backfill"):
            results["backfill"] = backfill(
                args.backfill_days, args.backfill_orders_per_day, args.seed, args.repetitions
            )
        write(results, args.output)
    if "sensor" in sections:
        print("sensor tick", flush=True)
        with section(results, "sensor"):
            tick = run_child("sensor_tick", ["--repetitions", args.repetitions])
        results["sensor_tick_s"] = tick["sensor_tick_s"]
        results["sensor_first_tick_s"] = tick["sensor_first_tick_s"]
        results["sensor_tick_note"] = tick["what"]
        write(results, args.output)
    if "definitions" in sections:
        print("definitions load", flush=True)
        with section(results, "definitions"):
            results.update(definitions_load(args.repetitions))
        write(results, args.output)
    if "clv" in sections:
        print("CLV fit", flush=True)
        with section(results, "clv"):
            clv = run_child("clv_fit", [])
        results["clv_fit_s"], results["clv_fit_note"] = clv["clv_fit_s"], clv["note"]
        write(results, args.output)
    if "overhead" in sections:
        print("checks and tracing overhead", flush=True)
        with section(results, "overhead"):
            results["checks_overhead"] = checks_overhead(args.overhead_rows, args.repetitions)
            results["tracing_overhead"] = tracing_overhead(
                args.overhead_rows, args.seed, args.repetitions
            )
        write(results, args.output)
    if "memory" in sections and args.memory_orders:
        print(
            f"memory of one day of {', '.join(f'{n:,}' for n in args.memory_orders)} orders"
            f" in {' and '.join(map(str, args.memory_parts))} file(s), each step in its own"
            " process (--memory-orders chooses the days; an 8,000,000-order day takes"
            " several minutes)",
            flush=True,
        )
        with section(results, "memory"):
            results["memory"] = memory(args.memory_orders, args.memory_parts)

    print(write(results, args.output))
    print(f"wrote {args.output} and {args.output.with_suffix('.md')}")
    return 0


def write(results: dict, output: Path) -> str:
    """Write the figures so far (after each section, so that a bench stopped half-way keeps
    what it measured) as JSON and as the markdown table, which is returned."""
    output.parent.mkdir(parents=True, exist_ok=True)
    results["load_average_written"] = load_average()
    output.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    output.with_suffix(".md").write_text(table)
    return table


if __name__ == "__main__":
    raise SystemExit(main())
