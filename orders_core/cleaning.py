"""Type, validate and deduplicate raw orders against the landing contract, in SQL.

The rules live in :mod:`orders_core.sql.cleaning` as set-based SQL, which the assets
run inside the warehouse engine. :func:`clean_orders` runs the very same statements in
an in-memory DuckDB over a raw frame: what tests, the corpus and the benchmarks use to
look at a few rows; no asset holds a day of rows in Python.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa

from orders_core.contract import Contract
from orders_core.dtypes import DATE_DTYPE, TEXT_DTYPE
from orders_core.sql.cleaning import (
    HMAC_PROBE,
    PADS_TABLE,
    SETTLE_IN_PLACE_ROWS,
    classify_statements,
    cleaned_select,
    day_summary_select,
    pads_statements,
    quarantined_select,
    raw_columns,
    settle_versions,
    typed_sql,
)
from orders_core.sql.dialect import fold_case, render
from orders_core.tables import CLEANED_ORDERS_COLUMNS

# SHA-256 processes 64-byte blocks; HMAC pads (or first hashes) the key to one block.
_SHA256_BLOCK = 64


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104)."""
    if len(key) > _SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_SHA256_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def hmac_probe_error(engine_hex: object, key: bytes) -> str | None:
    """Why the engine's e-mail hashes cannot be trusted, or None: its answer for
    :data:`HMAC_PROBE` (``hmac_probe_select``) against Python's HMAC-SHA256 under ``key``.

    A wrong hash would not fail anything: every customer would still get a stable id,
    only not the one another engine (or a re-run elsewhere) gives, so joins across them
    would silently miss. So a cleaning run checks before it writes a row.
    """
    message = fold_case(HMAC_PROBE).encode("utf-8")
    expected = hmac.new(key, message, hashlib.sha256).hexdigest()
    if engine_hex == expected:
        return None
    return (
        "the warehouse engine's HMAC-SHA256 of a known e-mail is "
        f"{engine_hex!r}, not RFC 2104's {expected!r} for the configured key: its "
        "ORDERS_LOWER or ORDERS_HMAC_HEX template (orders_core/sql/dialect.py) does not "
        "lower-case by Unicode's simple mapping or hash the UTF-8 bytes as HMAC does, so "
        "no e-mail was hashed and no row was written"
    )


def create_pads(conn, key: bytes) -> None:
    """The session's temporary table of HMAC pads (the key is bound, never in SQL text)."""
    create, insert = pads_statements()
    conn.execute(create)
    conn.execute(insert, list(hmac_pads(key)))


def hash_email(emails: pd.Series, key: bytes) -> pd.Series:
    """Keyed SHA-256 (HMAC) of normalised e-mails, by the cleaning's own SQL expression.

    Hex digests equal to ``hmac.new(key, fold_case(email.strip()).encode(), "sha256")``
    (``fold_case``: Unicode's simple lower-case mapping, ``str.lower`` for ASCII).
    """
    with local_connection() as conn:
        create_pads(conn, key)
        text = pa.array(emails.astype("string").array.to_numpy(na_value=None), pa.string())
        conn.register("emails", pa.table({"email": text}))
        digests = conn.sql(
            render(
                f"SELECT ORDERS_HMAC_HEX(ORDERS_LOWER(ORDERS_TRIM(email)), pad_in, pad_out)"  # noqa: S608 (constant identifiers)
                f" FROM emails CROSS JOIN {PADS_TABLE}"
            )
        ).to_arrow_table()
    return pd.Series(
        digests.column(0).to_pandas(types_mapper=_pandas_dtype),
        index=emails.index,
        dtype=TEXT_DTYPE,
    )


@dataclass(frozen=True)
class CleaningResult:
    """The outcome of cleaning a few raw rows (tests and tools; assets stay in SQL)."""

    cleaned: pd.DataFrame
    quarantined: pd.DataFrame
    superseded_rows: int
    naive_timestamp_rows: int
    # The valid rows that lost deduplication to a newer version of their order, in
    # cleaned form: what reconciliation needs to account for every landed amount.
    superseded: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=CLEANED_ORDERS_COLUMNS)
    )

    @property
    def raw_rows(self) -> int:
        return len(self.cleaned) + len(self.quarantined) + self.superseded_rows


def _pandas_dtype(arrow_type: pa.DataType):
    if pa.types.is_date(arrow_type):
        return DATE_DTYPE
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return TEXT_DTYPE
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    return None


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """A query result as a frame with text, dates and nullable integers kept; instants in
    nanoseconds, unless one is outside that unit's years (1677-2262: a ``9999-12-31``
    sentinel), when the column keeps the unit it came in. Converted regardless, such a
    value raised, and the schema-drift check failed for every day of its run on one
    landed value (typing an extra column to see whether it is a renamed order_ts)."""
    frame = table.to_pandas(types_mapper=_pandas_dtype)
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            try:
                frame[name] = frame[name].dt.as_unit("ns")
            except pd.errors.OutOfBoundsDatetime:
                continue
    return frame


def raw_table(raw: pd.DataFrame, contract: Contract) -> pa.Table:
    """A raw frame as the Arrow table of raw.raw_orders (text, line numbers, dates)."""
    arrays = {}
    for name in raw_columns(contract):
        values = raw[name]
        if name == "source_line":
            arrays[name] = pa.array(values.astype("int64").to_numpy(), pa.int64())
        elif name == "partition_date":
            arrays[name] = pa.array(pd.to_datetime(values).dt.date, pa.date32())
        else:
            arrays[name] = pa.array(
                values.astype("string").array.to_numpy(na_value=None), pa.string()
            )
    return pa.table(arrays)


def local_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB set up as the warehouse sessions are (UTC)."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def clean_orders(
    raw: pd.DataFrame,
    contract: Contract,
    email_key: bytes,
    settle_in_place_rows: int = SETTLE_IN_PLACE_ROWS,
) -> CleaningResult:
    """Split a raw frame (with a ``partition_date`` column) into cleaned and quarantined
    rows (repeated orders settled in place up to ``settle_in_place_rows`` rows, else by
    rewriting the classification: :func:`orders_core.sql.cleaning.settle_versions`)."""
    with local_connection() as conn:
        conn.register("raw_input", raw_table(raw, contract))
        create_pads(conn, email_key)
        classify, settle = classify_statements(contract, "raw_input")
        conn.execute(render(classify))
        settle_versions(
            lambda sql: conn.execute(render(sql)).fetchall(), settle, settle_in_place_rows
        )
        cleaned = arrow_frame(conn.sql(render(cleaned_select())).to_arrow_table())
        superseded = arrow_frame(conn.sql(render(cleaned_select(current=False))).to_arrow_table())
        quarantined = arrow_frame(
            conn.sql(render(quarantined_select(contract, "raw_input"))).to_arrow_table()
        )
        summary = conn.sql(render(day_summary_select())).fetchall()
    naive = sum(row[5] for row in summary)
    order = ["partition_date", "source_file", "source_line"]
    return CleaningResult(
        cleaned=cleaned.sort_values(order, ignore_index=True),
        quarantined=quarantined.sort_values(order, ignore_index=True),
        superseded_rows=len(superseded),
        naive_timestamp_rows=int(naive),
        superseded=superseded.sort_values(order, ignore_index=True),
    )


def typed_frame(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The contract's reading of a few landed rows (a drift sample): per contract column
    ``t_`` (text as cleaning reads it), ``m_`` (malformed) and ``ok_`` (meets the
    column's rules), and ``v_`` (typed value) of the typed columns, by the cleaning's own
    SQL. Missing columns are read as empty."""
    columns = {}
    for name in contract.column_names:
        values = frame[name] if name in frame else pd.Series(None, index=frame.index)
        columns[name] = pa.array(values.astype("string").array.to_numpy(na_value=None), pa.string())
    with local_connection() as conn:
        conn.register("sample", pa.table(columns) if columns else pa.table({}))
        result = conn.sql(render(typed_sql(contract, "sample"))).to_arrow_table()
    wanted = [f"{p}_{n}" for n in contract.column_names for p in ("t", "m", "ok")]
    wanted += [f"v_{c.name}" for c in contract.columns if c.type != "string"]
    return arrow_frame(result.select(wanted)).set_index(frame.index)
