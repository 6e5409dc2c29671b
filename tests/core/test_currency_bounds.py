"""max_by_currency: a money column's bound in each currency's own major units, refused
by name when it could not be enforced as written."""

from __future__ import annotations

import copy
import math

import pytest
import yaml

from orders_core.cleaning import clean_orders
from orders_core.contract import (
    CONTRACT_PATH,
    MAX_MONEY_BOUND,
    load_contract,
    parse_contract,
    read_contract_document,
)
from orders_core.expectations import (
    Expectation,
    currency_condition,
    order_suite,
    publication_suite,
)
from orders_core.sql.quality import rule
from orders_core.tables import FCT_ORDERS_COLUMNS
from tests.support.order_fixtures import DAY, KEY, csv_bytes, landed, raw_frame

DOCUMENT = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


def _with_bounds(bounds, column: str = "amount", **settings) -> dict:
    document = copy.deepcopy(DOCUMENT)
    (spec,) = [c for c in document["columns"] if c["name"] == column]
    spec["max_by_currency"] = bounds
    spec.update(settings)
    return document


def test_the_shipped_table_is_one_table_for_both_money_columns():
    contract = load_contract()
    amount, unit_price = contract.column("amount"), contract.column("unit_price")
    assert amount.max_by_currency == unit_price.max_by_currency
    bounds = dict(amount.max_by_currency)
    assert (amount.max, bounds["JPY"], bounds["VND"], bounds["IRR"]) == (1e6, 1e9, 1e11, 1e13)
    assert "USD" not in bounds and "EUR" not in bounds
    allowed = set(contract.column("currency").allowed)
    for code, bound in bounds.items():
        assert code in allowed
        # an order of magnitude, exact as a DOUBLE, summed exactly as money
        assert bound == 10 ** round(math.log10(bound)), code
        assert float(bound) == bound <= MAX_MONEY_BOUND
    # the file holds the table once: unit_price names amount's (a YAML alias)
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    assert text.count("JPY: ") == 1 and "*money_max_by_currency" in text


@pytest.mark.parametrize(
    ("bounds", "settings", "named"),
    [
        ({"YEN": 1_000_000_000}, {}, "lists 'YEN', not among the currency column's allowed"),
        ({"jpy": 1_000_000_000}, {}, "lists 'jpy'"),
        ({"XTS": 1_000_000_000}, {}, "lists 'XTS'"),
        ({"JPY": "1e9"}, {}, "the bound of 'JPY' must be a positive number, not '1e9'"),
        ({"JPY": 0}, {}, "the bound of 'JPY' must be a positive number, not 0"),
        ({"JPY": -5}, {}, "the bound of 'JPY' must be a positive number"),
        ({"JPY": True}, {}, "the bound of 'JPY' must be a positive number, not True"),
        ({"JPY": float("inf")}, {}, "the bound of 'JPY' must be a positive number"),
        ({"JPY": None}, {}, "the bound of 'JPY' must be a positive number, not None"),
        ({"JPY": 5}, {"min": 10}, "the bound of 'JPY', 5, is below min 10"),
        ({"IRR": 1e16}, {}, "the bound of 'IRR', 1e+16, is above 1e+15"),
        ({"JPY": 1e9}, {"max": None}, "needs max, the bound of the currencies it does not list"),
        ([["JPY", 1e9]], {}, "must map ISO 4217 codes to bounds"),
    ],
)
def test_a_bound_that_could_not_be_enforced_as_written_is_refused_by_name(bounds, settings, named):
    with pytest.raises(ValueError) as refused:
        parse_contract(_with_bounds(bounds, **settings))
    assert "column 'amount': max_by_currency" in str(refused.value)
    assert named in str(refused.value)


def test_only_number_columns_take_bounds_by_currency():
    with pytest.raises(ValueError, match="'region': max_by_currency is a setting of number"):
        parse_contract(_with_bounds({"JPY": 1e9}, column="region"))


def test_a_contract_without_a_currency_column_takes_no_bounds_by_currency():
    document = copy.deepcopy(DOCUMENT)
    document["columns"] = [c for c in document["columns"] if c["name"] != "currency"]
    document["fx"] = None
    with pytest.raises(ValueError, match="max_by_currency needs a currency column"):
        parse_contract(document)


def test_a_currency_listed_twice_is_refused_not_resolved_silently(tmp_path):
    """PyYAML keeps the last of two equal keys without a word: the contract's loader
    refuses the file, naming the key and its line."""
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    twice = text.replace("JPY: 1_000_000_000,", "JPY: 1_000_000_000, JPY: 100_000_000,", 1)
    assert twice != text
    path = tmp_path / "contract.yaml"
    path.write_text(twice, encoding="utf-8")
    with pytest.raises(yaml.YAMLError, match="the key 'JPY' is given twice") as refused:
        read_contract_document(path)
    assert "line" in str(refused.value)
    assert read_contract_document() == DOCUMENT


def test_a_bound_below_the_default_and_with_a_fraction_is_shown_as_written():
    contract = parse_contract(_with_bounds({"KWD": 250_000.5, "JPY": 1e9}))
    assert contract.column("amount").max_groups() == ((250_000.5, ("KWD",)), (1e9, ("JPY",)))
    rows = [
        {"order_id": order, "customer_id": "c1", "order_ts": f"{DAY}T10:00:00Z", **values}
        for order, values in (
            ("kwd", {"amount": "300000", "currency": "KWD"}),
            ("jpy", {"amount": "1000000001", "currency": "JPY"}),
            ("usd", {"amount": "999999", "currency": "USD"}),
        )
    ]
    result = clean_orders(raw_frame([landed("a.csv", csv_bytes(rows))]), contract, KEY)
    assert result.cleaned["order_id"].tolist() == ["usd"]
    assert result.quarantined.set_index("order_id")["reason_detail"].to_dict() == {
        "kwd": "amount_out_of_range: amount 300000 above the KWD bound 250000.5",
        "jpy": "amount_out_of_range: amount 1000000001 above the JPY bound 1000000000",
    }


def test_the_suites_judge_each_bound_by_a_great_expectations_row_condition():
    contract = load_contract()
    amount = contract.column("amount")
    between = [
        e
        for e in order_suite(contract)
        if e.type == "expect_column_values_to_be_between" and e.kwargs["column"] == "amount"
    ]
    assert [e.kwargs["max_value"] for e in between] == [1e6, 1e8, 1e9, 1e10, 1e11, 1e13]
    conditions = [e.kwargs["row_condition"] for e in between]
    assert conditions[0]["operator"] == "NOT_IN"
    assert sorted(conditions[0]["parameter"]) == sorted(c for c, _ in amount.max_by_currency)
    assert [c["operator"] for c in conditions[1:]] == ["IN"] * 5
    assert "JPY" in conditions[2]["parameter"]
    assert between[5].column == "amount where currency IN (IRR)"
    published = publication_suite(contract, FCT_ORDERS_COLUMNS, 1)
    assert [
        e for e in published if e.kwargs.get("column") == "amount" and "min_value" in e.kwargs
    ] == between


@pytest.mark.parametrize(
    ("expectation", "refused"),
    [
        (
            Expectation(
                "expect_column_values_to_be_between",
                {"column": "amount", "max_value": 1, "row_condition": {"type": "nullity"}},
            ),
            "no SQL for the row condition",
        ),
        (
            Expectation(
                "expect_column_values_to_be_between",
                {"column": "amount", "max_value": 1, "row_condition": "currency == 'JPY'"},
            ),
            "no SQL for the row condition",
        ),
        (
            Expectation(
                "expect_column_values_to_be_unique",
                {"column": "order_id", "row_condition": currency_condition(["JPY"])},
            ),
            "no SQL for a row condition on expect_column_values_to_be_unique",
        ),
    ],
)
def test_a_row_condition_the_engine_cannot_judge_as_gx_does_is_refused(expectation, refused):
    with pytest.raises(ValueError, match=refused):
        rule(expectation, 0)
