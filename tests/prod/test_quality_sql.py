"""The quality suites rendered for Snowflake give, under fakesnow, the outcomes DuckDB
gives: same counts, percentages, verdicts and samples, on a clean and a broken day."""

from __future__ import annotations

import fakesnow
import pandas as pd
import pytest

from devtools.gx_reference import executor, warehouse_with
from orders_core.contract import load_contract
from orders_core.expectations import order_suite
from orders_core.sql.dialect import SNOWFLAKE, render
from orders_core.sql.quality import evaluate
from orders_core.sql.tables import create_statements
from orders_core.tables import CLEANED_ORDERS
from tests.support.order_fixtures import DAY, clean, csv_bytes, landed, order_rows, raw_frame
from tests.support.quality_cases import boundary_day, bounded_day, broken

pytestmark = pytest.mark.services
CONTRACT = load_contract()


def snowflake_outcomes(frame: pd.DataFrame):
    suite = order_suite(CONTRACT)
    with fakesnow.patch():
        import snowflake.connector
        from snowflake.connector.pandas_tools import write_pandas

        conn = snowflake.connector.connect(database="db", schema="staging", paramstyle="qmark")
        cursor = conn.cursor()
        cursor.execute("create database if not exists db")
        cursor.execute("use database db")
        for statement in create_statements(CONTRACT, CLEANED_ORDERS):
            cursor.execute(render(statement, SNOWFLAKE))
        cursor.execute("use schema db.staging")
        rows = frame.reset_index(drop=True).copy()
        rows.columns = [c.upper() for c in rows.columns]
        write_pandas(conn, rows, "CLEANED_ORDERS", quote_identifiers=False)

        def execute(sql, params):
            cursor.execute(render(sql, SNOWFLAKE), list(params))
            return cursor.fetchall()

        try:
            return evaluate(execute, CLEANED_ORDERS, lambda day: suite, [DAY])
        finally:
            conn.close()


def test_snowflake_rendering_gives_duckdb_outcomes():
    cleaned = clean(raw_frame([landed("a.csv", csv_bytes(order_rows(60)))])).cleaned
    suite = order_suite(CONTRACT)
    edges = boundary_day(cleaned)
    # bounded: amounts over their currency's bound (JPY's, the default's; row conditions)
    bounded = bounded_day(cleaned)
    for frame, failures in ((cleaned, 0), (broken(cleaned), 11), (edges, 1), (bounded, 5)):
        duck = evaluate(
            executor(warehouse_with({CLEANED_ORDERS: frame})),
            CLEANED_ORDERS,
            lambda d: suite,
            [DAY],
        )
        snow = snowflake_outcomes(frame)
        assert snow == duck
        rows, outcomes = snow[DAY]
        assert rows == len(frame)
        assert sum(not o.success for o in outcomes) >= failures
