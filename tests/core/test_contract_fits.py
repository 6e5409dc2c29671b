"""An edited contract.yaml is either one the typed tables can hold or refused, by name.

cleaned_orders and fct_orders have columns set in code. Before, a contract naming a
column they lack failed cleaned_orders' gx_quality with DuckDB's ``Binder Error:
Referenced column "channel" not found``, one no longer naming ``region`` failed
clean_orders three times over with ``Referenced column "t_region" not found``, and a
decimal ``quantity`` published ``100.4`` as ``100`` (BIGINT) without a word.
"""

import copy
import re

import pytest
import yaml

from orders_core.contract import CONTRACT_PATH, parse_contract
from orders_core.sql.tables import contract_misfits, require_contract_fits

SHIPPED = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


def edited(change) -> dict:
    """The shipped contract document after ``change(document)``."""
    document = copy.deepcopy(SHIPPED)
    change(document)
    return document


def _column(document: dict, name: str) -> dict:
    (spec,) = [c for c in document["columns"] if c["name"] == name]
    return spec


def test_the_shipped_contract_fits():
    assert contract_misfits(parse_contract(SHIPPED)) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda d: _column(d, "order_id").update(description="The source system's order key."),
        lambda d: _column(d, "currency")["allowed"].append("XTS"),
        lambda d: _column(d, "status")["allowed"].append("refunded"),
        lambda d: _column(d, "region").update(required=True, max_length=32),
        lambda d: _column(d, "amount").update(max=5_000_000),
        lambda d: d["drift"].update(added="ERROR"),
    ],
    ids=["description", "currency", "status", "required", "range", "drift"],
)
def test_changes_of_rules_fit(change):
    require_contract_fits(parse_contract(edited(change)))


def test_a_new_column_is_refused_by_name():
    document = edited(
        lambda d: d["columns"].append({"name": "channel", "type": "string", "description": "x"})
    )
    with pytest.raises(ValueError) as refused:
        require_contract_fits(parse_contract(document))
    message = str(refused.value)
    assert "'channel' (string) is not a column of staging.cleaned_orders" in message
    assert "orders_core/contract.yaml" in message
    assert "Changing the contract" in message


def test_a_retyped_column_is_refused_rather_than_rounded():
    document = edited(lambda d: _column(d, "quantity").update(type="decimal"))
    assert contract_misfits(parse_contract(document)) == [
        "contract column 'quantity' is decimal (DOUBLE), but staging.cleaned_orders"
        " stores quantity as BIGINT"
    ]


def test_a_removed_column_is_refused_by_name():
    def drop_region(document):
        document["columns"] = [c for c in document["columns"] if c["name"] != "region"]

    assert contract_misfits(parse_contract(edited(drop_region))) == [
        "staging.cleaned_orders column 'region' is made from contract column 'region',"
        " which the contract no longer names"
    ]


def test_pii_stays_pii():
    found = contract_misfits(
        parse_contract(edited(lambda d: _column(d, "customer_email").update(pii=False)))
    )
    assert found == [
        "contract column 'customer_email' must stay pii: true: staging.cleaned_orders"
        " holds only its keyed hash, customer_email_hash"
    ]
    found = contract_misfits(
        parse_contract(edited(lambda d: _column(d, "region").update(pii=True)))
    )
    assert found == [
        "contract column 'region' (string, pii) is not a column of staging.cleaned_orders"
        " or warehouse.fct_orders"
    ]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (
            lambda d: _column(d, "region").update(max_len=32),
            "column 'region': unknown setting(s) 'max_len'",
        ),
        (
            lambda d: _column(d, "status").update(allowd=["placed"]),
            "column 'status': unknown setting(s) 'allowd'",
        ),
        (
            lambda d: d.update(formula_prefix="=+-@"),
            "contract: unknown setting(s) 'formula_prefix'",
        ),
        (
            lambda d: _column(d, "currency").update(normalize="uppercase"),
            "column 'currency': normalize must be upper or lower, not 'uppercase'",
        ),
    ],
    ids=["column-key", "allowed-key", "contract-key", "normalize"],
)
def test_a_misspelt_setting_is_refused_rather_than_ignored(change, refusal):
    """Before, each was ignored: the region's length, the status set, the formula rule
    or the currency's upper-casing silently not enforced."""
    with pytest.raises(ValueError, match=re.escape(refusal)):
        parse_contract(edited(change))


@pytest.mark.parametrize(
    ("change", "misfit"),
    [
        (
            lambda d: d.update(partition_column="updated_at"),
            "partition_column is 'updated_at': the platform implements 'order_ts' only",
        ),
        (
            lambda d: d["dedup"].update(order_by="order_ts"),
            "dedup.order_by is 'order_ts': the platform implements 'updated_at' only",
        ),
        (
            lambda d: _column(d, "customer_id").update(required=False),
            "contract column 'customer_id' must stay required: the customer tables have"
            " one row per customer_id",
        ),
    ],
    ids=["partition_column", "dedup", "customer_id"],
)
def test_rules_written_in_code_cannot_be_moved_by_the_contract(change, misfit):
    assert contract_misfits(parse_contract(edited(change))) == [misfit]


def test_the_shipped_contract_says_cancelled_and_returned_orders_are_no_purchase():
    contract = parse_contract(SHIPPED)
    assert contract.not_purchase_statuses == ("cancelled", "returned")
    # every order a purchase: an empty list is a rule too
    emptied = parse_contract(edited(lambda d: _column(d, "status").update(not_purchase=[])))
    assert emptied.not_purchase_statuses == ()


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (
            lambda d: _column(d, "status").update(not_purchase=["canceled", "returned"]),
            "column 'status': not_purchase lists 'canceled', not among its allowed values",
        ),
        (
            lambda d: _column(d, "status").pop("allowed"),
            "column 'status': not_purchase lists 'cancelled', 'returned', not among its"
            " allowed values None",
        ),
        (
            lambda d: _column(d, "status").update(not_purchase="cancelled"),
            "column 'status': not_purchase must be a list of allowed values, not 'cancelled'",
        ),
        (
            lambda d: _column(d, "currency").update(not_purchase=["XTS"]),
            "column 'currency': not_purchase is a setting of the status column only",
        ),
    ],
    ids=["misspelt-value", "no-allowed-set", "not-a-list", "other-column"],
)
def test_a_not_purchase_rule_that_matches_no_status_is_refused(change, refusal):
    """A status spelt otherwise than the allowed set (``canceled``) matches no order:
    every cancelled order would silently go on counting as a purchase."""
    with pytest.raises(ValueError, match=re.escape(refusal)):
        parse_contract(edited(change))
