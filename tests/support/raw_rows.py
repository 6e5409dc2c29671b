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
