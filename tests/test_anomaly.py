"""Anomaly scoring on 90 simulated days of materialization metadata."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from platform_assets.contract import load_contract
from platform_assets.ingest import empty_raw_frame
from platform_assets.profiling import profile_raw
from sensors.anomaly import AnomalyConfig, build_features, score_partitions
from sensors.anomaly_features import CLEANED, PARTITION, history_record, metadata_column

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


@pytest.fixture(scope="module")
def verdicts():
    features = build_features(simulate())
    return {v.partition: v for v in score_partitions(features, features.index)}


def test_every_injected_anomaly_is_flagged_and_at_most_one_normal_day(verdicts):
    injected = {day(i) for i in INJECTED}
    flagged = {p for p, v in verdicts.items() if v.is_anomalous}
    decided_normal = {p for p, v in verdicts.items() if v.decided} - injected
    false_positives = flagged - injected
    assert injected <= flagged, {p: verdicts[p].reason for p in injected - flagged}
    assert len(false_positives) <= 1, {p: verdicts[p].reason for p in false_positives}
    assert len(decided_normal) >= 50
    precision = len(flagged & injected) / len(flagged)
    recall = len(flagged & injected) / len(injected)
    print(f"precision {precision:.2f} recall {recall:.2f} over {len(decided_normal)} normal days")


def test_first_weeks_are_undecided_with_a_readable_reason(verdicts):
    first = verdicts[day(0)]
    assert not first.decided and not first.is_anomalous and first.score is None
    assert first.reason.startswith("insufficient history: 0 of 14 partitions")
    assert all(not verdicts[day(i)].decided for i in range(14))
    assert verdicts[day(14)].decided


@pytest.mark.parametrize(
    ("index", "feature"),
    [
        (40, "rows_vs_weekday"),
        (46, "rows_vs_weekday"),
        (52, "log_median_amount"),
        (59, "null_rate_customer_id"),
        (67, "duplicate_rate"),
        (81, "null_rate_amount"),
    ],
)
def test_drivers_name_the_feature_that_moved(verdicts, index, feature):
    verdict = verdicts[day(index)]
    drivers = {d.feature: d for d in verdict.drivers}
    assert feature in drivers, verdict.reason
    assert abs(drivers[feature].z) >= AnomalyConfig().z_guard
    assert feature in verdict.reason and "baseline" in verdict.reason


def test_volume_driver_is_relative_to_the_same_weekday(verdicts):
    driver = next(d for d in verdicts[day(40)].drivers if d.feature == "rows_vs_weekday")
    assert driver.value == pytest.approx(math.log(5), abs=0.25)
    assert driver.baseline == pytest.approx(0, abs=0.1)


def test_score_is_a_unit_interval_anomaly_score(verdicts):
    scores = {p: v.score for p, v in verdicts.items() if v.decided}
    assert all(0 < s <= 1 for s in scores.values())
    normal_median = np.median([s for p, s in scores.items() if p not in {day(i) for i in INJECTED}])
    assert all(scores[day(i)] > normal_median for i in INJECTED)


def test_same_inputs_same_verdicts_alone_or_in_a_batch(verdicts):
    features = build_features(simulate())
    assert {v.partition: v for v in score_partitions(features, features.index)} == verdicts
    held = {day(i) for i in INJECTED if i < 60}
    alone = [score_partitions(features, [day(i)], held=held)[0] for i in (60, 66, 67)]
    assert alone == [verdicts[day(i)] for i in (60, 66, 67)]


def test_insufficient_history_when_the_window_is_short():
    features = build_features(simulate(days=12, inject=False))
    (verdict,) = score_partitions(features, [day(11)])
    assert verdict.status == "insufficient_history" and verdict.training_partitions == 7
    assert verdict.reason.startswith("insufficient history: 7 of 14 partitions")


def test_threshold_and_window_are_configurable():
    features = build_features(simulate(inject=False))
    strict = score_partitions(features, [day(80)], AnomalyConfig(threshold=0.0))[0]
    assert strict.is_anomalous and "threshold 0.000" in strict.reason
    short = score_partitions(features, [day(80)], AnomalyConfig(training_window_days=10))[0]
    assert short.status == "insufficient_history"
    assert short.reason.startswith(f"insufficient history: {short.training_partitions} of 14")


def test_missing_metadata_keys_are_tolerated():
    history = simulate()
    history = history.drop(columns=[c for c in history.columns if c.startswith(CLEANED)])
    history = history.drop(columns=[metadata_column("raw_orders", "orders/duration_s")])
    features = build_features(history)
    assert features["quarantine_rate"].isna().all()
    volume, schema = score_partitions(features, [day(40), day(81)])
    assert volume.is_anomalous and schema.is_anomalous
    assert "quarantine_rate" not in schema.reason


def test_held_partitions_stay_out_of_the_weekday_baseline():
    history = simulate()
    open_baseline = build_features(history).loc[day(47), "rows_vs_weekday"]
    held_baseline = build_features(history, held=[day(40)]).loc[day(47), "rows_vs_weekday"]
    assert held_baseline != open_baseline
    assert abs(held_baseline) < 0.2


def test_verdict_is_json_ready_and_nothing_is_written(verdicts, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    features = build_features(simulate())
    (verdict,) = score_partitions(features, [day(52)])
    payload = json.loads(json.dumps(verdict.as_dict()))
    assert payload["is_anomalous"] and payload["drivers"][0]["feature"]
    assert list(tmp_path.iterdir()) == []


def test_an_empty_day_from_the_real_profile_is_flagged():
    contract = load_contract()
    history = simulate(inject=False)
    empty = history_record(
        {**profile_raw(empty_raw_frame(contract), contract), "orders/landing_fingerprint": "ab12"}
    )
    assert metadata_column("raw_orders", "orders/landing_fingerprint") not in empty
    history.loc[70, list(empty)] = list(empty.values())
    history.loc[70, [c for c in history.columns if c not in empty and c != PARTITION]] = np.nan
    (verdict,) = score_partitions(build_features(history), [day(70)])
    assert verdict.is_anomalous
    assert verdict.drivers[0].feature in {
        "rows_vs_weekday",
        "revenue_vs_weekday",
        "files_vs_weekday",
    }
