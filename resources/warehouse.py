"""The warehouse: where tables live and where cross-partition SQL runs.

Locally this is a DuckDB file; in production the same interface is backed by
Snowflake. Asset code only sees :class:`Warehouse`: its queries (small summaries, read
as frames) and its sessions (the statements that move rows inside the engine), never the
engine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa

from orders_core.dtypes import DATE_DTYPE, TEXT_DTYPE
from orders_core.pii import SQL_EMAIL_IN_JSON_SAFE
from orders_core.plain_csv import SQL_JSON_SAFE, SQL_PRINTABLE_ASCII
from orders_core.sql.dialect import render
from resources.warehouse_lock import DEFAULT_LOCK_TIMEOUT_S, locked_connection

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


def _pandas_dtype(arrow_type: pa.DataType):
    """The dtype a stored column is loaded as: the one the assets wrote it with."""
    if pa.types.is_date(arrow_type):
        return DATE_DTYPE
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        # Arrow-backed: no Python object per value, which costs more than the query.
        return TEXT_DTYPE
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def frame_from_arrow(table: pa.Table) -> pd.DataFrame:
    """A stored table as a DataFrame that keeps DATE, time zones and nullable integers.

    DuckDB's own ``df()`` turns DATE into midnight timestamps and drops the zone of
    TIMESTAMPTZ, so tables written from a loaded input would change type. Decimals
    become floats, as they do from Snowflake.
    """
    decimals_as_floats = pa.schema(
        [
            field.with_type(pa.float64()) if pa.types.is_decimal(field.type) else field
            for field in table.schema
        ]
    )
    return table.cast(decimals_as_floats).to_pandas(types_mapper=_pandas_dtype)


def _frame_of_read(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object]
) -> pd.DataFrame:
    """A read-only statement's result on a DuckDB connection, as :func:`frame_from_arrow`."""
    return frame_from_arrow(conn.sql(sql, params=list(params)).to_arrow_table())


def quoted_identifier(name: str) -> str:
    """``"name"`` after checking it is a plain identifier (never data)."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(f"not a valid SQL identifier: {name!r}")
    return f'"{name}"'


#: What DuckDB's Python client raises for a statement stopped by a signal: it runs the
#: Python signal handler while the statement executes, and replaces what the handler
#: raised (Ctrl-C's KeyboardInterrupt, Dagster's interrupt of a step) with this error.
_SIGNAL_INTERRUPT = "Query interrupted"


class WarehouseInterrupted(dg.Failure):
    """A warehouse statement was interrupted (Ctrl-C during a CLI run, a run terminated
    from the UI): the step stops here. A ``dg.Failure`` that allows no retries, because
    Dagster (1.13) runs a step with a retry policy again after an interrupt or an error,
    and the run went on to its end (exit 0) after a Ctrl-C."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(
            description=f"interrupted, not retried: DuckDB statement interrupted: {error}",
            allow_retries=False,
        )


@contextmanager
def engine_interrupts() -> Iterator[None]:
    """DuckDB statements run here raise :class:`WarehouseInterrupted` when they are
    interrupted: by a signal (Ctrl-C: DuckDB's ``RuntimeError('Query interrupted')``) or
    by ``interrupt()`` (:class:`duckdb.InterruptException`, a :class:`duckdb.Error`), so
    that no retry policy runs the step again and no ``except duckdb.Error`` takes an
    interrupt for a statement the engine refused."""
    try:
        yield
    except duckdb.InterruptException as error:
        raise WarehouseInterrupted(error) from error
    except RuntimeError as error:
        if type(error) is RuntimeError and str(error) == _SIGNAL_INTERRUPT:
            raise WarehouseInterrupted(error) from error
        raise


def _json_object(pairs: Sequence[tuple[str, str]], empty_is_null: bool = True) -> str:
    """SQL building ``json.dumps({key: value, ...})`` from (key, text column) pairs whose
    keys are JSON-safe and values printable ASCII (``_checked_values``): a backslash or a
    quote in a value escaped as ``json.dumps`` escapes it (an empty value is null, as the
    CSV reader reads it, unless ``empty_is_null`` is False: a JSON string ``""`` stays
    one)."""
    template = (
        "'\"{}\": ' || coalesce('\"' || nullif({}, '') || '\"', 'null')"
        if empty_is_null
        else "'\"{}\": ' || coalesce('\"' || {} || '\"', 'null')"
    )
    parts = " || ', ' || ".join(
        template.format(key.replace("'", "''"), _json_escaped(column)) for key, column in pairs
    )
    return f"'{{' || {parts} || '}}'"


def _json_escaped(column: str) -> str:
    """SQL of a printable ASCII text column as the inside of its JSON string: backslash
    first, then the quote."""
    return f"replace(replace({column}, '\\', '\\\\'), '\"', '\\\"')"


@dataclass(frozen=True)
class _FileRows:
    """A landed file the engine loads (``SqlSession.load_plain_*``): the target table, the
    path the engine opens, its header, the lineage values of every row, its extra
    columns (position, key, named as e-mail) and which of them hold e-mail addresses."""

    table: str
    path: str
    header: list[str]
    lineage: dict
    extras: Sequence[tuple[int, str, bool]]
    emails: dict[int, bool]


# The lines of a JSON Lines file (the path bound), each one text as it landed: no
# quote or escape character, and a delimiter no plain file holds (orders_core.plain_jsonl).
JSONL_LINES = (
    "read_csv(?, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,"
    " delim = '\x01', quote = '', escape = '', new_line = '\\n', strict_mode = true)"
)


class SqlSession:
    """One connection to the warehouse engine, for the steps that move rows in SQL.

    Statements are written in DuckDB's dialect with the ``ORDERS_*`` functions of
    :mod:`orders_core.sql.dialect` and rendered for the engine here; values are bound
    with ``?``. DDL and temporary tables go outside :meth:`transaction` (Snowflake
    commits an open transaction on DDL); row changes go inside it, so a crash or an
    error leaves the previous rows of the partitions.
    """

    dialect: str = "duckdb"
    db_system: str = "duckdb"  # OpenTelemetry's db.system.name
    # Whether :meth:`load_plain_csv` may run inside :meth:`transaction`: then raw_orders
    # loads plain files straight into its table in the transaction that replaces the days,
    # instead of staging every row in a session table first.
    loads_in_transaction: bool = True
    # Whether :meth:`load_plain_csv` can load files at all: raw_orders then copies a gzip
    # or remote CSV file to a temporary plain file for it, instead of reading it in Python.
    scans_files: bool = True

    def __init__(self, conn) -> None:
        self.conn = conn
        # DuckDB's thread count to restore after a run of plain CSV loads (None: not
        # lowered). See :meth:`load_plain_csv`.
        self._threads_after_loads: int | None = None
        self._memory_reserved = 0
        self._limit_before_reserve: int | None = None

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Run one statement; its rows (DML gives its counts)."""
        with engine_interrupts():
            self._restore_threads()
            cursor = self.conn.execute(render(sql, self.dialect), list(params))
            return cursor.fetchall()

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """A read on this session's connection, as :meth:`Warehouse.query` returns it (the
        same SQL, unrendered, and the same frame): a step that reads several summaries
        and writes opens one connection, not one per read (a DuckDB open and close is
        about 30 ms, bench/RESULTS.md, session 24)."""
        with engine_interrupts():
            self._restore_threads()
            return _frame_of_read(self.conn, sql, params)

    def _begin(self) -> None:
        with engine_interrupts():
            self._restore_threads()
            self.conn.begin()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._begin()
        try:
            yield
        except BaseException:
            self.conn.rollback()
            self._restore_threads()
            raise
        with engine_interrupts():
            self._restore_threads()
            self.conn.commit()

    def close(self) -> None:
        """Put back what the session changed in the engine (the connection is the
        caller's to close): a run of loads ends with the session."""
        self._restore_threads()

    def reserve_memory(self, reserve: int) -> None:
        """Lower the engine's memory limit to ``reserve`` bytes under the limit the session
        had before it reserved any, for the rest of the session (never below
        :data:`MIN_SESSION_LIMIT`): the largest reserve asked holds, a smaller or equal one
        changes nothing. For memory the step's Python takes after the session opened and
        keeps (the landing reader's first-use imports and what its reading leaves
        allocated), or takes while reading a file of long values (pyarrow holds one of its
        pages compressed and decompressed). Outside :meth:`transaction` only: a ``SET``
        fails in an aborted one."""
        if reserve <= self._memory_reserved:
            return
        with engine_interrupts():
            if self._limit_before_reserve is None:
                [(setting,)] = self.conn.execute(
                    "SELECT current_setting('memory_limit')"
                ).fetchall()
                self._limit_before_reserve = size_bytes(setting)
            limit = self._limit_before_reserve
            lowered = max(limit - reserve, MIN_SESSION_LIMIT)
            if lowered < limit:
                self.conn.execute(f"SET memory_limit = '{lowered // MIB:d}MiB'")
        self._memory_reserved = reserve

    def _one_thread(self) -> None:
        """Run the next statements on one engine thread, until another kind of statement.

        DuckDB inserts a CSV file numbered by ``row_number() OVER ()`` (a streaming
        window, in file order) faster on one thread than on two: 30 x 100,000 orders
        (90 files) loaded in 6.2-6.7 s on one thread against 8.8-9.7 s on two, and the
        other core is left to the byte checks running ahead (bench/RESULTS.md, session
        13). ``threads`` belongs to the whole database, and a ``SET`` fails in an
        aborted transaction, so it is put back by the next statement, commit or
        rollback of the session, and when the session closes.
        """
        if self._threads_after_loads is None:
            with engine_interrupts():
                [(threads,)] = self.conn.execute("SELECT current_setting('threads')").fetchall()
                if int(threads) <= 1:
                    return
                self.conn.execute("SET threads = 1")
            self._threads_after_loads = int(threads)

    def _restore_threads(self) -> None:
        if self._threads_after_loads is not None:
            with engine_interrupts():
                self.conn.execute(f"SET threads = {self._threads_after_loads:d}")
            self._threads_after_loads = None

    def load_plain_csv(
        self,
        table: str,
        path: str,
        header: list[str],
        lineage: dict,
        extras: Sequence[tuple[int, str, bool]] = (),
        skip: int = 0,
    ) -> bool:
        """Load a plain CSV file (``orders_core.plain_csv``) into ``table`` with the engine's
        own strict scan: each contract cell of the header into its column, ``lineage``
        values on every row, ``source_line`` = record number + 1 + ``skip`` (the blank
        lines before the header, which the scan skips), and the ``extras``
        (position, key, named as e-mail) as the reader's ``extra_columns_json`` and
        ``pii_extra_columns_json``. False, with nothing loaded, when the engine cannot
        (another engine, a file the strict scan refuses, or an extra value that is not
        plain ASCII: the caller then uses the reader). A refusal inside
        :meth:`transaction` aborts it (DuckDB has no savepoints): the caller must roll
        back. An interrupted load raises :class:`WarehouseInterrupted`, as every statement
        of the session (:func:`engine_interrupts`)."""
        positions = [f"column{i}" for i in range(len(header))]
        columns = ", ".join(f"'{name}': 'VARCHAR'" for name in positions)
        scan = (
            f"read_csv(?, columns = {{{columns}}}, header = true, auto_detect = false,"
            " delim = ',', quote = '\"', escape = '\"', strict_mode = true,"
            f" null_padding = false, skip = {int(skip)})"
        )
        try:  # an interrupted statement raises WarehouseInterrupted: no refusal, no reader
            self._one_thread()
            emails = self._extra_emails(scan, path, positions, extras)
            if emails is None:
                return False
            # The reader reads an empty field, quoted or not, as missing.
            self._insert_file(
                _FileRows(table, path, header, lineage, extras, emails),
                positions,
                scan,
                f"row_number() OVER () + {1 + int(skip)}",
                empty_is_null=True,
            )
        except duckdb.Error:
            return False
        return True

    def load_plain_jsonl(
        self,
        table: str,
        path: str,
        keys: list[str],
        lineage: dict,
        extras: Sequence[tuple[int, str, bool]] = (),
    ) -> bool:
        """Load a plain JSON Lines file (``orders_core.plain_jsonl``) into ``table`` with the
        engine's own scan of its lines, as :meth:`load_plain_csv` loads a CSV file: each
        contract key's value into its column (a string decoded, ``""`` staying the empty
        text; a number, ``true`` or ``false`` as its token landed; ``null`` as NULL: as
        the reader reads them), ``lineage`` on every row, ``source_line`` = the line's
        number, and the ``extras`` as the reader's JSON. First, on the engine's threads,
        every line must fully match ``plain_jsonl.line_pattern(keys)`` and fit the record
        size limit, and every extra value be plain ASCII: else False, with nothing loaded
        (a file the scan refuses, invalid UTF-8 say, aborts a :meth:`transaction`, as
        there)."""
        from orders_core.landed_text import MAX_RECORD_BYTES
        from orders_core.plain_jsonl import json_path, line_pattern, token_pattern

        pattern = line_pattern(keys).replace("'", "''")
        paths = ", ".join("'" + json_path(key).replace("'", "''") + "'" for key in keys)
        # One parse of the line for every string, one for the values' types: a value that
        # is not a string or null is taken as its token, from the line; a key the line
        # leaves out is NULL, as the reader reads it.
        values = f"json_extract_string(line, [{paths}]) AS v, json_type(line, [{paths}]) AS t"
        tokens = [token_pattern(key).replace("'", "''") for key in keys]
        positions = [
            f"CASE WHEN t[{i}] IS NULL OR t[{i}] IN ('VARCHAR', 'NULL') THEN v[{i}]"
            f" ELSE regexp_extract(line, '{token}', 1) END"
            for i, token in enumerate(tokens, start=1)
        ]
        # A line naming a key twice (the reader numbers the second) names more keys than
        # it has values for: json_type counts each key of the header once.
        plain = (
            f"coalesce(bool_and(line IS NOT NULL AND strlen(line) <= {MAX_RECORD_BYTES:d}"
            f" AND regexp_full_match(line, '{pattern}')"
            " AND len(json_keys(line)) = list_count(t)), true)"
        )
        try:  # an interrupted statement raises WarehouseInterrupted: no refusal, no reader
            self._restore_threads()
            scan = f"(SELECT line, {values} FROM {JSONL_LINES})"  # noqa: S608 (generated paths)
            emails = self._checked_values(scan, path, positions, extras, plain)
            if emails is None:
                return False
            self._one_thread()  # lines numbered in file order (see load_plain_csv)
            self._insert_file(
                _FileRows(table, path, keys, lineage, extras, emails),
                positions,
                f"(SELECT row_number() OVER () AS n, line, {values} FROM {JSONL_LINES})",  # noqa: S608
                "n",
                empty_is_null=False,
            )
        except duckdb.Error:
            return False
        return True

    def jsonl_keys(self, path: str) -> set[str] | None:
        """Every key a JSON Lines file's lines name, when each line is a flat object of
        plain keys (``plain_jsonl.line_pattern(None)``) within the record size limit, and
        there are at most ``plain_jsonl.MAX_KEYS`` of them; else None. One scan on the
        engine's threads; a key named twice in a line is left to the load's check."""
        from orders_core.landed_text import MAX_RECORD_BYTES
        from orders_core.plain_jsonl import MAX_KEYS, line_pattern

        pattern = line_pattern(None).replace("'", "''")
        # A line the engine may not load names the key NULL, which no line can.
        keys = (
            f"CASE WHEN strlen(line) <= {MAX_RECORD_BYTES:d} AND regexp_full_match(line,"
            f" '{pattern}') AND len(k) <= {MAX_KEYS:d} THEN k ELSE [NULL]::VARCHAR[] END"
        )
        try:
            self._restore_threads()
            with engine_interrupts():
                found = self.conn.execute(
                    f"SELECT DISTINCT unnest({keys}) FROM"  # noqa: S608 (generated pattern)
                    f" (SELECT line, json_keys(line) AS k FROM {JSONL_LINES})"
                    f" LIMIT {MAX_KEYS + 2:d}",
                    [path],
                ).fetchall()
        except duckdb.Error:
            return None
        names = {key for (key,) in found}
        return None if None in names or len(names) > MAX_KEYS else names

    def load_plain_parquet(
        self,
        table: str,
        path: str,
        header: list[str],
        lineage: dict,
        extras: Sequence[tuple[int, str, bool]] = (),
    ) -> bool:
        """Load a plain Parquet file (``orders_core.plain_parquet``: text columns only) into
        ``table`` with the engine's own ``read_parquet``, as :meth:`load_plain_csv` loads a
        CSV file: each contract column's text into its column (an empty text stays one),
        ``lineage`` on every row, ``source_line`` = the row's number in the file + 1, and
        the ``extras`` as the reader's JSON. First, on the engine's threads: no row's
        values may add up to a quarter of the record size limit (the reader's check
        of a record's size would then have nothing to break), and every extra value must
        be plain ASCII; else False, with nothing loaded (text that is not UTF-8 fails the
        scan, which aborts a :meth:`transaction`, as there)."""
        from orders_core.landed_text import MAX_RECORD_BYTES
        from orders_core.plain_parquet import ROW_NUMBER

        positions = ['"{}"'.format(name.replace('"', '""')) for name in header]
        scan = f"read_parquet(?, {ROW_NUMBER} = true)"
        width = " + ".join(f"coalesce(strlen({column}), 0)" for column in positions)
        small = f"coalesce(max({width}), 0) * 4 <= {MAX_RECORD_BYTES:d}"
        try:  # an interrupted statement raises WarehouseInterrupted: no refusal, no reader
            self._restore_threads()  # rows numbered by the file, not the scan's order
            emails = self._checked_values(scan, path, positions, extras, small)
            if emails is None:
                return False
            self._insert_file(
                _FileRows(table, path, header, lineage, extras, emails),
                positions,
                scan,
                f"{ROW_NUMBER} + 1",
                empty_is_null=False,
            )
        except duckdb.Error:
            return False
        return True

    def _insert_file(
        self,
        rows: _FileRows,
        positions: list[str],
        source: str,
        line: str,
        *,
        empty_is_null: bool,
    ) -> None:
        """``INSERT ... SELECT`` of a checked file's rows from ``source`` (whose ``?`` is the
        file's path): each contract column of the header from its ``positions``
        expression (``empty_is_null``: an empty text as missing, as the CSV reader reads
        it), the extras' JSON (the e-mail ones apart), the lineage values and
        ``source_line`` = ``line``."""
        from orders_core.raw_frame import normalize_header

        extra_at = {position for position, _, _ in rows.extras}
        contract_at = [i for i in range(len(rows.header)) if i not in extra_at]
        targets = [quoted_identifier(normalize_header(rows.header[i])) for i in contract_at]
        values = [
            f"nullif({positions[i]}, '')" if empty_is_null else positions[i] for i in contract_at
        ]
        emails = rows.emails
        for name, pairs in (
            ("extra_columns_json", [(k, i) for i, k, pii in rows.extras if not (pii or emails[i])]),
            ("pii_extra_columns_json", [(k, i) for i, k, pii in rows.extras if pii or emails[i]]),
        ):
            if pairs:
                targets.append(quoted_identifier(name))
                values.append(_json_object([(k, positions[i]) for k, i in pairs], empty_is_null))
        targets += [*map(quoted_identifier, rows.lineage), '"source_line"']
        values += [*("?" for _ in rows.lineage), line]
        target = ".".join(map(quoted_identifier, rows.table.split(".")))
        with engine_interrupts():
            self.conn.execute(
                f"INSERT INTO {target} ({', '.join(targets)})"  # noqa: S608 (validated identifiers, bound values)
                f" SELECT {', '.join(values)} FROM {source}",
                [*rows.lineage.values(), rows.path],
            )

    def _extra_emails(
        self, scan: str, path: str, positions: list[str], extras: Sequence[tuple[int, str, bool]]
    ) -> dict[int, bool] | None:
        """Which extra columns hold an e-mail address anywhere in the file (by value, as
        ``orders_core.pii.looks_like_email`` finds one in plain ASCII); None when some
        extra value is not plain ASCII (the reader's JSON escapes it: its file)."""
        if not extras:
            return {}
        return self._checked_values(scan, path, positions, extras, "true")

    def _checked_values(
        self,
        scan: str,
        path: str,
        positions: list[str],
        extras: Sequence[tuple[int, str, bool]],
        must: str,
    ) -> dict[int, bool] | None:
        """One aggregate over the file's ``scan``: the boolean aggregate ``must``, and per
        extra column whether its values are plain ASCII and whether one holds an e-mail
        address (:meth:`_extra_emails`). None when the must or a plain-ASCII check
        fails; else the extras' e-mail findings."""
        checks = [must]
        for position, _, _ in extras:
            column = positions[position]
            checks += [
                f"coalesce(bool_and(regexp_full_match({column}, '{SQL_JSON_SAFE}') OR"
                f" (regexp_full_match({column}, '{SQL_PRINTABLE_ASCII}')"
                f" AND NOT contains({column}, '@'))), true)",
                f"coalesce(bool_or(regexp_matches({column}, '{SQL_EMAIL_IN_JSON_SAFE}')), false)",
            ]
        # fetchall: a result left open (fetchone) makes DuckDB refuse the session's next
        # register(), which the reader's append needs when this file is left to it.
        with engine_interrupts():
            [row] = self.conn.execute(f"SELECT {', '.join(checks)} FROM {scan}", [path]).fetchall()  # noqa: S608 (generated names)
        found, per_extra = row[0], row[1:]
        if not found or not all(per_extra[0::2]):
            return None
        return {position: per_extra[2 * k + 1] for k, (position, _, _) in enumerate(extras)}

    def append(self, table: str, rows: pa.Table) -> None:
        """Insert Arrow rows into a table (``name`` or ``schema.name``) by column name."""
        target = ".".join(map(quoted_identifier, table.split(".")))
        self._restore_threads()
        self.conn.register("orders_incoming", rows)
        try:
            columns = ", ".join(map(quoted_identifier, rows.column_names))
            with engine_interrupts():
                self.conn.execute(
                    f"INSERT INTO {target} ({columns})"  # noqa: S608 (validated identifiers)
                    f" SELECT {columns} FROM orders_incoming"
                )
        finally:
            self.conn.unregister("orders_incoming")


class Warehouse(dg.ConfigurableResource):
    """Runs read-only analytical SQL in the warehouse engine and returns a DataFrame.

    SQL uses ``?`` placeholders; values are always bound, never formatted in. Every
    engine returns the same dtypes: DATE as ``date32``, text as ``string``, integers
    as nullable ``Int64``, timestamps with their zone.
    """

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        raise NotImplementedError

    @contextmanager
    def session(self) -> Iterator[SqlSession]:
        """A :class:`SqlSession` on the engine, closed (and rolled back) on exit."""
        raise NotImplementedError
        yield  # pragma: no cover


class DuckDBWarehouse(Warehouse):
    """The embedded warehouse: one DuckDB file.

    When another run holds the file, a query waits up to ``lock_timeout_s`` (bounded,
    jittered backoff) and then fails with :class:`WarehouseLockedError`.
    """

    database: str
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    # DuckDB's memory limit for the steps that move rows: beyond it, sorts, joins and
    # temporary tables spill to disk, so a step's memory does not grow with the day.
    # 600MB keeps a step process (Python and Dagster add about 200 MiB, DuckDB some
    # memory outside its accounting) under 1 GiB (bench/RESULTS.md).
    memory_limit: str | None = "600MB"
    # What the whole step process may hold: a session's limit is lowered to what the
    # process has left of it (see :func:`session_memory_limit`). The local run executes
    # every step in one process, which holds about 430 MiB (Dagster, pandas, scikit-learn)
    # by the time clean_orders starts: 600MB on top of that peaked at 1,078 MiB.
    process_memory_budget: str | None = "1GiB"

    def _config(self) -> dict[str, str] | None:
        """The engine's settings for a connection opened now: its memory limit (see
        :func:`session_memory_limit`), for queries too: a query over all history (the CLV
        holdout's metrics as of a cut day) otherwise took memory in step with customers."""
        limit = session_memory_limit(
            self.memory_limit, self.process_memory_budget, resident_bytes()
        )
        return {"checkpoint_threshold": CHECKPOINT_THRESHOLD} | (
            {"memory_limit": limit} if limit else {}
        )

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        with locked_connection(
            self.database,
            config=self._config(),
            lock_timeout_s=self.lock_timeout_s,
            log=dg.get_dagster_logger(),
        ) as conn:
            # As sessions and Snowflake's connections: a day or a formatted timestamp
            # read here must not depend on the machine's time zone.
            with engine_interrupts():
                conn.execute("SET TimeZone = 'UTC'")
                return _frame_of_read(conn, sql, params)

    @contextmanager
    def session(self) -> Iterator[SqlSession]:
        config = self._config()
        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with locked_connection(
            self.database,
            config=config,
            lock_timeout_s=self.lock_timeout_s,
            log=dg.get_dagster_logger(),
        ) as conn:
            conn.execute("SET TimeZone = 'UTC'")
            session = SqlSession(conn)
            try:
                yield session
            finally:
                session.close()


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]I?B|B)", re.IGNORECASE)
_UNIT_BYTES = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNIT_BYTES |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
MIB = 2**20
#: DuckDB's own memory beyond its ``memory_limit`` (allocations it does not account:
#: the scan's buffers, the catalog, thread-local state), measured as a step's peak RSS
#: minus its RSS before the run minus the limit: 98 to 113 MiB (bench/RESULTS.md), and a
#: margin.
DUCKDB_BEYOND_LIMIT = 160 * MIB
#: DuckDB's ``checkpoint_threshold`` on the warehouse's connections: every commit writes its
#: rows into the database file (a checkpoint, in the buffer manager's memory) rather than
#: into the write-ahead log first. DuckDB chooses between the two from an estimate of the
#: transaction's size that leaves out the text of long values (20,400 rows of
#: 60,000-character regions, 1.2 GB, were estimated at 4 to 8 MB, under the default
#: 16 MiB), so such a transaction went to the log, and writing it held some 230 MiB
#: beyond ``memory_limit``: raw_orders and clean_orders peaked at 1,083 MiB in their
#: commits (bench/RESULTS.md, hunt 66). A step closes its connection
#: after its transaction, and closing checkpoints the log anyway: the rows are written
#: once instead of twice. The tables are the same either way.
CHECKPOINT_THRESHOLD = "0B"
#: The least a session is given, however full the process: below it DuckDB fails on
#: work it cannot spill sooner than it saves memory.
MIN_SESSION_LIMIT = 256 * MIB


def size_bytes(text: str) -> int:
    """Bytes of a size written as DuckDB writes them: ``600MB`` (10^6), ``1GiB`` (2^30)."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"memory size {text!r} is not a number and a unit (600MB, 1GiB)")
    return int(float(found[1]) * _UNIT_BYTES[found[2].upper()])


def resident_bytes() -> int | None:
    """The process's resident set now (Linux), None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def session_memory_limit(
    limit: str | None, process_budget: str | None, resident: int | None
) -> str | None:
    """DuckDB's ``memory_limit`` for a session opened now: ``limit``, lowered so that the
    process (``resident`` bytes before the session, DuckDB's memory beyond its limit on
    top) stays within ``process_budget``, never below :data:`MIN_SESSION_LIMIT`. The
    limit only decides when the engine spills: results do not depend on it."""
    if process_budget is None or resident is None:
        return limit
    left = size_bytes(process_budget) - resident - DUCKDB_BEYOND_LIMIT
    if limit is not None and size_bytes(limit) <= left:
        return limit
    return f"{max(left, MIN_SESSION_LIMIT) // MIB}MiB"
