"""Real-world dirt and injected anomalies for the demo order generator.

Dirt (``dirty=True``, small shares, every row counted): exact duplicate rows,
updated orders (same order_id, newer updated_at, next status) in a later file
of the same day, late files (``late-000.*``: part of an older day written after
everything else), and malformed rows appended with fresh order ids so that the
well-formed orders stay exactly the simulated ones.

Anomalies (one per day, by name) are the kinds of incident the anomaly sensor
must notice; see :data:`ANOMALIES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from devtools.simulate_render import order_id_prefix

VOLUME_SPIKE = "volume_spike"  # x5 orders: the day's orders replayed under new ids
VOLUME_DROP = "volume_drop"  # only 10% of the orders arrive
CENTS = "cents"  # amount and unit_price sent in cents (x100)
NULL_BURST = "null_burst"  # 30% of the orders lose their customer_id
DUPLICATE_STORM = "duplicate_storm"  # 40% more rows, exact duplicates
SCHEMA_CHANGE = "schema_change"  # amount renamed total_amount, sales_channel added
ANOMALIES = (VOLUME_SPIKE, VOLUME_DROP, CENTS, NULL_BURST, DUPLICATE_STORM, SCHEMA_CHANGE)

SPIKE_FACTOR = 5
DROP_KEEP_SHARE = 0.10
NULL_BURST_SHARE = 0.30
STORM_SHARE = 0.40
RENAMED_COLUMNS = {"amount": "total_amount"}
EXTRA_COLUMN = "sales_channel"

DUPLICATE_SHARE = 0.01
UPDATE_SHARE = 0.02
MALFORMED_SHARE = 0.005
LATE_DAY_SHARE = 0.2
LATE_ROW_SHARE = 0.05
MALFORMED_KINDS = (
    "missing_customer_id",
    "bad_amount_text",
    "negative_amount",
    "bad_currency",
    "bad_timestamp",
    "order_ts_outside_day",
)
# placed -> shipped -> delivered -> returned; cancelled and returned are final.
NEXT_STATUS = np.array([1, 2, 4, 3, 4])


@dataclass(frozen=True)
class DirtCounts:
    """Rows of one day added or altered by dirt and anomalies."""

    duplicates: int = 0
    malformed: int = 0
    nulled_customer_ids: int = 0
    late_rows: int = 0


def check_anomalies(anomalies: Mapping[dt.date, str] | None) -> dict[dt.date, str]:
    """Validate anomaly names, with an error that lists the known ones."""
    checked = dict(anomalies or {})
    for day, name in checked.items():
        if name not in ANOMALIES:
            raise ValueError(f"unknown anomaly {name!r} on {day}; known: {', '.join(ANOMALIES)}")
    return checked


def reshape_orders(
    frame: pd.DataFrame, anomaly: str | None, day_start: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Apply the anomalies that change the orders themselves (volume and cents)."""
    if anomaly == VOLUME_SPIKE and len(frame):
        n = len(frame)
        extra = frame.iloc[rng.integers(0, n, (SPIKE_FACTOR - 1) * n)].copy()
        extra["ts"] = day_start + np.sort(rng.integers(0, 86_400, len(extra)))
        extra["updated_ts"] = extra["ts"]
        extra["status"] = 0
        extra["seq"] = np.arange(n + 1, n + 1 + len(extra))
        return pd.concat([frame, extra], ignore_index=True)
    if anomaly == VOLUME_DROP and len(frame):
        keep = max(1, round(len(frame) * DROP_KEEP_SHARE))
        return frame.iloc[np.sort(rng.choice(len(frame), keep, replace=False))]
    if anomaly == CENTS:
        return frame.assign(
            amount_cents=frame["amount_cents"] * 100, unit_cents=frame["unit_cents"] * 100
        )
    return frame


def draw_updates(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Later versions of some orders: next status, updated_at 1-72 hours later."""
    candidates = np.flatnonzero(frame["status"].to_numpy() <= 2)
    k = min(int(rng.binomial(len(frame), UPDATE_SHARE)), candidates.size)
    chosen = np.sort(rng.choice(candidates, k, replace=False))
    updates = frame.iloc[chosen].copy()
    updates["status"] = NEXT_STATUS[updates["status"].to_numpy()]
    updates["updated_ts"] = updates["updated_ts"] + rng.integers(3_600, 72 * 3_600, k)
    return updates


def _defect(row: dict, kind: str, day: dt.date, rng: np.random.Generator) -> None:
    """Break one field of a row the way a sloppy source system would."""
    if kind == "missing_customer_id":
        row["customer_id"] = None
    elif kind == "bad_amount_text":
        row["amount"] = row["amount"].replace(".", ",") if rng.random() < 0.5 else "abc"
    elif kind == "negative_amount":
        row["amount"] = "-" + row["amount"]
    elif kind == "bad_currency":
        row["currency"] = ("US$", "EURO", "12", "")[rng.integers(4)] or None
    elif kind == "bad_timestamp":
        row["order_ts"] = (f"{day:%d/%m/%Y} 25:61", "not a timestamp", f"{day}T99:00:00")[
            rng.integers(3)
        ]
    else:
        shift = dt.timedelta(
            days=int(rng.choice([-3, -2, -1, 1, 2])), seconds=int(rng.integers(86_400))
        )
        when = dt.datetime.combine(day, dt.time()) + shift
        row["order_ts"] = f"{when:%Y-%m-%dT%H:%M:%S}+00:00"


def malformed_rows(
    table: pa.Table, k: int, day: dt.date, next_seq: int, rng: np.random.Generator
) -> pa.Table:
    """``k`` copies of random rows with fresh order ids, each with one defect."""
    rows = table.take(rng.integers(0, table.num_rows, k)).to_pylist()
    kinds = rng.integers(0, len(MALFORMED_KINDS), k)
    for i, (row, kind) in enumerate(zip(rows, kinds, strict=True)):
        row["order_id"] = f"{order_id_prefix(day)}{next_seq + i:06d}"
        _defect(row, MALFORMED_KINDS[kind], day, rng)
    return pa.Table.from_pylist(rows, schema=table.schema)


def _insert(table: pa.Table, extra: pa.Table, rng: np.random.Generator) -> pa.Table:
    """Scatter ``extra`` rows at random places of ``table``, keeping both orders."""
    n = table.num_rows
    positions = np.sort(rng.integers(0, n + 1, extra.num_rows))
    index = np.insert(np.arange(n), positions, np.arange(n, n + extra.num_rows))
    return pa.concat_tables([table, extra]).take(pa.array(index))


def _change_schema(table: pa.Table, rng: np.random.Generator) -> pa.Table:
    names = [RENAMED_COLUMNS.get(name, name) for name in table.column_names]
    channels = pa.array(["web", "app", "store"]).take(pa.array(rng.integers(0, 3, table.num_rows)))
    return table.rename_columns(names).append_column(EXTRA_COLUMN, channels)


def soil_day(
    main: pa.Table,
    updates: pa.Table,
    day: dt.date,
    next_seq: int,
    anomaly: str | None,
    dirty: bool,
    rng: np.random.Generator,
) -> tuple[dict[str, pa.Table], DirtCounts]:
    """Files of one day (stem -> table) with dirt and string-level anomalies applied."""
    n = main.num_rows
    nulled = 0
    if anomaly == NULL_BURST:
        mask = rng.random(n) < NULL_BURST_SHARE
        nulled = int(mask.sum())
        ids = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), main["customer_id"])
        main = main.set_column(main.column_names.index("customer_id"), "customer_id", ids)

    n_dup = int(rng.binomial(n, DUPLICATE_SHARE)) if dirty and n else 0
    if anomaly == DUPLICATE_STORM and n:
        n_dup += round(n * STORM_SHARE)
    n_bad = int(rng.binomial(n, MALFORMED_SHARE)) if dirty and n else 0
    extra = pa.concat_tables(
        [
            main.take(pa.array(rng.integers(0, max(n, 1), n_dup))),
            malformed_rows(main, n_bad, day, next_seq, rng) if n_bad else main.slice(0, 0),
        ]
    )
    main = _insert(main, extra, rng)

    late = main.slice(0, 0)
    if dirty and rng.random() < LATE_DAY_SHARE:
        updated = pc.is_in(main["order_id"], value_set=updates["order_id"]).to_numpy(
            zero_copy_only=False
        )
        late_mask = pa.array((rng.random(main.num_rows) < LATE_ROW_SHARE) & ~updated)
        late, main = main.filter(late_mask), main.filter(pc.invert(late_mask))

    files = {"part-000": main, "part-001": updates, "late-000": late}
    files = {stem: table for stem, table in files.items() if table.num_rows or stem == "part-000"}
    if anomaly == SCHEMA_CHANGE:
        files = {stem: _change_schema(table, rng) for stem, table in files.items()}
    counts = DirtCounts(
        duplicates=n_dup, malformed=n_bad, nulled_customer_ids=nulled, late_rows=late.num_rows
    )
    return files, counts
