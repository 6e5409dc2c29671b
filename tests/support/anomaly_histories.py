"""Per-day load metadata with the shapes real order histories have, and a replay of the check.

Not the stationary demo simulator: :func:`synthetic_history` draws each day's orders
from a Poisson rate with a trend (growth or decay month after month), weekly and yearly
seasonality and day-to-day overdispersion, then computes the metadata keys the assets
emit (``raw_orders``: :func:`orders_core.profiling.profile_raw` plus the ingestion
keys; ``cleaned_orders``: the staging counts) from those orders, so small days carry
real Poisson and binomial noise. Anomalies are injected at the order level, with their nominal size on every day (30 %
of a day's orders lose their customer, not a binomial draw that may be 1 on a small day).
:func:`cdnow_history` is a real public history: the CDNOW cohort sample of
``tests/fixtures`` (1997-01-01..1997-09-30, 273 days) read and cleaned by the real code.

:func:`replay` scores a history the way ``metadata_anomaly`` sees it in production: a
week at a time, held days kept out of the baselines and never cleaned, no
``cleaned_orders`` metadata yet for the days being judged.

    .venv/bin/python -m tests.support.anomaly_histories     # the table of held days per history
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orders_core.anomaly import AnomalyConfig, AnomalyVerdict, judge_partitions
from orders_core.anomaly_features import CLEANED, PARTITION, SCALED_AMOUNTS, history_record
from orders_core.contract import load_contract
from tests.support import metadata_history, paths

FIXTURES = paths.FIXTURES
KINDS = ("volume_spike", "volume_drop", "cents", "null_burst", "duplicate_storm", "schema_change")
# The stationary simulator's null rates (metadata_history), without updated_at, whose
# nulls these histories do not model.
OPTIONAL_NULL_RATE = {
    k: v for k, v in metadata_history.OPTIONAL_NULL_RATE.items() if k != "updated_at"
}


@dataclass(frozen=True)
class Shape:
    """How a history's expected daily orders move: base x trend x week x year x noise."""

    name: str
    base: float  # expected orders on an average day at the start
    monthly_growth: float  # +0.05: 5 % more each month; -0.12: a decaying cohort
    weekly: tuple[float, ...]  # Monday..Sunday multipliers
    yearly_amplitude: float  # +-share of the yearly cycle (peak in mid-December)
    overdispersion: float  # lognormal sigma of the daily rate beyond Poisson noise
    days: int = 364
    start: dt.date = dt.date(2024, 1, 1)  # a Monday


SHAPES = {
    shape.name: shape
    for shape in (
        # a young shop: 25 orders a day growing 5 % a month, busy weekends
        Shape("sparse_growth", 25, 0.05, (0.85, 0.9, 0.95, 1.0, 1.1, 1.3, 0.9), 0.2, 0.05),
        # a shrinking shop: 60 orders a day losing 8 % a month, Monday peak
        Shape("sparse_decay", 60, -0.08, (1.25, 1.1, 1.0, 0.95, 0.9, 0.85, 0.95), 0.25, 0.05),
        # one acquisition cohort dying out (like CDNOW after its first quarter): 60 -> 20
        Shape("cohort_decay", 60, -0.115, (1.0, 1.05, 1.0, 1.0, 1.1, 0.9, 0.95), 0.1, 0.08, 273),
        # an established shop: thousands a day, Saturday peak, strong Christmas season
        Shape("large_seasonal", 3000, 0.03, (0.9, 0.95, 1.0, 1.05, 1.2, 1.7, 1.3), 0.3, 0.05),
    )
}


def injection_days(days: int, first: int = 63, every: int = 23) -> dict[int, str]:
    """Day index -> anomaly kind: one every ``every`` days (weekdays rotate), kinds in turn."""
    return {index: KINDS[k % len(KINDS)] for k, index in enumerate(range(first, days, every))}


def _expected_orders(shape: Shape, index: int) -> float:
    day = shape.start + dt.timedelta(days=index)
    trend = (1 + shape.monthly_growth) ** (index / 30.44)
    season = 1 + shape.yearly_amplitude * math.cos(
        2 * math.pi * (day.timetuple().tm_yday - 350) / 365.25
    )
    return shape.base * trend * shape.weekly[day.weekday()] * season


def day_metadata(
    orders: int,
    rng: np.random.Generator,
    *,
    pool: int,
    amount_log_mean: float,
    kind: str | None = None,
) -> tuple[dict, dict]:
    """``raw_orders`` and ``cleaned_orders`` metadata of one day of ``orders`` orders.

    Dirt as a source sends it: 1 % exact duplicates, 2 % updated orders (a second
    version of the order id), 0.5 % malformed rows (a third without customer, a third
    with an unparseable amount), 0.1 % unparseable lines.
    """
    contract = load_contract()
    if kind == "volume_drop":
        orders = round(0.1 * orders)
    amounts = np.round(rng.lognormal(amount_log_mean, 0.7, orders), 2)
    customers = rng.integers(0, pool, orders).astype(float)
    if kind == "volume_spike":  # as the demo simulator: the day's orders replayed x5, new ids
        orders, amounts, customers = 5 * orders, np.tile(amounts, 5), np.tile(customers, 5)
    if kind == "cents":
        amounts = amounts * 100
    if kind == "null_burst":
        customers[rng.permutation(orders)[: round(0.3 * orders)]] = np.nan
    duplicates = int(rng.binomial(orders, 0.01)) + (
        round(0.4 * orders) if kind == "duplicate_storm" else 0
    )
    updates = int(rng.binomial(orders, 0.02))
    malformed = int(rng.binomial(orders, 0.005))
    no_customer, bad_amount = (int(n) for n in rng.multinomial(malformed, [1 / 3] * 3)[:2])
    copied = rng.integers(0, max(orders, 1), duplicates + updates) if orders else np.array([], int)
    malformed_amounts = np.round(rng.lognormal(amount_log_mean, 0.7, malformed), 2)
    malformed_amounts[no_customer : no_customer + bad_amount] = np.nan
    row_amounts = np.concatenate([amounts, amounts[copied], malformed_amounts])
    parseable = row_amounts[~np.isnan(row_amounts)]
    rows = orders + duplicates + updates + malformed
    null_customers = (
        int(np.isnan(customers).sum() + np.isnan(customers[copied]).sum()) + no_customer
    )
    distinct = len(np.unique(customers[~np.isnan(customers)]))
    if rows == 0:
        raw: dict = {"dagster/row_count": 0, "orders/files": 0, "orders/revenue": 0.0}
    else:
        nulls = {column: 0.0 for column in contract.column_names}
        nulls["customer_id"] = null_customers / rows
        nulls |= {c: rng.binomial(rows, p) / rows for c, p in OPTIONAL_NULL_RATE.items()}
        nulls["updated_at"] = 1 - updates / rows
        raw = {
            "dagster/row_count": rows,
            "orders/files": 1 + (updates > 0) + (rng.random() < 0.2),
            "orders/revenue": float(parseable.sum()),
            "orders/mean_order_value": float(parseable.mean()) if parseable.size else 0.0,
            "orders/median_amount": float(np.median(parseable)) if parseable.size else 0.0,
            "orders/distinct_customers": distinct,
            "orders/duplicate_rate": (duplicates + updates) / rows,
            "orders/unparseable_amount_rate": bad_amount / rows,
            "orders/extra_columns": 0,
            "orders/pii_extra_columns": 0,
            "orders/missing_columns": 0,
            "orders/parse_errors": int(rng.binomial(rows, 0.001)),
        }
        if kind == "schema_change":  # amount renamed total_amount, sales_channel added
            nulls["amount"] = 1.0
            raw |= {
                "orders/revenue": 0.0,
                "orders/mean_order_value": 0.0,
                "orders/median_amount": 0.0,
                "orders/unparseable_amount_rate": 0.0,
                "orders/extra_columns": 1,
                "orders/missing_columns": 1,
            }
        raw["orders/null_rate_max"] = max(nulls[c] for c in contract.required)
        raw |= {f"orders/null_rate/{c}": rate for c, rate in nulls.items()}
    # Every order in USD: its amount scaled per currency is its amount.
    raw |= {
        f"orders/scaled_{k}": raw[f"orders/{k}"] for k in SCALED_AMOUNTS if f"orders/{k}" in raw
    }
    raw |= {
        "orders/bytes": rows * 118 + round(rng.normal(0, 9 * math.sqrt(rows + 1))) + 130,
        # wall-clock load time: machine load moves it by x3 either way, a busy day x10
        "orders/duration_s": round(
            (0.05 + 2e-5 * rows) * rng.lognormal(0, 0.6) * (10 if rng.random() < 0.03 else 1),
            4,
        ),
        "dagster/partition_row_count": rows,
    }
    quarantined = malformed + (null_customers - no_customer)
    if kind == "schema_change":
        quarantined = rows - duplicates - updates
    superseded = duplicates + updates
    kept = max(rows - quarantined - superseded, 0)
    cleaned = {
        "dagster/row_count": kept,
        "dagster/partition_row_count": kept,
        "orders/raw_rows": rows,
        "orders/quarantined_rows": quarantined,
        "orders/superseded_rows": superseded,
        "orders/quarantine_rate": round(quarantined / rows, 6) if rows else 0.0,
        "orders/revenue": 0.0
        if kind == "schema_change"
        else round(float(amounts[~np.isnan(customers)].sum()), 2),
        "orders/distinct_customers": distinct,
    }
    return raw, cleaned


def synthetic_history(
    shape: Shape | str, seed: int, inject: dict[int, str] | None = None
) -> pd.DataFrame:
    """One row per day (``partition`` + flattened metadata) of ``shape``; ``inject``:
    day index -> anomaly kind (see :data:`KINDS`). ``attrs["orders"]`` holds the
    orders drawn for each day, before any injection."""
    shape = SHAPES[shape] if isinstance(shape, str) else shape
    rng = np.random.default_rng(seed)
    inject = inject or {}
    records, drawn = [], []
    for index in range(shape.days):
        rate = _expected_orders(shape, index) * rng.lognormal(0, shape.overdispersion)
        drawn.append(int(rng.poisson(rate)))
        raw, cleaned = day_metadata(
            drawn[-1],
            rng,
            pool=int(40 * shape.base),
            amount_log_mean=math.log(35) + 0.03 * index / 365 + 0.04 * (index % 7 >= 5),
            kind=inject.get(index),
        )
        record = history_record(raw, cleaned)
        record[PARTITION] = (shape.start + dt.timedelta(days=index)).isoformat()
        records.append(record)
    history = pd.DataFrame.from_records(records)
    history.attrs["orders"] = drawn
    return history


def cdnow_history(inject: dict[int, str] | None = None, days: int = 273) -> pd.DataFrame:
    """The CDNOW cohort sample, 1997-01-01 onwards, as raw_orders/cleaned_orders metadata.

    Each day's orders are written as one CSV landing file and go through the real
    reader, profile (:func:`orders_core.profiling.profile_raw`) and cleaning; an
    injected kind alters that day's file. Order ids are ``<customer>-<date>-<n>``.
    """
    from orders_core.cleaning import clean_orders
    from orders_core.dtypes import day_array, day_mask
    from orders_core.ingest import read_landed_files
    from orders_core.profiling import profile_raw
    from orders_core.raw_frame import LandedFile, with_partition_date

    contract = load_contract()
    frame = pd.read_csv(
        FIXTURES / "cdnow_sample_transactions.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str, "customer_id": str},
    )
    frame["day"] = pd.to_datetime(frame["date"], format="%Y%m%d").dt.date
    start = dt.date(1997, 1, 1)
    inject = inject or {}
    rng = np.random.default_rng(0)
    profiles, frames = {}, []
    for index in range(days):
        day = start + dt.timedelta(days=index)
        orders = frame[frame["day"] == day].reset_index(drop=True)
        kind = inject.get(index)
        orders = _alter_cdnow_day(orders, kind, rng)
        csv = _cdnow_csv(orders, day, kind).encode()
        landed = LandedFile(
            uri=f"mem://{day}/part-000.csv", name="part-000.csv", size=len(csv), data=csv
        )
        raw_frame = with_partition_date(read_landed_files(contract, [landed]), day)
        frames.append(raw_frame)
        profiles[day] = profile_raw(raw_frame, contract) | {
            "orders/files": 1,
            "orders/bytes": len(csv),
            "orders/duration_s": round((0.05 + 2e-5 * len(raw_frame)) * rng.lognormal(0, 0.6), 4),
        }
    # One cleaning of the whole range, as a single-run backfill does, split by day.
    raw_all = pd.concat(frames, ignore_index=True)
    result = clean_orders(raw_all, contract, b"k" * 32)
    raw_days = day_array(raw_all["partition_date"])
    days_of = {
        name: day_array(getattr(result, name)["partition_date"])
        for name in ("cleaned", "quarantined", "superseded")
    }
    records = []
    for day, raw in profiles.items():
        rows = int(day_mask(raw_days, day).sum())
        kept = result.cleaned[day_mask(days_of["cleaned"], day)]
        quarantined = int(day_mask(days_of["quarantined"], day).sum())
        cleaned = {
            "dagster/row_count": len(kept),
            "orders/raw_rows": rows,
            "orders/quarantined_rows": quarantined,
            "orders/superseded_rows": int(day_mask(days_of["superseded"], day).sum()),
            "orders/quarantine_rate": round(quarantined / rows, 6) if rows else 0.0,
            "orders/revenue": round(float(kept["amount"].sum()), 2),
            "orders/distinct_customers": int(kept["customer_id"].nunique()),
        }
        record = history_record(raw, cleaned)
        record[PARTITION] = day.isoformat()
        records.append(record)
    return pd.DataFrame.from_records(records)


def _alter_cdnow_day(
    orders: pd.DataFrame, kind: str | None, rng: np.random.Generator
) -> pd.DataFrame:
    orders = orders.assign(
        order_id=[
            f"{c}-{d}-{i}"
            for i, (c, d) in enumerate(zip(orders["customer_id"], orders["date"], strict=True))
        ]
    )
    if kind == "volume_spike":
        copies = [orders.assign(order_id=orders["order_id"] + f"-r{r}") for r in range(5)]
        return pd.concat(copies, ignore_index=True)
    if kind == "volume_drop":
        return orders.iloc[sorted(rng.permutation(len(orders))[: round(0.1 * len(orders))])]
    if kind == "cents":
        return orders.assign(amount=orders["amount"] * 100)
    if kind == "null_burst":
        mask = np.zeros(len(orders), dtype=bool)
        mask[rng.permutation(len(orders))[: round(0.3 * len(orders))]] = True
        return orders.assign(customer_id=orders["customer_id"].where(~mask, ""))
    if kind == "duplicate_storm":
        extra = orders.iloc[rng.integers(0, len(orders), round(0.4 * len(orders)))]
        return pd.concat([orders, extra], ignore_index=True)
    return orders


def _cdnow_csv(orders: pd.DataFrame, day: dt.date, kind: str | None) -> str:
    amount = "total_amount" if kind == "schema_change" else "amount"
    extra = ",sales_channel" if kind == "schema_change" else ""
    lines = [f"order_id,customer_id,order_ts,{amount},currency,quantity{extra}"]
    lines += [
        f"{o},{c},{day.isoformat()}T12:00:00Z,{a:.2f},USD,{q}" + (",web" if extra else "")
        for o, c, a, q in zip(
            orders["order_id"], orders["customer_id"], orders["amount"], orders["cds"], strict=True
        )
    ]
    return "\n".join(lines) + "\n"


def replay(
    history: pd.DataFrame, config: AnomalyConfig | None = None, run_days: int = 7
) -> dict[str, AnomalyVerdict]:
    """Verdicts as ``metadata_anomaly`` reaches them, one run of ``run_days`` days at a time.

    Like the check: the history read is the run's days plus the training window and the
    baselines' lookback before them; days already held stay out of the baselines and
    the training sets, and have no ``cleaned_orders`` metadata (they were never
    cleaned); nor do the run's own days (the check runs before cleaning).
    """
    from orders_core.anomaly_features import WEEKDAY_LOOKBACK_WEEKS

    config = config or AnomalyConfig()
    history = history.sort_values(PARTITION).reset_index(drop=True)
    dates = list(history[PARTITION])
    cleaned_columns = [c for c in history.columns if c.startswith(f"{CLEANED}:")]
    lookback = dt.timedelta(days=config.training_window_days + 7 * WEEKDAY_LOOKBACK_WEEKS)
    held: set[str] = set()
    verdicts: dict[str, AnomalyVerdict] = {}
    for first in range(0, len(dates), run_days):
        run = dates[first : first + run_days]
        since = (dt.date.fromisoformat(run[0]) - lookback).isoformat()
        visible = history[(history[PARTITION] >= since) & (history[PARTITION] <= run[-1])].copy()
        visible.loc[visible[PARTITION].isin(held | set(run)), cleaned_columns] = np.nan
        for verdict in judge_partitions(visible, run, config, held=sorted(held)):
            verdicts[verdict.partition] = verdict
            if verdict.is_anomalous:
                held.add(verdict.partition)
    return verdicts


@dataclass(frozen=True)
class Outcome:
    """Held days of one replayed history, split into injected and normal days."""

    name: str
    decided_normal: int
    false_holds: tuple[str, ...]
    injected: dict[str, str]  # day -> kind
    missed: tuple[str, ...]
    reasons: dict[str, str]

    @property
    def false_rate(self) -> float:
        return len(self.false_holds) / max(self.decided_normal, 1)

    def line(self) -> str:
        missed = ", ".join(f"{d} {self.injected[d]}" for d in self.missed) or "none"
        return (
            f"{self.name:<24} normal days decided {self.decided_normal:>3}  "
            f"false holds {len(self.false_holds):>2} ({100 * self.false_rate:4.1f} %)  "
            f"injected held {len(self.injected) - len(self.missed):>2}/{len(self.injected):<2} "
            f"missed: {missed}"
        )


def outcome(
    name: str,
    history: pd.DataFrame,
    injected: dict[int, str],
    config: AnomalyConfig | None = None,
) -> Outcome:
    verdicts = replay(history, config)
    dates = sorted(history[PARTITION])
    injected_days = {dates[i]: kind for i, kind in injected.items()}
    held = {d for d, v in verdicts.items() if v.is_anomalous}
    normal = {d for d, v in verdicts.items() if v.decided} - set(injected_days)
    return Outcome(
        name=name,
        decided_normal=len(normal),
        false_holds=tuple(sorted(held - set(injected_days))),
        injected=injected_days,
        missed=tuple(sorted(set(injected_days) - held)),
        reasons={d: verdicts[d].reason for d in sorted(held | set(injected_days))},
    )


def cases(seeds: tuple[int, ...] = (1, 2, 3)) -> dict[str, Callable[[], tuple[pd.DataFrame, dict]]]:
    """Every history of the table: name -> (history, injected day index -> kind)."""
    table: dict[str, Callable[[], tuple[pd.DataFrame, dict]]] = {}
    for shape in SHAPES.values():
        for seed in seeds:
            inject = injection_days(shape.days)
            table[f"{shape.name}/seed{seed}"] = lambda shape=shape, seed=seed, inject=inject: (
                synthetic_history(shape, seed, inject),
                inject,
            )
    table["cdnow/real"] = lambda: (cdnow_history(), {})
    cdnow_inject = injection_days(273, first=70, every=29)
    table["cdnow/injected"] = lambda: (cdnow_history(cdnow_inject), cdnow_inject)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description="held days per history shape and seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--only", help="substring of the history names to run")
    parser.add_argument("--reasons", action="store_true", help="print why each day was held")
    args = parser.parse_args()
    for name, make in cases(tuple(args.seeds)).items():
        if args.only and args.only not in name:
            continue
        result = outcome(name, *make())
        print(result.line(), flush=True)
        if args.reasons:
            for day, reason in result.reasons.items():
                tag = result.injected.get(day, "NORMAL")
                print(f"    {day} [{tag}] {reason[:300]}")


if __name__ == "__main__":
    main()
