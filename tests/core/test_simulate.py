"""Tests of the demo order generator and its customer truth."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from devtools.simulate import SimulationSummary, generate, main
from devtools.simulate_dirt import ANOMALIES, EXTRA_COLUMN
from devtools.simulate_population import WEEKDAY_MULTIPLIERS, acquisition_schedule
from devtools.simulate_truth import (
    SUMMARY_COLUMNS,
    TRUE_BGNBD,
    TRUE_GAMMA_GAMMA,
    draw_purchase_rates,
    expected_repeat_purchases,
    simulate_customer_summaries,
    simulate_purchase_times,
)
from orders_core.contract import load_contract
from tests.support import paths

START = dt.date(2025, 1, 6)  # a Monday
REPO = paths.REPO


def run(root: Path, **overrides) -> SimulationSummary:
    arguments = {"start": START, "days": 7, "orders_per_day": 400, "seed": 7} | overrides
    return generate(root, **arguments)


def read_file(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


def read_day(root: Path, day: dt.date) -> pd.DataFrame:
    files = sorted((root / "orders" / f"date={day}").iterdir())
    return pd.concat([read_file(path).assign(file=path.stem) for path in files], ignore_index=True)


def file_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.*"))}


def malformed_mask(frame: pd.DataFrame, day: dt.date) -> pd.Series:
    """Rows breaking the contract in the ways the generator's dirt does."""
    ts = pd.to_datetime(frame["order_ts"], utc=True, errors="coerce", format="ISO8601")
    return (
        frame["customer_id"].isna()
        | ~frame["amount"].fillna("").str.fullmatch(r"\d+\.\d{2}")
        | ~frame["currency"].fillna("").str.fullmatch(r"[A-Z]{3}")
        | ts.isna()
        | (ts.dt.date != day)
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, fmt: str) -> None:
    run(tmp_path / "a", fmt=fmt)
    run(tmp_path / "b", fmt=fmt)
    run(tmp_path / "c", fmt=fmt, seed=8)
    assert file_bytes(tmp_path / "a") == file_bytes(tmp_path / "b")
    assert file_bytes(tmp_path / "a") != file_bytes(tmp_path / "c")


def test_rerun_into_same_landing_replaces_earlier_files(tmp_path: Path) -> None:
    run(tmp_path / "reused", seed=1)
    run(tmp_path / "reused", seed=2)
    run(tmp_path / "fresh", seed=2)
    assert file_bytes(tmp_path / "reused") == file_bytes(tmp_path / "fresh")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_layout_columns_and_formats_read_back(tmp_path: Path, fmt: str) -> None:
    summary = run(tmp_path, fmt=fmt)
    partitions = sorted(p.name for p in (tmp_path / "orders").iterdir())
    assert partitions == [f"date={START + dt.timedelta(days=i)}" for i in range(7)]
    files = list((tmp_path / "orders").rglob("*.*"))
    assert {p.suffix for p in files} == {f".{fmt}"}
    assert len(files) == summary.files
    assert all((tmp_path / "orders" / p / f"part-000.{fmt}").exists() for p in partitions)
    frames = [read_file(p) for p in files]
    assert all(tuple(f.columns) == load_contract().column_names for f in frames)
    assert sum(len(f) for f in frames) == summary.rows


def test_well_formed_rows_follow_the_contract(tmp_path: Path) -> None:
    run(tmp_path)
    day = START + dt.timedelta(days=3)
    frame = read_day(tmp_path, day)
    good = frame[~malformed_mask(frame, day)]
    amount = good["amount"].astype(float)
    unit_price = good["unit_price"].astype(float)
    assert np.allclose(amount, good["quantity"].astype(int) * unit_price)
    assert (amount > 0).all()
    assert set(good["currency"]) == {"USD", "EUR", "GBP"}
    assert (good["currency"] == "USD").mean() > 0.5
    assert set(good["status"]) <= {"placed", "shipped", "delivered", "cancelled", "returned"}
    assert good["order_ts"].str.endswith("+00:00").mean() < 0.9  # some local offsets
    updated = pd.to_datetime(good["updated_at"], utc=True, format="ISO8601")
    assert (updated >= pd.to_datetime(good["order_ts"], utc=True, format="ISO8601")).all()


def test_acquisition_schedule_declines_as_the_customer_base_grows() -> None:
    expected = acquisition_schedule(1000, 60)
    assert expected[0] == pytest.approx(1000 / (1 + expected_repeat_purchases(0.5)), rel=0.01)
    assert (np.diff(expected) < 0).all()  # the growing customer base brings more orders


def test_realised_daily_volume_is_near_target(tmp_path: Path) -> None:
    summary = run(tmp_path, days=28, orders_per_day=2000, dirty=False, seasonality=False)
    orders = np.array([counts.orders for counts in summary.per_day.values()])
    assert orders.mean() == pytest.approx(2000, rel=0.02)
    assert np.all(np.abs(orders / 2000 - 1) < 0.1)
    assert summary.rows == summary.orders


def test_dirt_counts_match_the_files(tmp_path: Path) -> None:
    summary = run(tmp_path, days=10, orders_per_day=2000)
    assert summary.rows == (
        summary.orders + summary.duplicates + summary.updates + summary.malformed_rows
    )
    assert 0 < summary.malformed_rows < 0.01 * summary.orders
    assert 0 < summary.duplicates < 0.02 * summary.orders
    assert 0 < summary.updates < 0.04 * summary.orders
    assert summary.late_files == len(list(tmp_path.rglob("late-*.csv"))) > 0
    for day, counts in summary.per_day.items():
        frame = read_day(tmp_path, day)
        data = frame.drop(columns="file")
        bad = malformed_mask(frame, day)
        assert len(frame) == counts.rows
        assert data.duplicated().sum() == counts.duplicates
        assert bad.sum() == counts.malformed
        assert frame.loc[~bad, "order_id"].nunique() == counts.orders
        assert (frame["file"] == "late-000").sum() == counts.late_rows
        updates = frame[frame["file"] == "part-001"]
        assert len(updates) == counts.updates
        first = frame[frame["file"] != "part-001"].drop_duplicates("order_id")
        pairs = updates.merge(first, on="order_id", suffixes=("", "_old"))
        assert len(pairs) == counts.updates
        assert (pairs["updated_at"] > pairs["updated_at_old"]).all()
        assert (pairs["status"] != pairs["status_old"]).all()


@pytest.mark.parametrize("name", ANOMALIES)
def test_anomalies_change_their_day_only(tmp_path: Path, name: str) -> None:
    day = START + dt.timedelta(days=2)
    base = run(tmp_path / "base")
    hit = run(tmp_path / "hit", anomalies={day: name})
    assert hit.anomalies == {day: name}
    other = START + dt.timedelta(days=4)
    assert file_bytes(tmp_path / "base" / "orders" / f"date={other}") == file_bytes(
        tmp_path / "hit" / "orders" / f"date={other}"
    )
    before, after = base.per_day[day], hit.per_day[day]
    frame = read_day(tmp_path / "hit", day)
    main = frame[frame["file"] != "part-001"]
    if name == "volume_spike":
        assert after.orders == 5 * before.orders
    elif name == "volume_drop":
        assert after.orders == round(0.1 * before.orders)
    elif name == "cents":
        old = read_day(tmp_path / "base", day)
        assert np.allclose(
            pd.to_numeric(frame["amount"], errors="coerce").dropna().median(),
            100 * pd.to_numeric(old["amount"], errors="coerce").dropna().median(),
        )
    elif name == "null_burst":
        assert after.nulled_customer_ids == pytest.approx(0.3 * after.orders, rel=0.2)
        assert main["customer_id"].isna().sum() >= after.nulled_customer_ids
    elif name == "duplicate_storm":
        assert after.duplicates >= 0.4 * before.orders
        assert frame.drop(columns="file").duplicated().sum() == after.duplicates
    else:
        assert "total_amount" in frame.columns and EXTRA_COLUMN in frame.columns
        assert "amount" not in frame.columns


def test_bad_anomalies_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown anomaly 'meteor'.*volume_spike"):
        run(tmp_path, anomalies={START: "meteor"})
    with pytest.raises(ValueError, match="outside the window"):
        run(tmp_path, anomalies={START - dt.timedelta(days=1): "cents"})
    with pytest.raises(ValueError, match="unknown format"):
        run(tmp_path, fmt="xml")


def test_weekly_seasonality_and_its_absence(tmp_path: Path) -> None:
    def weekend_ratio(seasonality: bool) -> float:
        summary = run(
            tmp_path / str(seasonality),
            days=28,
            orders_per_day=2000,
            dirty=False,
            seasonality=seasonality,
        )
        orders = pd.Series({day: c.orders for day, c in summary.per_day.items()})
        weekend = orders[[day.weekday() >= 5 for day in orders.index]]
        weekday = orders[[day.weekday() < 5 for day in orders.index]]
        return weekend.mean() / weekday.mean()

    multipliers = np.array(WEEKDAY_MULTIPLIERS)
    assert multipliers.mean() == pytest.approx(1.0)
    expected = multipliers[5:].mean() / multipliers[:5].mean()
    assert weekend_ratio(True) == pytest.approx(expected, rel=0.03)
    assert weekend_ratio(False) == pytest.approx(1.0, abs=0.03)


def test_expected_repeat_purchases_formula() -> None:
    truth = TRUE_BGNBD
    small = 1e-3
    assert expected_repeat_purchases(small) == pytest.approx(
        truth.r / truth.alpha * small, rel=1e-2
    )
    values = expected_repeat_purchases(np.array([0.0, 7, 30, 365]))
    assert values[0] == 0 and np.all(np.diff(values) > 0)


@pytest.mark.parametrize("days", [7.0, 90.0])
def test_purchase_kernel_matches_bgnbd_expectation(days: float) -> None:
    rng = np.random.default_rng(11)
    n = 200_000
    lam, dropout = draw_purchase_rates(n, rng)
    owner, times = simulate_purchase_times(np.zeros(n), days, lam, dropout, rng)
    repeats = np.bincount(owner, minlength=n) - 1
    standard_error = repeats.std() / np.sqrt(n)
    assert abs(repeats.mean() - expected_repeat_purchases(days)) < 4 * standard_error
    assert np.all((times >= 0) & (times < days))


def test_customer_summaries_match_the_truth_loosely() -> None:
    days = 120
    frame = simulate_customer_summaries(200_000, days, seed=3)
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    assert frame["customer_id"].is_unique
    assert (frame["recency_days"] <= frame["tenure_days"]).all()
    assert frame["tenure_days"].between(0, days - 1).all()
    single = frame["frequency"] == 0
    assert (frame.loc[single, ["recency_days", "monetary_value"]] == 0).all().all()
    # Purchases on a customer's same day merge into one, so days run a little short.
    tenure = (np.arange(2_000) + 0.5) / 2_000 * days
    expected = expected_repeat_purchases(tenure).mean()
    assert 0.9 * expected < frame["frequency"].mean() <= 1.01 * expected
    spend = frame.loc[~single, "monetary_value"].mean()
    assert spend == pytest.approx(TRUE_GAMMA_GAMMA.mean_transaction_value, rel=0.05)


def test_cli_writes_files_and_prints_summary(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "devtools.simulate", "--start", "2025-01-01"]
    command += ["--days", "3", "--orders-per-day", "200", "--seed", "7", "--format", "jsonl"]
    command += ["--anomaly", "2025-01-02=cents", "--no-seasonality"]
    env = {**os.environ, "ORDERS_LANDING_URI": str(tmp_path / "landing")}
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO, env=env)
    summary = json.loads(result.stdout)
    assert summary["anomalies"] == {"2025-01-02": "cents"}
    assert len(list((tmp_path / "landing" / "orders").rglob("*.jsonl"))) == summary["files"]


def test_cli_rejects_unknown_anomaly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    arguments = ["--landing", str(tmp_path), "--days", "2", "--anomaly", "2025-01-01=meteor"]
    with pytest.raises(SystemExit) as exit_info:
        main(["--start", "2025-01-01", *arguments])
    assert exit_info.value.code == 2
    assert "unknown anomaly 'meteor'" in capsys.readouterr().err
