"""Peak memory and throughput of each day step, one big day at several sizes.

For each size (orders in one day) and each split of the day into part files, a
synthetic day is written (:mod:`bench.synthetic_day`), then ``raw_orders``,
``clean_orders``, ``warehouse/fct_orders`` and the checks of those assets each run in
their own child process (:mod:`bench.step_run`, what a step process of the multiprocess
executor holds) against one fresh DuckDB file. Prints, per step, the wall seconds and
the process's peak resident set; per size, the raw-to-fct throughput and the checks'
share. Writes bench/results/memory_curve.json.

    python -m bench.memory_curve --orders 1000000 4000000 8000000 --parts 1 8
    python -m bench.memory_curve --orders 2000000 --parts 20 --format csv.gz  # gzip files
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from bench.harness import REPO_ROOT, run_child
from bench.synthetic_day import FORMATS

DAY = dt.date(2025, 1, 1)
DATA = REPO_ROOT / "data" / "bench"
RESULTS = REPO_ROOT / "bench" / "results" / "memory_curve.json"
STEPS = ("raw_orders", "clean_orders", "fct_orders", "checks")
GIB_MB = 1024
# A step that outgrows this (virtual memory, a few GiB above its resident set) fails
# rather than take the memory of a machine shared with other jobs.
ADDRESS_SPACE_GIB = 12


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def day_steps(
    orders: int,
    parts: int,
    memory_limit: str | None,
    steps: tuple[str, ...] = STEPS,
    fmt: str = "csv",
) -> dict:
    """Every step of one synthetic day of ``orders`` in ``parts`` files, in child processes."""
    suffix = "" if fmt == "csv" else "-" + fmt.replace(".", "-")
    landing = DATA / f"synthetic-{orders}-p{parts}{suffix}"
    written = run_child("synthetic_day", ["--landing", landing, "--day", DAY,
                                          "--orders", orders, "--parts", parts,
                                          "--format", fmt])  # fmt: skip
    figures: dict = {"orders": orders, "parts": parts, "format": fmt, "rows": written["rows"],
                     "bytes": written["bytes"], "load_start": load(), "steps": {}}  # fmt: skip
    extra = ["--memory-limit", memory_limit] if memory_limit else []
    with tempfile.TemporaryDirectory(prefix="bench-memory-", dir=DATA) as work:
        for step in steps:
            try:
                sample = run_child("step_run", ["--landing", landing, "--duckdb",
                                                f"{work}/orders.duckdb", "--home", f"{work}/home",
                                                "--start", DAY, "--step", step, *extra],
                                   address_space_gib=ADDRESS_SPACE_GIB)  # fmt: skip
            except RuntimeError as error:
                figures["steps"][step] = {"failed": str(error)[-600:]}
                print(f"  {orders:>10,} x{parts} {step:<13} FAILED", flush=True)
                break
            figures["steps"][step] = {k: sample.get(k) for k in ("seconds", "cpu_s",
                                      "step_seconds", "peak_rss_mb", "rss_before_run_mb")}  # fmt: skip
            print(f"  {orders:>10,} x{parts} {step:<13} {sample['seconds']:7.1f} s"
                  f" (CPU {sample.get('cpu_s') or 0:6.1f} s)"
                  f"  peak RSS {sample['peak_rss_mb']:7,.0f} MiB"
                  f"  (before run {sample['rss_before_run_mb']:,.0f})", flush=True)  # fmt: skip
    figures["load_end"] = load()
    steps = figures["steps"]
    if all("seconds" in steps.get(s, {}) for s in STEPS):
        to_fct = sum(steps[s]["seconds"] for s in STEPS[:3])
        figures["raw_to_fct_s"] = round(to_fct, 2)
        figures["raw_to_fct_orders_per_s"] = round(orders / to_fct)
        figures["checks_share_pct"] = round(100 * steps["checks"]["seconds"] / to_fct, 1)
    figures["max_step_peak_rss_mb"] = max(
        (s["peak_rss_mb"] for s in steps.values() if "peak_rss_mb" in s), default=None
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000_000, 4_000_000, 8_000_000])
    parser.add_argument("--parts", type=int, nargs="+", default=[1, 8])
    parser.add_argument(
        "--memory-limit", help="DuckDB memory_limit of the steps (default: the resource's)"
    )
    parser.add_argument(
        "--raw-only-above",
        type=int,
        default=1,
        help="days split in more files than this run every step; the others raw_orders only"
        " (the steps after it read the same table whatever the split)",
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="of the part files")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    runs = []
    for orders in args.orders:
        for parts in args.parts:
            steps = STEPS if parts > args.raw_only_above else STEPS[:1]
            runs.append(day_steps(orders, parts, args.memory_limit, steps, args.format))
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(runs, indent=2) + "\n")
    print(
        "\n| orders in the day | files | raw_orders | clean_orders | fct_orders | checks"
        " | max step RSS (MiB) | <= 1 GiB | raw->fct orders/s | checks / raw->fct | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    for run in runs:
        cells = []
        for step in STEPS:
            s = run["steps"].get(step)
            cells.append("not run" if s is None else "failed" if "failed" in s
                         else f"{s['seconds']:.1f} s / {s['peak_rss_mb']:,.0f} MiB")  # fmt: skip
        peak = run["max_step_peak_rss_mb"]
        rate = run.get("raw_to_fct_orders_per_s")
        print(f"| {run['orders']:,} | {run['parts']} | {' | '.join(cells)} |"
              f" {'n/a' if peak is None else f'{peak:,.0f}'} |"
              f" {'missed' if peak is None or peak > GIB_MB else 'met'} |"
              f" {f'{rate:,}' if rate else 'n/a'} | {run.get('checks_share_pct', 'n/a')} % |"
              f" {run['load_start']} -> {run['load_end']} |")  # fmt: skip
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
