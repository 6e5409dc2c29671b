"""DuckDB's planning hints stay in DuckDB: Snowflake has no ``[NOT] MATERIALIZED`` CTE.

fakesnow runs the prod path's SQL on DuckDB, which accepts the hint, so the prod
pipeline tests would pass with it; a real Snowflake account would refuse the statement.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from orders_core import metrics
from orders_core.sql.dialect import DUCKDB, SNOWFLAKE
from resources.snowflake_warehouse import snowflake_sql
from tests.support.sql_statements import all_statements


def _hints(sql: str, dialect: str) -> list[bool | None]:
    return [
        cte.args.get("materialized")
        for tree in sqlglot.parse(sql, read=dialect)
        if tree is not None
        for cte in tree.find_all(exp.CTE)
    ]


def test_rendered_statements_keep_the_hint_for_duckdb_only():
    hinted = [name for name, sql in all_statements(DUCKDB).items() if False in _hints(sql, DUCKDB)]
    # where DuckDB reads the versions in place: publishing facts, the customer summaries
    assert "facts_insert" in hinted
    for name, sql in all_statements(SNOWFLAKE).items():
        assert set(_hints(sql, SNOWFLAKE)) <= {None}, name
        assert "MATERIALIZED" not in sql.upper(), name


def test_metrics_statements_reach_snowflake_without_the_hint():
    statements = [v for k, v in vars(metrics).items() if k.endswith("_SQL") and isinstance(v, str)]
    assert any(False in _hints(sql, DUCKDB) for sql in statements)
    for sql in statements:
        assert "MATERIALIZED" not in snowflake_sql(sql).upper()
