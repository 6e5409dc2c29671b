"""Per-partition features for anomaly scoring, built from materialization metadata.

Input is one row per daily partition holding the numeric metadata that
``raw_orders`` and ``cleaned_orders`` attach to each materialization, flattened
to columns named ``"<asset>:<metadata key>"`` (see :func:`history_record`).
Keys a given run did not emit are simply absent or NaN: every feature tolerates
them and the scorer imputes them with the baseline, so they never raise a flag.

Features are chosen so that one number moves per kind of failure:

* volume (rows, revenue, distinct customers, bytes, files) is expressed on a
  log scale *relative to the median of the same weekday over the previous four
  weeks*, so a normal Saturday peak is 0 while a day at x5 is log(5) = 1.6;
* amounts (mean order value, median amount) are log levels, so amounts sent in
  cents show up as +log(100) whatever the day;
* data quality is expressed as rates in [0, 1] (nulls, duplicates, quarantine,
  unparseable amounts, superseded rows, share of revenue kept by cleaning),
  plus counts of extra and missing columns;
* cost is expressed per row (bytes per row, seconds per row).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orders_core.contract import load_contract

RAW = "raw_orders"
CLEANED = "cleaned_orders"
PARTITION = "partition"
WEEKDAY_LOOKBACK_WEEKS = 4


@dataclass(frozen=True)
class FeatureSpec:
    """How to read one feature: what it means and the smallest deviation that matters.

    ``min_scale`` floors the robust spread used for z-scores, so a feature that
    never moved in the baseline (extra columns, a null rate of exactly 0) does
    not turn a negligible change into an infinite z-score. ``group`` is the
    family of failures the feature belongs to (volume, basket, nulls,
    cleaning, schema, cost).
    """

    name: str
    description: str
    min_scale: float
    group: str


def metadata_column(asset: str, key: str) -> str:
    """Column name of one asset's metadata key in the history frame."""
    return f"{asset}:{key}"


def history_record(
    raw: Mapping[str, object], cleaned: Mapping[str, object] | None = None
) -> dict[str, float]:
    """Flatten the numeric metadata of one partition's ``raw_orders`` and ``cleaned_orders``.

    Non-numeric entries (fingerprints, notes, schemas) are left out.
    """
    record: dict[str, float] = {}
    for asset, metadata in ((RAW, raw), (CLEANED, cleaned or {})):
        for key, value in metadata.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                record[metadata_column(asset, key)] = float(value)
    return record


def _key_null_columns() -> tuple[str, ...]:
    return load_contract().required


def feature_specs() -> tuple[FeatureSpec, ...]:
    """The engineered features, in the column order :func:`build_features` returns."""
    volume = [
        FeatureSpec(f"{name}_vs_weekday", f"log {what} vs same-weekday median", floor, "volume")
        for name, what, floor in (
            ("rows", "row count", 0.05),
            ("revenue", "revenue", 0.05),
            ("customers", "distinct customers", 0.05),
            ("bytes", "bytes landed", 0.05),
            ("files", "1 + files landed", 0.1),
        )
    ]
    nulls = [
        FeatureSpec(f"null_rate_{column}", f"share of rows with null {column}", 0.01, "nulls")
        for column in _key_null_columns()
    ]
    return (
        *volume,
        FeatureSpec("log_mean_order_value", "log mean order value", 0.05, "basket"),
        FeatureSpec("log_median_amount", "log median amount", 0.05, "basket"),
        FeatureSpec("customers_per_row", "distinct customers / rows", 0.02, "basket"),
        FeatureSpec("null_rate_max", "highest null rate of a required column", 0.01, "nulls"),
        *nulls,
        FeatureSpec("duplicate_rate", "share of duplicate order ids", 0.01, "cleaning"),
        FeatureSpec("unparseable_amount_rate", "share of unparseable amounts", 0.01, "cleaning"),
        FeatureSpec("parse_error_rate", "parse errors per row", 0.01, "cleaning"),
        FeatureSpec("quarantine_rate", "share of raw rows quarantined", 0.01, "cleaning"),
        FeatureSpec("superseded_rate", "share of raw rows superseded", 0.01, "cleaning"),
        FeatureSpec("revenue_kept", "cleaned revenue / raw revenue", 0.01, "cleaning"),
        FeatureSpec("extra_columns", "columns not in the contract", 0.5, "schema"),
        FeatureSpec("missing_columns", "contract columns absent", 0.5, "schema"),
        FeatureSpec("log_bytes_per_row", "log bytes per row", 0.05, "cost"),
        # Wall time moves with machine load (shared CI runners, busy nodes), so its spread
        # is floored high: only an order-of-magnitude slowdown stands out on its own.
        FeatureSpec("log_seconds_per_row", "log load seconds per row", 0.75, "cost"),
    )


def _partition_index(history: pd.DataFrame) -> pd.DataFrame:
    frame = history.set_index(PARTITION) if PARTITION in history.columns else history
    frame = frame.copy()
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index)).normalize()
    frame.index.name = PARTITION
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def _weekday_baseline(levels: pd.DataFrame, held: Collection) -> pd.DataFrame:
    """Median of the previous same-weekday partitions, leaving held ones out."""
    held_index = pd.DatetimeIndex(pd.to_datetime(list(held))).normalize()
    masked = levels.loc[~levels.index.isin(held_index)].reindex(levels.index)
    return masked.groupby(masked.index.dayofweek).transform(
        lambda s: s.shift(1).rolling(WEEKDAY_LOOKBACK_WEEKS, min_periods=1).median()
    )


def build_features(history: pd.DataFrame, held: Collection = ()) -> pd.DataFrame:
    """Engineer anomaly features, one row per partition.

    ``history`` is indexed by partition date (or has a ``partition`` column)
    with ``"<asset>:<key>"`` metadata columns; later duplicates of a partition
    win. ``held`` partitions are kept out of the weekday baselines, so a held
    anomaly does not become the next week's normal. Returns a float frame
    indexed by partition date with the columns of :func:`feature_specs`.
    """
    frame = _partition_index(history)

    def raw(key: str) -> pd.Series:
        return frame.get(metadata_column(RAW, key), pd.Series(np.nan, index=frame.index))

    def cleaned(key: str) -> pd.Series:
        return frame.get(metadata_column(CLEANED, key), pd.Series(np.nan, index=frame.index))

    rows = raw("dagster/row_count")
    per_row = rows.where(rows > 0)
    raw_revenue = raw("orders/revenue")
    volume = pd.DataFrame(
        {
            "rows": rows,
            "revenue": raw_revenue.clip(lower=0),
            "customers": raw("orders/distinct_customers"),
            "bytes": raw("orders/bytes"),
            "files": raw("orders/files"),
        }
    ).pipe(np.log1p)
    seasonal = (volume - _weekday_baseline(volume, held)).add_suffix("_vs_weekday")

    cleaned_raw_rows = cleaned("orders/raw_rows").fillna(rows)
    cleaned_raw_rows = cleaned_raw_rows.where(cleaned_raw_rows > 0)
    quarantine = cleaned("orders/quarantine_rate").fillna(
        cleaned("orders/quarantined_rows") / cleaned_raw_rows
    )
    features = pd.DataFrame(
        {
            "log_mean_order_value": np.log1p(raw("orders/mean_order_value").clip(lower=0)),
            "log_median_amount": np.log1p(raw("orders/median_amount").clip(lower=0)),
            "customers_per_row": raw("orders/distinct_customers") / per_row,
            "null_rate_max": raw("orders/null_rate_max"),
            **{
                f"null_rate_{column}": raw(f"orders/null_rate/{column}")
                for column in _key_null_columns()
            },
            "duplicate_rate": raw("orders/duplicate_rate"),
            "unparseable_amount_rate": raw("orders/unparseable_amount_rate"),
            "parse_error_rate": raw("orders/parse_errors") / per_row,
            "quarantine_rate": quarantine,
            "superseded_rate": cleaned("orders/superseded_rows") / cleaned_raw_rows,
            "revenue_kept": cleaned("orders/revenue") / raw_revenue.where(raw_revenue > 0),
            "extra_columns": raw("orders/extra_columns"),
            "missing_columns": raw("orders/missing_columns"),
            "log_bytes_per_row": np.log(raw("orders/bytes") / per_row),
            "log_seconds_per_row": np.log(raw("orders/duration_s") / per_row),
        },
        index=frame.index,
    )
    result = pd.concat([seasonal, features], axis=1)
    return result[[spec.name for spec in feature_specs()]].replace([np.inf, -np.inf], np.nan)
