"""FX rules of the contract, the rates file reader and the rate each order day takes."""

from __future__ import annotations

import copy

import dagster as dg
import duckdb
import pytest
import yaml

from asset_checks.fx import fx_rates_check_result
from orders_core.contract import CONTRACT_PATH, load_contract, parse_contract
from orders_core.fx_files import RateRow, rate_rows
from orders_core.sql.dialect import render
from orders_core.sql.fx import day_rates_sql
from orders_core.sql.tables import create_statements
from orders_core.tables import FX_RATES

DOCUMENT = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


def _with_fx(fx) -> dict:
    document = copy.deepcopy(DOCUMENT)
    document["fx"] = fx
    return document


def test_the_shipped_contract_reports_in_usd_with_rates_up_to_four_days_old():
    fx = load_contract().fx
    assert (fx.reporting_currency, fx.max_rate_age_days) == ("USD", 4)


@pytest.mark.parametrize(
    ("fx", "named"),
    [
        ({"reporting_currency": "usd"}, "fx.reporting_currency 'usd'"),
        ({"reporting_currency": "XXX"}, "fx.reporting_currency 'XXX'"),
        ({"reporting_currency": 840}, "fx.reporting_currency 840"),
        ({"max_rate_age_days": -1}, "fx.max_rate_age_days"),
        ({"max_rate_age_days": 32}, "fx.max_rate_age_days"),
        ({"max_rate_age_days": "4"}, "fx.max_rate_age_days"),
        ({"max_rate_age_days": True}, "fx.max_rate_age_days"),
        ({"max_rate_age": 4}, "'max_rate_age'"),
        ("USD", "fx must be a mapping"),
    ],
)
def test_a_malformed_fx_setting_is_refused_by_name(fx, named):
    with pytest.raises(ValueError) as refused:
        parse_contract(_with_fx(fx))
    assert named in str(refused.value)


def test_another_reporting_currency_is_taken():
    fx = parse_contract(_with_fx({"reporting_currency": "EUR", "max_rate_age_days": 0})).fx
    assert (fx.reporting_currency, fx.max_rate_age_days) == ("EUR", 0)


def test_a_rates_file_is_read_whole_in_any_column_order_losing_no_record():
    data = b"\xef\xbb\xbfCurrency , RATE,rate_date,source\nEUR,1.08,2025-01-02,ecb\n\nJPY,x\n"
    assert rate_rows("r.csv", data) == [
        RateRow("2025-01-02", "EUR", "1.08", 2),
        RateRow(None, None, None, 4, "2 fields where the header has 4"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("r.txt", b"rate_date,currency,rate\n", "only .csv files are read"),
        ("r.csv", b"\xff\xfe", "not UTF-8 text"),
        ("r.csv", b"", "empty file"),
        ("r.csv", b"day,currency,rate\n2025-01-02,EUR,1\n", "the header lacks rate_date"),
    ],
)
def test_a_file_that_holds_no_readable_rate_is_one_row_saying_why(name, data, said):
    (row,) = rate_rows(name, data)
    assert row.parse_error and said in row.parse_error and row.rate is None


def test_each_day_takes_its_own_rate_else_the_latest_at_most_four_days_older():
    contract = load_contract()
    with duckdb.connect() as conn:
        for statement in create_statements(contract, FX_RATES):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO staging.fx_rates (rate_date, currency, rate, reason_code) VALUES"
            " ('2025-01-03', 'EUR', 1.04, NULL), ('2025-01-06', 'EUR', 1.03, NULL),"
            " ('2025-01-05', 'EUR', 9.99, 'conflicting_rate'),"
            " ('2025-01-06', 'EUR', 1.03, NULL), ('2025-01-06', 'USD', 1, NULL)"
        )
        served = conn.execute(
            f"SELECT currency, CAST(rate_day AS VARCHAR), rate, CAST(rate_date AS VARCHAR)"
            f" FROM ({render(day_rates_sql(contract))}) ORDER BY rate_day"
        ).fetchall()
    # Friday's rate serves the weekend and Monday... until Monday's own; Tuesday 4 days
    # later takes Monday's; the quarantined Sunday rate and the reporting currency none.
    assert served == [
        ("EUR", "2025-01-03", 1.04, "2025-01-03"),
        ("EUR", "2025-01-04", 1.04, "2025-01-03"),
        ("EUR", "2025-01-05", 1.04, "2025-01-03"),
        ("EUR", "2025-01-06", 1.03, "2025-01-06"),
        ("EUR", "2025-01-07", 1.03, "2025-01-06"),
        ("EUR", "2025-01-08", 1.03, "2025-01-06"),
        ("EUR", "2025-01-09", 1.03, "2025-01-06"),
        ("EUR", "2025-01-10", 1.03, "2025-01-06"),
    ]


def test_a_landed_detail_is_shown_escaped_and_masked_in_the_check():
    detail = "the header lacks rate (it is rate_date, ann@example.org, \x1b[2Jx\nforged)"
    result = fx_rates_check_result(
        dg.AssetKey("fx_rates"), {"malformed_record": 1}, [("malformed_record", "f.csv", 1, detail)]
    )
    assert not result.passed
    assert "ann@example.org" not in result.description
    assert "\x1b" not in result.description and "\n" not in result.description
    assert "\\u001b[2Jx\\nforged" in result.description
