"""raw_orders reads a Parquet file batch by batch (orders_core.ingest.parquet_batches)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pyarrow as pa

from orders_core import ingest
from orders_platform.definitions import build_definitions
from tests.support.order_fixtures import land, order_rows, range_tags, settings_for
from tests.support.parquet_files import corrupt_after_first_batch, parquet_file


def test_raw_orders_voids_the_batches_of_a_file_that_fails_part_way(
    tmp_path, instance, monkeypatch
):
    """raw_orders appends a Parquet file batch by batch; when the file fails after some
    batches, those rows are deleted and the file is one broken record."""
    monkeypatch.setattr(ingest, "PARQUET_BATCH_ROWS", 2)
    day = dt.date(2025, 1, 2)
    landing = tmp_path / "landing"
    land(landing, day, "broken.parquet", corrupt_after_first_batch())
    land(landing, day, "good.parquet", parquet_file(pa.Table.from_pylist(order_rows(5, day))).data)
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
        instance=instance, tags=range_tags(day, day), raise_on_error=False
    )
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "SELECT regexp_extract(source_file, '[a-z]+\\.parquet'), count(*),"
            " count(parse_error) FROM raw.raw_orders GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert rows == [("broken.parquet", 1, 1), ("good.parquet", 5, 0)]
