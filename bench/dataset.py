"""Child process: generate a landing zone with the demo generator, once per size.

A finished landing zone keeps a ``.bench-dataset.json`` stamp of its arguments,
so a later ``make bench`` with the same sizes reuses it instead of generating
again.

    python -m bench.dataset --landing DIR --start 2025-01-01 --days 30 --orders-per-day 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

from bench.harness import Timer, emit
from devtools.simulate import generate

STAMP = ".bench-dataset.json"


def stamp_of(start: dt.date, days: int, orders_per_day: int, seed: int) -> dict:
    return {"start": start.isoformat(), "days": days, "orders_per_day": orders_per_day,
            "seed": seed, "format": "csv"}  # fmt: skip


def is_ready(landing: Path, stamp: dict) -> dict | None:
    """The summary of an existing landing zone made with ``stamp``, if there is one."""
    path = landing / STAMP
    if not path.is_file():
        return None
    recorded = json.loads(path.read_text())
    return recorded if recorded.get("stamp") == stamp else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--orders-per-day", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    stamp = stamp_of(args.start, args.days, args.orders_per_day, args.seed)
    ready = is_ready(args.landing, stamp)
    if ready:
        emit({**ready, "generated": False})
        return
    shutil.rmtree(args.landing, ignore_errors=True)
    with Timer() as timer:
        summary = generate(args.landing, args.start, args.days, args.orders_per_day, args.seed)
    record = {
        "stamp": stamp,
        "rows": summary.rows,
        "orders": summary.orders,
        "files": summary.files,
        "bytes": sum(p.stat().st_size for p in args.landing.rglob("*.csv")),
        "generate_s": timer.wall_s,
    }
    (args.landing / STAMP).write_text(json.dumps(record))
    emit({**record, "generated": True})


if __name__ == "__main__":
    main()
