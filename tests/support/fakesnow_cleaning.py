"""The cleaning statements' Snowflake rendering run by fakesnow (DuckDB underneath):
an empty fakesnow schema, and the cleaned and quarantined rows of a raw frame."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import fakesnow
import pandas as pd

from orders_core.cleaning import hmac_pads, raw_table
from orders_core.contract import load_contract
from orders_core.sql.cleaning import (
    SETTLE_IN_PLACE_ROWS,
    classify_statements,
    cleaned_select,
    pads_statements,
    quarantined_select,
    settle_versions,
)
from orders_core.sql.dialect import SNOWFLAKE, render
from tests.support import snowflake_case
from tests.support.order_fixtures import KEY

CONTRACT = load_contract()


@contextmanager
def fakesnow_session() -> Iterator[tuple]:
    """A connection to an empty fakesnow schema ``db.s`` (qmark parameters) and its
    cursor; closed on exit."""
    with fakesnow.patch():
        import snowflake.connector

        conn = snowflake.connector.connect(database="db", schema="s", paramstyle="qmark")
        cursor = conn.cursor()
        cursor.execute("create database if not exists db")
        cursor.execute("create schema if not exists db.s")
        cursor.execute("use schema db.s")
        try:
            yield conn, cursor
        finally:
            conn.close()


def snowflake_clean(
    raw: pd.DataFrame,
    key: bytes = KEY,
    in_place_rows: int = SETTLE_IN_PLACE_ROWS,
    documented_case: bool = False,
    strict_json: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cleaned and quarantined rows from the Snowflake rendering, run by fakesnow (the
    e-mails hashed under ``key``; repeated orders settled in place up to ``in_place_rows``
    rows, else by rewriting the classification; with ``documented_case``, LOWER and UPPER
    as Snowflake documents them; with ``strict_json``, TRY_PARSE_JSON refusing NaN and
    Infinity: :mod:`tests.support.snowflake_case`)."""
    table = raw_table(raw, CONTRACT).to_pandas()

    def render_sf(sql: str) -> str:
        rendered = render(sql, SNOWFLAKE)
        if documented_case:
            rendered = snowflake_case.as_documented(rendered)
        return snowflake_case.with_strict_json(rendered) if strict_json else rendered

    with fakesnow_session() as (conn, cursor):
        if documented_case or strict_json:
            snowflake_case.register(conn)
        from snowflake.connector.pandas_tools import write_pandas

        types = {"source_line": "BIGINT", "partition_date": "DATE"}
        columns = ", ".join(f'"{c}" {types.get(c, "VARCHAR")}' for c in table.columns)
        cursor.execute(f"create table raw_input ({columns})")
        write_pandas(conn, table, "raw_input", quote_identifiers=True)
        create, insert = pads_statements()
        cursor.execute(render_sf(create))
        cursor.execute(render_sf(insert), list(hmac_pads(key)))
        classify, settle = classify_statements(CONTRACT, "raw_input")
        cursor.execute(render_sf(classify))

        def execute(sql):
            cursor.execute(render_sf(sql))
            return cursor.fetchall()

        settle_versions(execute, settle, in_place_rows)
        results = []
        for sql in (cleaned_select(), quarantined_select(CONTRACT, "raw_input")):
            cursor.execute(render_sf(sql))
            frame = cursor.fetch_pandas_all()
            frame.columns = [c.lower() for c in frame.columns]
            results.append(frame.sort_values(["source_file", "source_line"], ignore_index=True))
    return results[0], results[1]
