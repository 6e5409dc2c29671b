"""Child process: one big landed day of orders, written by DuckDB in seconds.

The demo generator (:mod:`devtools.simulate`) models customers and holds the whole day
in memory; for days of millions of orders this writer is enough and much faster. The
day has what makes the platform work: about 2 % of the orders land again as a later
version (newer ``updated_at``, another status), 0.5 % have an unparseable amount and
0.2 % no customer. Rows are split into ``--parts`` files of contiguous orders, the way a
landing zone receives part files: CSV (default), gzip CSV, JSON Lines or Parquet
(``--format``). A ``.bench-dataset.json`` stamp makes a second call
with the same arguments a no-op. ``--format csv-quoted`` quotes one value around a line
break in each part file.

    python -m bench.synthetic_day --landing DIR --day 2025-01-01 --orders 4000000 --parts 8
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb

from bench.harness import Timer, emit

STAMP = ".bench-dataset.json"
# JSON Lines and Parquet typed as the query. "csv-quoted": CSV whose middle order of each
# part has a status holding a line break, written quoted: a file only the row-by-row
# reader takes (neither the engine's scan nor pyarrow's parser: a record of two lines).
FORMATS = ("csv", "csv.gz", "jsonl", "parquet", "csv-quoted")

# One order per row of range(lo, hi); integer arithmetic on i gives every value, so the
# same arguments give the same bytes. ``v`` is 0 for the first version, 1 for an update.
ORDERS_SQL = """
select
    printf('O%s-%09d', strftime($day, '%Y%m%d'), i) as order_id,
    if(i % 500 = 7, '', printf('C%08d', i % $customers)) as customer_id,
    strftime($day + to_seconds(i * 86399 // $orders), '%Y-%m-%dT%H:%M:%S+00:00') as order_ts,
    if(i % 200 = 3, 'n/a', printf('%.2f', 5 + (i * 7919 % 20000) / 100.0)) as amount,
    ['USD', 'EUR', 'GBP', 'JPY'][1 + i % 4] as currency,
    cast(1 + i % 3 as varchar) as quantity,
    printf('%.2f', (5 + (i * 7919 % 20000) / 100.0) / (1 + i % 3)) as unit_price,
    case when v = 1 then 'shipped'
         when $quoted and i = ($lo + $hi) // 2 then 'placed' || chr(10) || 'rush'
         else ['placed', 'cancelled', 'delivered'][1 + i % 3] end as status,
    ['north-america', 'emea', 'apac', 'uk'][1 + i % 4] as region,
    printf('c%08d@example.com', i % $customers) as customer_email,
    strftime($day + to_seconds(i * 86399 // $orders + 600 * (1 + v)), '%Y-%m-%dT%H:%M:%S+00:00')
        as updated_at
from (
    select i, 0 as v from range($lo, $hi) t(i)
    union all
    select i, 1 as v from range($lo, $hi) t(i) where i % 50 = 11
)
order by i, v
"""


def write_day(landing: Path, day: dt.date, orders: int, parts: int, fmt: str = "csv") -> dict:
    """Write the day's part files (in one of :data:`FORMATS`) under ``landing``; the
    files, rows and bytes written."""
    stamp = {"day": day.isoformat(), "orders": orders, "parts": parts, "writer": "synthetic"}
    if fmt != "csv":
        stamp["format"] = fmt
    recorded = landing / STAMP
    if recorded.is_file():
        summary = json.loads(recorded.read_text())
        if summary.get("stamp") == stamp:
            return {**summary, "generated": False}
    shutil.rmtree(landing, ignore_errors=True)
    folder = landing / "orders" / f"date={day.isoformat()}"
    folder.mkdir(parents=True)
    bounds = [orders * k // parts for k in range(parts + 1)]
    with Timer() as timer, duckdb.connect() as conn:
        for k in range(parts):
            params = {"day": day, "orders": orders, "customers": max(orders // 3, 1),
                      "lo": bounds[k], "hi": bounds[k + 1], "quoted": fmt == "csv-quoted"}  # fmt: skip
            target = folder / f"part-{k:03d}.{fmt.removesuffix('-quoted')}"
            query = conn.sql(ORDERS_SQL, params=params)
            if fmt == "parquet":
                query.write_parquet(str(target))
            elif fmt == "jsonl":
                query.to_view("part")
                conn.execute(f"COPY part TO '{target}' (FORMAT json)")
            else:
                query.write_csv(str(target), quotechar='"', header=True,
                                compression="gzip" if fmt == "csv.gz" else None)  # fmt: skip
    files = sorted(folder.glob("part-*"))
    rows = orders + sum(1 for i in range(11, orders, 50))
    summary = {"stamp": stamp, "rows": rows, "orders": orders, "files": len(files),
               "bytes": sum(p.stat().st_size for p in files), "generate_s": timer.wall_s}  # fmt: skip
    recorded.write_text(json.dumps(summary))
    return {**summary, "generated": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--parts", type=int, default=1)
    parser.add_argument("--format", choices=FORMATS, default="csv", help="of the part files")
    args = parser.parse_args()
    emit(write_day(args.landing, args.day, args.orders, args.parts, args.format))


if __name__ == "__main__":
    main()
