"""The cleaning, quality and whole-table statements as each engine runs them, kept for review in
tests/snapshots/sql.

A change to the contract or to the SQL shows up in review as a diff of readable SQL.
Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import os
import re

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


def _calls(sql: str, function: str) -> list[str]:
    """The argument lists of every call of ``function`` in ``sql`` (parentheses balanced).
    Found by a case-insensitive search, not in ``sql.upper()``: the case-folding table's
    literal upper-cases longer ('ß' is 'SS'), and positions there are not ``sql``'s."""
    found, start = [], 0
    call = re.compile(rf"{re.escape(function)}\(", re.IGNORECASE)
    while (match := call.search(sql, start)) is not None:
        at = match.start()
        depth, end = 0, at + len(function)
        for end in range(at + len(function), len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                break
        found.append(" ".join(sql[at + len(function) + 1 : end].split()))
        start = end
    return found


def test_every_snowflake_json_parse_allows_duplicate_keys():
    """Snowflake's TRY_PARSE_JSON is strict by default: ``{"a": 1, "a": 2}`` is NULL, where
    DuckDB's json_valid accepts it
    (https://docs.snowflake.com/en/sql-reference/functions/try_parse_json). Every call must
    pass 'd', the reason detail's too: it was rendered without it (sqlglot drops the
    parameter when a template nested in another is parsed again), so in production a value
    quarantined as invalid_region had no invalid_region in its detail."""
    calls = {
        name: _calls(sql, "TRY_PARSE_JSON") for name, sql in all_statements("snowflake").items()
    }
    assert sum(len(found) for found in calls.values()) > 0
    assert {
        name: [a for a in found if not a.endswith(", 'd'")] for name, found in calls.items()
    } == {name: [] for name in calls}


def _top_level_arguments(arguments: str) -> int:
    depth, quoted, count = 0, False, 1
    for char in arguments:
        if char == "'":
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
            count += char == "," and depth == 0
    return count


def test_every_snowflake_trim_names_its_characters():
    """Snowflake's TRIM without characters strips blanks (' ') only
    (https://docs.snowflake.com/en/sql-reference/functions/trim); DuckDB's also strips
    no-break and other Unicode spaces. The reordered-header check trimmed so: a repeated
    header with a no-break space in a cell was caught locally and, in production, its file's
    later records were published with their fields swapped. Every TRIM names its set."""
    bare = {
        name: [a for a in _calls(sql, "TRIM") if _top_level_arguments(a) < 2]
        for name, sql in all_statements("snowflake").items()
    }
    assert bare == {name: [] for name in bare}
