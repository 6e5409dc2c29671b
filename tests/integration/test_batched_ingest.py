"""raw_orders reads Parquet, JSON Lines and odd CSV files batch by batch (orders_core.ingest)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pyarrow as pa

from orders_core import csv_reader, jsonl_reader, parquet_reader
from orders_platform.definitions import build_definitions
from tests.support.order_fixtures import land, order_rows, range_tags, settings_for
from tests.support.parquet_files import corrupt_after_first_batch, parquet_file


def materialize_raw_orders(tmp_path, instance, day: dt.date) -> str:
    """raw_orders over ``day``, landed under ``tmp_path / "landing"``; the warehouse file."""
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
        instance=instance, tags=range_tags(day, day), raise_on_error=False
    )
    return settings.duckdb_path


def test_raw_orders_voids_the_batches_of_a_file_that_fails_part_way(
    tmp_path, instance, monkeypatch
):
    """raw_orders appends a Parquet file batch by batch; when the file fails after some
    batches, those rows are deleted and the file is one broken record."""
    monkeypatch.setattr(parquet_reader, "BATCH_ROWS", 2)
    day = dt.date(2025, 1, 2)
    landing = tmp_path / "landing"
    land(landing, day, "broken.parquet", corrupt_after_first_batch())
    land(landing, day, "good.parquet", parquet_file(pa.Table.from_pylist(order_rows(5, day))).data)
    duckdb_path = materialize_raw_orders(tmp_path, instance, day)
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "SELECT regexp_extract(source_file, '[a-z]+\\.parquet'), count(*),"
            " count(parse_error) FROM raw.raw_orders GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert rows == [("broken.parquet", 1, 1), ("good.parquet", 5, 0)]


def test_raw_orders_streams_jsonl_files_in_batches_as_the_reader_reads_them(
    tmp_path, instance, monkeypatch
):
    """JSON Lines files, plain and gzip, appended in batches of 2 records from a stream
    of the file: raw.raw_orders holds exactly the rows of the reader's whole-file read (a
    key and an e-mail only in late lines included); a corrupt gzip file is one broken
    record."""
    import gzip
    import json

    from tests.support.raw_rows import raw_rows, reader_rows

    monkeypatch.setattr(jsonl_reader, "BATCH_ROWS", 2)
    day = dt.date(2025, 1, 2)
    lines = [json.dumps(r) for r in order_rows(7, day)]
    lines[5] = json.dumps({**json.loads(lines[5]), "promo": "SPRING"})
    lines[6] = json.dumps({**json.loads(lines[6]), "contact": "ann@example.com"})
    text = "\n".join([*lines, "", "not json"]).encode()
    landing = tmp_path / "landing"
    paths = [
        land(landing, day, "a.jsonl", text),
        land(landing, day, "b.jsonl.gz", gzip.compress(text, mtime=0)),
        land(landing, day, "c.jsonl.gz", gzip.compress(text, mtime=0)[:-6]),
    ]
    duckdb_path = materialize_raw_orders(tmp_path, instance, day)
    order = "ORDER BY source_file, source_line"
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        loaded = raw_rows(conn, order)
    assert loaded == reader_rows([(day, path) for path in paths], order)
    assert len(loaded) == 8 + 8 + 1


def test_raw_orders_frames_a_csv_file_of_the_row_reader_in_batches(tmp_path, instance, monkeypatch):
    """A CSV file that neither the engine nor pyarrow takes (a doubled quote, a quoted
    line break, plain and gzip) is appended two records at a time: raw.raw_orders holds
    exactly the rows of the reader's whole-file read, an e-mail in a late record's extra
    column kept out of extra_columns_json in every row."""
    import gzip

    from tests.support.raw_rows import raw_rows, reader_rows

    monkeypatch.setattr(csv_reader, "BATCH_ROWS", 2)
    day = dt.date(2025, 1, 2)
    rows = order_rows(7, day)
    rows[1]["status"] = '"placed ""rush"""'
    rows[3]["region"] = '"north\nwest"'
    names = [*rows[0], "contact"]
    lines = [",".join(names)] + [
        ",".join([*row.values(), "ann@example.com" if i == 6 else ""]) for i, row in enumerate(rows)
    ]
    text = ("\n".join(lines) + "\n").encode()
    landing = tmp_path / "landing"
    paths = [
        land(landing, day, "a.csv", text),
        land(landing, day, "b.csv.gz", gzip.compress(text, mtime=0)),
    ]
    duckdb_path = materialize_raw_orders(tmp_path, instance, day)
    order = "ORDER BY source_file, source_line"
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        loaded = raw_rows(conn, order)
        pii = conn.execute(
            "SELECT count(*) FROM raw.raw_orders WHERE pii_extra_columns_json LIKE '%contact%'"
            " AND coalesce(extra_columns_json, '') NOT LIKE '%contact%'"
        ).fetchone()[0]
    assert loaded == reader_rows([(day, path) for path in paths], order)
    assert len(loaded) == 14 and pii == 14


def test_raw_orders_reads_parquet_files_from_a_stream_never_whole(tmp_path, instance, monkeypatch):
    """raw_orders reads a Parquet file from the landed file where its footer and pages are
    (never its whole bytes), in batches of 2 records, an INT96 timestamp column too (read
    twice over the same stream, microseconds and nanoseconds): raw.raw_orders holds
    exactly the reader's rows of the whole file."""
    import io

    import pyarrow.parquet as pq

    from resources.landing import LocalLandingZone
    from tests.support.raw_rows import raw_rows, reader_rows

    def no_whole_reads(self, info):
        raise AssertionError(f"{info.name} read whole")

    monkeypatch.setattr(parquet_reader, "BATCH_ROWS", 2)
    monkeypatch.setattr(LocalLandingZone, "read", no_whole_reads)
    day = dt.date(2025, 1, 2)
    rows = order_rows(5, day)
    table = pa.Table.from_pylist(rows)
    stamps = pa.array([dt.datetime(2025, 1, 2, 3, 4, 5, 123456)] * 5, pa.timestamp("ns"))
    legacy = io.BytesIO()
    pq.write_table(
        table.set_column(2, "order_ts", stamps), legacy, use_deprecated_int96_timestamps=True
    )
    landing = tmp_path / "landing"
    paths = [
        land(landing, day, "a.parquet", parquet_file(table).data),
        land(landing, day, "b.parquet", legacy.getvalue()),
    ]
    duckdb_path = materialize_raw_orders(tmp_path, instance, day)
    order = "ORDER BY source_file, source_line"
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        loaded = raw_rows(conn, order)
    assert loaded == reader_rows([(day, path) for path in paths], order)
    assert len(loaded) == 10
    assert loaded[5][2] == "2025-01-02T03:04:05.123456"  # from the INT96 column
