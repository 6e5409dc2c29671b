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
    ``orders_core.plain_jsonl`` / ``plain_parquet``; a typed Parquet file through its
    plain copy, as raw_orders loads it), through raw_orders' own check and load of a file,
    or None when it may not (the look in Python) or would not (the engine's own check)
    load it; then nothing is loaded."""
    import tempfile

    from orders_core.plain_parquet import text_copy
    from platform_assets.assets.ingestion import _load_checked, _plain_header, _TextCopy
    from resources.landing import LandingFileInfo

    contract = load_contract()
    info = LandingFileInfo(path.as_uri(), path.name, path.stat().st_size, "v")
    session = raw_session()
    with path.open("rb") as handle, tempfile.TemporaryFile() as copy:
        local = (handle, str(path))
        header = _plain_header(local, contract, info)
        if header is None and fmt == "parquet" and text_copy(handle, contract, copy):
            copy.flush()
            local = _TextCopy((copy, f"/proc/self/fd/{copy.fileno()}"))
            header = _plain_header(local, contract, info)
        if header is None:
            return None
        loaded = _load_checked(session, info, contract, day, "raw.raw_orders", local, header)
    rows = raw_rows(session.conn)
    if not loaded:
        assert rows == []  # a refusal loads nothing
        return None
    return rows


def both_ways(path, fmt: str, day) -> tuple[list | None, list]:
    """:func:`engine_rows` and :func:`reader_rows` of one landed file of ``day``."""
    return engine_rows(path, fmt, day), reader_rows([(day, path)], "ORDER BY source_line")


def parquet_file(path, table, **options):
    """``table`` written as a Parquet file at ``path`` (``pq.write_table`` options); the path."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, **options)
    return path


def invalid_utf8_text():
    """A Parquet text column (Arrow ``string``) of two values, ``o1`` and two bytes that
    are not UTF-8: not every writer checks."""
    import pyarrow as pa

    offsets = pa.py_buffer(bytes([0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0]))
    return pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"o1\xff\xfe")])


def raw_orders_range_with_loads(tmp_path, instance, days, load: str) -> tuple[list, list]:
    """Run raw_orders over ``days`` (landed under ``tmp_path / "landing"``) as one range
    run, watching ``SqlSession.<load>``: the rows of raw.raw_orders (by day, file and line)
    and each call's (target table, whether the engine loaded the file)."""
    import dagster as dg
    import pytest

    from orders_platform.definitions import build_definitions
    from tests.support.order_fixtures import range_tags, settings_for

    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    loads: list[tuple[str, bool]] = []
    real = getattr(SqlSession, load)

    def spy(self, table, path, *args, **kwargs):  # load_plain_csv takes skip=
        loads.append((table, result := real(self, table, path, *args, **kwargs)))
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SqlSession, load, spy)
        job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
            instance=instance, tags=range_tags(days[0], days[-1]), raise_on_error=False
        )
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        return raw_rows(conn, RANGE_ORDER), loads


# The order raw_orders_range_with_loads gives rows in.
RANGE_ORDER = "ORDER BY partition_date, source_file, source_line"
