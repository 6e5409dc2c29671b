"""Small deterministic order fixtures for the check tests (landing files and frames)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd

from orders_core.cleaning import CleaningResult, clean_orders
from orders_core.contract import load_contract
from orders_core.ingest import read_landed_files
from orders_core.raw_frame import LandedFile, with_partition_date
from resources.settings import PlatformSettings

DAY = dt.date(2025, 1, 2)
KEY = b"test-key-that-is-long-enough"
HEADER = load_contract().column_names


def order_rows(n: int, day: dt.date = DAY, prefix: str = "o") -> list[dict[str, str]]:
    """n valid orders placed on ``day`` (UTC)."""
    rows = []
    for i in range(n):
        quantity = 1 + i % 4
        price = 10 + (i % 7) * 2.5
        ts = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
            seconds=37 * i % 86_000
        )
        rows.append(
            {
                "order_id": f"{prefix}{day:%Y%m%d}-{i:05d}",
                "customer_id": f"c{i % 13:03d}",
                "order_ts": ts.isoformat(),
                "amount": f"{quantity * price:.2f}",
                "currency": ("USD", "EUR", "GBP")[i % 3],
                "quantity": str(quantity),
                "unit_price": f"{price:.2f}",
                "status": ("placed", "shipped", "delivered")[i % 3],
                "region": ("north", "south", "east")[i % 3],
                "customer_email": f"Customer{i % 13}@Example.com",
                "updated_at": ts.isoformat(),
            }
        )
    return rows


def csv_bytes(rows: list[dict[str, str]], header: tuple[str, ...] | list[str] = HEADER) -> bytes:
    """CSV text of rows (missing keys written as empty)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode("utf-8")


def landed(name: str, data: bytes) -> LandedFile:
    """A landing file held in memory."""
    return LandedFile(
        uri=f"file:///landing/orders/date={DAY}/{name}", name=name, size=len(data), data=data
    )


def raw_frame(files: list[LandedFile], day: dt.date = DAY) -> pd.DataFrame:
    """The raw_orders frame of one day, as the ingestion asset builds it."""
    return with_partition_date(read_landed_files(load_contract(), files), day)


def clean(raw: pd.DataFrame) -> CleaningResult:
    """Cleaning with the test key."""
    return clean_orders(raw, load_contract(), KEY)


# order_rows' currencies besides the reporting one (USD), landed at par by land(): the
# tests that are not about FX keep their figures in nominal units, every order priced.
PAR_CURRENCIES = ("EUR", "GBP")


def land(root: Path, day: dt.date, name: str, data: bytes) -> Path:
    """Write one landing file under ``root`` in the landing layout, and the day's FX rates
    of :data:`PAR_CURRENCIES` at 1 (``fx_rates/par-<day>.csv``)."""
    folder = root / "orders" / f"date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    land_par_rates(root, day)
    return path


def land_par_rates(root: Path, day: dt.date) -> Path:
    """The day's rates of :data:`PAR_CURRENCIES` at 1, under ``root/fx_rates``."""
    rates = root / "fx_rates"
    rates.mkdir(parents=True, exist_ok=True)
    path = rates / f"par-{day.isoformat()}.csv"
    lines = ["rate_date,currency,rate", *(f"{day.isoformat()},{c},1" for c in PAR_CURRENCIES)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def settings_for(tmp: Path) -> PlatformSettings:
    """Settings of a throwaway deployment under ``tmp``."""
    return PlatformSettings(
        landing_uri=str(tmp / "landing"),
        duckdb_path=str(tmp / "orders.duckdb"),
        partitions_start="2025-01-01",
    )


def range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """Run tags of a single-run backfill of the days start..end."""
    return {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
    }
