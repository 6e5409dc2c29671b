"""The Great Expectations suite: what it catches, what it reports, and that GX stays lazy."""

import os
import subprocess
import sys

import pandas as pd
import pytest

from asset_checks.expectations import order_expectations, publication_expectations
from asset_checks.quality import validate_days
from orders_core.contract import load_contract
from orders_core.tables import FCT_ORDERS_COLUMNS
from tests.support import paths
from tests.support.order_fixtures import DAY, clean, csv_bytes, landed, order_rows, raw_frame

REPO = paths.REPO


@pytest.fixture(scope="module")
def cleaned() -> pd.DataFrame:
    result = clean(raw_frame([landed("a.csv", csv_bytes(order_rows(200)))]))
    assert len(result.cleaned) == 200
    return result.cleaned


def _results(outcome) -> dict[tuple[str, str], dict]:
    return {
        (r.data["expectation"], r.data["column"]): r.data
        for r in outcome.metadata["gx/results"].value.records
    }


def _validate(frame: pd.DataFrame):
    suite = lambda day: order_expectations(load_contract())  # noqa: E731
    return validate_days([(DAY, frame)], suite)[DAY.isoformat()]


def _validate_published(frame: pd.DataFrame, expected_rows: int):
    suite = lambda day: publication_expectations(  # noqa: E731
        load_contract(), FCT_ORDERS_COLUMNS, expected_rows
    )
    return validate_days([(DAY, frame)], suite)[DAY.isoformat()]


def test_clean_rows_meet_every_expectation(cleaned, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = _validate(cleaned)
    assert outcome.passed, outcome.description
    assert outcome.metadata["gx/evaluated_expectations"] >= 20
    assert outcome.metadata["gx/failed_expectations"] == 0
    assert list(tmp_path.iterdir()) == []  # GX wrote nothing where it ran


def test_broken_rows_are_counted_with_samples(cleaned):
    bad = cleaned.copy()
    for column in ("currency", "status", "region", "order_id", "customer_email_hash"):
        bad[column] = bad[column].astype(object)
    bad.loc[0, "amount"] = 999.0  # off quantity x unit_price
    bad.loc[1, "order_id"] = bad.loc[2, "order_id"]
    bad.loc[3, "currency"] = "XYZ"
    bad.loc[4, "status"] = "lost"
    bad.loc[5, "order_ts"] = pd.Timestamp("2030-01-01", tz="UTC")
    bad.loc[6, "updated_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    bad.loc[7, "quantity"] = 0
    bad.loc[8, "customer_email_hash"] = "not-a-digest"
    bad.loc[9, "region"] = "x" * 65
    bad.loc[10, "region"] = "=HYPERLINK(1)"
    bad.loc[11, "customer_id"] = None
    outcome = _validate(bad)
    assert not outcome.passed
    results = _results(outcome)
    failed = {key for key, value in results.items() if not value["success"]}
    assert failed >= {
        ("expect_column_values_to_be_between", "amount_line_error"),
        ("expect_column_values_to_be_unique", "order_id"),
        ("expect_column_values_to_be_in_set", "currency"),
        ("expect_column_values_to_be_in_set", "status"),
        ("expect_column_values_to_be_between", "order_ts_seconds_into_day"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "updated_at, order_ts"),
        ("expect_column_values_to_be_between", "quantity"),
        ("expect_column_values_to_match_regex", "customer_email_hash"),
        ("expect_column_value_lengths_to_be_between", "region"),
        ("expect_column_values_to_not_match_regex", "region"),
        ("expect_column_values_to_not_be_null", "customer_id"),
    }
    currency = results[("expect_column_values_to_be_in_set", "currency")]
    assert currency["unexpected_count"] == 1
    assert currency["unexpected_percent"] == pytest.approx(0.5)
    assert "XYZ" in currency["sample"]
    assert results[("expect_column_values_to_be_unique", "order_id")]["unexpected_count"] == 2
    assert "currency" in outcome.description


def test_published_table_must_have_its_columns_and_every_cleaned_row(cleaned):
    facts = cleaned.loc[:, list(FCT_ORDERS_COLUMNS)]
    assert _validate_published(facts, len(facts)).passed
    leaked = _validate_published(facts.assign(customer_email="a@b.c"), len(facts))
    assert not leaked.passed
    assert not _results(leaked)[("expect_table_columns_to_match_set", "(table)")]["success"]
    doubled = _validate_published(pd.concat([facts, facts.iloc[:3]]), len(facts))
    failed = {k for k, v in _results(doubled).items() if not v["success"]}
    assert failed == {
        ("expect_table_row_count_to_equal", "(table)"),
        ("expect_column_values_to_be_unique", "order_id"),
    }


def test_an_empty_day_passes(cleaned):
    assert _validate(cleaned.iloc[:0]).passed


def test_loading_the_definitions_does_not_import_great_expectations():
    code = "import sys, orders_platform.definitions; print('great_expectations' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "False"
