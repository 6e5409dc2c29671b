"""A small landing zone with every format and the usual dirt, written locally or to S3."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orders_core.contract import load_contract

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(3)]
COLUMNS = list(load_contract().column_names)


def _orders(day: dt.date, rng: random.Random) -> list[dict[str, str]]:
    """Twenty orders of the day, plus a superseding update and two rows to quarantine."""
    rows = []
    for n in range(20):
        quantity = rng.randint(1, 4)
        price = round(rng.uniform(5, 80), 2)
        ts = dt.datetime.combine(day, dt.time(8 + n % 12, n), tzinfo=dt.UTC)
        rows.append(
            {
                "order_id": f"o-{day:%m%d}-{n:03d}",
                "customer_id": f"c-{rng.randint(1, 12):02d}",
                "order_ts": ts.isoformat(),
                "amount": f"{quantity * price:.2f}",
                "currency": rng.choice(["usd", "EUR"]),
                "quantity": str(quantity),
                "unit_price": f"{price:.2f}",
                "status": rng.choice(["placed", "Shipped", "delivered"]),
                "region": rng.choice(["emea", "amer", ""]),
                "customer_email": f"User{n}@Example.com" if n % 3 else "",
                "updated_at": ts.isoformat(),
            }
        )
    update = dict(rows[0], status="cancelled", updated_at=f"{day}T23:00:00+00:00")
    bad_amount = dict(rows[1], order_id=f"o-{day:%m%d}-bad", amount="twelve")
    wrong_day = dict(rows[2], order_id=f"o-{day:%m%d}-late", order_ts="2024-12-01T00:00:00Z")
    return [*rows, update, bad_amount, wrong_day]


def landing_files(seed: int = 11) -> dict[str, bytes]:
    """Relative path -> bytes for every fixture file (CSV, JSON Lines with drift, Parquet)."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    for day in DAYS:
        rows = _orders(day, rng)
        folder = f"orders/date={day.isoformat()}"
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[:10])
        files[f"{folder}/part-a.csv"] = text.getvalue().encode()
        files[f"{folder}/part-b.jsonl"] = "".join(
            json.dumps({**row, "coupon": "WINTER"}) + "\n" for row in rows[10:17]
        ).encode()
        sink = io.BytesIO()
        table = pa.Table.from_pylist(
            rows[17:], schema=pa.schema([(c, pa.string()) for c in COLUMNS])
        )
        pq.write_table(table, sink)
        files[f"{folder}/part-c.parquet"] = sink.getvalue()
    # EUR rates to USD: none on 2025-01-02 (its orders take the 1st's), two different
    # ones on 2024-12-31 (neither used) and an unknown currency (kept with their reasons).
    files["fx_rates/rates.csv"] = (
        b"rate_date,currency,rate\n2024-12-31,EUR,1.10\n2024-12-31,EUR,1.11\n"
        b"2025-01-01,EUR,1.0875\n2025-01-03,EUR,1.0412\n2025-01-03,usd,1\n2025-01-03,XYZ,2\n"
    )
    return files


def write_local(root: Path, files: dict[str, bytes]) -> None:
    """Write the files under a local landing root."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def upload(client, bucket: str, prefix: str, files: dict[str, bytes]) -> None:
    """Put the files under ``s3://bucket/prefix/``."""
    for relative, data in files.items():
        client.put_object(Bucket=bucket, Key=f"{prefix}/{relative}", Body=data)
