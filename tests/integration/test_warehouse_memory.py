"""A DuckDB session gets what the step process has left of its memory budget."""

import datetime as dt
import io
import json

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orders_platform.definitions import build_definitions
from platform_assets.assets.ingestion import LONG_VALUES_MEMORY, READER_MEMORY
from resources.warehouse import (
    CHECKPOINT_THRESHOLD,
    DUCKDB_BEYOND_LIMIT,
    MIB,
    MIN_SESSION_LIMIT,
    DuckDBWarehouse,
    SqlSession,
    resident_bytes,
    session_memory_limit,
    size_bytes,
)
from tests.support.order_fixtures import land, order_rows, range_tags, settings_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [("600MB", 600 * 10**6), ("1GiB", 2**30), ("434MiB", 434 * MIB), (" 1.5 gb ", 1.5 * 10**9)],
)
def test_sizes_are_read_as_duckdb_writes_them(text, expected):
    assert size_bytes(text) == expected


@pytest.mark.parametrize("text", ["600", "lots", "1 GiB of it", "-5MB"])
def test_a_size_without_a_unit_is_refused_by_name(text):
    with pytest.raises(ValueError, match="is not a number and a unit"):
        size_bytes(text)


def test_a_fresh_step_process_keeps_the_configured_limit():
    assert session_memory_limit("600MB", "1GiB", 232 * MIB) == "600MB"


def test_a_fuller_process_gives_duckdb_only_what_is_left():
    # The local run's one process holds about 430 MiB when clean_orders starts.
    left = (2**30 - 430 * MIB - DUCKDB_BEYOND_LIMIT) // MIB
    assert session_memory_limit("600MB", "1GiB", 430 * MIB) == f"{left}MiB"
    assert session_memory_limit(None, "1GiB", 430 * MIB) == f"{left}MiB"


def test_a_full_process_still_gives_duckdb_its_floor():
    assert session_memory_limit("600MB", "1GiB", 1000 * MIB) == f"{MIN_SESSION_LIMIT // MIB}MiB"


def test_without_a_budget_or_a_resident_set_the_limit_is_as_configured():
    assert session_memory_limit("600MB", None, 900 * MIB) == "600MB"
    assert session_memory_limit("600MB", "1GiB", None) == "600MB"


def test_a_session_opens_with_the_lowered_limit(tmp_path):
    resident = resident_bytes()
    assert resident is not None  # Linux, as CI
    # Room for about 300 MiB beyond what the process holds now.
    budget = f"{(resident + DUCKDB_BEYOND_LIMIT) // MIB + 300}MiB"
    warehouse = DuckDBWarehouse(
        database=str(tmp_path / "w.duckdb"), memory_limit="600MB", process_memory_budget=budget
    )
    with warehouse.session() as session:
        [(setting,)] = session.conn.execute("SELECT current_setting('memory_limit')").fetchall()
    mib = float(setting.removesuffix(" MiB"))
    assert MIN_SESSION_LIMIT // MIB <= mib <= 300


# Rows of long values, which DuckDB's size estimate takes for small ones (16 bytes a text).
LONG_ROWS = (
    "SELECT i, repeat(chr(CAST(97 + i % 26 AS INTEGER)), 60000 + i) AS v FROM range(300) t(i)"
)


def test_a_commit_of_long_values_writes_the_database_file_not_the_log(tmp_path):
    # Writing 1.2 GB of such values to the write-ahead log held ~230 MiB beyond the
    # engine's memory limit: raw_orders and clean_orders peaked at 1,083 MiB in their
    # commits (bench/RESULTS.md, hunt 66).
    database = tmp_path / "w.duckdb"
    with DuckDBWarehouse(database=str(database)).session() as session:
        [(threshold,)] = session.execute("SELECT current_setting('checkpoint_threshold')")
        assert threshold == "0 bytes" and size_bytes(CHECKPOINT_THRESHOLD) == 0
        session.execute("CREATE TABLE t (i BIGINT, v VARCHAR)")
        with session.transaction():
            session.execute(f"INSERT INTO t {LONG_ROWS}")  # noqa: S608 (a constant)
        assert not database.with_name("w.duckdb.wal").exists()
        ours = session.execute("SELECT i, md5(v), strlen(v) FROM t ORDER BY i")
    # The same rows as DuckDB's default (the log, then a checkpoint at close) stores.
    logged = tmp_path / "logged.duckdb"
    with duckdb.connect(str(logged)) as conn:
        conn.execute("CREATE TABLE t (i BIGINT, v VARCHAR)")
        conn.execute(f"INSERT INTO t {LONG_ROWS}")  # noqa: S608 (a constant)
        assert logged.with_name("logged.duckdb.wal").exists()
        assert conn.execute("SELECT i, md5(v), strlen(v) FROM t ORDER BY i").fetchall() == ours
    assert len(ours) == 300


def _limit_mib(session) -> float:
    [(setting,)] = session.conn.execute("SELECT current_setting('memory_limit')").fetchall()
    return size_bytes(setting) / MIB


def test_a_session_gives_up_the_largest_reserve_asked_and_never_below_its_floor(tmp_path):
    # raw_orders' reader keeps ~150 MiB after it read a file: a day of 4M quoted orders in
    # one file took the step to 978-1,030 MiB with the engine at its full limit. A Parquet
    # file of long values asks more (hunt 69), whenever in the session it comes.
    warehouse = DuckDBWarehouse(
        database=str(tmp_path / "w.duckdb"), memory_limit="600MiB", process_memory_budget=None
    )
    with warehouse.session() as session:
        session.reserve_memory(160 * MIB)
        assert _limit_mib(session) == 440
        session.reserve_memory(160 * MIB)  # not twice
        assert _limit_mib(session) == 440
        session.reserve_memory(260 * MIB)  # from the session's limit, not again from 440
        assert _limit_mib(session) == 340
        session.reserve_memory(160 * MIB)
        assert _limit_mib(session) == 340
    with warehouse.session() as session:
        session.reserve_memory(2**40)
        assert _limit_mib(session) == MIN_SESSION_LIMIT // MIB


def _raw_orders_reserving(tmp_path, monkeypatch):
    """Settings on ``tmp_path``, a job of raw_orders alone, and the list each
    ``SqlSession.reserve_memory`` call appends its size to (nothing is reserved)."""
    reserved: list[int] = []
    monkeypatch.setattr(SqlSession, "reserve_memory", lambda _s, size: reserved.append(size))
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    return settings, job.get_subset(asset_selection={dg.AssetKey("raw_orders")}), reserved


def test_raw_orders_gives_up_memory_only_when_the_reader_stages_a_file(
    tmp_path, instance, monkeypatch
):
    _, raw_orders, reserved = _raw_orders_reserving(tmp_path, monkeypatch)
    plain, read = dt.date(2025, 1, 2), dt.date(2025, 1, 3)
    rows = order_rows(3, plain)
    land(tmp_path / "landing", plain, "a.csv", ("\n".join(_csv(rows)) + "\n").encode())
    # An amount landed as a nested value: not a plain file, the reader's (sorted JSON).
    jsonl = "\n".join(json.dumps(row | {"amount": {"v": "10.5"}}) for row in order_rows(3, read))
    land(tmp_path / "landing", read, "b.jsonl", jsonl.encode())

    for day, expected in ((plain, []), (read, [READER_MEMORY])):
        reserved.clear()
        result = raw_orders.execute_in_process(instance=instance, tags=range_tags(day, day))
        assert result.success
        assert reserved == expected


def _csv(rows: list[dict]) -> list[str]:
    names = list(rows[0])
    return [",".join(names), *(",".join(str(row[n] or "") for n in names) for row in rows)]


def test_raw_orders_gives_up_more_memory_for_a_parquet_file_of_long_values(
    tmp_path, instance, monkeypatch
):
    """pyarrow holds a page of a column chunk of long values compressed and decompressed
    whatever the batch, and the reader's batches of such values hold more than its 160 MiB
    whatever the pages (a day of 20,000 regions of 60,000 characters in one file:
    1,029-1,072 MiB with the reader's reserve alone, bench/RESULTS.md, hunt 69; one of
    256 such values dictionary-encoded, in small pages: 945 MiB with the reserve its
    largest column chunk, 15 MB, hunt 72): the engine leaves it LONG_VALUES_MEMORY more.
    A file of plain orders asks nothing more."""
    settings, raw_orders, reserved = _raw_orders_reserving(tmp_path, monkeypatch)
    long_day, dictionary_day, plain_day = (dt.date(2025, 1, d) for d in (2, 3, 4))
    for day, region in ((long_day, "r" * 60_000), (plain_day, "north")):
        rows = [row | {"region": f"{i:03d}{region}"} for i, row in enumerate(order_rows(300, day))]
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buffer, use_dictionary=False)
        land(tmp_path / "landing", day, "a.parquet", buffer.getvalue())
    chunk = pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata.row_group(0)
    assert chunk.total_byte_size < 2 * MIB  # the plain day's
    table = pa.Table.from_pylist(order_rows(300, dictionary_day))
    one_value = pa.DictionaryArray.from_arrays(pa.array([0] * 300), pa.array(["r" * 60_000]))
    table = table.set_column(table.schema.get_field_index("region"), "region", one_value)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, store_schema=False)  # its region read as text
    land(tmp_path / "landing", dictionary_day, "a.parquet", buffer.getvalue())
    assert pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata.row_group(0).total_byte_size < (
        2 * MIB
    )

    for day, more in ((long_day, True), (dictionary_day, True), (plain_day, False)):
        reserved.clear()
        result = raw_orders.execute_in_process(instance=instance, tags=range_tags(day, day))
        assert result.success
        assert reserved and min(reserved) == READER_MEMORY
        assert max(reserved) == READER_MEMORY + (LONG_VALUES_MEMORY if more else 0), day
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        counts = conn.execute(
            "SELECT partition_date, count(*) FROM raw.raw_orders GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert counts == [(long_day, 300), (dictionary_day, 300), (plain_day, 300)]
