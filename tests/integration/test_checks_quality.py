"""The Great Expectations suites: what they catch, what they report, that the engine's SQL
gives GX's own results, and that GX stays out of the definitions and the check step."""

import datetime as dt
import os
import subprocess
import sys

import pandas as pd
import pytest

from asset_checks.quality import facts_suite, validate_days
from devtools.gx_reference import executor, gx_outcomes, warehouse_with
from orders_core.contract import load_contract
from orders_core.expectations import gx_suite, order_suite, publication_suite
from orders_core.sql.dialect import DIALECTS, RENDER_CACHE_VARIABLE, TEMPLATES
from orders_core.sql.quality import aggregate_sql
from orders_core.tables import CLEANED_ORDERS, FCT_ORDERS, FCT_ORDERS_COLUMNS
from tests.support import paths
from tests.support.order_fixtures import DAY, clean, csv_bytes, landed, order_rows, raw_frame
from tests.support.quality_cases import boundary_day, bounded_day, broken

REPO = paths.REPO
CONTRACT = load_contract()


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
    conn = warehouse_with({CLEANED_ORDERS: frame})
    suite = order_suite(CONTRACT)
    return validate_days(executor(conn), CLEANED_ORDERS, lambda day: suite, [DAY])[DAY.isoformat()]


def _validate_published(frame: pd.DataFrame, expected_rows: int):
    conn = warehouse_with({FCT_ORDERS: frame})
    suite = publication_suite(CONTRACT, FCT_ORDERS_COLUMNS, expected_rows)
    return validate_days(executor(conn), FCT_ORDERS, lambda day: suite, [DAY])[DAY.isoformat()]


def test_clean_rows_meet_every_expectation(cleaned, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = _validate(cleaned)
    assert outcome.passed, outcome.description
    assert outcome.metadata["gx/evaluated_expectations"] >= 20
    assert outcome.metadata["gx/failed_expectations"] == 0
    assert outcome.metadata["rows"] == 200
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_broken_rows_are_counted_with_samples(cleaned):
    outcome = _validate(broken(cleaned))
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
    assert currency["sample"] == "'XYZ'"
    assert results[("expect_column_values_to_be_unique", "order_id")]["unexpected_count"] == 2
    assert "currency" in outcome.description


def test_the_engine_gives_great_expectations_own_results(cleaned):
    """Expectation by expectation, on a clean and a broken day: GX validating the batch
    in pandas and the compiled SQL in DuckDB agree on success, counts and percentages,
    and the samples are unexpected values GX reports too."""
    suite = order_suite(CONTRACT)
    for frame in (cleaned, broken(cleaned)):
        conn = warehouse_with({CLEANED_ORDERS: frame})
        reference = gx_outcomes(conn, CLEANED_ORDERS, DAY, suite)
        engine = validate_days(executor(conn), CLEANED_ORDERS, lambda day: suite, [DAY])
        records = [r.data for r in engine[DAY.isoformat()].metadata["gx/results"].value.records]
        assert len(records) == len(reference) == len(suite)
        for ours, theirs in zip(records, reference, strict=True):
            key = (theirs.expectation, theirs.column)
            assert (ours["expectation"], ours["column"]) == key
            assert ours["success"] == theirs.success, key
            assert ours["unexpected_count"] == theirs.unexpected_count, key
            assert ours["unexpected_percent"] == pytest.approx(theirs.unexpected_percent), key
            assert bool(ours["sample"]) == (not theirs.success), key


def test_uniqueness_counts_exactly_whatever_the_hashes_of_the_values(cleaned, monkeypatch):
    """Values are grouped only among the rows whose hash repeats (cheaper than grouping
    every value): with every hash alike, the worst collisions, the check still counts
    exactly the rows of a repeated value, in both suites."""
    unique = ("expect_column_values_to_be_unique", "order_id")
    assert "ORDERS_HASH(order_id)" in aggregate_sql(CLEANED_ORDERS, order_suite(CONTRACT))
    day = broken(cleaned)
    published = day[list(FCT_ORDERS_COLUMNS)]
    found = _results(_validate(day))[unique], _results(_validate_published(published, 200))[unique]
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, "")
    monkeypatch.setitem(TEMPLATES, "ORDERS_HASH", dict.fromkeys(DIALECTS, "0"))
    collided = (
        _results(_validate(day))[unique],
        _results(_validate_published(published, 200))[unique],
    )
    assert collided == found
    assert [r["unexpected_count"] for r in found] == [2, 2]


def test_each_currency_is_judged_by_its_own_bound_as_great_expectations_judges_it(cleaned):
    """max_by_currency in the suites: a between expectation per bound, its rows picked by
    GX 1.x row conditions on the currency. The engine gives GX's own counts, and each
    amount fails the expectation of its currency's bound only."""
    day = bounded_day(cleaned)
    suite = order_suite(CONTRACT)
    conn = warehouse_with({CLEANED_ORDERS: day})
    reference = gx_outcomes(conn, CLEANED_ORDERS, DAY, suite)
    outcome = validate_days(executor(conn), CLEANED_ORDERS, lambda d: suite, [DAY])[DAY.isoformat()]
    records = [r.data for r in outcome.metadata["gx/results"].value.records]
    for ours, theirs in zip(records, reference, strict=True):
        key = (theirs.expectation, theirs.column)
        assert (ours["success"], ours["unexpected_count"]) == (
            theirs.success,
            theirs.unexpected_count,
        ), key
        assert ours["unexpected_percent"] == pytest.approx(theirs.unexpected_percent), key
    bounds = {
        r["column"]: (r["unexpected_count"], r["sample"])
        for r in records
        if r["expectation"] == "expect_column_values_to_be_between"
        and r["column"].startswith("amount where")
    }
    assert len(bounds) == 6
    jpy = next(k for k in bounds if k.startswith("amount where currency IN (AMD, AOA,"))
    default = next(k for k in bounds if "NOT IN" in k)
    assert bounds.pop(jpy) == (1, "2500000000.0")
    assert bounds.pop(default) == (2, "2000000.0, 3000000.0")  # USD and the NULL currency
    assert {value for value, _ in bounds.values()} == {0}


def test_published_suites_agree_with_great_expectations(cleaned):
    facts = cleaned.loc[:, list(FCT_ORDERS_COLUMNS)]
    bounded = bounded_day(cleaned).loc[:, list(FCT_ORDERS_COLUMNS)]
    for frame, expected in (
        (facts, 200),
        (facts.assign(customer_email="a@b.c"), 200),
        (bounded, len(bounded)),
    ):
        conn = warehouse_with({FCT_ORDERS: frame})
        suite = publication_suite(CONTRACT, FCT_ORDERS_COLUMNS, expected)
        reference = gx_outcomes(conn, FCT_ORDERS, DAY, suite)
        engine = validate_days(executor(conn), FCT_ORDERS, lambda day, s=suite: s, [DAY])
        records = engine[DAY.isoformat()].metadata["gx/results"].value.records
        assert [r.data["success"] for r in records] == [o.success for o in reference]


def test_suites_are_valid_great_expectations_suites():
    for suite in (order_suite(CONTRACT), publication_suite(CONTRACT, FCT_ORDERS_COLUMNS, 1)):
        assert len(gx_suite("s", suite).expectations) == len(suite)


def test_samples_never_show_an_email_in_clear(cleaned):
    outcome = _validate(broken(cleaned))
    samples = " ".join(r.data["sample"] for r in outcome.metadata["gx/results"].value.records)
    assert "example.com" not in samples and "<e-mail>" in samples


def test_published_table_must_have_its_columns_and_every_cleaned_row(cleaned):
    facts = cleaned.loc[:, list(FCT_ORDERS_COLUMNS)]
    assert _validate_published(facts, len(facts)).passed
    leaked = _validate_published(facts.assign(customer_email="a@b.c"), len(facts))
    assert not leaked.passed
    columns = _results(leaked)[("expect_table_columns_to_match_set", "(table)")]
    assert not columns["success"] and "a@b.c" not in columns["sample"]
    doubled = _validate_published(pd.concat([facts, facts.iloc[:3]]), len(facts))
    failed = {k for k, v in _results(doubled).items() if not v["success"]}
    assert failed == {
        ("expect_table_row_count_to_equal", "(table)"),
        ("expect_column_values_to_be_unique", "order_id"),
    }


def test_a_failed_table_expectation_names_what_differs(cleaned):
    """An older release's column left in fct_orders (or one added by hand) fails every
    day: the check says which column, where it said "0 rows (0.0%)"."""
    facts = cleaned.loc[:, list(FCT_ORDERS_COLUMNS)]
    legacy = _validate_published(facts.assign(legacy="x"), len(facts))
    assert legacy.description == (
        "expect_table_columns_to_match_set: columns not expected: legacy; missing: none"
    )
    short = _validate_published(facts.iloc[1:], len(facts))
    assert short.description == (
        f"expect_table_row_count_to_equal: {len(facts) - 1} rows, {len(facts)} expected"
    )


def test_facts_expect_the_current_versions_of_each_day(cleaned):
    """An order landed again on a later day is published there only, so the earlier
    day expects one fact fewer."""
    later = DAY + dt.timedelta(days=1)
    again = cleaned.iloc[:1].assign(
        partition_date=later,
        order_ts=pd.Timestamp(later, tz="UTC"),
        updated_at=pd.Timestamp(later, tz="UTC"),
    )
    conn = warehouse_with({CLEANED_ORDERS: pd.concat([cleaned, again], ignore_index=True)})
    suite = facts_suite(executor(conn), [DAY, later])
    row_counts = {
        day: next(e.kwargs["value"] for e in suite(day) if "row_count" in e.type)
        for day in (DAY, later)
    }
    assert row_counts == {DAY: 199, later: 1}
    # each day alone: the other day's version of the order is outside the window, and
    # still decides which day publishes it
    for day, expected in ((DAY, 199), (later, 1)):
        alone = facts_suite(executor(conn), [day])(day)
        assert next(e.kwargs["value"] for e in alone if "row_count" in e.type) == expected


def test_order_ts_is_judged_by_its_offset_from_the_days_utc_midnight(cleaned):
    results = _results(_validate(boundary_day(cleaned)))
    offset = results[("expect_column_values_to_be_between", "order_ts_seconds_into_day")]
    assert offset["unexpected_count"] == 2  # the microsecond before, the next midnight
    assert offset["sample"] == "-1e-06, 86400.0"  # to the microsecond


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
