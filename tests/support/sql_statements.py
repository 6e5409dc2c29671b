"""Every generated statement of the platform (cleaning, quality, whole tables, raw_orders'
day profile, the tables' DDL and the column read that decides which columns to add), by
name."""

from __future__ import annotations

from orders_core.contract import load_contract
from orders_core.expectations import order_suite, publication_suite
from orders_core.profiling import profile_sql
from orders_core.sql import customers, fx, quality
from orders_core.sql.cleaning import statements
from orders_core.sql.dialect import columns_statement, render
from orders_core.sql.run import raw_load
from orders_core.sql.tables import create_statements
from orders_core.tables import CLEANED_ORDERS, FCT_ORDERS, FCT_ORDERS_COLUMNS, RAW_ORDERS


def all_statements(dialect: str) -> dict[str, str]:
    contract = load_contract()
    return {
        **statements(contract, dialect),
        **quality.statements(CLEANED_ORDERS, order_suite(contract), dialect),
        **quality.statements(
            FCT_ORDERS, publication_suite(contract, FCT_ORDERS_COLUMNS, 0), dialect
        ),
        **customers.statements(dialect),
        **fx.statements(dialect),
        "raw_reordered_header": render(raw_load(contract).reordered_header, dialect),
        "raw_profile": render(profile_sql(contract, RAW_ORDERS.qualified), dialect),
        # What every step runs first on both engines: an earlier release's warehouse gets
        # the tables and then the columns it lacks (``ALTER TABLE ... ADD COLUMN``).
        "tables_create": ";\n".join(create_statements(contract)),
        "tables_columns": columns_statement(RAW_ORDERS.schema, RAW_ORDERS.name, dialect)[0],
    }
