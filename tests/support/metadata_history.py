"""Simulated materialization metadata of ordinary days, with injected anomalies of each kind."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from orders_core.anomaly_features import PARTITION, RAW, history_record, metadata_column
from orders_core.contract import load_contract

START = dt.date(2025, 1, 6)  # a Monday
DAYS = 90
WEEKDAY_FACTOR = (0.9, 0.95, 1.0, 1.05, 1.2, 1.7, 1.3)  # Saturday peak
OPTIONAL_NULL_RATE = {
    "quantity": 0.02,
    "unit_price": 0.02,
    "status": 0.01,
    "region": 0.05,
    "customer_email": 0.08,
    "updated_at": 0.3,
}


def normal_day(index: int, rng: np.random.Generator) -> tuple[dict, dict]:
    """Metadata of one ordinary day: weekly seasonality, slow growth and noise."""
    day = START + dt.timedelta(days=index)
    rows = round(
        2000 * WEEKDAY_FACTOR[day.weekday()] * (1 + 0.002 * index) * rng.lognormal(0, 0.06)
    )
    mean_value = 52 * rng.lognormal(0, 0.03) * (1.08 if day.weekday() >= 5 else 1.0)
    null_rates = {column: 0.0 for column in load_contract().required}
    null_rates |= {c: rate * rng.lognormal(0, 0.2) for c, rate in OPTIONAL_NULL_RATE.items()}
    duplicate_rate = rng.uniform(0.001, 0.008)
    quarantined = int(rng.binomial(rows, 0.004))
    superseded = round(rows * duplicate_rate)
    raw = {
        "dagster/row_count": rows,
        "orders/files": int(rng.integers(1, 4)),
        "orders/bytes": rows * 210 * rng.lognormal(0, 0.02),
        "orders/revenue": rows * mean_value,
        "orders/mean_order_value": mean_value,
        "orders/median_amount": mean_value * 0.8 * rng.lognormal(0, 0.02),
        "orders/distinct_customers": round(rows * 0.82 * rng.lognormal(0, 0.02)),
        "orders/duplicate_rate": duplicate_rate,
        **{f"orders/null_rate/{column}": rate for column, rate in null_rates.items()},
        "orders/null_rate_max": max(null_rates.values()),
        "orders/unparseable_amount_rate": rng.poisson(0.5) / rows,
        "orders/extra_columns": 0,
        "orders/missing_columns": 0,
        "orders/parse_errors": int(rng.poisson(0.3)),
        "orders/duration_s": (0.4 + rows * 0.0009) * rng.lognormal(0, 0.15),
    }
    kept = rows - quarantined - superseded
    cleaned = {
        "dagster/row_count": kept,
        "orders/raw_rows": rows,
        "orders/quarantined_rows": quarantined,
        "orders/superseded_rows": superseded,
        "orders/quarantine_rate": quarantined / rows,
        "orders/revenue": raw["orders/revenue"] * kept / rows,
    }
    return raw, cleaned


def scale_volume(raw: dict, cleaned: dict, factor: float) -> None:
    for key in ("dagster/row_count", "orders/bytes", "orders/revenue", "orders/distinct_customers"):
        raw[key] *= factor
    raw["orders/duration_s"] *= factor
    for key in (
        "dagster/row_count",
        "orders/raw_rows",
        "orders/revenue",
        "orders/quarantined_rows",
    ):
        cleaned[key] *= factor


def amounts_in_cents(raw: dict, cleaned: dict) -> None:
    for key in ("orders/revenue", "orders/mean_order_value", "orders/median_amount"):
        raw[key] *= 100
    cleaned["orders/revenue"] *= 100


def null_customers(raw: dict, cleaned: dict) -> None:
    raw["orders/null_rate/customer_id"] = 0.3
    raw["orders/null_rate_max"] = max(raw["orders/null_rate_max"], 0.3)
    raw["orders/distinct_customers"] *= 0.7
    cleaned["orders/quarantine_rate"] += 0.3
    cleaned["orders/quarantined_rows"] += 0.3 * cleaned["orders/raw_rows"]
    cleaned["orders/revenue"] *= 0.7


def duplicate_storm(raw: dict, cleaned: dict) -> None:
    rows = raw["dagster/row_count"] / 0.6
    raw.update({"dagster/row_count": rows, "orders/duplicate_rate": 0.4})
    raw["orders/bytes"] /= 0.6
    cleaned.update({"orders/raw_rows": rows, "orders/superseded_rows": 0.4 * rows})


def schema_change(raw: dict, cleaned: dict) -> None:
    """``amount`` renamed upstream: a missing and an extra column, no amount parsed."""
    del raw["orders/mean_order_value"], raw["orders/median_amount"]
    raw.update(
        {
            "orders/extra_columns": 1,
            "orders/missing_columns": 1,
            "orders/null_rate/amount": 1.0,
            "orders/null_rate_max": 1.0,
            "orders/revenue": 0.0,
        }
    )
    rows = raw["dagster/row_count"]
    cleaned.update(
        {
            "dagster/row_count": 0,
            "orders/quarantined_rows": rows,
            "orders/superseded_rows": 0,
            "orders/quarantine_rate": 1.0,
            "orders/revenue": 0.0,
        }
    )


INJECTED = {
    40: ("volume x5 on a Saturday", lambda r, c: scale_volume(r, c, 5.0)),
    46: ("volume down to 10%", lambda r, c: scale_volume(r, c, 0.1)),
    52: ("amounts in cents", amounts_in_cents),
    59: ("30% null customer_id", null_customers),
    67: ("duplicate storm", duplicate_storm),
    81: ("schema change", schema_change),
}


def simulate(days: int = DAYS, seed: int = 7, inject: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    records = []
    for index in range(days):
        raw, cleaned = normal_day(index, rng)
        if inject and index in INJECTED:
            INJECTED[index][1](raw, cleaned)
        record = history_record(raw, cleaned)
        record[PARTITION] = (START + dt.timedelta(days=index)).isoformat()
        records.append(record)
    return pd.DataFrame.from_records(records)


def day(index: int) -> str:
    return (START + dt.timedelta(days=index)).isoformat()


# Seconds a load took: kept in raw_orders' metadata for people to read, never scored.
_TIMING = metadata_column(RAW, "orders/duration_s")


def scored_numbers(raw_metadata) -> dict[str, float]:
    """The numbers the anomaly features may read from one day's raw_orders metadata
    (:func:`history_record`), without the load's duration, which differs between loads."""
    record = history_record(raw_metadata)
    record.pop(_TIMING, None)
    return record
