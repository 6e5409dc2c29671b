"""Calibration/holdout validation: CDNOW transactions, simulated holdout, SQL summaries."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from devtools.clv_simulation import simulate_customers
from orders_core import clv, clv_validation, metrics
from orders_core.sql.facts import kept_versions
from orders_core.sql.money import MONEY_SUM_TYPE
from tests.support import paths

FIXTURES = paths.FIXTURES
CUT, END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def cdnow_transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        FIXTURES / "cdnow_sample_transactions.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


def test_summary_from_transactions_matches_published_calibration(cdnow_transactions) -> None:
    summary = clv_validation.calibration_holdout_summary(cdnow_transactions, CUT, END)
    published = pd.read_csv(FIXTURES / "cdnow_calibration_summary.csv").set_index("ID")
    ours = summary.set_index("customer_id").loc[published.index]
    assert len(summary) == 2357
    assert (ours["frequency"] == published["x"]).all()
    # The published summary is rounded to 0.01 weeks and cents.
    assert np.allclose(ours["recency_days"] / 7, published["t_x"], atol=0.005)
    assert np.allclose(ours["tenure_days"] / 7, published["T"], atol=0.005)
    assert np.allclose(ours["monetary_value"], published["zbar"], atol=0.0051)
    assert (summary["holdout_days"] == 273).all()  # 39 weeks


def test_cdnow_holdout_validation(cdnow_transactions) -> None:
    result = clv_validation.validate_transactions(cdnow_transactions, CUT, END, time_unit="weeks")
    table = result.table
    assert table["bucket"].astype(str).tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    assert table["actual_total"].sum() == 1882  # distinct purchase days in weeks 40-78
    assert vars(result.fit.params) == pytest.approx(
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, abs=1e-3
    )
    # Mean holdout purchases rise with calibration frequency, as in FHL (2005) figure 4.
    assert table["actual_mean"].is_monotonic_increasing
    assert table["predicted_mean"].is_monotonic_increasing
    assert -0.2 < result.aggregate_relative_error < 0.0
    assert 0.0 < result.mean_absolute_error < 1.0


def test_a_grouped_summary_validates_as_the_summary_of_each_customer(cdnow_transactions) -> None:
    """What customer_clv validates on: identical customers as one row with their count
    (orders_core.metrics.HOLDOUT_HISTORIES_SQL)."""
    summary = clv_validation.calibration_holdout_summary(cdnow_transactions, CUT, END)
    keys = ["frequency", "recency_days", "tenure_days", "holdout_purchases", "holdout_days"]
    grouped = summary.groupby(keys, as_index=False).size().rename(columns={"size": "customers"})
    grouped = grouped.assign(monetary_value=0.0)
    assert len(grouped) < len(summary)
    each = clv_validation.validate_holdout(summary, "weeks")
    together = clv_validation.validate_holdout(grouped, "weeks")
    assert vars(together.fit.params) == pytest.approx(vars(each.fit.params), rel=1e-7)
    assert together.mean_absolute_error == pytest.approx(each.mean_absolute_error, rel=1e-9)
    assert together.aggregate_relative_error == pytest.approx(
        each.aggregate_relative_error, rel=1e-9
    )
    assert together.table["bucket"].tolist() == each.table["bucket"].astype(str).tolist()
    assert together.table["customers"].tolist() == each.table["customers"].tolist()
    assert together.table["actual_total"].tolist() == each.table["actual_total"].tolist()
    np.testing.assert_allclose(together.table["predicted_total"], each.table["predicted_total"])


def test_predictions_match_a_simulated_holdout() -> None:
    sim = simulate_customers(
        30_000,
        clv.BGNBDParams(r=0.3, alpha=5.0, a=0.7, b=2.5),
        clv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0),
        tenure_range=(26.0, 78.0),
        holdout=39.0,
        seed=3,
    )
    result = clv_validation.validate_holdout(sim.assign(holdout_days=39.0))
    assert abs(result.aggregate_relative_error) < 0.05
    big = result.table[result.table["customers"] >= 500]
    assert np.allclose(big["predicted_mean"], big["actual_mean"], rtol=0.15)


SQL_SUMMARY = """
with daily as (
    select customer_id, cast(order_date as date) as day, sum(amount) as amount
    from transactions group by all
), calibration as (
    select customer_id, count(*) - 1 as frequency, min(day) as first_day, max(day) as last_day,
           sum(amount) - arg_min(amount, day) as repeat_spend
    from daily where day <= date '{cut}' group by customer_id
), holdout as (
    select customer_id, count(*) as holdout_purchases
    from daily where day > date '{cut}' and day <= date '{end}' group by customer_id
)
select c.customer_id, frequency,
       date_diff('day', first_day, last_day) as recency_days,
       date_diff('day', first_day, date '{cut}') as tenure_days,
       case when frequency > 0 then repeat_spend / frequency else 0 end as monetary_value,
       coalesce(h.holdout_purchases, 0) as holdout_purchases,
       date_diff('day', date '{cut}', date '{end}') as holdout_days
from calibration c left join holdout h using (customer_id)
order by c.customer_id
"""


def test_validation_accepts_a_sql_produced_summary(cdnow_transactions) -> None:
    con = duckdb.connect()
    con.register("transactions", cdnow_transactions)
    from_sql = con.execute(SQL_SUMMARY.format(cut=CUT, end=END)).df()
    via_sql = clv_validation.validate_holdout(from_sql, time_unit="weeks")
    via_pandas = clv_validation.validate_transactions(
        cdnow_transactions, CUT, END, time_unit="weeks"
    )
    assert via_sql.mean_absolute_error == pytest.approx(via_pandas.mean_absolute_error)
    assert via_sql.aggregate_relative_error == pytest.approx(via_pandas.aggregate_relative_error)
    pd.testing.assert_frame_equal(via_sql.table, via_pandas.table)


def test_validation_rejects_unusable_inputs(cdnow_transactions) -> None:
    with pytest.raises(ValueError, match="before cut_date"):
        clv_validation.calibration_holdout_summary(cdnow_transactions, END, CUT)
    summary = clv_validation.calibration_holdout_summary(cdnow_transactions, CUT, END)
    with pytest.raises(ValueError, match="lacks columns"):
        clv_validation.validate_holdout(summary.drop(columns="holdout_days"))
    with pytest.raises(ValueError, match="no holdout purchases"):
        clv_validation.validate_holdout(summary.assign(holdout_purchases=0))


@pytest.mark.parametrize("withheld", [0, 2])
def test_the_holdout_summary_reads_the_orders_once_and_sums_no_money(withheld) -> None:
    """customer_clv's holdout summary over all orders finds their current versions once
    and keeps no spend per customer (BG/NBD is validated alone): the metrics as of the cut
    and the holdout counted apart, then joined, held twice the engine's memory for the
    same rows (bench/RESULTS.md, hunt 90; identical rows: tests/integration/test_clv_asset.py
    and tests/prod/test_metrics_sql.py)."""
    sql = metrics.holdout_histories_sql(withheld)
    assert sql.count(kept_versions(withheld)) == 1
    assert MONEY_SUM_TYPE not in sql
    assert sql.count("?") == len(
        metrics.holdout_summary_params("2025-01-03", "2025-01-12", ["2025-01-04"] * withheld)
    )
