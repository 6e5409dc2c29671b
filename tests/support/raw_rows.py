"""raw.raw_orders in a throwaway DuckDB session, and its rows in a fixed order: to compare
what the engine's load and the reader put there."""

from __future__ import annotations

import duckdb

from orders_core.contract import load_contract
from orders_core.sql.cleaning import raw_columns
from orders_core.sql.tables import create_statements
from orders_core.tables import RAW_ORDERS
from resources.warehouse import SqlSession


def raw_session() -> SqlSession:
    """An in-memory DuckDB session holding an empty raw.raw_orders."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    for statement in create_statements(load_contract(), RAW_ORDERS):
        conn.execute(statement)
    return SqlSession(conn)


def plain_csv_lineage(day) -> dict:
    """The lineage values ``load_plain_csv`` writes on every row of one CSV file of ``day``."""
    return {"source_file": "f", "source_format": "csv", "file_header": "[]", "partition_date": day}


def raw_rows(conn, order: str = "ORDER BY source_line") -> list[tuple]:
    """Every row of raw.raw_orders, its columns in the table's order."""
    columns = ", ".join(raw_columns(load_contract()))
    return conn.execute(f"SELECT {columns} FROM raw.raw_orders {order}").fetchall()  # noqa: S608


def reader_rows(files, order: str) -> list[tuple]:
    """The rows the lossless reader makes of landed ``files`` ((day, path) pairs), as
    ``raw.raw_orders`` would hold them, in ``order``."""
    from orders_core.cleaning import raw_table
    from orders_core.ingest import read_landed_files
    from orders_core.raw_frame import LandedFile, with_partition_date

    contract = load_contract()
    session = raw_session()
    for day, path in files:
        data = path.read_bytes()
        source = LandedFile(path.as_uri(), path.name, len(data), data)
        frame = with_partition_date(read_landed_files(contract, [source]), day)
        session.append("raw.raw_orders", raw_table(frame, contract))
    return raw_rows(session.conn, order)


def engine_rows(path, fmt: str, day) -> list | None:
    """The rows the engine's own scan loads of a landed JSON Lines or Parquet file (see
    ``orders_core.plain_jsonl`` / ``plain_parquet``), or None when it may not (the look
    in Python) or would not (the engine's own check) load it; then nothing is loaded."""
    import json

    from orders_core.pii import names_email
    from orders_core.plain_jsonl import plain_jsonl_header
    from orders_core.plain_parquet import plain_parquet_header
    from orders_core.raw_frame import extra_columns

    contract = load_contract()
    plain = {"jsonl": plain_jsonl_header, "parquet": plain_parquet_header}[fmt]
    with path.open("rb") as handle:
        header = plain(handle, contract)
    if header is None:
        return None
    lineage = {
        "source_file": path.as_uri(),
        "source_format": fmt,
        "file_header": json.dumps(header),
        "partition_date": day,
    }
    extras = [(i, k, names_email(header[i])) for i, k in extra_columns(contract, header)]
    session = raw_session()
    load = {"jsonl": session.load_plain_jsonl, "parquet": session.load_plain_parquet}[fmt]
    loaded = load("raw.raw_orders", str(path), header, lineage, extras)
    rows = raw_rows(session.conn)
    if not loaded:
        assert rows == []  # a refusal loads nothing
        return None
    return rows
