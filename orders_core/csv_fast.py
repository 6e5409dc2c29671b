"""Fast path of the CSV landing reader: pyarrow's parser for files that are plainly well formed.

Python's ``csv`` module (strict, excel dialect) reads a file row by row and is
the reference for what a landed record is. pyarrow parses the same bytes in C++
and yields the same records whenever no quote needs interpreting and no record
spans lines. :func:`well_formed_blocks` checks that cheaply, a block of whole lines
at a time (every rule below is a rule of each line, so the blocks a file is cut into
change nothing), and gives up (None, so the caller takes the exact Python path) unless
the file is:

* valid UTF-8 without NUL bytes, and every carriage return is part of ``\\r\\n``;
* quoted only around whole fields (a quote inside one doubled, ``""``), so that
  pyarrow and the ``csv`` module read the same values and strict-mode errors cannot
  occur;
* one record per line: pyarrow's record count must equal the number of
  non-blank lines, which fails as soon as a quoted value holds a line break;
* made of records comfortably under :data:`~orders_core.landed_text.MAX_RECORD_BYTES`
  and header cells under :data:`~orders_core.landed_text.MAX_HEADER_NAME_BYTES` (the
  exact reader bounds the others);
* more than one column wide (single-column files treat blank lines specially).

Records whose field count does not fit the header are skipped by pyarrow and
handed back with their line number, so the caller re-reads their text with the
``csv`` module and treats them exactly as the slow path would.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from orders_core import landed_text

BOM = b"\xef\xbb\xbf"
# What may precede a quote that opens a pair, and follow one that closes it: a field
# boundary, or the quote of the next (previous) pair, which makes the two one escaped
# quote ("") inside a quoted field.
_BOUNDARY_BEFORE = np.zeros(256, dtype=bool)
_BOUNDARY_BEFORE[[ord(","), ord("\n"), ord('"')]] = True
_BOUNDARY_AFTER = np.zeros(256, dtype=bool)
_BOUNDARY_AFTER[[ord(","), ord("\n"), ord("\r"), ord('"')]] = True
_QUOTE_CHUNK = 1 << 22  # bytes


@dataclass(frozen=True)
class WellFormedCsv:
    """The records of a well-formed CSV file, as pyarrow parsed them."""

    header: list[str]
    table: pa.Table  # one string column per header field ("" read as null), in file order
    lines: np.ndarray  # line number (1-based, in the file) of each row of ``table``
    odd_lines: list[tuple[int, str]]  # (line number, text) of records that do not fit the header


def _plain_text(data: bytes) -> bool:
    """UTF-8, no NUL byte, and carriage returns only in ``\\r\\n``."""
    if b"\x00" in data:
        return False
    if not data.isascii():
        # Checked a chunk at a time: the file's text (four bytes a character when one
        # value needs them) is never built to be thrown away.
        decoder = codecs.getincrementaldecoder("utf-8")()
        view = memoryview(data)
        try:
            for begin in range(0, len(data), _QUOTE_CHUNK):
                decoder.decode(view[begin : begin + _QUOTE_CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    returns = data.count(b"\r")
    return not returns or returns == data.count(b"\r\n")


def _quotes_are_plain(buf: np.ndarray) -> bool:
    """Quotes pair up, each pair opening after a field boundary and closing before one, or
    two pairs meeting in an escaped quote (``""``): every quoted field is whole, as
    ``"a ""b"", c"`` is, and no quote is a character of an unquoted field.

    Scanned in chunks (the pairing carries over), so that the positions of every quote
    of a file that quotes all its fields never sit in memory at once.
    """
    unmatched = False  # the last quote before the chunk opened a pair
    for begin in range(0, buf.size, _QUOTE_CHUNK):
        quotes = np.flatnonzero(buf[begin : begin + _QUOTE_CHUNK] == ord('"')) + begin
        opens, closes = (quotes[1::2], quotes[0::2]) if unmatched else (quotes[0::2], quotes[1::2])
        unmatched ^= bool(quotes.size % 2)
        opens, closes = opens[opens > 0], closes[closes < buf.size - 1]
        if not (_BOUNDARY_BEFORE[buf[opens - 1]].all() and _BOUNDARY_AFTER[buf[closes + 1]].all()):
            return False
    return not unmatched


def _nonblank_lines(data: bytes, start: int, first_line: int) -> np.ndarray:
    """Numbers of the non-blank lines from byte ``start`` (line ``first_line``) on."""
    buf = np.frombuffer(data, dtype=np.uint8)[start:]
    newlines = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [buf.size]))
    carriage_return = buf[np.minimum(starts, buf.size - 1)] == ord("\r")
    blank = (ends == starts) | ((ends == starts + 1) & carriage_return)
    return np.flatnonzero(~blank) + first_line


def _find_lines(data: bytes, start: int, texts: list[str], first_line: int) -> list[int] | None:
    """Line numbers of the whole lines equal to ``texts``, found in order from ``start``
    (line ``first_line``).

    Equal lines parse alike, so the n-th odd record is the first whole line with its
    text after the previous one.
    """
    numbers, cursor, line = [], start, first_line
    for text in texts:
        needle = text.encode("utf-8")
        found = data.find(needle, cursor)
        while found >= 0:
            end = found + len(needle)
            starts_line = found == start or data[found - 1] == ord("\n")
            ends_line = data[end : end + 1] in (b"", b"\n") or data[end : end + 2] == b"\r\n"
            if starts_line and ends_line:
                break
            found = data.find(needle, found + 1)
        if found < 0:
            return None
        line += data.count(b"\n", cursor, found)
        numbers.append(line)
        cursor = found + len(needle)
    return numbers


def _longest_line(data: bytes, start: int) -> int:
    """Bytes of the longest line from byte ``start`` on, its line ending included (every
    record of a block the fast path takes is one line)."""
    buf = np.frombuffer(data, dtype=np.uint8)[start:]
    if not buf.size:
        return 0
    ends = np.flatnonzero(buf == ord("\n"))
    return int(np.diff(np.concatenate(([-1], ends, [buf.size - 1]))).max())


def parse_well_formed(data: bytes) -> WellFormedCsv | None:
    """Parse ``data`` whole with pyarrow if it is plainly well formed (see the module),
    else None: :func:`well_formed_blocks` with the file one block."""
    blocks = list(well_formed_blocks(io.BytesIO(data), len(data), max(len(data), 1)))
    return blocks[0] if len(blocks) == 1 else None


def well_formed_blocks(
    stream: BinaryIO, size: int, block_bytes: int
) -> Iterator[WellFormedCsv | None]:
    """pyarrow's records of a CSV file (a seekable binary ``stream`` of ``size`` bytes),
    one :class:`WellFormedCsv` per block of whole lines of about ``block_bytes`` (cut
    after a line feed), while the file is plainly well formed (see the module).

    At the first block that is not, yields None and stops: the caller reads the file
    with the exact reader. Every rule is a rule of each line, so a file whose blocks all
    pass is a file that passes whole, and its records and line numbers are the same
    whatever the blocks: only a block and its parsed table are held at a time, not the
    file's bytes. A file with no record at all is left to the exact reader.
    """
    header: list[str] | None = None
    first_line = 2  # the line a block starts with (after the header's)
    for data, last in _line_blocks(stream, size, block_bytes):
        if data is None:
            yield None  # a line longer than any record the fast path takes
            return
        start = 0
        if header is None:
            found = _header(data)
            if found is None:
                yield None
                return
            header, start, header_line = found
            first_line = header_line + 1
            if start == len(data) and last:
                yield None  # no record: the exact reader frames it
                return
        elif not _plainly_written(data, 0):
            yield None
            return
        block = _block_records(data, start, header, first_line)
        first_line += data.count(b"\n", start)
        del data  # not held while the caller frames the block, nor while the next is read
        yield block
        if block is None:
            return
        del block


def _line_blocks(
    stream: BinaryIO, size: int, block_bytes: int
) -> Iterator[tuple[bytearray | None, bool]]:
    """The file in blocks of whole lines, each with whether it is the last: about
    ``block_bytes`` each, cut after the last line feed of what was read. ``None`` (and
    no further block) when a line outgrows the largest record the fast path takes.

    A block is read into its own buffer and cut in place, and dropped before the next is
    read: one block's bytes are held at a time (copied for the cut, and the last one held
    while the next was read, cutting a 156 MB file into 16 MiB blocks peaked 96 MiB over
    the process's start; now 32 MiB)."""
    stream.seek(0)
    pending = b""
    while True:
        block = bytearray(len(pending) + block_bytes)
        block[: len(pending)] = pending
        filled = len(pending) + _read_into(stream, memoryview(block)[len(pending) :])
        more = filled > len(pending) and stream.tell() < size
        del block[filled:]
        if not more:
            if block:
                yield block, True
            return
        cut = block.rfind(b"\n") + 1
        if not cut and len(block) > landed_text.MAX_RECORD_BYTES + len(BOM):
            yield None, False
            return
        pending = bytes(block[cut:])
        del block[cut:]
        if block:
            yield block, False
        del block


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``stream`` (fewer bytes only at its end); the bytes read."""
    filled = 0
    with view:
        while filled < len(view):
            got = stream.readinto(view[filled:])
            if not got:
                break
            filled += got
    return filled


def _plainly_written(data: bytes, offset: int) -> bool:
    """The block's text is plain (:func:`_plain_text`) and its quotes from ``offset`` on
    (after a BOM) delimit whole fields (:func:`_quotes_are_plain`)."""
    if not _plain_text(data):
        return False
    return b'"' not in data or _quotes_are_plain(np.frombuffer(data, dtype=np.uint8)[offset:])


def _header(data: bytes) -> tuple[list[str], int, int] | None:
    """The header of the file's first block ``data``, where its records start and the
    header's line number (after any blank lines); None
    unless the block is plainly well formed up to its records (see the module)."""
    offset = len(BOM) if data.startswith(BOM) else 0
    line = 1
    header_end = data.find(b"\n", offset)
    # Blank lines before the header are skipped (orders_core.landed_text), as many as
    # a record's bytes: more are left to the exact reader.
    while header_end >= 0 and landed_text.is_blank_line(data[offset:header_end]):
        offset, line = header_end + 1, line + 1
        if offset > landed_text.MAX_RECORD_BYTES:
            return None
        header_end = data.find(b"\n", offset)
    if header_end < 0 or header_end - offset >= landed_text.MAX_RECORD_BYTES:
        return None
    if not _plainly_written(data, offset):
        return None
    header_text = data[offset:header_end].removesuffix(b"\r").decode("utf-8")
    try:
        header = next(csv.reader([header_text], strict=True), [])
    except csv.Error:
        return None  # a quoted header cell spans lines: the exact reader reads it whole
    start = header_end + 1
    if len(header) < 2 or data.startswith(BOM, start):
        return None  # single column, or a BOM that pyarrow would drop
    if max(len(name.encode()) for name in header) > landed_text.MAX_HEADER_NAME_BYTES:
        return None
    return header, start, line


def _block_records(
    data: bytes, start: int, header: list[str], first_line: int
) -> WellFormedCsv | None:
    """pyarrow's records of the whole lines ``data[start:]``, the first numbered
    ``first_line``; None unless each is one record of plainly well-formed CSV."""
    odd_texts: list[str] = []

    def skip(row: pacsv.InvalidRow) -> str:
        odd_texts.append(row.text)
        return "skip"

    names = [f"f{i}" for i in range(len(header))]
    if start == len(data):
        table = pa.table({name: pa.array([], pa.string()) for name in names})
    else:
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data).slice(start)),
                read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
        except pa.ArrowInvalid:
            return None
    records = table.num_rows + len(odd_texts)
    count = data.count(b"\n", start) + (not data.endswith(b"\n"))
    # Blank lines and records spanning lines both make records fewer than lines.
    lines = (
        np.arange(first_line, first_line + count)
        if records == count
        else _nonblank_lines(data, start, first_line)
    )
    if records != lines.size:
        return None  # some record spans lines: only the csv module numbers those exactly
    limit = landed_text.MAX_RECORD_BYTES
    if _longest_line(data, start) >= limit:
        return None
    odd_numbers = _find_lines(data, start, odd_texts, first_line) if odd_texts else []
    if odd_numbers is None:
        return None
    good = lines[~np.isin(lines, odd_numbers)] if odd_numbers else lines
    return WellFormedCsv(header, table, good, list(zip(odd_numbers, odd_texts, strict=True)))
