"""Every asset has a code version, derived from the SQL that writes it, so the UI can show
that a day was materialized by older logic; it changes with that asset's SQL only."""

from __future__ import annotations

import dataclasses

import pytest

from orders_core import code_versions
from orders_core.contract import load_contract
from orders_core.sql import customers, facts
from orders_platform.definitions import build_definitions
from resources.settings import PlatformSettings


@pytest.fixture(scope="module")
def graph():
    return build_definitions(PlatformSettings(partitions_start="2025-01-01")).resolve_asset_graph()


def test_every_asset_has_the_code_version_of_its_sql(graph):
    expected = code_versions.code_versions(load_contract())
    found = {
        key.to_user_string(): graph.get(key).code_version for key in graph.get_all_asset_keys()
    }
    assert found == expected
    assert all(version and version.startswith("r") for version in found.values())


def test_one_assets_sql_changing_changes_its_version_only(monkeypatch):
    before = code_versions.code_versions(load_contract())
    original = customers.dim_summary_sql
    monkeypatch.setattr(customers, "dim_summary_sql", lambda: original() + " -- changed")
    after = code_versions.code_versions(load_contract())
    changed = sorted(key for key in before if before[key] != after[key])
    assert changed == ["warehouse/dim_customers"]


def test_the_facts_publishing_changing_changes_fct_orders_only(monkeypatch):
    before = code_versions.code_versions(load_contract())
    original = facts.publish_statements
    monkeypatch.setattr(
        facts,
        "publish_statements",
        lambda: tuple(s.replace("DELETE", "DELETE ") for s in original()),
    )
    after = code_versions.code_versions(load_contract())
    assert sorted(key for key in before if before[key] != after[key]) == ["warehouse/fct_orders"]


def test_a_contract_rule_changes_the_cleaning_not_the_customer_tables():
    contract = load_contract()
    before = code_versions.code_versions(contract)
    amount = contract.column("amount")
    columns = tuple(
        dataclasses.replace(spec, max=spec.max / 10) if spec is amount else spec
        for spec in contract.columns
    )
    after = code_versions.code_versions(dataclasses.replace(contract, columns=columns))
    changed = {key for key in before if before[key] != after[key]}
    assert {"cleaned_orders", "quarantined_orders"} <= changed
    assert not changed & {"customer_clv", "warehouse/dim_customers", "fx_rates"}


def test_a_revision_bump_changes_that_asset_only():
    contract = load_contract()
    before = code_versions.code_versions(contract)
    bumped = {
        **code_versions.REVISIONS,
        "customer_clv": code_versions.REVISIONS["customer_clv"] + 1,
    }
    after = code_versions.code_versions(contract, bumped)
    assert sorted(key for key in before if before[key] != after[key]) == ["customer_clv"]
    assert after["customer_clv"].startswith(f"r{bumped['customer_clv']}-")
