"""A day is not held because its currency mix changed, and still is for a unit error.

The anomaly features read the profile's scaled amounts (each divided by its currency's
order of magnitude from the contract, :func:`orders_core.profiling.unit_divisors`),
not the nominal sums that add 1,500,000 IDR to 35 USD. Every day here is landed as a CSV
file, read by the platform's reader and profiled by the engine's statement.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from orders_core.anomaly import (
    AnomalyConfig,
    build_features,
    history_lookback_days,
    score_partitions,
)
from orders_core.anomaly_features import (
    PARTITION,
    RAW,
    history_record,
    metadata_column,
    scaled_amounts_ready,
)
from orders_core.cleaning import local_connection, raw_table
from orders_core.contract import load_contract
from orders_core.ingest import read_landed_files
from orders_core.profiling import profile_days, profile_raw, unit_divisors
from orders_core.raw_frame import LandedFile, with_partition_date
from orders_core.sql.dialect import render
from tests.support.anomaly_histories import replay
from tests.support.order_fixtures import csv_bytes, landed, order_rows, raw_frame

CONTRACT = load_contract()
START = dt.date(2025, 3, 3)  # a Monday
DAYS = 70
JUDGED = 63
ORDERS = 400
WEEKLY = (0.9, 0.95, 1.0, 1.05, 1.2, 1.5, 1.1)
# Units of each currency per USD, about 2026: a price drawn in USD is landed in these.
PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "IDR": 16_500.0}
SCALED = ("orders/scaled_revenue", "orders/scaled_mean_order_value", "orders/scaled_median_amount")


def _day_rows(day: dt.date, rng: np.random.Generator, kind: str) -> list[dict[str, str]]:
    """The orders of one day: values in USD (lognormal around 35), each priced in its
    currency (USD, EUR and GBP in turn); ``kind`` changes the day."""
    n = round(ORDERS * WEEKLY[day.weekday()] * rng.lognormal(0, 0.05))
    values = rng.lognormal(math.log(35), 0.7, n)
    currencies = np.array(["USD", "EUR", "GBP"])[rng.integers(0, 3, n)]
    if kind in ("idr", "jpy"):  # 4 % of the orders in IDR, or 15 % in JPY
        share = {"idr": 0.04, "jpy": 0.15}[kind]
        currencies[rng.permutation(n)[: round(share * n)]] = kind.upper()
    rows = []
    for i, (row, value, currency) in enumerate(
        zip(order_rows(n, day), values, currencies, strict=True)
    ):
        amount = value * PER_USD[currency] * (100 if kind == "cents" else 1)
        whole = currency in ("JPY", "IDR")  # no minor units
        text = f"{round(amount)}" if whole else f"{amount:.2f}"
        rows.append(
            dict(
                row,
                customer_id=f"c{rng.integers(0, 20 * ORDERS)}",
                order_id=f"o{day:%Y%m%d}-{i:05d}",
                amount=text,
                currency=currency,
                quantity="",
                unit_price="",
            )
        )
    return rows


def _history(kinds: dict[int, str], seed: int = 3, days: int = DAYS) -> pd.DataFrame:
    """raw_orders' metadata of ``days`` days from START, as history records: each day one
    CSV file read by the reader, all days profiled by one statement."""
    rng = np.random.default_rng(seed)
    frames, sizes = [], {}
    for index in range(days):
        day = START + dt.timedelta(days=index)
        data = csv_bytes(_day_rows(day, rng, kinds.get(index, "")))
        file = LandedFile(uri=f"mem://{day}/a.csv", name="a.csv", size=len(data), data=data)
        frames.append(with_partition_date(read_landed_files(CONTRACT, [file]), day))
        sizes[day] = len(data)
    table = raw_table(pd.concat(frames, ignore_index=True), CONTRACT)
    with local_connection() as conn:
        conn.register("raw_days", table)
        profiles = profile_days(
            lambda sql, params: conn.execute(render(sql), list(params)).fetchall(),
            CONTRACT,
            "raw_days",
            list(sizes),
        )
    records = []
    for day, profile in profiles.items():
        record = history_record(profile | {"orders/files": 1, "orders/bytes": sizes[day]})
        records.append(record | {PARTITION: day.isoformat()})
    return pd.DataFrame.from_records(records)


def _held(history: pd.DataFrame) -> tuple[bool, str]:
    """The verdict of the judged day, trained on the days before it."""
    day = history[PARTITION].iloc[JUDGED]
    (verdict,) = score_partitions(build_features(history), [day])
    assert verdict.decided, verdict.reason
    return verdict.is_anomalous, verdict.reason


def _nominal(history: pd.DataFrame) -> pd.DataFrame:
    """The same history as recorded before the scaled figures: the features read the
    nominal ones."""
    return history.drop(columns=[metadata_column(RAW, key) for key in SCALED])


def test_a_normal_day_is_not_held_either_way():
    history = _history({})
    for features_of in (history, _nominal(history)):
        held, reason = _held(features_of)
        assert not held, reason


@pytest.mark.parametrize("kind", ["idr", "jpy"])
def test_a_day_with_orders_in_a_currency_of_small_units_is_not_held(kind):
    """4 % of the day's orders in IDR (about 580,000 IDR each), or 15 % in JPY (about 5,000
    JPY each), after ten weeks in USD, EUR and GBP: held on the nominal sums (x10 to x1000
    in revenue and mean), not on the scaled ones."""
    history = _history({JUDGED: kind})
    day = history.iloc[JUDGED]
    nominal = day[metadata_column(RAW, "orders/mean_order_value")]
    scaled = day[metadata_column(RAW, "orders/scaled_mean_order_value")]
    assert nominal > 10 * scaled
    held, reason = _held(history)
    assert not held, reason
    held, reason = _held(_nominal(history))
    assert held and "mean_order_value" in reason, reason


def test_a_day_in_cents_is_still_held():
    history = _history({JUDGED: "cents"})
    held, reason = _held(history)
    assert held and "order_value" in reason, reason


def test_the_scaled_figures_equal_the_nominal_ones_without_a_currency_of_its_own_bound():
    """USD, EUR and GBP count as landed: a history recorded before the scaled figures
    (read through the fallback) gives the same features as one recorded after."""
    history = _history({})
    for key in ("revenue", "mean_order_value", "median_amount"):
        assert history[metadata_column(RAW, f"orders/{key}")].equals(
            history[metadata_column(RAW, f"orders/scaled_{key}")]
        )
    pd.testing.assert_frame_equal(build_features(history), build_features(_nominal(history)))


def test_each_amount_is_divided_by_its_currencys_order_of_magnitude():
    """The currency is read as cleaning reads it (trimmed, upper-cased); an invalid or
    missing one counts as landed, as does a currency without a bound of its own."""
    amounts = {
        "USD": "10",
        " idr ": "1500000",
        "jpy": "5000",
        "Vnd": "2000000",
        "IRR": "40000000",
        "EUR": "2.5",
        "XYZ": "7",
        "": "3",
        "ＪＰＹ": "100",  # not ASCII: not upper-cased, not JPY
    }
    rows = [
        dict(row, currency=currency, amount=amount, quantity="", unit_price="")
        for row, (currency, amount) in zip(order_rows(len(amounts)), amounts.items(), strict=True)
    ]
    profile = profile_raw(raw_frame([landed("a.csv", csv_bytes(rows))]), CONTRACT)
    scaled = [10, 15, 5, 20, 4, 2.5, 7, 3, 100]
    assert unit_divisors(CONTRACT)["IDR"] == 100_000
    assert profile["orders/scaled_revenue"] == sum(scaled)
    assert profile["orders/scaled_mean_order_value"] == sum(scaled) / len(scaled)
    assert profile["orders/scaled_median_amount"] == 7
    assert profile["orders/revenue"] == sum(float(a) for a in amounts.values())


def test_a_day_is_not_compared_in_scaled_amounts_with_a_history_recorded_before_them():
    """A shop with 15 % of its orders in JPY every day, its first 60 days recorded before
    the scaled figures (nominal: JPY counted in yen). The first day recorded with them,
    its scaled figures read against those days, falls by x5 and would be held; its window
    holding such days, it is judged on the nominal figures throughout, and no day of the
    shop is held."""
    upgrade, days = 60, 120
    history = _history(dict.fromkeys(range(days), "jpy"), days=days)
    before = history.index < upgrade
    for key in SCALED:
        history.loc[before, metadata_column(RAW, key)] = np.nan
    first = history[PARTITION].iloc[upgrade]
    (mixed,) = score_partitions(build_features(history), [first])
    assert mixed.is_anomalous and "order_value" in mixed.reason, mixed.reason
    lookback = history_lookback_days(AnomalyConfig())
    assert scaled_amounts_ready(history, [first], lookback) == set()
    held = {day: v.reason for day, v in replay(history).items() if v.is_anomalous}
    assert not held, held
    # the same days recorded with the scaled figures are judged on them
    assert scaled_amounts_ready(_nominal(history).iloc[upgrade:], [first], 0) == set()
    assert scaled_amounts_ready(history.iloc[upgrade:], [first], lookback) == {pd.Timestamp(first)}


def test_a_day_with_no_landed_file_does_not_decide_which_amounts_are_read():
    """A gap day (no file) recorded before the scaled figures is no history: whether it
    was run or not, the days after it are judged on the scaled figures."""
    history = _history({}, days=21)
    gap = {PARTITION: (START + dt.timedelta(days=21)).isoformat()} | {
        metadata_column(RAW, "dagster/row_count"): 0.0,
        metadata_column(RAW, "orders/files"): 0.0,
        metadata_column(RAW, "orders/revenue"): 0.0,
    }
    with_gap = pd.concat([history, pd.DataFrame([gap])], ignore_index=True)
    day = pd.Timestamp(gap[PARTITION])
    assert scaled_amounts_ready(with_gap, [day], 112) == {day}
    landed = with_gap.copy()
    landed.loc[landed.index[-1], metadata_column(RAW, "orders/files")] = 1.0
    assert scaled_amounts_ready(landed, [day], 112) == set()
