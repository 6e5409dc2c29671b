"""The cleaning, quality and whole-table statements as each engine runs them, kept for review in
tests/snapshots/sql.

A change to the contract or to the SQL shows up in review as a diff of readable SQL.
Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import os

import pytest

from orders_core.sql.dialect import DIALECTS
from tests.support.paths import SNAPSHOTS as ALL_SNAPSHOTS
from tests.support.sql_statements import all_statements

SNAPSHOTS = ALL_SNAPSHOTS / "sql"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generated_sql_matches_the_reviewed_snapshot(dialect):
    for name, sql in all_statements(dialect).items():
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


def test_no_snowflake_statement_counts_with_count_if():
    """A DuckDB filtered count (``count(*) filter (where ...)``) transpiles to Snowflake's
    COUNT_IF, which is NULL over no row where DuckDB counts 0 (customer_clv failed in
    production so on an empty customer_metrics): a count is a count of CASE."""
    statements = all_statements("snowflake")
    assert statements
    assert [name for name, sql in statements.items() if "COUNT_IF" in sql.upper()] == []
