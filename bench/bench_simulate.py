"""Throughput of the demo order generator and of the customer-summary helper.

    .venv/bin/python -m bench.bench_simulate [--days 30] [--orders-per-day 100000] [--format csv ...]

Prints rows per second for each format (files written to a temporary directory)
and the time to draw 1,000,000 customer summaries from the truth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from devtools.simulate import generate
from devtools.simulate_truth import simulate_customer_summaries


def bench_generate(days: int, orders_per_day: int, fmt: str) -> dict:
    with tempfile.TemporaryDirectory() as landing:
        began = time.perf_counter()
        summary = generate(
            Path(landing), dt.date(2025, 1, 1), days, orders_per_day, seed=7, fmt=fmt
        )
        seconds = time.perf_counter() - began
        size = sum(path.stat().st_size for path in Path(landing).rglob("*.*"))
    return {
        "format": fmt,
        "days": days,
        "orders_per_day": orders_per_day,
        "rows": summary.rows,
        "files": summary.files,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "rows_per_second": round(summary.rows / seconds),
    }


def bench_summaries(n_customers: int) -> dict:
    began = time.perf_counter()
    simulate_customer_summaries(n_customers, observation_days=365, seed=7)
    return {"customers": n_customers, "seconds": round(time.perf_counter() - began, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--format", action="append", choices=["csv", "jsonl", "parquet"])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results = {
        "generate": [
            bench_generate(args.days, args.orders_per_day, f) for f in args.format or ["csv"]
        ],
        "customer_summaries": bench_summaries(args.customers),
    }
    for row in results["generate"]:
        print(
            f"{row['format']:>7}: {row['rows']:,} rows in {row['seconds']} s "
            f"= {row['rows_per_second']:,} rows/s ({row['files']} files, {row['megabytes']} MB)"
        )
    summaries = results["customer_summaries"]
    print(f"summaries: {summaries['customers']:,} customers in {summaries['seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
