"""A small, deterministic landing zone for the UI tests and the README screenshots.

A few days of orders in CSV and JSON Lines with the dirt the pipeline must show an
analyst: rejected rows (quarantine), a re-sent order (superseded duplicate) and an
extra column (schema drift). Volumes and prices vary by day so the Plots tab has a
trend to draw.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

from orders_core.contract import load_contract

COLUMNS = load_contract().column_names
STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
REGIONS = ("north", "south", "east", "west")


def _order(rng: random.Random, day: dt.date, number: int, customers: int) -> dict[str, str]:
    # Skewed: a few customers buy often, most rarely, as in real order books (and as the
    # CLV models expect; uniform buyers make BG/NBD degenerate).
    customer = int(customers * rng.random() ** 3)
    quantity = rng.randint(1, 4)
    unit_price = round(rng.uniform(5, 80), 2)
    placed = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(
        seconds=rng.randrange(86_400)
    )
    return {
        "order_id": f"o-{day:%Y%m%d}-{number:04d}",
        "customer_id": f"c-{customer:04d}",
        "order_ts": placed.isoformat(),
        "amount": f"{quantity * unit_price:.2f}",
        "currency": "USD",
        "quantity": str(quantity),
        "unit_price": f"{unit_price:.2f}",
        "status": rng.choice(STATUSES),
        "region": rng.choice(REGIONS),
        "customer_email": f"customer{customer}@example.com",
        "updated_at": placed.isoformat(),
    }


def day_orders(day: dt.date, seed: int = 7, customers: int = 60) -> list[dict[str, str]]:
    """One day's landed records, including two rejected rows and one re-sent order."""
    rng = random.Random(f"{seed}-{day.isoformat()}")
    base = 30 + (day.toordinal() % 7) * 6
    orders = [_order(rng, day, n, customers) for n in range(base)]
    orders.append({**orders[0], "order_id": f"bad-{day:%Y%m%d}-1", "amount": ""})
    orders.append({**orders[1], "order_id": f"bad-{day:%Y%m%d}-2", "currency": "dollars"})
    resent = dict(orders[2])
    resent["status"] = "shipped"
    resent["updated_at"] = (
        dt.datetime.fromisoformat(resent["updated_at"]) + dt.timedelta(hours=1)
    ).isoformat()
    orders.append(resent)
    return orders


def write_landing(root: Path, start: dt.date, days: int, seed: int = 7) -> list[dt.date]:
    """Write ``days`` days from ``start`` under ``root/orders/date=.../``; return the days."""
    written = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        folder = root / "orders" / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        orders = day_orders(day, seed)
        half = len(orders) // 2
        with open(folder / "orders-a.csv", "w", newline="", encoding="utf-8") as handle:
            # Every third day the source sends an extra column: schema drift to report.
            extra = ("coupon_code",) if offset % 3 == 2 else ()
            writer = csv.DictWriter(handle, fieldnames=COLUMNS + extra, restval="WELCOME10")
            writer.writeheader()
            writer.writerows(orders[:half])
        with open(folder / "orders-b.jsonl", "w", encoding="utf-8") as handle:
            for order in orders[half:]:
                handle.write(json.dumps(order) + "\n")
        written.append(day)
    return written
