"""The cleaning, quality and whole-table statements as each engine runs them, kept for review in
tests/snapshots/sql.

A change to the contract or to the SQL shows up in review as a diff of readable SQL.
Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import os

import pytest

from orders_core.contract import load_contract
from orders_core.expectations import order_suite, publication_suite
from orders_core.sql import customers, quality
from orders_core.sql.cleaning import statements
from orders_core.sql.dialect import DIALECTS
from orders_core.tables import CLEANED_ORDERS, FCT_ORDERS, FCT_ORDERS_COLUMNS
from tests.support.paths import SNAPSHOTS as ALL_SNAPSHOTS

SNAPSHOTS = ALL_SNAPSHOTS / "sql"


def _statements(dialect: str) -> dict[str, str]:
    contract = load_contract()
    return {
        **statements(contract, dialect),
        **quality.statements(CLEANED_ORDERS, order_suite(contract), dialect),
        **quality.statements(
            FCT_ORDERS, publication_suite(contract, FCT_ORDERS_COLUMNS, 0), dialect
        ),
        **customers.statements(dialect),
    }


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generated_sql_matches_the_reviewed_snapshot(dialect):
    for name, sql in _statements(dialect).items():
        path = SNAPSHOTS / f"{name}.{dialect}.sql"
        # Bytes: the whitespace set of ORDERS_TRIM holds a CR, which text mode would change.
        text = (sql.strip() + "\n").encode()
        if os.environ.get("UPDATE_SNAPSHOTS"):
            path.write_bytes(text)
        assert path.exists(), f"{path} is missing: regenerate with UPDATE_SNAPSHOTS=1"
        assert path.read_bytes() == text, (
            f"{path.name} differs from the generated SQL. If intended, regenerate with "
            "UPDATE_SNAPSHOTS=1 and review the diff."
        )
