"""A JSON Lines, Parquet or CSV file read a batch of records at a time gives exactly the rows
of the file read whole: what is decided per file (the header, e-mail extra columns,
integer money columns) is decided over the whole file, and lines run on across
batches."""

from __future__ import annotations

import io
import json
import random

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orders_core import (
    csv_fast,
    csv_reader,
    jsonl_reader,
    landed_text,
    parquet_reader,
    plain_parquet,
)
from orders_core.contract import load_contract
from orders_core.csv_fast import parse_well_formed
from orders_core.csv_reader import (
    csv_batches,
    csv_row_batches,
    read_csv,
    read_csv_rows,
)
from orders_core.ingest import landed_file_batches
from orders_core.jsonl_reader import _jsonl_lines, jsonl_batches, read_jsonl
from orders_core.landed_text import BATCH_TEXT_BYTES, PhysicalLines, line_ending
from orders_core.parquet_reader import (
    BATCH_BYTES,
    BATCH_ROWS,
    INTEGER_MONEY_ERROR,
    READ_OPTIONS,
    batch_rows_of,
    long_values_bytes,
    parquet_batches,
    read_parquet,
)
from orders_core.plain_parquet import decoded_plain_parquet_header, text_copy
from orders_core.raw_frame import LandedFile, UnreadableFile
from tests.support.bad_inputs import corpus
from tests.support.order_fixtures import order_rows
from tests.support.parquet_files import corrupt_after_first_batch, parquet_file

CONTRACT = load_contract()
PARQUET_FILES = [f for case in corpus() for f in case.files if f.name.endswith(".parquet")]
JSONL_FILES = [f for case in corpus() for f in case.files if f.name.endswith(".jsonl")]


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


def _parquet(source: LandedFile) -> pq.ParquetFile:
    return pq.ParquetFile(io.BytesIO(source.data))


def test_parquet_batches_of_long_values_hold_a_bounded_size_and_read_the_same(monkeypatch):
    """Values near the record limit are read by their size, not 65,536 rows at a time (a
    day of 20,000 regions of 60,000 characters in one file was one batch of 1.2 GB)."""
    regions = pa.array([f"{i:05d}" + "r" * 60_000 for i in range(700)])
    source = parquet_file(_orders(700).drop_columns(["region"]).append_column("region", regions))
    assert _parquet(source).metadata.num_row_groups == 1
    rows = batch_rows_of(_parquet(source), source=io.BytesIO(source.data))  # as the reader
    assert 1 < rows <= batch_rows_of(_parquet(source)) < 700 and rows * 60_000 <= BATCH_BYTES

    batches = list(parquet_batches(CONTRACT, source))
    assert [len(frame) for frame in batches[:-1]] == [rows] * (len(batches) - 1)
    batched = pd.concat(batches, ignore_index=True)
    assert batched["source_line"].tolist() == list(range(1, 701))
    assert batched["parse_error"].isna().all()
    # The same frame as the file read as one batch, and the same text copy.
    monkeypatch.setattr(parquet_reader, "BATCH_BYTES", 2**40)
    assert batch_rows_of(_parquet(source)) == BATCH_ROWS
    pd.testing.assert_frame_equal(batched, read_parquet(CONTRACT, source))


def test_a_typed_parquet_file_of_long_values_is_copied_as_text_in_bounded_batches(monkeypatch):
    regions = pa.array([f"{i:05d}" + "r" * 60_000 for i in range(600)])  # no dictionary
    table = _orders(600).drop_columns(["region"]).append_column("region", regions)
    table = table.set_column(3, "amount", pc.cast(table.column("amount"), pa.float64()))
    source = parquet_file(table)
    copies = []
    for batch_bytes in (BATCH_BYTES, 2**40):
        monkeypatch.setattr(parquet_reader, "BATCH_BYTES", batch_bytes)
        copy = io.BytesIO()
        assert text_copy(io.BytesIO(source.data), CONTRACT, copy)
        copies.append(pq.ParquetFile(io.BytesIO(copy.getvalue())))
    bounded, whole_file = copies
    assert bounded.metadata.num_row_groups > 2 and whole_file.metadata.num_row_groups == 1
    assert bounded.read().equals(whole_file.read())


def test_parquet_batches_of_plain_orders_are_cut_as_before():
    source = parquet_file(_orders(50))  # every column dictionary-encoded (pyarrow's default)
    assert batch_rows_of(_parquet(source)) == BATCH_ROWS
    assert batch_rows_of(_parquet(source), 2) == 2
    assert batch_rows_of(_parquet(source), source=io.BytesIO(source.data)) == BATCH_ROWS


class _ReadSizes(io.BytesIO):
    """A file in memory that records the largest read pyarrow asks of it."""

    largest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.largest = max(self.largest, len(data))
        return data


def _long_regions(rows: int) -> pa.Table:
    regions = pa.array([f"{i:05d}" + "r" * 60_000 for i in range(rows)])  # no dictionary
    return _orders(rows).drop_columns(["region"]).append_column("region", regions)


def test_every_pass_over_a_parquet_file_of_long_values_reads_it_through_a_bounded_buffer():
    """The pages of a row group are read through READ_OPTIONS' buffer, never the row
    group's column chunks whole: decoding a plain file's pages before the engine loads it
    (hunt 64) read a 1.2 GB row group at once, and raw_orders peaked at 1,754-1,765 MiB
    on a day of 20,000 regions of 60,000 characters (bench/RESULTS.md, hunt 69)."""
    # Uncompressed as the bench's incompressible values, in pages of about 1 MiB (pyarrow
    # closes a page after a write batch: 16 rows).
    written = {"compression": "none", "write_batch_size": 16}
    plain = parquet_file(_long_regions(700), **written)
    typed = _long_regions(700)
    typed = typed.set_column(3, "amount", pc.cast(typed["amount"], pa.float64()))
    typed = parquet_file(typed, **written)
    assert plain.size > 40_000_000 and _parquet(plain).metadata.num_row_groups == 1
    passes = {
        "decoded_plain_parquet_header": lambda f: decoded_plain_parquet_header(f, CONTRACT),
        "parquet_batches": lambda f: list(parquet_batches(CONTRACT, plain, stream=f)),
    }
    for name, read in passes.items():
        handle = _ReadSizes(plain.data)
        assert read(handle), name
        assert 0 < handle.largest <= READ_OPTIONS["buffer_size"], name
    handle = _ReadSizes(typed.data)
    assert text_copy(handle, CONTRACT, io.BytesIO())
    assert 0 < handle.largest <= READ_OPTIONS["buffer_size"]


class _CountedReads(io.FileIO):
    """A file on disk that counts the bytes Python's file object serves."""

    served = 0

    def read(self, size=-1):
        data = super().read(size)
        self.served += len(data)
        return data

    def readinto(self, buffer):
        size = super().readinto(buffer)
        self.served += size or 0
        return size


def test_every_pass_over_a_parquet_file_on_disk_reads_its_pages_without_python(tmp_path):
    """pyarrow reads a landed file through its descriptor, never Python's file object:
    through it every page came as a Python bytes besides pyarrow's own buffer, and a
    pass over 1.2 GB of long values in pages of 92 MiB took 1.3-2 CPU seconds and 50-120
    MiB more (bench/RESULTS.md, hunt 78). Python reads the footer for the plain checks
    (pyarrow asks 64 KiB at the end); a file in memory is read as it is."""
    plain = tmp_path / "plain.parquet"
    plain.write_bytes(parquet_file(_long_regions(50), compression="none").data)
    typed = _long_regions(50)
    typed = typed.set_column(3, "amount", pc.cast(typed["amount"], pa.float64()))
    (tmp_path / "typed.parquet").write_bytes(parquet_file(typed, compression="none").data)
    source = LandedFile(plain.as_uri(), plain.name, plain.stat().st_size, b"")
    passes = {
        "decoded_plain_parquet_header": (
            plain,
            lambda f: decoded_plain_parquet_header(f, CONTRACT),
        ),
        "parquet_batches": (plain, lambda f: list(parquet_batches(CONTRACT, source, stream=f))),
        "long_values_bytes": (plain, long_values_bytes),
        "text_copy": (tmp_path / "typed.parquet", lambda f: text_copy(f, CONTRACT, io.BytesIO())),
    }
    for name, (path, read) in passes.items():
        with _CountedReads(path) as handle:
            assert read(handle), name
            assert handle.served <= 64 * 1024 < path.stat().st_size // 40, name


def _dictionary_of_long_regions(rows: int, distinct: int) -> pa.Table:
    """Orders whose region is one of ``distinct`` values of 60,000 characters,
    dictionary-encoded: the footer counts each once."""
    values = pa.array([f"{i:05d}" + "r" * 60_000 for i in range(distinct)])
    regions = pa.DictionaryArray.from_arrays(pa.array([i % distinct for i in range(rows)]), values)
    return _orders(rows).drop_columns(["region"]).append_column("region", regions)


@pytest.mark.parametrize("distinct", [1, 3])
def test_every_pass_over_a_dictionary_of_long_values_holds_batches_bounded_decoded(
    monkeypatch, distinct
):
    """A dictionary-encoded column is read by its values' decoded size, not the footer's
    (its dictionary once): one 60,000-character region on 20,400 rows was a 1.2 GB
    batch, and raw_orders failed (bench/RESULTS.md, hunt 72). Every pass (the plain
    file's decoding, the reader, a typed file's text copy) holds at most BATCH_BYTES a
    table, and reads what the file read as one batch gives."""
    table = _dictionary_of_long_regions(700, distinct)
    plain = parquet_file(table, store_schema=False)  # read back as text, as any writer's
    typed = table.set_column(3, "amount", pc.cast(table["amount"], pa.float64()))
    typed = parquet_file(typed, store_schema=False)
    assert _parquet(plain).metadata.row_group(0).total_byte_size < 1_000_000
    held = []

    def recorded(parquet, batch_rows=None):
        for table in parquet_reader.file_tables(parquet, batch_rows):
            held.append(table.nbytes)
            yield table

    monkeypatch.setattr(plain_parquet, "file_tables", recorded)
    passes = {
        "decoded_plain_parquet_header": lambda: decoded_plain_parquet_header(
            io.BytesIO(plain.data), CONTRACT
        ),
        "text_copy": lambda: text_copy(io.BytesIO(typed.data), CONTRACT, io.BytesIO()),
    }
    for name, read in passes.items():
        held.clear()
        assert read(), name
        assert len(held) > 2 and max(held) <= BATCH_BYTES, name
    batches = list(parquet_batches(CONTRACT, plain))
    assert len(batches) > 2
    assert max(frame["region"].str.len().sum() for frame in batches) <= BATCH_BYTES
    assert long_values_bytes(io.BytesIO(plain.data)) > 0
    copy = io.BytesIO()
    assert text_copy(io.BytesIO(typed.data), CONTRACT, copy)
    _as_one_batch(monkeypatch, batches, copy, typed, plain)


def _as_one_batch(monkeypatch, batches, copy: io.BytesIO, typed: LandedFile, plain: LandedFile):
    """``batches`` (of ``plain``) and ``copy`` (``typed``'s text copy) are the frame and
    the text copy of the file read as one batch."""
    monkeypatch.setattr(parquet_reader, "BATCH_BYTES", 2**40)
    whole_copy = io.BytesIO()
    assert text_copy(io.BytesIO(typed.data), CONTRACT, whole_copy)
    assert pq.read_table(copy).equals(pq.read_table(whole_copy))
    pd.testing.assert_frame_equal(
        pd.concat(batches, ignore_index=True), read_parquet(CONTRACT, plain)
    )


def _nested_dictionary_of_long_values(rows: int, nesting: str) -> pa.Table:
    """Orders with one more column holding one of three 60,000-character values a row,
    dictionary-encoded in a nested column: a list of text (``tags``) or a struct's text
    field (``meta.note``)."""
    values = pa.array([f"{i:05d}" + "r" * 60_000 for i in range(3)])
    longs = pa.DictionaryArray.from_arrays(pa.array([i % 3 for i in range(rows)]), values)
    if nesting == "list":
        column = pa.ListArray.from_arrays(pa.array(range(rows + 1), pa.int32()), longs)
        return _orders(rows).append_column("tags", column)
    column = pa.StructArray.from_arrays([longs, pa.array(range(rows))], ["note", "n"])
    return _orders(rows).append_column("meta", column)


@pytest.mark.parametrize("nesting", ["list", "struct"])
def test_a_dictionary_of_long_values_in_a_nested_column_bounds_the_batches_decoded(
    monkeypatch, nesting
):
    """A nested column's dictionary-encoded leaf counts its values decoded too: a list
    column of one of 256 values of 60,000 characters on each of 20,400 rows was counted
    by the footer (15 MB) and read as one batch of 1.2 GB decoded: raw_orders failed
    (ArrowMemoryError, realloc of 1.97 GB), and as a struct it loaded the file as one
    broken record at 6.3 GiB (bench/RESULTS.md, hunt 78)."""
    table = _nested_dictionary_of_long_values(700, nesting)
    source = parquet_file(table, store_schema=False)
    parquet = _parquet(source)
    assert parquet.metadata.row_group(0).total_byte_size < 1_000_000
    rows = batch_rows_of(parquet, source=io.BytesIO(source.data))
    assert 1 < rows and rows * 60_000 <= BATCH_BYTES
    assert long_values_bytes(io.BytesIO(source.data)) > 0
    batches = list(parquet_batches(CONTRACT, source))
    assert len(batches) > 2 and max(map(len, batches)) == rows
    copy = io.BytesIO()
    assert text_copy(io.BytesIO(source.data), CONTRACT, copy)
    assert pq.ParquetFile(io.BytesIO(copy.getvalue())).metadata.num_row_groups > 2
    _as_one_batch(monkeypatch, batches, copy, source, source)


def test_only_a_parquet_file_of_long_values_asks_the_reader_more_memory():
    """long_values_bytes: its largest column chunk for a file whose batches BATCH_BYTES
    cuts, nothing for plain orders or a file that is not Parquet."""
    table = _long_regions(300)
    chunks = pq.ParquetFile(io.BytesIO(parquet_file(table).data)).metadata.row_group(0)
    region = chunks.column(table.schema.get_field_index("region"))
    assert long_values_bytes(io.BytesIO(parquet_file(table).data)) == (
        region.total_uncompressed_size
    )
    assert region.total_uncompressed_size > 18_000_000
    assert long_values_bytes(io.BytesIO(parquet_file(_orders(50)).data)) == 0
    assert long_values_bytes(io.BytesIO(b"order_id\n1\n")) == 0


def test_long_values_gives_a_rows_decoded_bytes_with_its_largest_chunk():
    """long_values: the largest column chunk (as long_values_bytes) and the bytes a row
    of the widest row group holds decoded, a dictionary's values counted as decoded (one
    60,000-character value on every row: 60,000 a row, not the footer's 200), which
    raw_orders compares with the engine's check (a quarter of the record limit)."""
    long_rows = parquet_file(_long_regions(300))
    largest, widest = parquet_reader.long_values(io.BytesIO(long_rows.data))
    assert largest == long_values_bytes(io.BytesIO(long_rows.data)) > 18_000_000
    assert 60_000 < widest < 61_000
    one_value = parquet_file(_dictionary_of_long_regions(300, 1), store_schema=False)
    assert _parquet(one_value).metadata.row_group(0).total_byte_size / 300 < 1_000
    assert 60_000 < parquet_reader.long_values(io.BytesIO(one_value.data))[1] < 61_000
    largest, widest = parquet_reader.long_values(io.BytesIO(parquet_file(_orders(50)).data))
    assert largest == 0 and 0 < widest * 4 < landed_text.MAX_RECORD_BYTES / 50
    assert parquet_reader.long_values(io.BytesIO(b"order_id\n1\n")) == (0, 0.0)


def _jsonl_batched(source: LandedFile, batch_rows: int) -> pd.DataFrame:
    return pd.concat(list(jsonl_batches(CONTRACT, source, batch_rows)), ignore_index=True)


def _jsonl(text: bytes, name: str = "orders.jsonl") -> LandedFile:
    return LandedFile(f"file:///landing/{name}", name, len(text), text)


@pytest.mark.parametrize("source", JSONL_FILES, ids=lambda f: f.name)
@pytest.mark.parametrize("batch_rows", [1, 2])
def test_every_corpus_jsonl_file_reads_the_same_in_batches(source, batch_rows):
    pd.testing.assert_frame_equal(_jsonl_batched(source, batch_rows), read_jsonl(CONTRACT, source))


def test_jsonl_keys_and_emails_of_late_lines_hold_for_every_batch():
    rows = [json.dumps(r) for r in order_rows(7)]
    rows[5] = json.dumps({**json.loads(rows[5]), "promo": "SPRING"})
    rows[6] = json.dumps({**json.loads(rows[6]), "contact": "ann@example.com"})
    text = ("\ufeff" + "\r\n".join([rows[0], "", *rows[1:], "not json"])).encode()
    source = _jsonl(text)
    batched = _jsonl_batched(source, 2)
    pd.testing.assert_frame_equal(batched, read_jsonl(CONTRACT, source))
    assert batched["file_header"].nunique() == 1
    assert '"promo"' in batched["file_header"].iloc[0]
    assert batched["pii_extra_columns_json"].notna().sum() == 7
    assert not batched["extra_columns_json"].fillna("").str.contains("contact").any()
    assert batched["source_line"].tolist() == [1, *range(3, 10)]


def test_a_key_giving_a_record_its_contract_column_reads_the_same_in_batches():
    # "region" gives the second record its region (it lacks "Region", the file's first
    # key for it): not an extra's value. Read in batches, its e-mail made "region" a PII
    # extra column of every record (a null in pii_extra_columns_json, named in metadata).
    text = (
        b'{"order_id": "a", "Region": "north"}\n'
        b'{"order_id": "b", "region": "z@example.com"}\n'
        b'{"order_id": "c", "region": "south", "Region": "west"}\n'
    )
    source = _jsonl(text)
    whole = read_jsonl(CONTRACT, source)
    pd.testing.assert_frame_equal(_jsonl_batched(source, 1), whole)
    assert whole["region"].tolist() == ["north", "z@example.com", "west"]
    assert whole["pii_extra_columns_json"].isna().all()


def test_a_file_naming_many_keys_is_framed_in_fewer_records_at_a_time(monkeypatch):
    # Every record has a value (null) for each of the file's keys: a frame of a batch
    # of records is records x keys. A wide file is framed in parts, the same rows.
    rows = [{**row, f"sku_{i}": 1} for i, row in enumerate(order_rows(40))]
    source = _jsonl("\n".join(json.dumps(row) for row in rows).encode())
    whole = read_jsonl(CONTRACT, source)
    monkeypatch.setattr(jsonl_reader, "BATCH_VALUES", 200)  # the file names 51 keys
    parts = list(jsonl_batches(CONTRACT, source))
    assert [len(part) for part in parts] == [3] * 13 + [1]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    assert whole["extra_columns_json"].iloc[:-1].str.contains('"sku_39": null').all()


@pytest.mark.parametrize("batch_rows", [None, 7])
def test_a_file_naming_more_keys_than_a_file_may_is_broken_records(monkeypatch, batch_rows):
    # An export flattening a key per product: 4,000 records of a new key each held 1 GB
    # (records x keys). Each line is kept with its text and says why, read in linear time.
    monkeypatch.setattr(jsonl_reader, "MAX_FILE_KEYS", 15)  # the contract's 11 and 4 more
    rows = [json.dumps({**row, f"sku_{i}": 1}) for i, row in enumerate(order_rows(6))]
    text = "\n".join([rows[0], "", "not json", *rows[1:]]).encode()
    raw = pd.concat(list(jsonl_batches(CONTRACT, _jsonl(text), batch_rows)), ignore_index=True)
    assert raw["source_line"].tolist() == [1, 3, 4, 5, 6, 7, 8]
    assert raw["raw_record"].tolist() == [rows[0], "not json", *rows[1:]]
    too_many = "too_many_keys: the file's records name more than 15 distinct keys"
    assert raw["parse_error"].iloc[0] == too_many
    assert raw["parse_error"].iloc[1].startswith("invalid_json")
    assert (raw["parse_error"].iloc[2:] == too_many).all()
    assert raw["order_id"].isna().all() and raw["extra_columns_json"].isna().all()
    fewer = "\n".join(rows[:4]).encode()  # 15 keys: read as orders
    assert read_jsonl(CONTRACT, _jsonl(fewer))["parse_error"].isna().all()


@pytest.mark.parametrize("seed", range(200))
def test_jsonl_lines_split_as_the_decoded_file_would(seed, monkeypatch):
    """Lines are read a chunk at a time and decoded one at a time: the same texts as
    decoding the whole file and splitting it, whatever the bytes (invalid UTF-8, CR only,
    a byte-order mark) and wherever the chunks end."""
    monkeypatch.setattr(jsonl_reader, "CHUNK_BYTES", 1 + seed % 7)
    rng = random.Random(seed)
    alphabet = [b"a", b"{", b'"', b"\n", b"\r", b"\xc3\xa9", b"\xc3", b"\xff", b"\xe2\x80\xa8"]
    data = (b"\xef\xbb\xbf" if seed % 3 == 0 else b"") + b"".join(
        rng.choice(alphabet) for _ in range(rng.randint(0, 40))
    )
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    expected = text.split("\n" if "\n" in text else "\r")
    lines = list(_jsonl_lines(io.BytesIO(data)))
    assert [line for _, line in lines] == expected
    assert [n for n, _ in lines] == list(range(1, len(expected) + 1))


def test_a_line_far_over_the_record_limit_is_never_held_whole(monkeypatch):
    # A file that is one minified JSON array: the line was held whole, and copied at
    # each chunk (a 256 MB one took 913 MB), to say it is over 64 KiB.
    monkeypatch.setattr(jsonl_reader, "CHUNK_BYTES", 4096)
    line = b"[" + b'{"order_id": "A"}, ' * 50_000 + b"]"
    data = line + b'\r\n{"order_id": "B"}\r\n'
    held = [len(text) for _, text in _jsonl_lines(io.BytesIO(data))]
    assert max(held) < 2 * landed_text.MAX_RECORD_BYTES
    raw = read_jsonl(CONTRACT, _jsonl(data))
    assert raw["parse_error"].iloc[0] == landed_text.oversized_error(len(line))
    assert raw["raw_record"].iloc[0] == landed_text.bounded_raw(line.decode())
    assert raw["order_id"].iloc[1] == "B" and pd.isna(raw["parse_error"].iloc[1])


@pytest.mark.parametrize("seed", range(200))
def test_long_lines_read_as_whole_lines_would(seed, monkeypatch):
    """Lines over the record limit are cut as they are read: each gives the record its
    whole line would (blank, oversized with its size and first bytes, or parsed)."""
    monkeypatch.setattr(landed_text, "MAX_RECORD_BYTES", 24)
    monkeypatch.setattr(landed_text, "RAW_RECORD_KEEP_BYTES", 8)
    monkeypatch.setattr(jsonl_reader, "CHUNK_BYTES", 1 + seed % 11)
    rng = random.Random(seed)
    alphabet = [b" ", b"\t", b"\r", b"\n", b"{}", b'{"a": 1}', b"x", b"\xc3\xa9", b"\xff"]
    data = b"".join(rng.choice(alphabet) * rng.randint(1, 30) for _ in range(rng.randint(0, 9)))
    text = data.decode("utf-8", "surrogateescape")
    whole_lines = enumerate(text.split("\n" if "\n" in text else "\r"), start=1)
    expected = [r for r in map(jsonl_reader._jsonl_record, whole_lines) if r is not None]
    read = [r for r in map(jsonl_reader._jsonl_record, _jsonl_lines(io.BytesIO(data))) if r]
    assert read == expected


# CSV files the row-by-row reader takes (a doubled quote, a quoted line break, an unclosed
# quote, invalid UTF-8...): framed a batch at a time, the same rows as one whole frame.
CSV_FILES = [f for case in corpus() for f in case.files if f.name.endswith(".csv")]
WHOLE = 10**9


def _csv_batched(source: LandedFile, batch_rows: int) -> pd.DataFrame:
    return pd.concat(list(csv_row_batches(CONTRACT, source, batch_rows)), ignore_index=True)


def _csv(text: str, name: str = "orders.csv") -> LandedFile:
    data = text.encode("utf-8", "surrogateescape")
    return LandedFile(f"file:///landing/{name}", name, len(data), data)


@pytest.mark.parametrize("source", CSV_FILES, ids=lambda f: f.name)
@pytest.mark.parametrize("batch_rows", [1, 2, 3])
def test_every_corpus_csv_file_reads_the_same_in_batches(source, batch_rows):
    whole = list(csv_row_batches(CONTRACT, source, WHOLE))
    assert len(whole) == 1
    pd.testing.assert_frame_equal(_csv_batched(source, batch_rows), whole[0])


def _csv_lines(rows: list[dict], extra: dict[int, dict[str, str]]) -> list[str]:
    names = [*rows[0], *sorted({key for cells in extra.values() for key in cells})]
    out = [",".join(names)]
    for i, row in enumerate(rows):
        values = {**row, **extra.get(i, {})}
        out.append(",".join(str(values.get(name) or "") for name in names))
    return out


def test_csv_emails_of_late_records_make_the_extra_column_pii_in_every_batch():
    rows = order_rows(7)
    rows[1]["status"] = '"placed ""rush"""'  # a doubled quote: the row reader's file
    lines = _csv_lines(rows, {5: {"promo": "SPRING"}, 6: {"contact": "ann@example.com"}})
    source = _csv("\n".join(lines) + "\n")
    batches = list(csv_row_batches(CONTRACT, source, 2))
    batched = pd.concat(batches, ignore_index=True)

    assert [len(frame) for frame in batches] == [2, 2, 2, 1]
    pd.testing.assert_frame_equal(batched, list(csv_row_batches(CONTRACT, source, WHOLE))[0])
    pd.testing.assert_frame_equal(batched, read_csv(CONTRACT, source))
    assert batched["status"].iloc[1] == 'placed "rush"'
    assert batched["pii_extra_columns_json"].notna().all()
    assert not batched["extra_columns_json"].fillna("").str.contains("contact").any()
    assert batched["source_line"].tolist() == list(range(2, 9))


def test_csv_records_spanning_lines_and_broken_ones_keep_their_lines_across_batches():
    rows = order_rows(6)
    rows[1]["status"] = '"placed\r\nlate"'  # two lines, one record
    lines = _csv_lines(rows, {})
    lines[4] = lines[4] + ',"never closed'
    lines[5] = lines[5] + ",\udcff"
    source = _csv("\r\n".join(lines) + "\r\n")
    batched = _csv_batched(source, 1)

    pd.testing.assert_frame_equal(batched, list(csv_row_batches(CONTRACT, source, WHOLE))[0])
    assert batched["source_line"].tolist() == [2, 3, 5, 6, 7, 8]
    errors = batched["parse_error"].fillna("").tolist()
    assert errors == ["", "", "", "csv_syntax: unclosed quote", "invalid_utf8", ""]
    assert batched["status"].iloc[1] == "placed\r\nlate"


def test_csv_frames_of_long_records_hold_a_bounded_text():
    """Records near the size limit frame by their text, not 16,384 at a time (1 GiB)."""
    rows = order_rows(700)
    for row in rows:
        row["region"] = "r" * 60_000  # under the record limit: kept whole
    source = _csv("\n".join(_csv_lines(rows, {})) + "\n")
    batches = list(csv_row_batches(CONTRACT, source))

    assert len(batches) > 2
    for frame in batches:
        assert frame["region"].str.len().sum() <= BATCH_TEXT_BYTES + 60_000
    batched = pd.concat(batches, ignore_index=True)
    assert batched["source_line"].tolist() == list(range(2, 702))
    assert batched["parse_error"].isna().all()


def test_jsonl_frames_of_long_records_hold_a_bounded_text():
    """JSON Lines near the size limit frame by their text too, first pass included."""
    rows = order_rows(700)
    text = "".join(json.dumps({**row, "region": "r" * 60_000}) + "\n" for row in rows)
    data = text.encode()
    batches = list(
        jsonl_batches(CONTRACT, LandedFile("file:///l/a.jsonl", "a.jsonl", len(data), data))
    )

    assert len(batches) > 2
    for frame in batches:
        assert frame["region"].str.len().sum() <= BATCH_TEXT_BYTES + 60_000
    batched = pd.concat(batches, ignore_index=True)
    assert batched["source_line"].tolist() == list(range(1, 701))
    assert batched["parse_error"].isna().all()


def test_a_well_formed_csv_file_is_one_frame_and_an_empty_one_too():
    lines = _csv_lines(order_rows(5), {})
    assert len(list(csv_batches(CONTRACT, _csv("\n".join(lines) + "\n"), 2))) == 1
    assert len(list(csv_row_batches(CONTRACT, _csv(""), 2))) == 1
    header_only = list(csv_row_batches(CONTRACT, _csv(lines[0] + "\n"), 2))
    assert [len(frame) for frame in header_only] == [0]


@pytest.mark.parametrize("seed", range(100))
def test_physical_lines_split_after_the_texts_line_ending_only(seed):
    """The reader's line iterator splits a text after its line ending only (the ending
    kept): a lone "\\r" in a text of "\\n" lines is inside its line (io.StringIO(newline="")
    would split there, and csv started a second record on the same numbered line). Which
    ending a text has: test_line_ending_is_the_ending_of_most_lines."""
    rng = random.Random(seed)
    pieces = ["a", ",", '"', "\n", "\r", "\r\n", "é"] if seed % 4 else ["a", ",", '"', "\r", "é"]
    text = "".join(rng.choice(pieces) for _ in range(200))
    ending = line_ending(text)
    parts = text.split(ending)
    expected = [part + ending for part in parts[:-1]] + [parts[-1]] * bool(parts[-1])
    assert list(PhysicalLines(text)) == expected


# The row-by-row CSV reader reads its file a chunk at a time (landed_text.PhysicalLines
# .of_stream): a one-file day of 1M quoted orders with one 4-byte character held the
# file's bytes and its text at four bytes a character, 1.5 GiB in raw_orders.
_CSV_PIECES = [b"a", b",", b'"', b'""', b"\n", b"\r", b"\r\n", b"\xc3\xa9", b"\xf0\x9f\x9a\x9a",
               b"\xc3", b"\xff", b"x@y.io"]  # fmt: skip


def _whole_text_lines(monkeypatch) -> None:
    """The reader's lines as one window holding the whole text, read at once (the
    reference)."""
    monkeypatch.setattr(landed_text, "STREAM_CHUNK_BYTES", 1 << 30)


@pytest.mark.parametrize("seed", range(300))
def test_a_csv_file_read_a_chunk_at_a_time_reads_as_its_whole_text(seed, monkeypatch):
    """Wherever the chunks end (inside a character, between "\\r" and "\\n", inside a
    quoted field or an unclosed quote) and whenever the text behind the reader is
    dropped, the rows are those of the whole text in one window."""
    rng = random.Random(seed)
    header = b"\xef\xbb\xbf" * (seed % 5 == 0) + b"order_id,amount,note"
    header += rng.choice([b"\n", b"\r\n", b"\r"])
    if seed % 3 == 0:  # blank lines before the header, skipped whatever the chunks
        header = rng.choice([b"\n", b" \t\n\n", b"\r\n \r\n", b"\r\r"]) + header
    data = header + b"".join(rng.choice(_CSV_PIECES) for _ in range(rng.randint(0, 120)))
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), data)
    batch_rows = 1 + seed % 3
    _whole_text_lines(monkeypatch)
    expected = pd.concat(list(csv_row_batches(CONTRACT, source, batch_rows)), ignore_index=True)
    monkeypatch.setattr(landed_text, "STREAM_CHUNK_BYTES", 1 + seed % 7)
    streamed = list(csv_row_batches(CONTRACT, source, batch_rows, stream=io.BytesIO(data)))
    pd.testing.assert_frame_equal(pd.concat(streamed, ignore_index=True), expected)


@pytest.mark.parametrize("seed", range(100))
def test_streamed_lines_are_the_whole_texts_lines(seed, monkeypatch):
    rng = random.Random(seed)
    data = b"".join(rng.choice(_CSV_PIECES) for _ in range(rng.randint(0, 80)))
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    monkeypatch.setattr(landed_text, "STREAM_CHUNK_BYTES", 1 + seed % 5)
    streamed = PhysicalLines.of_stream(io.BytesIO(data))
    assert streamed.ending == line_ending(text)
    assert "".join(streamed) == text
    assert list(PhysicalLines.of_stream(io.BytesIO(data))) == list(PhysicalLines(text))


def test_the_csv_row_reader_holds_a_window_of_the_file_not_its_text(monkeypatch):
    monkeypatch.setattr(landed_text, "STREAM_CHUNK_BYTES", 1024)
    rows = order_rows(3000)
    for i, row in enumerate(rows):
        row["region"] = (
            f'"emea,\n""west"" \U0001f69a {i}"'  # a quoted line break, a 4-byte character
        )
    data = ("\n".join(_csv_lines(rows, {})) + "\n").encode()
    held: list[int] = []
    read_more = PhysicalLines._read_more

    def spied(lines):
        more = read_more(lines)
        held.append(len(lines.text))
        return more

    monkeypatch.setattr(PhysicalLines, "_read_more", spied)
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), b"")
    frames = list(csv_batches(CONTRACT, source, 1000, stream=io.BytesIO(data)))

    assert [len(frame) for frame in frames] == [1000, 1000, 1000]
    assert frames[2]["region"].iloc[-1] == 'emea,\n"west" \U0001f69a 2999'
    assert len(data) > 300_000 and max(held) < 4 * 1024


def _fast_batched(source: LandedFile, rows: int, monkeypatch) -> list[pd.DataFrame]:
    monkeypatch.setattr(csv_reader, "WELL_FORMED_BATCH_ROWS", rows)
    return list(csv_batches(CONTRACT, source))


@pytest.mark.parametrize("source", CSV_FILES, ids=lambda f: f.name)
def test_a_csv_file_pyarrow_parses_is_framed_in_batches_of_the_same_rows(source, monkeypatch):
    whole = _fast_batched(source, 10**9, monkeypatch)
    assert len(whole) == 1
    batched = _fast_batched(source, 2, monkeypatch)
    pd.testing.assert_frame_equal(pd.concat(batched, ignore_index=True), whole[0])


def test_a_well_formed_csv_file_of_many_records_is_framed_a_batch_at_a_time(monkeypatch):
    # Framed whole, a 1M-order file with a non-ASCII extra value took 1.9 GiB.
    rows = order_rows(9)
    extra = {i: {"note": "caf\u00e9"} for i in range(9)} | {5: {"note": "ann@example.com"}}
    lines = _csv_lines(rows, extra)
    lines[3] += ",ragged"  # a record that does not fit the header, read by csv
    lines[8] += ",ragged"
    source = _csv("\n".join(lines) + "\n")
    assert parse_well_formed(source.data) is not None  # the fast path's file
    whole = _fast_batched(source, 10**9, monkeypatch)[0]
    batches = _fast_batched(source, 3, monkeypatch)

    assert [len(frame) for frame in batches] == [3 + 1, 3 + 1, 1]
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), whole)
    pd.testing.assert_frame_equal(whole, read_csv_rows(CONTRACT, source))
    good = whole[whole["parse_error"].isna()]
    assert len(good) == 7 and good["pii_extra_columns_json"].notna().all()


def _blocks_of(data: bytes, block_bytes: int, monkeypatch) -> tuple[list[pd.DataFrame], list]:
    """The frames of ``data`` read with pyarrow's blocks of ``block_bytes``, and the
    blocks each pass parsed (their byte sizes); the row-by-row reader refused."""
    monkeypatch.setattr(csv_reader, "WELL_FORMED_BLOCK_BYTES", block_bytes)
    parsed: list[int] = []
    block_records = csv_fast._block_records

    def spied(block, *args):
        parsed.append(len(block))
        return block_records(block, *args)

    def refused(*_args, **_kwargs):
        raise AssertionError("the file was read row by row")

    monkeypatch.setattr(csv_fast, "_block_records", spied)
    monkeypatch.setattr(csv_reader, "csv_row_batches", refused)
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), b"")
    frames = list(csv_batches(CONTRACT, source, stream=io.BytesIO(data)))
    monkeypatch.undo()
    return frames, parsed


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_csv_file_of_several_blocks_is_parsed_a_block_at_a_time_to_the_same_rows(
    newline, monkeypatch
):
    # Parsed whole, pyarrow held the file and its table: a 156 MB file took raw_orders to
    # 999 MiB. An e-mail in the last block makes the column PII in every block's rows.
    extra = {i: {"note": "caf\u00e9"} for i in range(60)} | {57: {"note": "ann@example.com"}}
    lines = _csv_lines(order_rows(60), extra)
    lines[9] += ",ragged"  # records that do not fit the header, read by csv, in two blocks
    lines[40] += ",ragged"
    lines[20:20] = ["", ""]  # blank lines
    data = (newline.join(lines) + newline).encode()
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), data)
    reference = read_csv_rows(CONTRACT, source)

    whole, parsed = _blocks_of(data, len(data), monkeypatch)
    assert parsed == [len(data)]
    blocks, parsed = _blocks_of(data, 1000, monkeypatch)

    assert len(parsed) > 2 * 8 and max(parsed) < 1000 + 200  # two passes of 8 blocks or more
    pd.testing.assert_frame_equal(pd.concat(whole, ignore_index=True), reference)
    pd.testing.assert_frame_equal(pd.concat(blocks, ignore_index=True), reference)
    good = reference[reference["parse_error"].isna()]
    assert len(good) == 58 and good["pii_extra_columns_json"].notna().all()
    assert good["extra_columns_json"].isna().all()


@pytest.mark.parametrize("lead", ["\n", "\n \t\n\n"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_blank_lines_before_the_header_read_alike_on_every_path(lead, newline, monkeypatch):
    """The header is the first line that is not blank on pyarrow's path (one block or
    several), on the row-by-row reader's (with its first pass for e-mails in a late
    batch) and for the header alone; every record keeps its line in the file."""
    extra = {i: {"note": "caf\u00e9"} for i in range(30)} | {27: {"note": "ann@example.com"}}
    lines = _csv_lines(order_rows(30), extra)
    lines[9] += ",ragged"
    text = lead.replace("\n", newline) + newline.join(lines) + newline
    data = text.encode()
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), data)
    reference = pd.concat(list(csv_row_batches(CONTRACT, source, 4)), ignore_index=True)
    skipped = lead.count("\n")
    assert list(reference["source_line"]) == list(range(skipped + 2, skipped + 32))
    assert reference["parse_error"].notna().sum() == 1  # the ragged record only
    good = reference[reference["parse_error"].isna()]
    assert good["pii_extra_columns_json"].notna().all()  # the late e-mail, in every batch
    assert parse_well_formed(data) is not None  # pyarrow's path takes the file
    whole, _ = _blocks_of(data, len(data), monkeypatch)
    blocks, parsed = _blocks_of(data, 600, monkeypatch)
    assert len(parsed) > 4
    expected = read_csv_rows(CONTRACT, source)
    pd.testing.assert_frame_equal(reference, expected)
    pd.testing.assert_frame_equal(pd.concat(whole, ignore_index=True), expected)
    pd.testing.assert_frame_equal(pd.concat(blocks, ignore_index=True), expected)
    assert csv_reader.csv_header(io.BytesIO(data)) == lines[0].split(",")


def test_blank_lines_before_a_header_are_not_held(monkeypatch):
    """Megabytes of blank lines before the header are passed a window at a time."""
    monkeypatch.setattr(landed_text, "STREAM_CHUNK_BYTES", 1024)
    data = b"\n" * 3_000_000 + b"order_id,amount\no1,1\n"
    held: list[int] = []
    read_more = PhysicalLines._read_more

    def spied(lines):
        more = read_more(lines)
        held.append(len(lines.text))
        return more

    monkeypatch.setattr(PhysicalLines, "_read_more", spied)
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), b"")
    (frame,) = csv_batches(CONTRACT, source, stream=io.BytesIO(data))
    assert list(frame["source_line"]) == [3_000_002] and frame["parse_error"].isna().all()
    assert max(held) < 4 * 1024


def test_a_late_block_that_is_not_plainly_well_formed_sends_the_whole_file_row_by_row(
    monkeypatch,
):
    rows = order_rows(40)
    rows[38]["status"] = '"placed\nrush"'  # a quoted line break, in the last block only
    data = ("\n".join(_csv_lines(rows, {})) + "\n").encode()
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), b"")
    monkeypatch.setattr(csv_reader, "WELL_FORMED_BLOCK_BYTES", 500)
    frames = list(csv_batches(CONTRACT, source, 7, stream=io.BytesIO(data)))

    assert [len(frame) for frame in frames] == [7] * 5 + [5]  # the row reader's frames
    reference = read_csv_rows(CONTRACT, LandedFile(source.uri, "o.csv", len(data), data))
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), reference)
    assert reference["status"].iloc[38] == "placed\nrush"


def test_a_file_changed_between_the_fast_paths_two_passes_fails_the_read(monkeypatch):
    data = ("\n".join(_csv_lines(order_rows(40), {})) + "\n").encode()
    stream = io.BytesIO(data)
    blocks = csv_fast.well_formed_blocks
    passes: list[int] = []

    def changed_after_the_first_pass(*args):
        passes.append(1)
        if len(passes) == 2:
            stream.seek(0)
            stream.write(data.replace(b"\n", b'\nx"y,', 1))  # a quote in an unquoted field
        return blocks(*args)

    monkeypatch.setattr(csv_reader, "WELL_FORMED_BLOCK_BYTES", 500)
    monkeypatch.setattr(csv_fast, "well_formed_blocks", changed_after_the_first_pass)
    source = LandedFile("file:///landing/o.csv", "o.csv", len(data), b"")
    with pytest.raises(RuntimeError, match="o.csv changed while it was read"):
        list(csv_batches(CONTRACT, source, stream=stream))


def test_a_jsonl_file_is_framed_16384_records_at_a_time():
    # At 65,536 a one-file day of 1M records took raw_orders to 1,081 MiB.
    lines = [json.dumps({**row, "promo": f"p{i}"}) for i, row in enumerate(order_rows(20_000))]
    frames = list(jsonl_batches(CONTRACT, _jsonl("\n".join(lines).encode())))
    assert [len(frame) for frame in frames] == [16_384, 20_000 - 16_384]


@pytest.mark.parametrize("rows", [0, 1])
def test_a_parquet_file_of_no_or_one_row_is_sized_without_decoding_nothing(rows):
    """An empty Parquet file has a row group of no rows whose text columns still say they
    have a dictionary page: sizing its batches read a first batch of that row group, got
    none, and raised (zip of no column), failing raw_orders for a header-only Parquet file
    (tests/integration/test_checks_materialize.py, after hunt 72)."""
    table = pa.table({"order_id": pa.array(["A1"] * rows, pa.string())})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.row_group(0).column(0).has_dictionary_page
    assert batch_rows_of(parquet, source=io.BytesIO(data)) == BATCH_ROWS
