"""Turn simulated orders (numbers) into landing-file text, and write the files.

Every format carries the same text: all columns are strings (CSV, JSON Lines
string values, Parquet ``string`` columns), and a missing value is an empty CSV
field, JSON ``null`` or a Parquet null. Strings, because malformed rows such as
an amount of ``"12,50"`` must survive into the file exactly as a source would
send them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from devtools.simulate_truth import customer_ids

FORMATS = ("csv", "jsonl", "parquet")
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}
STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
REGIONS = ("north-america", "europe", "uk", "apac", "latam")
REGION_WEIGHTS = (0.5, 0.2, 0.1, 0.12, 0.08)
REGION_CURRENCY = ("USD", "EUR", "GBP", "USD", "USD")
# UTC offsets (minutes) a region's systems may write; code 0 is UTC.
OFFSET_MINUTES = (0, -300, -480, 60, 540, 330, -180)
REGION_OFFSETS = ((1, 2), (3,), (0,), (4, 5), (6,))


def offset_text(minutes: int) -> str:
    """``+05:30`` style suffix for an offset in minutes."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def order_id_prefix(day: dt.date) -> str:
    """Order ids of a day are ``O<yyyymmdd>-<sequence>``."""
    return f"O{day:%Y%m%d}-"


def order_ids(day: dt.date, seq: np.ndarray) -> pa.Array:
    """Order ids for 1-based sequence numbers within ``day``."""
    digits = pc.utf8_lpad(pc.cast(pa.array(seq, pa.int64()), pa.string()), 6, "0")
    return pc.binary_join_element_wise(order_id_prefix(day), digits, "")


def money_text(cents: np.ndarray) -> pa.Array:
    """Exact two-decimal text for non-negative integer cents."""
    units = pc.cast(pa.array(cents // 100, pa.int64()), pa.string())
    rest = pc.utf8_lpad(pc.cast(pa.array(cents % 100, pa.int64()), pa.string()), 2, "0")
    return pc.binary_join_element_wise(units, rest, ".")


def timestamp_text(epoch_seconds: np.ndarray, offset_code: np.ndarray | None = None) -> pa.Array:
    """ISO-8601 text of UTC instants, written in local time with an explicit offset."""
    if offset_code is None:
        offset_code = np.zeros(epoch_seconds.size, dtype=np.int8)
    minutes = np.asarray(OFFSET_MINUTES, dtype=np.int64)[offset_code]
    local = pa.array(epoch_seconds + minutes * 60, pa.timestamp("s"))
    text = pc.replace_substring(pc.cast(local, pa.string()), " ", "T")
    suffix = pa.array([offset_text(m) for m in OFFSET_MINUTES]).take(pa.array(offset_code))
    return pc.binary_join_element_wise(text, suffix, "")


def render_orders(frame: pd.DataFrame, day: dt.date) -> pa.Table:
    """Text table in the contract's columns from a numeric frame of one day's orders.

    ``frame`` columns: seq, customer, region, ts, offset, quantity, unit_cents,
    amount_cents, status, updated_ts (epoch seconds, codes into the tuples above).
    """
    customer = customer_ids(frame["customer"].to_numpy())
    region = frame["region"].to_numpy()
    columns = {
        "order_id": order_ids(day, frame["seq"].to_numpy()),
        "customer_id": customer,
        "order_ts": timestamp_text(frame["ts"].to_numpy(), frame["offset"].to_numpy()),
        "amount": money_text(frame["amount_cents"].to_numpy()),
        "currency": pa.array(REGION_CURRENCY).take(pa.array(region)),
        "quantity": pc.cast(pa.array(frame["quantity"].to_numpy()), pa.string()),
        "unit_price": money_text(frame["unit_cents"].to_numpy()),
        "status": pa.array(STATUSES).take(pa.array(frame["status"].to_numpy())),
        "region": pa.array(REGIONS).take(pa.array(region)),
        "customer_email": pc.binary_join_element_wise(pc.utf8_lower(customer), "@example.com", ""),
        "updated_at": timestamp_text(frame["updated_ts"].to_numpy()),
    }
    return pa.table(columns)


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write one landing file: CSV (UTF-8, header), JSON Lines or Parquet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
    elif fmt == "jsonl":
        table.to_pandas().to_json(path, orient="records", lines=True, force_ascii=False)
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
