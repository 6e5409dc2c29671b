"""JSON Lines files naming many keys: the reader's seconds and peak memory.

Every record of a JSON Lines file carries every key its file names (null where it has
none), so what the reader frames is records x keys. The file here has ``--rows`` orders,
the first ``--keys`` of them each naming one key more (``"sku_<i>": 1``, an export with a
key per product). Each case runs in its own child process, for its own peak RSS.

    python -m bench.jsonl_keys                          # the cases below
    python -m bench.jsonl_keys --keys 4000 --rows 4000  # one case, in this process
"""

from __future__ import annotations

import argparse
import json

from bench.harness import Timer, emit, run_child
from orders_core.contract import load_contract
from orders_core.jsonl_reader import MAX_FILE_KEYS, jsonl_batches
from orders_core.raw_frame import LandedFile

# (keys, rows): over the limit, under it with few and many records, none.
CASES = ((4_000, 4_000), (1_000, 4_000), (1_000, 60_000), (0, 60_000))


def landed(keys: int, rows: int) -> LandedFile:
    lines = []
    for i in range(rows):
        record = {
            "order_id": f"O{i:08d}",
            "customer_id": f"C{i % 5_000:06d}",
            "order_ts": "2025-01-01T10:00:00+00:00",
            "amount": "12.50",
            "currency": "USD",
            "quantity": "1",
            "unit_price": "12.50",
            "status": "placed",
            "region": "emea",
            "customer_email": f"c{i % 5_000}@example.com",
            "updated_at": "2025-01-01T10:05:00+00:00",
        }
        if i < keys:
            record[f"sku_{i}"] = 1
        lines.append(json.dumps(record))
    data = "\n".join(lines).encode()
    return LandedFile("file:///bench/orders.jsonl", "orders.jsonl", len(data), data)


def read(keys: int, rows: int) -> dict:
    source = landed(keys, rows)
    read_rows = frames = broken = 0
    with Timer() as timer:
        for frame in jsonl_batches(load_contract(), source):
            read_rows += len(frame)
            frames += 1
            broken += int(frame["parse_error"].notna().sum())
    return {
        "keys": keys,
        "rows": rows,
        "bytes": source.size,
        "seconds": timer.wall_s,
        "frames": frames,
        "read_rows": read_rows,
        "broken_rows": broken,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int)
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    if args.keys is not None and args.rows is not None:
        emit(read(args.keys, args.rows))
        return
    print(f"a file may name {MAX_FILE_KEYS:,} keys")
    for keys, rows in CASES:
        figures = run_child("jsonl_keys", ["--keys", keys, "--rows", rows])
        print(
            f"{keys:>6,} keys, {rows:>7,} records ({figures['bytes']:>11,} bytes):"
            f" {figures['seconds']:6.1f} s, peak {figures['peak_rss_mb']:7.1f} MiB,"
            f" {figures['frames']} frame(s), {figures['broken_rows']:,} broken records",
            flush=True,
        )


if __name__ == "__main__":
    main()
