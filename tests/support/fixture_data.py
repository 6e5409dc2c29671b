"""Small, hand-checkable landing fixtures written in all three formats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from orders_core.contract import load_contract

HEADER = list(load_contract().column_names)


def order(order_id, customer, ts, amount, **extra) -> dict:
    row = dict.fromkeys(HEADER, "")
    row.update(
        order_id=order_id,
        customer_id=customer,
        order_ts=ts,
        amount=amount,
        currency=extra.pop("currency", "USD"),
    )
    row.update(extra)
    return row


def write_csv(path: Path, rows: list[dict], header: list[str] = HEADER) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def write_parquet(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=HEADER).to_parquet(path, index=False)


def day_dir(root: Path, day: dt.date) -> Path:
    return root / "orders" / f"date={day.isoformat()}"


DAY1, DAY2, DAY3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)


def build_landing(root: Path) -> dict[dt.date, dict[str, int]]:
    """Three days of orders with known dirt; returns the expected counts per day.

    Day 1 (CSV): 4 valid orders, one of them updated later (1 superseded), 1 row
    with a bad amount, 1 with an order_ts on another day.
    Day 2 (JSON Lines + Parquet): 3 valid orders, 1 exact duplicate, 1 missing customer.
    Day 3: no files at all (an empty day).
    """
    write_csv(
        day_dir(root, DAY1) / "part-000.csv",
        [
            order("A1", "alice", "2025-01-01T09:00:00Z", "10.00", quantity="1", unit_price="10.00"),
            order("A2", "bob", "2025-01-01T10:00:00+02:00", "20.50", status="placed"),
            order("A3", "alice", "2025-01-01T20:30:00-02:30", "5.25", status="Shipped"),
            order("A4", "carol", "2025-01-01T12:00:00Z", "1,234.50"),
            order("A5", "carol", "2025-01-02T12:00:00Z", "3.00"),
            order("A6", "dave", "2025-01-01T12:00:00Z", "7.00", customer_email="Dave@Example.com"),
        ],
    )
    write_csv(
        day_dir(root, DAY1) / "part-001.csv",
        [
            order(
                "A2",
                "bob",
                "2025-01-01T10:00:00+02:00",
                "25.00",
                status="shipped",
                updated_at="2025-01-01T18:00:00Z",
            )
        ],
    )
    write_jsonl(
        day_dir(root, DAY2) / "part-000.jsonl",
        [
            order("B1", "alice", "2025-01-02T08:00:00Z", "30.00"),
            order("B2", "bob", "2025-01-02T09:00:00Z", "40.00"),
            order("B2", "bob", "2025-01-02T09:00:00Z", "40.00"),
            order("B3", "", "2025-01-02T10:00:00Z", "50.00"),
        ],
    )
    write_parquet(
        day_dir(root, DAY2) / "part-001.parquet",
        [order("B4", "erin", "2025-01-02T11:00:00Z", "60.00")],
    )
    return {
        DAY1: {"raw": 7, "cleaned": 4, "quarantined": 2, "superseded": 1},
        DAY2: {"raw": 5, "cleaned": 3, "quarantined": 1, "superseded": 1},
        DAY3: {"raw": 0, "cleaned": 0, "quarantined": 0, "superseded": 0},
    }
