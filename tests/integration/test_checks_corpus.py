"""The bad-input corpus through ingest, cleaning, drift detection and reconciliation."""

import functools
import math
from dataclasses import dataclass

import pandas as pd
import pytest

from asset_checks.drift import detect_drift, drift_outcome
from asset_checks.reconciliation import reconcile_days, reconciliation_outcome
from orders_core.contract import load_contract
from orders_core.reconciliation import Reconciliation
from tests.support.bad_inputs import Case, corpus, odd_values
from tests.support.order_fixtures import DAY, clean, csv_bytes, landed, order_rows, raw_frame

CASES = corpus() + odd_values()


@dataclass(frozen=True)
class Read:
    """A case's files as ingest reads them, and the drift found in them."""

    raw: pd.DataFrame
    rows: int
    findings: tuple


@functools.cache
def read(name: str) -> Read:
    """The two tests over the corpus read each case once (detect_drift is most of the
    second's time): the cleaning leaves its input as it was, and the findings and row
    count are taken before it."""
    (case,) = [case for case in CASES if case.name == name]
    raw = raw_frame(list(case.files))
    return Read(raw, len(raw), tuple(detect_drift(raw, load_contract())))


def test_corpus_is_large_and_distinct():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input_is_quarantined_or_reported_and_reconciles(case: Case):
    contract = load_contract()
    raw, findings = read(case.name).raw, list(read(case.name).findings)
    result = clean(raw)
    balance = reconcile_days(raw, result, [DAY], contract)[DAY]

    assert balance.balanced, balance
    assert balance.raw_rows == len(raw)
    assert result.quarantined["reason_code"].notna().all()
    assert result.quarantined["reason_detail"].notna().all()
    assert case.reasons <= set(result.quarantined["reason_code"]), result.quarantined[
        ["reason_code", "reason_detail"]
    ].to_dict("records")
    assert case.drift <= {finding.kind for finding in findings}, findings
    assert result.superseded_rows == case.superseded
    assert len(result.cleaned) >= case.min_cleaned
    for order_id, column, value in case.cleaned_values:
        row = result.cleaned.loc[result.cleaned["order_id"] == order_id]
        assert len(row) == 1 and row[column].iloc[0] == value


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_error_drift_fails_the_partition(case: Case):
    findings = list(read(case.name).findings)
    outcome = drift_outcome(findings, read(case.name).rows)
    errors = [f for f in findings if f.severity == "ERROR"]
    assert outcome.passed == (not findings)
    if errors:
        assert outcome.severity.value == "ERROR"
        assert "drift" in outcome.metadata


def test_reconciliation_detects_a_lost_row():
    contract = load_contract()
    raw = raw_frame([landed("a.csv", csv_bytes(order_rows(10)))])
    result = clean(raw)
    lossy = result.__class__(
        cleaned=result.cleaned.iloc[1:],
        quarantined=result.quarantined,
        superseded_rows=result.superseded_rows,
        naive_timestamp_rows=0,
        superseded=result.superseded,
    )
    balance = reconcile_days(raw, lossy, [DAY], contract)[DAY]
    assert not balance.balanced


def test_reconciliation_detects_changed_revenue():
    contract = load_contract()
    raw = raw_frame([landed("a.csv", csv_bytes(order_rows(10)))])
    result = clean(raw)
    cleaned = result.cleaned.copy()
    cleaned.loc[0, "amount"] = cleaned.loc[0, "amount"] + 0.01
    changed = result.__class__(cleaned, result.quarantined, 0, 0, result.superseded)
    balance = reconcile_days(raw, changed, [DAY], contract)[DAY]
    assert balance.row_difference == 0
    assert balance.revenue_difference == pytest.approx(-0.01)
    assert not balance.balanced


def test_float_noise_in_the_balance_is_shown_as_zero_not_minus_zero():
    # 0.1 + 0.2 cleaned against 0.3 raw: the difference is -5.6e-17, which rounds to -0.0.
    balance = Reconciliation(3, 2, 1, 0, 0, 0.3, 0.1, 0.2, 0.0, 0.6)
    assert balance.balanced and balance.revenue_difference < 0
    outcome = reconciliation_outcome(balance)
    amounts = {k: v for k, v in outcome.metadata.items() if isinstance(v, float)}
    assert amounts["reconciliation/revenue_difference"] == 0.0
    assert all(math.copysign(1.0, v) == 1.0 for v in amounts.values()), amounts


def test_unparseable_amounts_carry_no_revenue():
    rows = order_rows(3)
    rows[0]["amount"] = "1,234.50"
    rows[1]["amount"] = "1e400"
    raw = raw_frame([landed("a.csv", csv_bytes(rows))])
    balance = reconcile_days(raw, clean(raw), [DAY], load_contract())[DAY]
    assert balance.unparseable_amount_rows == 2
    assert balance.raw_revenue == pytest.approx(float(rows[2]["amount"]))
    assert balance.balanced


def test_amounts_whose_sum_overflows_a_double_still_reconcile():
    # Two quarantined rows of 1e308 (amount_out_of_range): summed as doubles, raw and
    # quarantined revenue were inf, their difference NaN, and the blocking check failed
    # a day whose rows balance.
    rows = order_rows(3)
    rows[0]["amount"] = "1e308"
    rows[1]["amount"] = "1.5e308"
    raw = raw_frame([landed("a.csv", csv_bytes(rows))])
    result = clean(raw)
    assert set(result.quarantined["reason_code"]) == {"amount_out_of_range"}
    balance = reconcile_days(raw, result, [DAY], load_contract())[DAY]
    assert balance.balanced, balance
    assert balance.unparseable_amount_rows == 2
    assert balance.raw_revenue == pytest.approx(float(rows[2]["amount"]))


def test_empty_day_reconciles():
    raw = raw_frame([])
    result = clean(raw)
    balance = reconcile_days(raw, result, [DAY], load_contract())[DAY]
    assert balance.balanced and balance.raw_rows == 0
    assert isinstance(result.superseded, pd.DataFrame)
