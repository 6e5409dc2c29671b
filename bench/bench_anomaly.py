"""Cost of the anomaly core for 1,000 / 10,000 / 100,000 partitions of history.

For each size it times building the features over the whole history, and one
sensor tick's scoring of the newest 7 partitions (one fit on the bounded
training window plus scoring). Scoring cost must not grow with history.

    ./.venv/bin/python bench/bench_anomaly.py [--sizes 1000 10000 100000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from orders_core.anomaly import build_features, score_partitions
from orders_core.anomaly_features import CLEANED, RAW, metadata_column
from orders_core.contract import load_contract

WEEKDAY_FACTOR = np.array([0.9, 0.95, 1.0, 1.05, 1.2, 1.7, 1.3])


def synthetic_history(days: int, seed: int = 0) -> pd.DataFrame:
    """Seasonal, noisy per-partition metadata for ``days`` consecutive days."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("1900-01-01", periods=days, freq="D", name="partition")
    rows = np.round(2000 * WEEKDAY_FACTOR[index.dayofweek] * rng.lognormal(0, 0.06, days))
    mean_value = 52 * rng.lognormal(0, 0.03, days)
    quarantined = rng.binomial(rows.astype(int), 0.004)
    raw = {
        "dagster/row_count": rows,
        "orders/files": rng.integers(1, 4, days),
        "orders/bytes": rows * 210 * rng.lognormal(0, 0.02, days),
        "orders/revenue": rows * mean_value,
        "orders/mean_order_value": mean_value,
        "orders/median_amount": 0.8 * mean_value,
        "orders/distinct_customers": np.round(0.82 * rows),
        "orders/duplicate_rate": rng.uniform(0.001, 0.008, days),
        "orders/null_rate_max": rng.uniform(0.25, 0.35, days),
        "orders/unparseable_amount_rate": rng.poisson(0.5, days) / rows,
        "orders/extra_columns": np.zeros(days),
        "orders/missing_columns": np.zeros(days),
        "orders/parse_errors": rng.poisson(0.3, days),
        "orders/duration_s": (0.4 + rows * 0.0009) * rng.lognormal(0, 0.15, days),
        **{f"orders/null_rate/{c}": np.zeros(days) for c in load_contract().required},
    }
    cleaned = {
        "dagster/row_count": rows - quarantined,
        "orders/raw_rows": rows,
        "orders/quarantined_rows": quarantined,
        "orders/superseded_rows": np.zeros(days),
        "orders/quarantine_rate": quarantined / rows,
        "orders/revenue": (rows - quarantined) * mean_value,
    }
    columns = {metadata_column(RAW, k): v for k, v in raw.items()}
    columns |= {metadata_column(CLEANED, k): v for k, v in cleaned.items()}
    return pd.DataFrame(columns, index=index)


def measure(days: int, new: int = 7) -> dict[str, float]:
    history = synthetic_history(days)
    start = time.perf_counter()
    features = build_features(history)
    built = time.perf_counter()
    verdicts = score_partitions(features, features.index[-new:])
    scored = time.perf_counter()
    assert len(verdicts) == new
    return {
        "history_rows": days,
        "build_features_s": round(built - start, 4),
        f"score_{new}_new_s": round(scored - built, 4),
        "total_s": round(scored - start, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    results = [measure(days) for days in args.sizes]
    for result in results:
        print("  ".join(f"{key}={value}" for key, value in result.items()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
