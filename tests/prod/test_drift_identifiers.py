"""The schema-drift check names raw_orders and its columns as Snowflake stores them.

Every table is created with unquoted names, which Snowflake folds to upper case; a
quoted lower-case name ("raw"."raw_orders") is another object there. fakesnow (DuckDB)
resolves quoted names case-insensitively, so the prod pipeline test cannot see it: the
statements are resolved here with sqlglot's Snowflake identifier rules instead.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from asset_checks.drift import retyped_counts_sql, sample_statements
from orders_core.contract import load_contract
from orders_core.sql.dialect import SNOWFLAKE, render
from orders_core.sql.tables import create_statements
from orders_core.tables import RAW_ORDERS
from resources.snowflake_warehouse import snowflake_sql

CONTRACT = load_contract()


def _resolved(sql: str) -> tuple[set[str], set[str]]:
    tree = normalize_identifiers(sqlglot.parse_one(sql, read="snowflake"), dialect="snowflake")
    tables = {f"{t.args['db'].name}.{t.name}" for t in tree.find_all(exp.Table)}
    columns = {c.name for c in tree.find_all(exp.Column)}
    columns |= {d.this.name for d in tree.find_all(exp.ColumnDef)}
    return tables, columns


def test_the_drift_checks_reads_name_the_table_snowflake_created():
    created_tables, created_columns = _resolved(
        render(create_statements(CONTRACT, RAW_ORDERS)[1], SNOWFLAKE)
    )
    for statement in sample_statements(CONTRACT, RAW_ORDERS):
        tables, columns = _resolved(snowflake_sql(statement))
        assert tables == created_tables, statement
        assert columns <= created_columns, statement


# Words of Snowflake's "Reserved & limited keywords" (reserved by ANSI) that read like
# column names; an alias spelled as one of them is a syntax error there, and fakesnow
# (DuckDB) accepts it.
RESERVED_LOOKALIKES = {"row", "rows", "sample", "start", "current", "order", "group", "values"}


def test_the_drift_checks_reads_alias_no_snowflake_reserved_word():
    statements = [
        *sample_statements(CONTRACT, RAW_ORDERS),
        retyped_counts_sql(CONTRACT, RAW_ORDERS.qualified),
    ]
    for statement in statements:
        tree = sqlglot.parse_one(render(statement, SNOWFLAKE), read="snowflake")
        aliases = {alias.alias.lower() for alias in tree.find_all(exp.Alias)}
        assert not aliases & RESERVED_LOOKALIKES, statement
