"""Calibration/holdout validation of the BG/NBD purchase model.

Split each customer's history at a cut date, fit on the calibration part, predict the
repeat purchase days in the holdout and compare with what happened, per calibration
frequency bucket (0, 1, ..., 7+) as in Fader, Hardie & Lee (2005, figure 4).

Two entry points: :func:`validate_transactions` starts from order-level rows; the
warehouse can instead produce the summary itself in SQL (customer_metrics columns as of
the cut date plus ``holdout_purchases`` and ``holdout_days``, a row per group of
identical customers: ``orders_core.metrics.HOLDOUT_HISTORIES_SQL``) and call
:func:`validate_holdout`.

Default split (:func:`default_cut_date`): the last quarter of the observed history is the
holdout, so the calibration fit stays close to the fit on all history. Histories shorter
than eight weeks are not split: a holdout under two weeks would mostly measure noise and
the weekday mix, not the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orders_core.clv import (
    DAYS_PER_UNIT,
    BGNBDParams,
    FitResult,
    InsufficientDataError,
    TimeUnit,
    customer_weights,
    expected_purchases,
    fit_bgnbd,
    summary_arrays,
)
from orders_core.clv_ladder import climb

HOLDOUT_COLUMNS = ("holdout_purchases", "holdout_days")
DEFAULT_HOLDOUT_FRACTION = 0.25
MIN_HISTORY_DAYS = 56


@dataclass(frozen=True)
class HoldoutValidation:
    """Holdout comparison.

    ``table`` has one row per calibration frequency bucket ("0" ... "7+") with columns
    customers, actual_mean, predicted_mean, actual_total, predicted_total.
    ``mean_absolute_error`` is per customer, in purchases; ``aggregate_relative_error``
    is (predicted total - actual total) / actual total.
    """

    table: pd.DataFrame
    mean_absolute_error: float
    aggregate_relative_error: float
    fit: FitResult[BGNBDParams]


def default_cut_date(
    first_day: dt.date,
    as_of: dt.date,
    fraction: float = DEFAULT_HOLDOUT_FRACTION,
) -> dt.date | None:
    """The cut day that leaves the last ``fraction`` of the history as holdout.

    The history runs from the first purchase day to ``as_of``. None (no validation) when
    ``fraction`` is 0 or the history is shorter than :data:`MIN_HISTORY_DAYS`.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"holdout fraction must be in [0, 1), got {fraction}")
    span = (as_of - first_day).days
    if fraction == 0.0 or span < MIN_HISTORY_DAYS:
        return None
    return as_of - dt.timedelta(days=max(1, round(span * fraction)))


def _day(values: pd.Series) -> pd.Series:
    """Calendar day (UTC for timezone-aware values) as a naive midnight timestamp."""
    ts = pd.to_datetime(values)
    if ts.dt.tz is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.dt.normalize()


def calibration_holdout_summary(
    transactions: pd.DataFrame,
    cut_date: dt.date | str,
    holdout_end: dt.date | str | None = None,
) -> pd.DataFrame:
    """Per-customer calibration metrics as of ``cut_date`` plus holdout purchase days.

    ``transactions`` has customer_id, order_date and amount. Orders on or before the cut
    date calibrate; purchase days in (cut_date, holdout_end] are counted as
    ``holdout_purchases`` (holdout_end defaults to the last order day). Metrics follow
    customer_metrics: purchases on the same day are one purchase, monetary_value is the
    mean daily spend over repeat days. Customers first seen after the cut are left out.
    """
    cut = pd.Timestamp(cut_date).normalize()
    daily = (
        transactions.assign(day=_day(transactions["order_date"]))
        .groupby(["customer_id", "day"], as_index=False)["amount"]
        .sum()
        .sort_values(["customer_id", "day"])
    )
    end = pd.Timestamp(holdout_end).normalize() if holdout_end is not None else daily["day"].max()
    if end < cut:
        raise ValueError(f"holdout_end {end.date()} is before cut_date {cut.date()}")
    cal = daily[daily["day"] <= cut]
    per = cal.groupby("customer_id").agg(
        days=("day", "size"),
        first=("day", "min"),
        last=("day", "max"),
        total=("amount", "sum"),
        first_amount=("amount", "first"),
    )
    frequency = per["days"] - 1
    holdout = daily[(daily["day"] > cut) & (daily["day"] <= end)].groupby("customer_id").size()
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency_days": (per["last"] - per["first"]).dt.days,
            "tenure_days": (cut - per["first"]).dt.days,
            "monetary_value": (
                (per["total"] - per["first_amount"]) / frequency.where(frequency > 0)
            ).fillna(0.0),
            "holdout_purchases": holdout.reindex(per.index, fill_value=0),
            "holdout_days": (end - cut).days,
        }
    ).reset_index()


def validate_holdout(
    summary: pd.DataFrame, time_unit: TimeUnit = "days", max_bucket: int = 7
) -> HoldoutValidation:
    """Fit BG/NBD on a calibration summary and score its holdout predictions (the fit
    as customer_clv's: up :data:`orders_core.clv_ladder.PENALIZERS` when maximum
    likelihood gives no finite prediction).

    ``summary`` has the customer_metrics columns (as of the cut date) plus
    holdout_purchases and holdout_days, e.g. from :func:`calibration_holdout_summary` or
    from SQL; a row per customer, or per group of identical customers with their count in
    ``orders_core.clv.WEIGHT_COLUMN`` (``orders_core.metrics.HOLDOUT_HISTORIES_SQL``).
    """
    missing = [c for c in HOLDOUT_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"holdout summary lacks columns {missing}")
    x, t_x, T, _ = summary_arrays(summary, time_unit)
    weights = customer_weights(summary)
    horizon = summary["holdout_days"].to_numpy(float) / DAYS_PER_UNIT[time_unit]
    # Up the penalizer ladder as customer_clv fits on all history, so that what is
    # validated is how the published model is fitted (orders_core.clv_ladder).
    # Each fit's predictions, kept so that those of the fit kept are not computed twice.
    predictions: dict[BGNBDParams, np.ndarray] = {}

    def predict(params: BGNBDParams) -> list[np.ndarray]:
        predictions[params] = expected_purchases(params, horizon, x, t_x, T)
        return [predictions[params]]

    ladder = climb(lambda penalizer: fit_bgnbd(x, t_x, T, weights, penalizer), predict)
    fit = ladder.kept
    if fit is None:
        raise InsufficientDataError(
            f"the calibration fit is degenerate, its predictions are not finite: {ladder.summary()}"
        )
    predicted = predictions[fit.params]
    actual = summary["holdout_purchases"].to_numpy(float)
    bucket = np.minimum(x, max_bucket).astype(int)
    labels = np.array(
        [str(b) if b < max_bucket else f"{max_bucket}+" for b in range(max_bucket + 1)]
    )

    def by_bucket(values: np.ndarray) -> np.ndarray:
        return np.bincount(bucket, weights=weights * values, minlength=max_bucket + 1)

    customers = by_bucket(np.ones(len(x)))
    actual_total, predicted_total = by_bucket(actual), by_bucket(predicted)
    seen = customers > 0
    table = pd.DataFrame(
        {
            "bucket": labels[seen],
            "customers": customers[seen].astype(int),
            "actual_mean": actual_total[seen] / customers[seen],
            "predicted_mean": predicted_total[seen] / customers[seen],
            "actual_total": actual_total[seen],
            "predicted_total": predicted_total[seen],
        }
    )
    total = weights @ actual
    if total <= 0:
        raise InsufficientDataError(
            "no holdout purchases to compare with: is the holdout period empty?"
        )
    relative = (weights @ predicted - total) / total
    error = (weights @ np.abs(predicted - actual)) / weights.sum()
    return HoldoutValidation(table, float(error), float(relative), fit)


def validate_transactions(
    transactions: pd.DataFrame,
    cut_date: dt.date | str,
    holdout_end: dt.date | str | None = None,
    time_unit: TimeUnit = "days",
) -> HoldoutValidation:
    """Build the calibration/holdout summary from order rows and validate on it."""
    return validate_holdout(
        calibration_holdout_summary(transactions, cut_date, holdout_end), time_unit
    )
