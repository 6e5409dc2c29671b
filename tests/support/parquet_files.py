"""Parquet landing files for tests: written from Arrow tables, and a broken one."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from orders_core.raw_frame import LandedFile
from tests.support.order_fixtures import order_rows


def parquet_file(table: pa.Table, name: str = "orders.parquet", **options) -> LandedFile:
    """A Parquet file of ``table`` (``options``: pyarrow's write_table)."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    data = buffer.getvalue()
    return LandedFile(f"file:///landing/{name}", name, len(data), data)


def corrupt_after_first_batch(rows: int = 6) -> bytes:
    """A Parquet file of 2-row row groups whose last row group's data is overwritten."""
    source = parquet_file(
        pa.Table.from_pylist(order_rows(rows)),
        row_group_size=2,
        compression="none",
        use_dictionary=False,
    )
    last = pq.ParquetFile(io.BytesIO(source.data)).metadata.row_group(rows // 2 - 1)
    start = min(last.column(i).data_page_offset for i in range(last.num_columns))
    data = bytearray(source.data)
    data[start : start + last.total_byte_size] = b"\xff" * last.total_byte_size
    return bytes(data)
