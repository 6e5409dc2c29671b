"""The production warehouse: the same :class:`Warehouse` interface, backed by Snowflake.

SQL in this project is written once, in DuckDB's dialect (what developers run
locally), and reaches Snowflake through sqlglot's transpiler, so a construct that
differs between the engines (``filter (where ...)``, ``date_diff``, ...) is
translated by a parser rather than by string edits. A translation keeps the syntax,
not always the value over no row: ``count(*) filter (where ...)`` becomes ``COUNT_IF``,
NULL over no row in Snowflake where DuckDB counts 0, so counts are written
``count(CASE WHEN ... THEN 1 END)``. Values are always bound with ``?`` (the
connector's ``qmark`` style), never formatted in.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import dagster as dg
import pandas as pd
import pyarrow as pa
import sqlglot
from dagster_snowflake import SnowflakeResource
from snowflake.connector.constants import FIELD_ID_TO_NAME

from orders_core.dtypes import DATE_DTYPE, TEXT_DTYPE
from orders_core.sql.dialect import render, without_duckdb_hints
from resources.settings import PlatformSettings
from resources.warehouse import SqlSession, Warehouse

_TIMESTAMP_TYPES = ("TIMESTAMP_TZ", "TIMESTAMP_LTZ")
# Snowflake makes a schema it creates the session's current schema.
_CREATES_SCHEMA = re.compile(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?SCHEMA\b", re.IGNORECASE)
#: How the platform's sessions name themselves in QUERY_TAG.
PLATFORM_NAME = "orders-platform"
#: Snowflake's limit on a QUERY_TAG
#: (https://docs.snowflake.com/en/sql-reference/parameters#query-tag).
QUERY_TAG_MAX_CHARS = 2000


@functools.cache
def snowflake_sql(sql: str) -> str:
    """A DuckDB-dialect statement translated to Snowflake's dialect."""
    statements = [tree for tree in sqlglot.parse(sql, read="duckdb") if tree is not None]
    if len(statements) != 1:
        raise ValueError(f"expected exactly one SQL statement, got {len(statements)}")
    return without_duckdb_hints(statements[0]).sql(dialect="snowflake")


def typed_frame(cursor) -> pd.DataFrame:
    """The cursor's result as a DataFrame with lower-case columns and the platform's dtypes.

    Snowflake returns unquoted identifiers in upper case and hands pandas integers
    as floats when they hold NULLs and dates as objects; the type of each column
    in the result metadata says what it really is.
    """
    frame = cursor.fetch_pandas_all()
    described = cursor.description
    names = [column.name for column in described]
    if frame.shape[1] != len(names):
        frame = pd.DataFrame({name: pd.Series(dtype="object") for name in names})
    frame.columns = [name.lower() for name in names]
    for column, meta in zip(frame.columns, described, strict=True):
        kind = FIELD_ID_TO_NAME[meta.type_code]
        if kind == "FIXED" and not meta.scale:
            frame[column] = frame[column].astype("Int64")
        elif kind == "REAL" or kind == "FIXED":
            frame[column] = frame[column].astype("float64")
        elif kind == "TEXT":
            frame[column] = frame[column].astype(TEXT_DTYPE)
        elif kind == "DATE":
            # datetime.date objects from the connector, taken as they are: through
            # nanosecond timestamps (pd.to_datetime) a date before 1677 or after 2262 failed
            # the read, which DuckDB's date32 holds.
            frame[column] = frame[column].astype(DATE_DTYPE)
        elif kind == "BOOLEAN":
            frame[column] = frame[column].astype("boolean")
        elif kind in _TIMESTAMP_TYPES:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


@contextmanager
def snowflake_connection(snowflake: SnowflakeResource) -> Iterator:
    """A connection that is rolled back and closed on error (SnowflakeResource leaves it open)."""
    with snowflake.get_connection() as conn:
        try:
            yield conn
        except BaseException:
            try:
                conn.rollback()
            finally:
                conn.close()
            raise


class SnowflakeSession(SqlSession):
    """A :class:`SqlSession` on a Snowflake connection (autocommit off inside
    :meth:`transaction`; the session time zone is UTC, see :func:`snowflake_resource`)."""

    dialect = "snowflake"
    db_system = "snowflake"

    def __init__(self, conn, schema: str | None = None) -> None:
        super().__init__(conn)
        # The session's current schema (a checked identifier, settings.SNOWFLAKE_IDENTIFIER),
        # where its unqualified temporary tables go; None leaves the connection's.
        self.schema = schema

    def reserve_memory(self, reserve: int) -> None:
        """Snowflake's memory is not the step process's: nothing to lower."""

    def use_schema(self) -> None:
        """Make :attr:`schema` the current schema, creating it if missing: the login sets
        it only when it exists (on a new database it does not yet), and without a current
        schema Snowflake refuses every unqualified temporary table."""
        if self.schema is not None:
            self._run(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            self._run(f"USE SCHEMA {self.schema}")

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        statement = render(sql, self.dialect)
        rows = self._run(statement, params)
        if self.schema is not None and _CREATES_SCHEMA.match(statement):
            # Snowflake makes a schema it creates current (ensure_tables creating RAW on a
            # new database): the session's own schema is current again.
            self._run(f"USE SCHEMA {self.schema}")
        return rows

    def _run(self, statement: str, params: Sequence[object] = ()) -> list[tuple]:
        cursor = self.conn.cursor()
        try:
            cursor.execute(statement, list(params))
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """A read on this session's connection, as :meth:`SnowflakeWarehouse.query`."""
        cursor = self.conn.cursor()
        try:
            cursor.execute(snowflake_sql(sql), list(params))
            return typed_frame(cursor)
        finally:
            cursor.close()

    # write_pandas creates a stage (DDL), which commits an open transaction.
    loads_in_transaction = False
    scans_files = False  # see load_plain_csv

    def _begin(self) -> None:
        cursor = self.conn.cursor()
        try:
            cursor.execute("BEGIN")
        finally:
            cursor.close()

    def load_plain_csv(
        self,
        table: str,
        path: str,
        header: list[str],
        lineage: dict,
        extras: Sequence[tuple[int, str, bool]] = (),
        skip: int = 0,
    ) -> bool:
        """Files are read by the platform's reader (COPY INTO from the S3 stage is not
        used: see README, "How rows move")."""
        return False

    # JSON Lines and Parquet files too.
    load_plain_jsonl = load_plain_csv
    load_plain_parquet = load_plain_csv

    def append(self, table: str, rows: pa.Table) -> None:
        """Bulk-load Arrow rows (the connector stages them as Parquet and runs COPY INTO)
        into a table (``name`` or ``schema.name``)."""
        from snowflake.connector.pandas_tools import write_pandas

        schema, _, name = table.rpartition(".")
        frame = rows.to_pandas()
        frame.columns = [column.upper() for column in frame.columns]
        # use_logical_type: the staged Parquet's logical types are read as such, so a
        # timestamp column (pandas writes nanoseconds) loads as the instant it is, not as
        # an invalid date (https://docs.snowflake.com/en/sql-reference/sql/create-file-format,
        # USE_LOGICAL_TYPE; the connector warns of it for zoned columns). fakesnow inserts
        # the frame without staging it, so only the call's arguments can show it.
        write_pandas(
            self.conn,
            frame,
            name.upper(),
            schema=schema.upper() or None,
            quote_identifiers=False,
            use_logical_type=True,
        )


class SnowflakeWarehouse(Warehouse):
    """Runs the platform's analytical SQL inside Snowflake.

    The connection must use ``paramstyle="qmark"`` (see :func:`snowflake_resource`).
    """

    snowflake: SnowflakeResource

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        with snowflake_connection(self._tagged()) as conn:
            cursor = conn.cursor()
            cursor.execute(snowflake_sql(sql), list(params))
            return typed_frame(cursor)

    @contextmanager
    def session(self) -> Iterator[SqlSession]:
        with snowflake_connection(self._tagged()) as conn:
            session = SnowflakeSession(conn, self.snowflake.schema_)
            session.use_schema()
            yield session

    def _tagged(self) -> SnowflakeResource:
        """The Snowflake resource whose login also sets QUERY_TAG (:func:`query_tag`) for
        the step running now. Built per connection: one resource serves every step of an
        in-process run, and the session parameters of a login are fixed."""
        fields = self.snowflake.model_dump(by_alias=True, exclude_none=True)
        extra = dict(fields.get("additional_snowflake_connection_args") or {})
        parameters = {**extra.get("session_parameters", {}), "QUERY_TAG": current_query_tag()}
        extra["session_parameters"] = parameters
        return SnowflakeResource(**{**fields, "additional_snowflake_connection_args": extra})


def current_query_tag() -> str:
    """:func:`query_tag` of the step whose code runs now (none outside a step: a sensor, a
    script)."""
    try:
        step = dg.OpExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        step = None
    return query_tag(step)


def query_tag(step: dg.OpExecutionContext | None) -> str:
    """The QUERY_TAG of a session opened by ``step``: JSON naming the platform, the run, the
    step, the assets and checks it materializes or evaluates, and its days (``first...last``,
    one day alone), so that an operator finds a run's statements in QUERY_HISTORY with
    ``WHERE TRY_PARSE_JSON(query_tag):run_id::string = '<run id>'``. At most
    :data:`QUERY_TAG_MAX_CHARS`, ASCII: assets and checks beyond it are counted, not named."""
    tag: dict[str, object] = {"platform": PLATFORM_NAME}
    named: dict[str, list[str]] = {}
    if step is not None:
        tag["run_id"] = step.run_id
        tag["step"] = step.op_def.name
        # A range run's unpartitioned steps (customer_metrics, ...) carry the run's range
        # too, but read every day: no days for them.
        if step.has_partition_key_range and _partitioned(step):
            days = step.partition_key_range
            tag["partitions"] = (
                days.start if days.start == days.end else f"{days.start}...{days.end}"
            )
        for field, keys in (
            ("assets", step.selected_asset_keys),
            ("checks", step.selected_asset_check_keys),
        ):
            if keys:
                named[field] = sorted(key.to_user_string() for key in keys)
    text = json.dumps({**tag, **named}, separators=(",", ":"))
    for field in ("checks", "assets"):  # checks are left out first
        names = named.get(field, [])
        while len(text) > QUERY_TAG_MAX_CHARS and names:
            names.pop()
            if not names:
                del named[field]
            tag[f"{field}_left_out"] = int(tag.get(f"{field}_left_out", 0)) + 1
            text = json.dumps({**tag, **named}, separators=(",", ":"))
    return text


def _partitioned(step: dg.OpExecutionContext) -> bool:
    """Whether the step's assets (or the assets its checks judge) are partitioned."""
    return step.has_assets_def and step.assets_def.partitions_def is not None


def snowflake_session_parameters(settings: PlatformSettings) -> dict[str, object]:
    """The parameters every platform session sets when it connects.

    ``STATEMENT_TIMEOUT_IN_SECONDS`` (Snowflake's default is two days) and ``LOCK_TIMEOUT``
    (twelve hours) from the settings: the warehouse pool lets one run at a time open the
    warehouse, so a statement that hangs there, or waits on a lock another session holds,
    would hold every other run. ``ABORT_DETACHED_QUERY``: a statement whose run worker was
    lost (an evicted pod) is aborted five minutes later instead of running on, holding the
    warehouse and its transaction's locks while the run's retry waits.

    The date and time formats the SQL relies on (:data:`DATE_TIME_FORMATS`): an account or
    user may set its own, and the same statements would then read and write other values.

    ``PYTHON_CONNECTOR_QUERY_RESULT_FORMAT``: every read is fetched with
    ``fetch_pandas_all`` (:func:`typed_frame`), which works on Arrow results only
    (https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-pandas;
    ``snowflake.connector.result_set.ResultSet._can_create_arrow_iter`` raises
    ``NotSupportedError`` on JSON). Arrow is the server's default, but an account or user
    may set JSON (some tools do, for their own sessions), and then every read of the
    platform would fail; fakesnow, which returns DuckDB's Arrow whatever the parameter,
    cannot show it.
    """
    return {
        "STATEMENT_TIMEOUT_IN_SECONDS": settings.snowflake_statement_timeout_s,
        "LOCK_TIMEOUT": settings.snowflake_lock_timeout_s,
        "ABORT_DETACHED_QUERY": True,
        "PYTHON_CONNECTOR_QUERY_RESULT_FORMAT": "ARROW",
        **DATE_TIME_FORMATS,
    }


# Snowflake's defaults, which an account or user can override
# (https://docs.snowflake.com/en/sql-reference/date-time-input-output,
# https://docs.snowflake.com/en/user-guide/admin-account-management): the cleaning SQL
# reads ISO-8601 text with TRY_CAST(... AS TIMESTAMP_TZ), which under another
# TIMESTAMP_INPUT_FORMAT is NULL for every order (each one quarantined as
# invalid_order_ts, no error), and casts date literals ('0001-01-01'); a reason detail
# writes a DATE as text ('UTC date 2025-01-02 in partition ...'), as DuckDB prints it.
DATE_TIME_FORMATS: dict[str, object] = {
    "TIMESTAMP_INPUT_FORMAT": "AUTO",
    "DATE_INPUT_FORMAT": "AUTO",
    "DATE_OUTPUT_FORMAT": "YYYY-MM-DD",
}


def snowflake_resource(
    *,
    key_pair: bool,
    key_passphrase: bool,
    session_parameters: Mapping[str, object],
    schema: str = "STAGING",
) -> SnowflakeResource:
    """The Snowflake connection, every credential read from the environment by dg.EnvVar.

    Password authentication by default; key-pair authentication when
    SNOWFLAKE_PRIVATE_KEY is set (with SNOWFLAKE_PRIVATE_KEY_PASSWORD if encrypted).
    ``session_parameters`` (:func:`snowflake_session_parameters`) are set at login, and
    ``schema`` (``ORDERS_SNOWFLAKE_SCHEMA``) is the session's current schema, where its
    unqualified temporary tables go (:meth:`SnowflakeSession.use_schema`). Left unset, a
    session's current schema was PUBLIC, which the platform's role may not use, or none,
    until a step's ``CREATE SCHEMA`` made the new schema current as a side effect.

    Autocommit is on whatever the account's or user's AUTOCOMMIT parameter says: the
    connector's default (``autocommit=None``) honours that parameter
    (https://docs.snowflake.com/en/sql-reference/parameters#autocommit,
    https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-api#connect),
    and with it off every statement outside :meth:`SqlSession.transaction` (the session
    tables, the bulk loads) would open a transaction the run never meant, committed only
    when SnowflakeResource closes the connection. fakesnow turns autocommit on by default,
    so the tests could not show the difference.
    """
    auth: dict[str, object] = (
        {"private_key": dg.EnvVar("SNOWFLAKE_PRIVATE_KEY")}
        if key_pair
        else {"password": dg.EnvVar("SNOWFLAKE_PASSWORD")}
    )
    if key_pair and key_passphrase:
        auth["private_key_password"] = dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    return SnowflakeResource(
        account=dg.EnvVar("SNOWFLAKE_ACCOUNT"),
        user=dg.EnvVar("SNOWFLAKE_USER"),
        database=dg.EnvVar("SNOWFLAKE_DATABASE"),
        warehouse=dg.EnvVar("SNOWFLAKE_WAREHOUSE"),
        role=dg.EnvVar("SNOWFLAKE_ROLE"),
        schema=schema,
        paramstyle="qmark",
        timezone="UTC",
        autocommit=True,
        additional_snowflake_connection_args={"session_parameters": dict(session_parameters)},
        **auth,
    )
