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
    raw: pd.DataFrame, key: bytes = KEY, in_place_rows: int = SETTLE_IN_PLACE_ROWS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cleaned and quarantined rows from the Snowflake rendering, run by fakesnow (the
    e-mails hashed under ``key``; repeated orders settled in place up to ``in_place_rows``
    rows, else by rewriting the classification)."""
    table = raw_table(raw, CONTRACT).to_pandas()
    with fakesnow_session() as (conn, cursor):
        from snowflake.connector.pandas_tools import write_pandas

        types = {"source_line": "BIGINT", "partition_date": "DATE"}
        columns = ", ".join(f'"{c}" {types.get(c, "VARCHAR")}' for c in table.columns)
        cursor.execute(f"create table raw_input ({columns})")
        write_pandas(conn, table, "raw_input", quote_identifiers=True)
        create, insert = pads_statements()
        cursor.execute(render(create, SNOWFLAKE))
        cursor.execute(render(insert, SNOWFLAKE), list(hmac_pads(key)))
        classify, settle = classify_statements(CONTRACT, "raw_input")
        cursor.execute(render(classify, SNOWFLAKE))

        def execute(sql):
            cursor.execute(render(sql, SNOWFLAKE))
            return cursor.fetchall()

        settle_versions(execute, settle, in_place_rows)
        results = []
        for sql in (cleaned_select(), quarantined_select(CONTRACT, "raw_input")):
            cursor.execute(render(sql, SNOWFLAKE))
            frame = cursor.fetch_pandas_all()
            frame.columns = [c.lower() for c in frame.columns]
            results.append(frame.sort_values(["source_file", "source_line"], ignore_index=True))
    return results[0], results[1]
