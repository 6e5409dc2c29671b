"""The Columns tab of every table is the table the warehouse really has, and reads true.

Each asset declares its table's columns (``dagster/column_schema``: name, type, description)
on its definition, before anything runs. Here every declared schema is compared, in order
and type, with the columns the tables' DDL (``orders_core.sql.tables``) creates in DuckDB
and, rendered for Snowflake, under fakesnow; and the descriptions are read for what they
claim: a column of landed text is not described as typed, and a description names the
columns of its own table.
"""

from __future__ import annotations

import re

import dagster as dg
import duckdb
import pytest

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.dialect import DUCKDB, SNOWFLAKE, columns_statement, render
from orders_core.sql.tables import create_statements, type_kind
from orders_platform.definitions import build_definitions
from resources.settings import PlatformSettings
from tests.support.fakesnow_cleaning import fakesnow_session

CONTRACT = load_contract()
# The tables whose contract columns hold the landed text (the quarantine is raw's copy).
LANDED_TABLES = (tables.RAW_ORDERS, tables.QUARANTINED_ORDERS)


@pytest.fixture(scope="module")
def declared() -> dict[tables.Table, list[dg.TableColumn]]:
    """Each table's columns as its asset declares them, by ``dagster/table_name``."""
    by_name = {table.qualified: table for table in tables.TABLES}
    defs = build_definitions(PlatformSettings(partitions_start="2025-01-01"))
    graph = defs.resolve_asset_graph()
    found: dict[tables.Table, list[dg.TableColumn]] = {}
    for key in graph.get_all_asset_keys():
        metadata = graph.get(key).metadata
        table = by_name[metadata["dagster/table_name"]]
        assert table.key == tuple(key.path)
        found[table] = list(metadata["dagster/column_schema"].columns)
    return found


def _created(execute, dialect: str) -> dict[tables.Table, list[tuple[str, str]]]:
    """(name, type kind) of every column, in order, of each table the DDL creates."""
    for statement in create_statements(CONTRACT):
        execute(render(statement, dialect), ())
    return {
        table: [
            (str(name).lower(), type_kind(data_type, scale))
            for name, data_type, scale in execute(
                *columns_statement(table.schema, table.name, dialect)
            )
        ]
        for table in tables.TABLES
    }


def _kinds(columns: list[dg.TableColumn]) -> list[tuple[str, str]]:
    return [(column.name, type_kind(column.type)) for column in columns]


def test_every_warehouse_table_is_declared_by_one_asset(declared):
    assert sorted(declared, key=str) == sorted(tables.TABLES, key=str)


def test_declared_columns_are_duckdbs_in_order_with_their_exact_types(declared):
    with duckdb.connect(":memory:") as conn:
        created = _created(lambda sql, params: conn.execute(sql, list(params)).fetchall(), DUCKDB)
        exact = {
            table: conn.execute(*columns_statement(table.schema, table.name, DUCKDB)).fetchall()
            for table in tables.TABLES
        }
    for table, columns in declared.items():
        assert _kinds(columns) == created[table], table.qualified
        assert [(c.name, c.type) for c in columns] == [
            (name, data_type) for name, data_type, _ in exact[table]
        ], table.qualified


@pytest.mark.services
def test_declared_columns_are_snowflakes_in_order_and_kind(declared):
    with fakesnow_session() as (_, cursor):
        created = _created(lambda sql, params: cursor.execute(sql, params).fetchall(), SNOWFLAKE)
    for table, columns in declared.items():
        assert _kinds(columns) == created[table], table.qualified


def test_landed_text_is_not_described_as_typed(declared):
    # raw_orders keeps every landed value as text, "nothing corrected": its order_ts is not
    # "normalised to UTC", its currency not "upper case", its updated_at has no default.
    # The contract's descriptions say what cleaned_orders makes of them.
    for table in LANDED_TABLES:
        described = {column.name: column.description or "" for column in declared[table]}
        for spec in CONTRACT.columns:
            text = described[spec.name]
            assert text.startswith("As landed, as text."), (table.qualified, spec.name, text)
            assert text.endswith(f"In cleaned_orders: {spec.description}"), (
                table.qualified,
                spec.name,
            )


def test_each_column_description_names_columns_of_its_own_table(declared):
    # A description that names a column (an identifier with an underscore) names one of its
    # own table's, or says whose it is ("customer_metrics' as_of_date").
    every_column = {column.name for columns in declared.values() for column in columns}
    foreign = {}
    for table, columns in declared.items():
        own = {column.name for column in columns}
        for column in columns:
            named = re.findall(r"(?<!' )\b([a-z]+(?:_[a-z]+)+)\b", column.description or "")
            others = sorted({name for name in named if name in every_column - own})
            if others:
                foreign[f"{table.qualified}.{column.name}"] = others
    assert foreign == {}
