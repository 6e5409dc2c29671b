"""Snowflake IO manager with atomic, idempotent partition replacement.

Built on Dagster's DbIOManager (like the DuckDB one) rather than on
dagster-snowflake-pandas's SnowflakePandasIOManager, which deletes a partition and
then loads it in autocommit mode (a failure in between leaves the partition empty)
and skips empty frames without creating the table. A single transaction around
its steps would not help either: Snowflake commits any open transaction when it
runs DDL, and ``write_pandas`` issues DDL (temporary stage and file format). So a
write here goes in three steps, with no DDL inside the transaction:

1. the frame is loaded into a session-temporary table (``write_pandas``);
2. the target table is created if missing (DDL, from the temporary table's columns);
3. ``begin; delete the partition's rows; insert from the temporary table; commit``.

A failure before the commit rolls back, so the partition keeps its old rows, and
a re-run replaces exactly the same rows. A whole (unpartitioned) table is
replaced by one atomic ``create or replace table ... as select``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pandas as pd
import pyarrow as pa
import snowflake.connector.pandas_tools as pandas_tools
from dagster_snowflake import SnowflakeResource

from resources.dagster_internals import DbClient, DbIOManager, DbTypeHandler, TableSlice
from resources.snowflake_warehouse import snowflake_connection, typed_frame
from resources.traced_io import TracedDbIOManager
from resources.warehouse import quoted_identifier


def _name(identifier: str) -> str:
    """A quoted upper-case identifier: what an unquoted name resolves to in Snowflake."""
    return quoted_identifier(identifier.upper())


def _table(table_slice: TableSlice) -> str:
    return f"{_name(table_slice.schema)}.{_name(table_slice.table)}"


def snowflake_type(dtype) -> str:
    """The Snowflake column type a pandas column is stored as."""
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_date(dtype.pyarrow_dtype):
        return "DATE"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "TIMESTAMP_TZ"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "TIMESTAMP_NTZ"
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "NUMBER(38,0)"
    if pd.api.types.is_float_dtype(dtype):
        return "FLOAT"
    return "VARCHAR"


def partition_filter(table_slice: TableSlice) -> str:
    """``where`` condition selecting the slice's days (empty for a whole table)."""
    conditions = []
    for dimension in table_slice.partition_dimensions:
        window = dimension.partitions
        if not isinstance(window, dg.TimeWindow):
            raise NotImplementedError("only time-window partitions are stored in Snowflake")
        column = _name(dimension.partition_expr)
        conditions.append(
            f"{column} >= cast('{window.start.date().isoformat()}' as date)"
            f" and {column} < cast('{window.end.date().isoformat()}' as date)"
        )
    return " and ".join(conditions)


def select_statement(table_slice: TableSlice) -> str:
    """The query that loads a table slice (its columns, its days)."""
    columns = ", ".join(_name(c) for c in table_slice.columns) if table_slice.columns else "*"
    where = partition_filter(table_slice)
    return f"select {columns} from {_table(table_slice)}" + (f" where {where}" if where else "")  # noqa: S608 (validated identifiers)


class _SnowflakeDbClient(DbClient):
    """Connections and statements for the IO manager (the delete runs in the handler)."""

    def __init__(self, snowflake: SnowflakeResource):
        self._snowflake = snowflake

    @contextmanager
    def connect(self, context, table_slice: TableSlice) -> Iterator:
        with snowflake_connection(self._snowflake) as conn:
            conn.autocommit(False)
            yield conn

    def ensure_schema_exists(self, context, table_slice: TableSlice, connection) -> None:
        connection.cursor().execute(f"create schema if not exists {_name(table_slice.schema)}")

    def delete_table_slice(self, context, table_slice: TableSlice, connection) -> None:
        """Nothing here: the delete must share a transaction with the insert (see the handler)."""

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        return select_statement(table_slice)

    def get_table_name(self, table_slice: TableSlice) -> str:
        return f"{table_slice.schema}.{table_slice.table}"


class _SnowflakePandasHandler(DbTypeHandler[pd.DataFrame]):
    """Stages a frame in a temporary table, then swaps it in atomically."""

    def handle_output(
        self, context, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> None:
        frame = obj.rename(columns=str.upper)
        columns = ", ".join(_name(c) for c in frame.columns)
        target = _table(table_slice)
        staged = _name(f"{table_slice.table}__incoming_{uuid.uuid4().hex[:12]}")
        cursor = connection.cursor()
        # Unqualified, so the temporary table lands in the session's schema on Snowflake.
        cursor.execute(f"use schema {_name(table_slice.schema)}")
        types = ", ".join(f"{_name(c)} {snowflake_type(t)}" for c, t in frame.dtypes.items())
        cursor.execute(f"create temporary table {staged} ({types})")
        try:
            if len(frame):
                pandas_tools.write_pandas(
                    connection,
                    frame,
                    staged.strip('"'),
                    quote_identifiers=True,
                    use_logical_type=True,
                )
            connection.commit()
            if table_slice.partition_dimensions:
                cursor.execute(
                    f"create table if not exists {target} as select * from {staged} limit 0"  # noqa: S608
                )
                cursor.execute("begin")
                cursor.execute(f"delete from {target} where {partition_filter(table_slice)}")  # noqa: S608
                cursor.execute(f"insert into {target} ({columns}) select {columns} from {staged}")  # noqa: S608
                cursor.execute("commit")
            else:
                cursor.execute(
                    f"create or replace table {target} copy grants as select * from {staged}"  # noqa: S608
                )
        except BaseException:
            # Before anything else: the next DDL would commit the half-done transaction.
            connection.rollback()
            raise
        # On failure the temporary table goes with the session instead.
        cursor.execute(f"drop table if exists {staged}")

    def load_input(self, context, table_slice: TableSlice, connection) -> pd.DataFrame:
        if table_slice.partition_dimensions and not context.asset_partition_keys:
            return pd.DataFrame()
        cursor = connection.cursor()
        cursor.execute(select_statement(table_slice))
        return typed_frame(cursor)

    @property
    def supported_types(self):
        return [pd.DataFrame]


class SnowflakeWarehouseIOManager(dg.ConfigurableIOManagerFactory):
    """Stores pandas frames as Snowflake tables (schema from the asset's ``schema``
    metadata or key prefix), replacing a partition's rows atomically.
    """

    snowflake: SnowflakeResource

    def create_io_manager(self, context) -> DbIOManager:
        return TracedDbIOManager(
            db_system="snowflake",
            db_client=_SnowflakeDbClient(self.snowflake),
            database=self.snowflake.database or "",
            schema=None,
            type_handlers=[_SnowflakePandasHandler()],
            default_load_type=pd.DataFrame,
            io_manager_name="SnowflakeWarehouseIOManager",
        )
