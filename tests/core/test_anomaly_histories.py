"""Holds decided by data only, on histories shaped like real ones.

The histories (:mod:`tests.support.anomaly_histories`) have trends (growth and decay), weekly
and yearly seasonality and sparse days, or are real (the public CDNOW cohort sample);
each is replayed the way ``metadata_anomaly`` judges it, a week at a time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from asset_checks.anomaly import anomaly_config
from orders_core.anomaly import build_features, score_partitions
from orders_core.anomaly_features import PARTITION, RAW, feature_specs, metadata_column
from tests.support.anomaly_histories import (
    KINDS,
    SHAPES,
    Shape,
    cdnow_history,
    day_metadata,
    injection_days,
    outcome,
    replay,
    synthetic_history,
)

SEEDS = (1, 2, 3)
MAX_FALSE_HOLD_RATE = 0.01
# The sparse days the holds must handle: Poisson counts of 20 to 60 orders. On a day
# that drew fewer orders, an injected anomaly is still reported but not required.
MIN_ORDERS = 20


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_few_normal_days_held_and_every_injected_anomaly_held(shape: str, seed: int):
    inject = injection_days(SHAPES[shape].days)
    history = synthetic_history(shape, seed, inject)
    result = outcome(f"{shape}/seed{seed}", history, inject)
    print(f"\n{result.line()}")
    assert result.decided_normal >= 200
    assert result.false_rate <= MAX_FALSE_HOLD_RATE, {
        d: result.reasons[d] for d in result.false_holds
    }
    dates = sorted(history[PARTITION])
    small = {dates[i] for i in inject if history.attrs["orders"][i] < MIN_ORDERS}
    missed = set(result.missed) - small
    assert not missed, {d: (result.injected[d], result.reasons[d]) for d in missed}
    assert set(result.injected.values()) == set(KINDS)


@pytest.fixture(scope="module")
def cdnow():
    return cdnow_history()


# The cohort's replay, which two tests read (nothing writes to it): run once for the module.
@pytest.fixture(scope="module")
def cdnow_verdicts(cdnow):
    return replay(cdnow)


def test_a_real_decaying_cohort_holds_at_most_one_percent_of_its_days(cdnow_verdicts):
    """CDNOW's 1997 cohort: a few dozen orders a day, then a fall to a dozen (273 days)."""
    verdicts = cdnow_verdicts
    decided = [v for v in verdicts.values() if v.decided]
    held = {v.partition: v.reason for v in decided if v.is_anomalous}
    print(f"\nCDNOW: {len(held)} of {len(decided)} decided days held")
    assert len(decided) >= 250
    assert len(held) <= MAX_FALSE_HOLD_RATE * len(decided), held


def test_every_kind_injected_into_the_real_cohort_is_held():
    """One anomaly of each kind in CDNOW's busy first quarter (17 to 60 orders a day)."""
    inject = {28 + 8 * k: kind for k, kind in enumerate(KINDS)}
    result = outcome("cdnow", cdnow_history(inject, days=91), inject)
    print(f"\n{result.line()}")
    assert not result.missed, {d: result.reasons[d] for d in result.missed}
    assert not result.false_holds, {d: result.reasons[d] for d in result.false_holds}


def test_load_time_never_decides_a_hold(cdnow, cdnow_verdicts):
    """Wall-clock load time is in the metadata but in no feature: any value, same verdicts."""
    column = metadata_column(RAW, "orders/duration_s")
    slow = cdnow.assign(
        **{column: cdnow[column] * np.random.default_rng(1).lognormal(0, 3, len(cdnow))}
    )
    assert replay(slow) == cdnow_verdicts
    assert not any("second" in s.description or "duration" in s.name for s in feature_specs())


def test_the_same_landed_days_get_the_same_verdicts_however_they_are_batched():
    """One range run, day-by-day runs and weekly runs: the same scores to the last digit,
    hence the same holds (the cleaning's metadata, which a range run's re-loads make
    stale, is in no feature). One history holds a day of each of the first three kinds,
    twenty days apart: each hold is in the baselines and training sets of the later
    ones, which every batching must leave out alike."""
    shape = SHAPES[next(iter(SHAPES))]
    inject = {40 + 20 * k: kind for k, kind in enumerate(KINDS[:3])}
    history = synthetic_history(shape, 1, inject).iloc[:100]
    batchings = [replay(history, run_days=n) for n in (len(history), 1, 7)]
    scores = [
        {day: (v.status, v.is_anomalous, v.score) for day, v in verdicts.items()}
        for verdicts in batchings
    ]
    assert scores[0] == scores[1] == scores[2]
    held = [day for day, v in batchings[0].items() if v.is_anomalous]
    assert held == [history[PARTITION].iloc[i] for i in inject], held


FLAT = Shape("flat", 40, 0.0, (1.0,) * 7, 0.0, 0.0, days=70)


def _judge(history: pd.DataFrame, index: int, raw: dict) -> bool:
    day = history[PARTITION].iloc[index]
    edited = history.copy()
    for key, value in raw.items():
        edited.loc[edited[PARTITION] == day, metadata_column(RAW, key)] = value
    (verdict,) = score_partitions(build_features(edited), [day])
    return verdict.is_anomalous


NULLS = ("orders/null_rate/customer_id", "orders/null_rate_max")
VOLUME = ("dagster/row_count", "orders/distinct_customers")


@pytest.mark.parametrize(
    ("change", "held"),
    [
        ({}, False),
        # 2 of 40 rows without a customer after days with none: binomial noise, not a hold
        ({"dagster/row_count": 40, **dict.fromkeys(NULLS, 2 / 40)}, False),
        # 12 of 40 (30 %): held
        ({"dagster/row_count": 40, **dict.fromkeys(NULLS, 12 / 40)}, True),
        # 30 orders where 40 are expected: Poisson noise, not a hold
        ({**dict.fromkeys(VOLUME, 30), "orders/bytes": 30 * 118 + 130}, False),
        # 4 where 40 are expected: held
        ({**dict.fromkeys(VOLUME, 4), "orders/bytes": 4 * 118 + 130}, True),
        # amounts in cents: held
        (
            {
                f"orders/{scaled}{key}": value
                for key, value in (("mean_order_value", 4500.0), ("median_amount", 3500.0))
                for scaled in ("", "scaled_")
            },
            True,
        ),
        # a column the contract does not know: held
        ({"orders/extra_columns": 1}, True),
    ],
)
def test_small_days_are_judged_by_the_noise_of_their_counts(change, held):
    """40 orders a day, no trend, no season: the brief's examples, one day edited."""
    history = synthetic_history(FLAT, seed=5)
    assert _judge(history, 60, change) is held


def test_day_metadata_carries_the_keys_the_assets_emit():
    from orders_core.contract import load_contract
    from orders_core.ingest import read_landed_files
    from orders_core.profiling import profile_raw
    from orders_core.raw_frame import LandedFile

    contract = load_contract()
    csv = b"order_id,customer_id,order_ts,amount,currency\na1,c1,2025-01-01T10:00:00Z,9.5,EUR\n"
    landed = LandedFile(uri="mem://a.csv", name="a.csv", size=len(csv), data=csv)
    profiled = set(profile_raw(read_landed_files(contract, [landed]), contract))
    raw, cleaned = day_metadata(30, np.random.default_rng(0), pool=1000, amount_log_mean=3.5)
    ingestion = {"orders/bytes", "orders/files", "orders/duration_s", "dagster/partition_row_count"}
    assert profiled | ingestion <= set(raw)
    assert {"orders/raw_rows", "orders/quarantined_rows", "orders/superseded_rows"} <= set(cleaned)


@pytest.mark.parametrize("kind", KINDS)
def test_a_30_day_demo_in_one_range_run_decides_its_last_days_and_holds_the_anomaly(kind):
    """Like `make run`: 30 days from a Wednesday, all scored in one run (min_history 14)."""
    weekly = (0.9, 0.95, 1.0, 1.05, 1.2, 1.7, 1.3)
    demo = Shape("demo", 2000, 0.0, weekly, 0.0, 0.05, days=30, start=dt.date(2025, 1, 1))
    history = synthetic_history(demo, seed=7, inject={24: kind})
    config = anomaly_config(threshold=0.75, training_days=56)
    verdicts = score_partitions(build_features(history), history[PARTITION], config)
    decided = [v.partition for v in verdicts if v.decided]
    held = [v.partition for v in verdicts if v.is_anomalous]
    assert decided == [f"2025-01-{d}" for d in range(20, 31)]
    assert held == ["2025-01-25"], [v.reason for v in verdicts if v.is_anomalous]


def test_a_day_with_no_landed_file_is_no_history_for_the_days_after_it():
    """A gap day (nothing landed): a range run over it reads its zero rows, day-by-day runs
    around it never load it. The other days' verdicts are the same either way, and the
    gap day itself, when it is run, is judged on the days before it (all its volume gone)."""
    from orders_core.anomaly import judge_partitions

    history = synthetic_history("sparse_growth", 1, {})
    gap = 120
    zero_day = {"dagster/row_count": 0, "orders/files": 0, "orders/revenue": 0.0}
    gap_record = {PARTITION: history.loc[gap, PARTITION]} | {
        column: zero_day.get(column.split(":", 1)[1], np.nan)
        for column in history.columns
        if column.startswith(f"{RAW}:")
    }
    with_gap = history.copy()
    with_gap.loc[gap] = pd.Series(gap_record)
    without_gap = history.drop(index=gap)
    later = list(history[PARTITION][gap + 1 : gap + 57])

    def verdicts(frame):
        return {v.partition: (v.status, v.score) for v in judge_partitions(frame, later)}

    assert verdicts(with_gap) == verdicts(without_gap)
    (own,) = judge_partitions(with_gap, [history.loc[gap, PARTITION]])
    assert own.is_anomalous and "rows" in own.reason, own.reason


def test_every_day_of_a_gap_is_held():
    """A gap run as one range: its first four days are held as a drop to no orders; from
    the fifth on fewer than 4 of the 7 days before it hold landed files and the volume has
    no trailing level, so the forest alone calls the day normal. It is held all the same
    (a feed that stopped for a week published its later days empty, replayed with make run
    in hunt 70), and those holds leave the days after the gap as they were: a day with no
    landed file is no history for other days."""
    from orders_core.anomaly import NO_FILE_HELD, judge_partitions

    history = synthetic_history("sparse_growth", 1, {})
    first, length = 120, 10
    zero_day = {"dagster/row_count": 0, "orders/files": 0, "orders/revenue": 0.0}
    with_gap = history.copy()
    for index in range(first, first + length):
        with_gap.loc[index] = pd.Series(
            {PARTITION: history.loc[index, PARTITION]}
            | {
                column: zero_day.get(column.split(":", 1)[1], np.nan)
                for column in history.columns
                if column.startswith(f"{RAW}:")
            }
        )
    days = list(history[PARTITION][first : first + length + 14])
    verdicts = judge_partitions(with_gap, days)
    assert all(v.decided for v in verdicts)
    gap, after = verdicts[:length], verdicts[length:]
    assert all(v.is_anomalous for v in gap)
    assert [v.reason.startswith(NO_FILE_HELD) for v in gap] == [False] * 4 + [True] * 6
    # Day by day, each run knowing the days held before it: the same verdicts.
    one_by_one: list = []
    for d in days:
        held = [v.partition for v in one_by_one if v.is_anomalous]
        one_by_one += judge_partitions(with_gap, [d], held=held)
    assert one_by_one == gap + after
