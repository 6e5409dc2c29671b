"""Which CSV files the warehouse engine may load itself, record for record as the reader.

The platform's reader (:mod:`orders_core.ingest`, for CSV :mod:`orders_core.csv_reader`) is
the reference: every record one row, with its line, and every odd record kept. For the
common file it is needlessly slow and holds the file in memory, so :func:`plain_header`
recognises the files where the engine's own strict CSV scan gives exactly the reader's
rows, by a streaming, vectorised look at the bytes (bounded memory):

- every record is one line: lines end all with LF or all with CR LF (no other CR), no
  NUL, no blank line, and an even number of quote characters on every line, so no
  quoted field spans lines and line *n* holds data record *n - 1*;
- quotes only delimit whole fields: on each line they pair up, each pair opening right
  after a comma or the line's start and closing right before a comma or its end, or two
  pairs meeting in an escaped quote (``""`` inside a quoted field, which the engine's
  scan reads as the reader does), so no stray quote or space around a quoted value
  (DuckDB trims it, the reader keeps it) can be read differently;
- a line that ends with an empty field has exactly the header's count of fields: DuckDB
  drops empty fields beyond that count where the reader sees a record too long;
- no line over the record size limit (a byte-order mark before the header is dropped,
  as the reader drops it);
- blank lines (spaces and tabs only) before the header, as many as a record's bytes,
  ending as the header ends: skipped, as the reader skips them (the engine's ``skip``),
  and counted in the records' line numbers;
- a header of distinct cells, no two naming the same contract column, whose extra
  columns (the other cells) are named in plain ASCII (:func:`json_safe`): the engine
  builds their JSON itself, and leaves the file to the reader when a value is not
  plain ASCII (see ``SqlSession.load_plain_csv``).

A file that passes but is still not what it seems (invalid UTF-8, a ragged row) makes
the engine's strict scan fail, and the caller falls back to the reader.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from orders_core.contract import Contract
from orders_core.landed_text import MAX_HEADER_NAME_BYTES, MAX_RECORD_BYTES, is_blank_line
from orders_core.raw_frame import normalize_header

CHUNK_BYTES = 8 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
_QUOTE, _COMMA, _NEWLINE = ord('"'), ord(","), ord("\n")


@dataclass(frozen=True)
class PlainHeader:
    """The header of a plain CSV file: its cells, and the blank lines before it (which
    the engine's scan skips, and counts in the records' line numbers)."""

    cells: list[str]
    skip: int = 0


def _header(line: bytes, contract: Contract) -> list[str] | None:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        (cells,) = list(csv.reader([text], strict=True))
    except (csv.Error, ValueError):
        return None
    names = [normalize_header(cell) for cell in cells]
    named = [name for name in names if name in contract.column_names]
    extras = [cell for cell, name in zip(cells, names, strict=True) if name not in named]
    if (
        any(len(cell.encode()) > MAX_HEADER_NAME_BYTES for cell in cells)
        or len(set(cells)) != len(cells)
        or len(set(named)) != len(named)
        or not all(map(json_safe, extras))
    ):
        return None
    return cells


# json_safe as an RE2 expression, for the engine to check values.
SQL_JSON_SAFE = r"[ !#-\[\]-~]*"
# Printable ASCII, quotes and backslashes included: an extra value the engine writes into
# the extras JSON escaped as ``json.dumps`` escapes it, when it holds no ``@`` (no e-mail
# address to find: the engine's search, SQL_EMAIL_IN_JSON_SAFE, is for json_safe text).
SQL_PRINTABLE_ASCII = r"[ -~]*"


def json_safe(text: str) -> bool:
    """Printable ASCII without a quote or a backslash: text that ``json.dumps`` writes as
    it is between two quotes (the engine then builds the extras JSON the reader would)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _plain_lines(chunk: bytes, before: int, crlf: bool = False, fields: int | None = None) -> bool:
    """Whether complete lines (``chunk`` ends with a newline) are plain; ``before`` is the
    byte preceding them (a newline at the start of the file); ``crlf``: every line must
    end with CR LF (and no other CR be there), else no CR at all; ``fields``: the header's
    cell count, which every record must have when a line ends with an empty field.

    Byte searches (``memchr``-fast) first; numpy only for line lengths and quotes.
    """
    limit = MAX_RECORD_BYTES
    if crlf:
        returns = chunk.count(b"\r")
        if returns != chunk.count(b"\n") or returns != chunk.count(b"\r\n"):
            return False
        chunk, limit = chunk.replace(b"\r\n", b"\n"), limit - 1  # the CR counted in
    if b"\r" in chunk or b"\x00" in chunk or b"\n\n" in chunk:
        return False
    if before == _NEWLINE and chunk.startswith(b"\n"):
        return False  # a blank line
    data = np.frombuffer(chunk, np.uint8)
    newlines = np.flatnonzero(data == _NEWLINE)
    if (np.diff(newlines, prepend=-1) - 1 > limit).any():
        return False
    quotes = np.flatnonzero(data == _QUOTE) if b'"' in chunk else None
    if quotes is not None and not _plain_quotes(data, quotes, newlines, before):
        return False
    # DuckDB's strict scan drops empty fields beyond the header's count ("o1,2,\n" under a
    # two-cell header) where the reader sees one field too many: count them exactly when
    # a line ends with an empty field, which is rare.
    if fields is not None and _ends_with_empty_field(data, quotes, newlines):
        return _field_counts(data, quotes, newlines, fields)
    return True


def _ends_with_empty_field(
    data: np.ndarray, quotes: np.ndarray | None, newlines: np.ndarray
) -> bool:
    """Whether some line ends with an empty field (``,`` or ``,""`` before its line end):
    a look at the bytes before the line ends, not a search of the chunk."""
    last = data[np.maximum(newlines - 1, 0)]
    if (last == _COMMA).any():
        return True
    if quotes is None:
        return False
    ends = newlines[(last == _QUOTE) & (newlines >= 3)]
    return bool(((data[ends - 2] == _QUOTE) & (data[ends - 3] == _COMMA)).any())


def _plain_quotes(data: np.ndarray, quotes: np.ndarray, newlines: np.ndarray, before: int) -> bool:
    """Quotes only around whole fields: an even number on every line, pairing up in order,
    each pair opening after a comma or a line start and closing before a comma or a line
    end, or two pairs meeting in an escaped quote (``""``, as in ``"a ""b"", c"``). So
    every quoted field is whole, and no stray quote inside a field or space around a
    quoted value (DuckDB trims it, the reader keeps it) can be read differently.

    A quote right before an opening quote is the previous pair's closing one (quotes pair
    in order), and one right after a closing quote the next pair's opening one."""
    if (np.bincount(np.searchsorted(newlines, quotes)) % 2).any():
        return False
    # The chunk ends with a newline, so a closing quote always has a following byte; the
    # first byte's preceding one is ``before``.
    opens, closes = quotes[0::2], quotes[1::2]
    previous = data[np.maximum(opens - 1, 0)]
    if opens[0] == 0:
        previous[0] = before
    following = data[closes + 1]
    return bool(
        ((previous == _COMMA) | (previous == _NEWLINE) | (previous == _QUOTE)).all()
        and ((following == _COMMA) | (following == _NEWLINE) | (following == _QUOTE)).all()
    )


def _field_counts(
    data: np.ndarray, quotes: np.ndarray | None, newlines: np.ndarray, fields: int
) -> bool:
    """Whether every line holds ``fields`` fields: its commas outside quotes, plus one.
    Quotes are plain (paired on each line), so a comma is inside a quoted value when an
    odd number of quotes precede it."""
    commas = np.flatnonzero(data == _COMMA)
    if quotes is not None:
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
    per_line = np.bincount(np.searchsorted(newlines, commas), minlength=newlines.size)
    return bool((per_line[: newlines.size] + 1 == fields).all())


def _blank_lead(lines: list[bytes], crlf: bool) -> bool:
    """Whether the lines before the header are blank lines the engine skips as the reader
    does: spaces and tabs only, each ending as the header's line ends."""
    ending = b"\r\n" if crlf else b"\n"
    return all(line.endswith(ending) and not line[: -len(ending)].strip(b" \t") for line in lines)


def _head_header(head: bytes, contract: Contract) -> tuple[PlainHeader, bool] | None:
    """The header, and whether lines end with CR LF, when the head of a file
    (:func:`read_head`: its blank lines and first other line, line ends included) ends
    with a plain header."""
    # A byte-order mark (Excel's "CSV UTF-8") is not part of the text: the reader drops
    # it, and the engine's scan skips the header line whole (or the first line skipped).
    lines = head.removeprefix(BOM).splitlines(keepends=True)
    if not lines:
        return None
    first = lines[-1]
    crlf = first.endswith(b"\r\n")
    if not first.endswith(b"\n") or not _blank_lead(lines[:-1], crlf):
        return None
    header = _header(first[: -2 if crlf else -1], contract)
    if header is None or not _plain_lines(first, _NEWLINE, crlf):
        return None
    return PlainHeader(header, len(lines) - 1), crlf


def read_head(handle: BinaryIO) -> bytes:
    """A CSV file's text from ``handle``'s position up to and with its first line that is
    not blank (:func:`orders_core.landed_text.is_blank_line`): the header, after the blank
    lines most CSV tools skip. At most a record's bytes of blank lines are read: past
    that, what was read (not a plain head: the reader takes the file)."""
    read: list[bytes] = []
    size = 0
    while size <= MAX_RECORD_BYTES:
        line = handle.readline(MAX_RECORD_BYTES + 2)
        read.append(line)
        size += len(line)
        if not line or not is_blank_line(line.removeprefix(BOM) if size == len(line) else line):
            break
    return b"".join(read)


def plain_head(head: bytes, contract: Contract) -> bool:
    """Whether the head of a CSV file (:func:`read_head`), its first line that is not
    blank, is a plain header: what a file must pass before the rest of it is worth a look."""
    return _head_header(head, contract) is not None


def plain_header(handle: BinaryIO, contract: Contract) -> PlainHeader | None:
    """The header of a plain CSV file (see the module docstring), or None.

    Reads ``handle`` from its current position to the end, a chunk at a time.
    """
    found = _head_header(read_head(handle), contract)
    if found is None:
        return None
    header, crlf = found
    before = _NEWLINE
    carry = b""
    while True:
        chunk = handle.read(CHUNK_BYTES)
        data = carry + chunk
        if not data:
            return header
        if not chunk:  # the last line, without a line end
            data += b"\r\n" if crlf else b"\n"
            cut = len(data)
        else:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) > MAX_RECORD_BYTES:
                    return None
                carry = data
                continue
        lines = data[:cut]
        if not _plain_lines(lines, before, crlf, len(header.cells)):
            return None
        if not chunk:
            return header
        before, carry = lines[-1], data[cut:]
