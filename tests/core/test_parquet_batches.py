"""A Parquet file read a batch of records at a time gives exactly the rows of the file
read whole: what is decided per file (e-mail extra columns, integer money columns) is
decided over the whole file, and lines run on across batches."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from orders_core.contract import load_contract
from orders_core.ingest import (
    INTEGER_MONEY_ERROR,
    LandedFile,
    UnreadableFile,
    landed_file_batches,
    parquet_batches,
    read_parquet,
)
from tests.support.bad_inputs import corpus
from tests.support.order_fixtures import order_rows
from tests.support.parquet_files import corrupt_after_first_batch, parquet_file

CONTRACT = load_contract()
PARQUET_FILES = [f for case in corpus() for f in case.files if f.name.endswith(".parquet")]


def _batched(source: LandedFile, batch_rows: int) -> pd.DataFrame:
    try:
        frames = list(parquet_batches(CONTRACT, source, batch_rows=batch_rows))
    except UnreadableFile as unreadable:
        return unreadable.frame
    return pd.concat(frames, ignore_index=True)


def _orders(n: int, **columns) -> pa.Table:
    table = pa.Table.from_pylist(order_rows(n))
    for name, values in columns.items():
        table = table.append_column(name, values)
    return table


@pytest.mark.parametrize("source", PARQUET_FILES, ids=lambda f: f.name)
@pytest.mark.parametrize("batch_rows", [1, 2])
def test_every_corpus_parquet_file_reads_the_same_in_batches(source, batch_rows):
    pd.testing.assert_frame_equal(_batched(source, batch_rows), read_parquet(CONTRACT, source))


def test_an_email_in_a_late_batch_makes_the_extra_column_pii_in_every_batch():
    notes = pa.array([None] * 8 + ["write to ann@example.com"] + [None], pa.string())
    source = parquet_file(_orders(10, note=notes, promo=pa.array(["x"] * 10)))
    batched = _batched(source, 3)
    pd.testing.assert_frame_equal(batched, read_parquet(CONTRACT, source))
    assert batched["pii_extra_columns_json"].str.contains('"note"').all()
    assert not batched["extra_columns_json"].str.contains("note").any()
    assert batched["extra_columns_json"].str.contains('"promo"').all()
    assert batched["source_line"].tolist() == list(range(1, 11))


def test_integer_money_in_a_late_batch_breaks_every_record():
    cents = pa.array([None] * 9 + [1999], pa.int64())
    table = _orders(10).drop_columns(["amount"]).append_column("amount", cents)
    source = parquet_file(table)
    batched = _batched(source, 4)
    pd.testing.assert_frame_equal(batched, read_parquet(CONTRACT, source))
    assert batched["parse_error"].str.startswith(INTEGER_MONEY_ERROR).all()


def test_repeated_column_names_read_the_same_in_batches():
    rows = order_rows(5)
    arrays = [pa.array([r[k] for r in rows]) for k in rows[0]] + [pa.array(["a"] * 5)] * 2
    table = pa.Table.from_arrays(arrays, names=[*rows[0], "promo", "promo"])
    source = parquet_file(table)
    pd.testing.assert_frame_equal(_batched(source, 2), read_parquet(CONTRACT, source))


def test_a_file_unreadable_after_its_first_batches_is_one_broken_record():
    """The last row group's data overwritten: the batches before it read, then the file
    fails. It is never read in part."""
    data = corrupt_after_first_batch()
    broken = LandedFile("file:///landing/b.parquet", "b.parquet", len(data), data)
    batches = parquet_batches(CONTRACT, broken, batch_rows=2)
    assert len(next(batches)) == 2  # the first batch reads
    with pytest.raises(UnreadableFile) as unreadable:
        list(batches)
    frame = unreadable.value.frame
    assert len(frame) == 1 and frame["parse_error"].iloc[0].startswith("unreadable_parquet")
    pd.testing.assert_frame_equal(read_parquet(CONTRACT, broken), frame)


def test_other_formats_come_whole():
    source = LandedFile("file:///landing/a.jsonl", "a.jsonl", 3, b"{}\n")
    assert len(list(landed_file_batches(CONTRACT, source))) == 1
    ignored = LandedFile("file:///landing/a.xlsx", "a.xlsx", 1, b"x")
    assert list(landed_file_batches(CONTRACT, ignored)) == []
