"""The CSV landing file reader: one raw frame row per record (:mod:`orders_core.raw_frame`).

Plainly well-formed files take pyarrow's parser (:mod:`orders_core.csv_fast`); anything
else is read by Python's ``csv`` module, strict, one record at a time: the reference,
whose rows every faster path must equal.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa

from orders_core import csv_fast, landed_text
from orders_core.contract import Contract
from orders_core.csv_fast import WellFormedCsv
from orders_core.dtypes import TEXT_DTYPE
from orders_core.landed_text import (
    BATCH_TEXT_BYTES,
    RAW_RECORD_KEEP_BYTES,
    bounded_header,
    bounded_raw,
)
from orders_core.raw_frame import (
    UNDECODABLE,
    LandedFile,
    Records,
    empty_raw_frame,
    escape_undecodable,
    foreign_text_frame,
    whole,
)

# Records a frame of the row-by-row reader, which holds the file's text besides: at
# 65,536 a one-file day of 1M records peaked at 1,029 MiB in raw_orders, at 16,384 903.
BATCH_ROWS = 16_384
# Records a frame of a file pyarrow parsed, and bytes of a block of its lines parsed at a
# time (the block's table is held besides). Parsed whole, a file was held with its table,
# about 2.5 times its size: a one-file day of 1M orders (156 MB, an extra column with a
# non-ASCII value) took raw_orders to 991-999 MiB, and a larger file would pass the
# 1 GiB bound. In blocks of 32 MiB and frames of 65,536 records it peaked at 881-890 MiB,
# of 32 MiB and 16,384 at 842-900, of 16 MiB and 16,384 at 749-795 (845 at 2M orders).
# Blocks of 8 MiB: the reader alone held 208-209 MiB reading such a file, 240-241 with
# 16 MiB, in the same seconds.
# A file of several blocks is parsed twice: once to learn that every block is plainly
# well formed (and which extra columns hold e-mails), then to frame it.
WELL_FORMED_BATCH_ROWS = 16_384
WELL_FORMED_BLOCK_BYTES = 8 * 1024 * 1024


def _check_fields(records: Records, row: list[str], line: int) -> None:
    """Add a parsed CSV row: skipped when blank, broken when it does not fit the header.

    Only a blank line is no record: a line of one quoted empty field (``""``) is, and in
    a file of several columns a broken one (it was skipped as if blank, and its line
    was gone from raw_orders without a trace)."""
    header = records.header
    if not row:
        return
    if len(row) != len(header):
        records.add_broken(
            f"field_count: expected {len(header)} fields, found {len(row)}", json.dumps(row), line
        )
    else:
        records.add([value if value != "" else None for value in row], line)


def _repeated(value: str, n: int) -> pd.api.extensions.ExtensionArray:
    """One string repeated n times, as n references to the same object."""
    values = np.empty(n, dtype=object)
    values.fill(value)
    return pd.array(values, dtype="string")


@dataclass(frozen=True)
class _WellFormedFile:
    """A CSV file every block of which pyarrow parsed (see :func:`_scan_well_formed`)."""

    records: Records  # its header, and its extra columns holding e-mails
    only_block: WellFormedCsv | None  # the file's one block, kept; None when it has several


def _scan_well_formed(contract: Contract, stream: BinaryIO, size: int) -> _WellFormedFile | None:
    """The first pass of the fast path: every block of the file parsed and checked
    (:func:`csv_fast.well_formed_blocks`), and the extra columns holding an e-mail in
    any record noted, before a frame is written. None when a block is not plainly well
    formed: the file is then read row by row, whole."""
    records: Records | None = None
    only_block: WellFormedCsv | None = None
    for number, block in enumerate(
        csv_fast.well_formed_blocks(stream, size, WELL_FORMED_BLOCK_BYTES)
    ):
        if block is None:
            return None
        if records is None:
            records = Records(contract, block.header)
        table, rows = block.table, WELL_FORMED_BATCH_ROWS
        for begin in range(0, table.num_rows, rows):
            if not records.unresolved_extras():
                break
            part = table.slice(begin, rows)
            records.note_pii([part.column(i).to_pylist() for i, _ in records.extras])
        only_block = block if number == 0 else None
        del block  # not held while the next block is read and parsed
    return None if records is None else _WellFormedFile(records, only_block)


def _well_formed_frames(
    contract: Contract, source: LandedFile, scanned: _WellFormedFile, stream: BinaryIO, size: int
) -> Iterator[pd.DataFrame]:
    """The raw frames of a file the fast path took, :data:`WELL_FORMED_BATCH_ROWS`
    records a frame at most and one frame at least: together the row-by-row reader's
    rows. A file of several blocks is parsed again, a block at a time."""
    blocks = (
        [scanned.only_block]
        if scanned.only_block is not None
        else csv_fast.well_formed_blocks(stream, size, WELL_FORMED_BLOCK_BYTES)
    )
    empty: WellFormedCsv | None = None
    framed = False
    for block in blocks:
        if block is None:
            raise RuntimeError(
                f"{source.uri} changed while it was read (its first reading found every "
                "line well formed): read the day again once the file is no longer written"
            )
        if empty is None:  # what frames a file of blank lines only (holding no block)
            empty = WellFormedCsv(
                block.header, block.table.schema.empty_table(), np.empty(0, np.int64), []
            )
        if block.table.num_rows or block.odd_lines or scanned.only_block is not None:
            yield from _block_frames(contract, source, scanned.records, block)
            framed = True
        del block  # not held while the next block is read and parsed
    if not framed and empty is not None:  # blank lines only, over several blocks
        yield from _block_frames(contract, source, scanned.records, empty)


def _block_frames(
    contract: Contract, source: LandedFile, records: Records, parsed: WellFormedCsv
) -> Iterator[pd.DataFrame]:
    """The raw frames of a block pyarrow parsed, :data:`WELL_FORMED_BATCH_ROWS` records
    a frame (one at least). Framed whole, a one-file day of 1M such orders (an extra
    column with a non-ASCII value, which the engine does not load) took raw_orders to
    1.9 GiB."""
    table, n = parsed.table, parsed.table.num_rows
    rows = WELL_FORMED_BATCH_ROWS
    odd = parsed.odd_lines
    for begin in range(0, max(n, 1), rows):
        last = begin + rows >= n
        before = (
            len(odd)
            if last
            else int(np.searchsorted([number for number, _ in odd], parsed.lines[begin + rows]))
        )
        yield _well_formed_frame(
            contract,
            source,
            records,
            table.slice(begin, rows),
            parsed.lines[begin : begin + rows],
            odd[:before],
        )
        odd = odd[before:]


def _well_formed_frame(
    contract: Contract,
    source: LandedFile,
    records: Records,
    table: pa.Table,
    lines: np.ndarray,
    odd_lines: list[tuple[int, str]],
) -> pd.DataFrame:
    """The raw frame of ``table``'s records (numbered ``lines``) and of the ``odd_lines``
    among them, same as the row-by-row reader's."""
    n = table.num_rows
    data: dict[str, object] = {}
    for name in contract.column_names:
        position = records.positions.get(name)
        data[name] = table.column(position) if position is not None else pa.nulls(n, pa.string())
    extras = records.split_extras(
        [table.column(i).to_pylist() for i, _ in records.extras], [False] * n
    )
    data["extra_columns_json"], data["pii_extra_columns_json"] = (
        pa.array(objects, pa.string()) for objects in extras
    )
    data["parse_error"] = data["raw_record"] = pa.nulls(n, pa.string())
    columns = {
        name: pd.array(values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values]),
                       dtype=TEXT_DTYPE)
        for name, values in data.items()
    }  # fmt: skip
    columns["source_file"] = _repeated(source.uri, n)
    columns["source_line"] = pd.array(lines.astype("int64"), dtype="int64")
    columns["source_format"] = _repeated("csv", n)
    columns["file_header"] = _repeated(json.dumps(records.header), n)
    frame = pd.DataFrame(columns)
    if not odd_lines:
        return frame
    for line, text in odd_lines:
        _check_fields(records, next(csv.reader([text], strict=True)), line)
    merged = pd.concat([frame, records.frame(contract, source, "csv")], ignore_index=True)
    records.clear()
    return merged.sort_values("source_line", kind="stable", ignore_index=True)


def read_csv(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """Parse a CSV landing file whole (:func:`csv_batches` concatenated)."""
    return whole(csv_batches(contract, source))


def csv_batches(
    contract: Contract,
    source: LandedFile,
    batch_rows: int | None = None,
    stream: BinaryIO | None = None,
) -> Iterator[pd.DataFrame]:
    """Parse a CSV landing file; ``source_line`` is the line where each record starts.

    Plainly well-formed files take pyarrow's parser (:mod:`orders_core.csv_fast`), a
    block of :data:`WELL_FORMED_BLOCK_BYTES` at a time, in frames of Arrow strings of
    :data:`WELL_FORMED_BATCH_ROWS` records; anything else is read row by row with the
    ``csv`` module, which is the reference, at most ``batch_rows`` (:data:`BATCH_ROWS`)
    records a frame. The file is read from ``stream`` (a seekable binary stream of it;
    default ``source.data``): a block of it is held at a time, never the whole file.
    """
    stream = stream if stream is not None else io.BytesIO(source.data)
    size = stream.seek(0, io.SEEK_END)
    scanned = _scan_well_formed(contract, stream, size)
    if scanned is not None:
        yield from _well_formed_frames(contract, source, scanned, stream, size)
        return
    yield from csv_row_batches(contract, source, batch_rows, stream=stream)


def read_csv_rows(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """The reference CSV reader, whole (:func:`csv_row_batches` concatenated)."""
    return whole(csv_row_batches(contract, source))


# The csv module's message for a line break outside quotes advises Python code ("open the
# file in universal-newline mode"); an analyst reading parse_error needs what is wrong.
_CSV_MESSAGES = {
    "new-line character seen in unquoted field - do you need to open the file in "
    "universal-newline mode?": "a line break inside an unquoted field (a stray carriage "
    "return, or a line feed in a file of carriage-return lines)",
}


def csv_error(exc: csv.Error) -> str:
    """The csv module's error, in the words of a landed file's reader."""
    return _CSV_MESSAGES.get(str(exc), str(exc))


def csv_row_batches(
    contract: Contract,
    source: LandedFile,
    batch_rows: int | None = None,
    stream: BinaryIO | None = None,
) -> Iterator[pd.DataFrame]:
    """The reference CSV reader: Python's ``csv`` module, strict, one record at a time,
    framed ``batch_rows`` records at a time (one frame, maybe empty, at least).

    The file is read from ``stream`` (a seekable binary stream of it; default
    ``source.data``) a chunk at a time: what is held is about a chunk of its text and a
    batch of records, not the file (:meth:`landed_text.PhysicalLines.of_stream`).
    Sizes and line numbers follow :mod:`orders_core.landed_text`: a record over the size
    limit is one broken record with a bounded prefix of its text, and a quote that is
    never closed breaks the line it opens on only, not every record after it. Which
    extra columns hold e-mails is decided over the whole file: when the file is longer
    than a batch, a first pass over its records decides it before the first frame.
    """
    batch_rows = batch_rows or BATCH_ROWS
    stream = stream if stream is not None else io.BytesIO(source.data)
    if (foreign := landed_text.foreign_encoding(stream)) is not None:
        yield foreign_text_frame(contract, source, "csv", *foreign)
        return
    lines = landed_text.PhysicalLines.of_stream(stream)
    reader = csv.reader(lines, strict=True)
    # Sizes are judged per record below: the csv module must not cut a long field short.
    with _field_size_limit(_stream_size(stream) + 1):
        lines.skip_blank_lines()  # the header is the first line that is not blank
        header_line = lines.line
        try:
            header = next(reader)
        except StopIteration:
            yield empty_raw_frame(contract)
            return
        except csv.Error as exc:
            # No column can be named, so no record of the file can be read: the file is
            # one broken record, its text kept as far as any record's is (its first
            # RAW_RECORD_KEEP_BYTES), not only the header's line.
            records = Records(contract, [])
            error = f"unparseable_header: {csv_error(exc)}"
            records.add_broken(error, _file_start(stream), header_line)
            yield records.frame(contract, source, "csv")
            return
        records = Records(contract, bounded_header([escape_undecodable(name) for name in header]))
        framed = False
        for _ in _read_csv_records(records, reader, lines, batch_rows):
            if not framed and records.unresolved_extras():
                _note_pii_of_file(contract, records, stream, batch_rows)
            yield records.frame(contract, source, "csv")
            records.clear()
            framed = True
        if records.values or not framed:
            yield records.frame(contract, source, "csv")


def csv_header(stream: BinaryIO) -> list[str] | None:
    """The names :func:`csv_row_batches` gives a CSV file's columns (its first record
    after any blank lines), read from ``stream``, a seekable binary stream of the file's
    text; None when the file has no line that is not blank or its first record cannot be
    parsed (the reader breaks such a file)."""
    lines = landed_text.PhysicalLines.of_stream(stream)
    reader = csv.reader(lines, strict=True)
    with _field_size_limit(_stream_size(stream) + 1):
        lines.skip_blank_lines()
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            return None
    return bounded_header([escape_undecodable(name) for name in header])


def _stream_size(stream: BinaryIO) -> int:
    """Bytes in a seekable stream (its position kept)."""
    at = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(at)
    return size


def _file_start(stream: BinaryIO) -> str:
    """The first RAW_RECORD_KEEP_BYTES of a file's text (a BOM dropped), as ``bounded_raw``
    keeps a record's."""
    stream.seek(0)
    head = stream.read(RAW_RECORD_KEEP_BYTES + 8).decode("utf-8", "surrogateescape")
    return bounded_raw(head.removeprefix("\ufeff"))


def _note_pii_of_file(
    contract: Contract, records: Records, stream: BinaryIO, batch_rows: int
) -> None:
    """Mark in ``records`` every extra column holding an e-mail in any record of the
    file (``stream``, its header already read into ``records``): a pass over the records
    that keeps no more than a batch of them."""
    lines = landed_text.PhysicalLines.of_stream(stream)
    reader = csv.reader(lines, strict=True)
    lines.skip_blank_lines()
    next(reader)  # the header
    scan = Records(contract, records.header)
    for _ in _read_csv_records(scan, reader, lines, batch_rows):
        scan.note_pii()
        scan.clear()
    scan.note_pii()
    records.pii_cells |= scan.pii_cells


@contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(max(limit, csv.field_size_limit()))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_csv_records(
    records: Records, reader, lines: landed_text.PhysicalLines, batch_rows: int
) -> Iterator[None]:
    """Add every record after the header, each starting on the line where it begins;
    pause (yield) whenever ``records`` holds ``batch_rows`` of them, or records of
    :data:`BATCH_TEXT_BYTES` of landed text (characters, as read)."""
    frame_start = lines.pos
    while True:
        if len(records.values) >= batch_rows or lines.pos - frame_start >= BATCH_TEXT_BYTES:
            yield
            frame_start = lines.pos
        lines.release()
        start, line = lines.pos, lines.line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if str(exc) == "unexpected end of data":  # a quote of this record never closes
                text = lines.restart_after_line(start, line)
                records.add_broken("csv_syntax: unclosed quote", bounded_raw(text), line)
            elif lines.ending in lines.record(start):
                # A quote that opened on this line closed on a later one (a stray quote
                # at the start of a field, closed by the next stray one) and the record
                # is malformed: only its first line is broken, as when it never closes.
                # Read as one record, every order on the lines between was lost in it.
                text = lines.restart_after_line(start, line)
                records.add_broken(f"csv_syntax: {csv_error(exc)}", bounded_raw(text), line)
            else:
                reason = f"csv_syntax: {csv_error(exc)}"
                records.add_broken(reason, bounded_raw(lines.record(start)), line)
            continue
        if (lines.pos - start) * 4 > landed_text.MAX_RECORD_BYTES:
            text = lines.record(start)
            if landed_text.is_oversized(text):
                size = landed_text.text_bytes(text)
                records.add_broken(landed_text.oversized_error(size), bounded_raw(text), line)
                continue
        if row and lines.has_undecodable and any(UNDECODABLE.search(value) for value in row):
            records.add_broken(
                "invalid_utf8", json.dumps([escape_undecodable(v) for v in row]), line
            )
        else:
            _check_fields(records, row, line)
