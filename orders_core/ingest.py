"""Read landing files into the lossless raw frame of ``raw_orders``.

Every landed record becomes exactly one row, whatever state it is in: values are
kept as text, columns outside the contract are carried in ``extra_columns_json``
(or, when they hold e-mail addresses, in ``pii_extra_columns_json``: see
:func:`extra_columns`), and a record that cannot be parsed keeps its original text in
``raw_record`` with the reason in ``parse_error``. Cleaning decides later what is
valid; this module never drops or repairs anything.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orders_core import landed_text
from orders_core.compression import UnreadableCompressedFile, gunzip, is_gzip
from orders_core.contract import Contract
from orders_core.csv_fast import WellFormedCsv, parse_well_formed
from orders_core.dtypes import DATE_DTYPE as DATE_DTYPE  # re-exported: part of the raw frame
from orders_core.dtypes import TEXT_DTYPE, repeated_day
from orders_core.landed_text import bounded_header, bounded_raw
from orders_core.landing_formats import file_format
from orders_core.pii import holds_emails, looks_like_email, names_email
from orders_core.tables import RAW_LINEAGE_COLUMNS

# Lineage values that repeat on every row of a file: Python strings share one object per file.
REPEATED_COLUMNS = ("source_file", "source_format", "file_header")
_SURROGATES = re.compile("[\udc80-\udcff]")
_ANY_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON escape of a UTF-16 surrogate; paired ones decode to one character, lone ones
# decode to text that cannot be encoded as UTF-8 (or stored, or hashed).
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")
# parse_error prefix of every record of a Parquet file whose money column is an integer.
INTEGER_MONEY_ERROR = "integer_money_column"
# Records of a JSON Lines or Parquet file read (and held) at a time: see
# landed_file_batches.
BATCH_ROWS = 65_536
CHUNK_BYTES = 8 * 1024 * 1024  # of a JSON Lines file read at a time
# Records a frame of the row-by-row CSV reader, which holds the file's text besides: at
# 65,536 a one-file day of 1M records peaked at 1,029 MiB in raw_orders, at 16,384 903.
CSV_BATCH_ROWS = 16_384


@dataclass(frozen=True)
class LandedFile:
    """One file in the landing zone: where it is, its name and what it holds."""

    uri: str
    name: str
    size: int
    data: bytes


def normalize_header(name: str) -> str:
    """Fold a landed column name onto the contract's naming (case, spaces, hyphens)."""
    return _HEADER_SEPARATORS.sub("_", name.strip().lstrip("\ufeff").strip()).lower()


def raw_columns(contract: Contract) -> list[str]:
    """Column order of the raw frame."""
    return [*contract.column_names, *RAW_LINEAGE_COLUMNS]


def column_dtype(name: str) -> str | pd.StringDtype:
    """The dtype of a column of the raw frame."""
    if name == "source_line":
        return "int64"
    return "string" if name in REPEATED_COLUMNS else TEXT_DTYPE


def empty_raw_frame(contract: Contract) -> pd.DataFrame:
    """A raw frame with no rows and the right column types."""
    return pd.DataFrame(
        {name: pd.Series([], dtype=column_dtype(name)) for name in raw_columns(contract)}
    )


def contract_positions(contract: Contract, header: Sequence[str]) -> dict[str, int]:
    """Where each contract column is in a file's header: the first cell naming it."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalize_header(name)
        if key in contract.column_names and key not in positions:
            positions[key] = index
    return positions


def extra_columns(contract: Contract, header: Sequence[str]) -> list[tuple[int, str]]:
    """The extra columns of a file: (position in the header, key in the extras JSON).

    The key is the header cell as landed. A cell repeated exactly (a second ``promo``,
    or a contract column named twice) keeps every value: its n-th occurrence is keyed
    ``promo__n`` (n = 2, 3, ...), skipping any key another cell of the file already
    uses. Cells that only normalise alike (``Promo Code``, ``promo_code``) are distinct
    keys already.
    """
    used = set(contract_positions(contract, header).values())
    cells = [(index, name) for index, name in enumerate(header) if index not in used]
    taken = {name for _, name in cells}
    seen: set[str] = set()
    extras = []
    for index, name in cells:
        key = name
        if name in seen:
            n = 2
            while f"{name}__{n}" in taken:
                n += 1
            key = f"{name}__{n}"
            taken.add(key)
        seen.add(name)
        extras.append((index, key))
    return extras


def _keep_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose repeated keys keep every value (``json.loads`` keeps the last):
    as with repeated CSV header cells, the first keeps the key and the n-th is keyed
    ``key__n``, skipping keys the object already has."""
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    record, taken = {}, {key for key, _ in pairs}
    for key, value in pairs:
        if key in record:
            n = 2
            while f"{key}__{n}" in taken:
                n += 1
            key = f"{key}__{n}"
            taken.add(key)
        record[key] = value
    return record


def _json_objects(
    pairs: Sequence[tuple[str, Sequence[str | None]]], broken: Sequence[bool]
) -> list[str | None]:
    """One JSON object per row of some extra columns (none for broken rows or no columns)."""
    if not pairs:
        return [None] * len(broken)
    return [
        None if skip else json.dumps({key: values[row] for key, values in pairs})
        for row, skip in enumerate(broken)
    ]


class _Records:
    """Accumulates records of one file column by column."""

    def __init__(self, contract: Contract, header: Sequence[str]):
        self.contract_columns = contract.column_names
        self.header = list(header)
        self.positions = contract_positions(contract, header)
        self.extras = extra_columns(contract, header)
        # Header cells of the extra columns found to hold PII in this file: by name up
        # front, by value as rows are turned into frames (a file's rows may be framed in
        # two parts). Repeated cells are one column name, PII together.
        self.pii_cells = {self.header[i] for i, _ in self.extras if names_email(self.header[i])}
        self.values: list[list[str | None]] = []
        self.lines: list[int] = []
        self.errors: list[str | None] = []
        self.raws: list[str | None] = []

    def add(self, values: Sequence[str | None], line: int) -> None:
        self.values.append(list(values))
        self.lines.append(line)
        self.errors.append(None)
        self.raws.append(None)

    def add_broken(self, error: str, raw: str, line: int) -> None:
        self.values.append([None] * len(self.header))
        self.lines.append(line)
        self.errors.append(error)
        self.raws.append(raw)

    def clear(self) -> None:
        """Forget the records added so far (a batch of them was framed)."""
        self.values, self.lines, self.errors, self.raws = [], [], [], []

    def unresolved_extras(self) -> bool:
        """True while an extra column might still turn out to hold e-mails."""
        return any(self.header[index] not in self.pii_cells for index, _ in self.extras)

    def note_pii(self, values: Sequence[Sequence[str | None]] | None = None) -> None:
        """Mark the extra columns whose ``values`` (in :attr:`extras` order; by default
        those of the records added so far) hold an e-mail address."""
        if values is None:
            columns = list(zip(*self.values, strict=True)) if self.values else []
            values = [columns[i] if columns else () for i, _ in self.extras]
        for (index, _), column in zip(self.extras, values, strict=True):
            if self.header[index] not in self.pii_cells and holds_emails(column):
                self.pii_cells.add(self.header[index])

    def split_extras(
        self, values: Sequence[Sequence[str | None]], broken: Sequence[bool]
    ) -> tuple[list[str | None], list[str | None]]:
        """``extra_columns_json`` and ``pii_extra_columns_json`` of each row, from the
        values of each extra column (in :attr:`extras` order).

        An extra column is PII when its name says e-mail (or is an address) or any of
        its values in the file (in any column of that name) looks like an e-mail
        address; it is then kept out of ``extra_columns_json``, the only one of the two
        that cleaning carries on.
        """
        self.note_pii(values)
        plain: list[tuple[str, Sequence[str | None]]] = []
        pii: list[tuple[str, Sequence[str | None]]] = []
        for (index, key), column in zip(self.extras, values, strict=True):
            (pii if self.header[index] in self.pii_cells else plain).append((key, column))
        return _json_objects(plain, broken), _json_objects(pii, broken)

    def frame(self, contract: Contract, source: LandedFile, fmt: str) -> pd.DataFrame:
        width = len(self.header)
        columns = list(zip(*self.values, strict=True)) if self.values else [()] * width
        n = len(self.values)
        data: dict[str, object] = {}
        for name in contract.column_names:
            position = self.positions.get(name)
            data[name] = columns[position] if position is not None else [None] * n
        # A broken record whose text is in raw_record has no values; one broken with its
        # values kept (a Parquet record, see read_parquet) keeps its extra values too.
        broken = [raw is not None for raw in self.raws]
        extras = self.split_extras([columns[i] for i, _ in self.extras], broken)
        data["extra_columns_json"], data["pii_extra_columns_json"] = extras
        data["parse_error"] = self.errors
        data["raw_record"] = self.raws
        data["source_file"] = [source.uri] * n
        data["source_line"] = self.lines
        data["source_format"] = [fmt] * n
        data["file_header"] = [json.dumps(self.header)] * n
        return pd.DataFrame({name: pd.array(data[name], dtype=column_dtype(name)) for name in data})


def _escape(value: str) -> str:
    """Make undecodable bytes (kept as surrogates) visible and lossless: \\xNN."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _check_fields(records: _Records, row: list[str], line: int) -> None:
    """Add a parsed CSV row: skipped when blank, broken when it does not fit the header."""
    header = records.header
    if not row or (len(row) == 1 and row[0] == "" and len(header) > 1):
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


def _well_formed_frame(
    contract: Contract, source: LandedFile, parsed: WellFormedCsv
) -> pd.DataFrame:
    """The raw frame of a file parsed by the fast path, same as the row-by-row reader's."""
    records = _Records(contract, parsed.header)
    table, n = parsed.table, parsed.table.num_rows
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
        name: pd.array(pa.chunked_array([values]) if isinstance(values, pa.Array) else values,
                       dtype=TEXT_DTYPE)
        for name, values in data.items()
    }  # fmt: skip
    columns["source_file"] = _repeated(source.uri, n)
    columns["source_line"] = pd.array(parsed.lines.astype("int64"), dtype="int64")
    columns["source_format"] = _repeated("csv", n)
    columns["file_header"] = _repeated(json.dumps(parsed.header), n)
    frame = pd.DataFrame(columns)
    if not parsed.odd_lines:
        return frame
    for line, text in parsed.odd_lines:
        _check_fields(records, next(csv.reader([text], strict=True)), line)
    merged = pd.concat([frame, records.frame(contract, source, "csv")], ignore_index=True)
    return merged.sort_values("source_line", kind="stable", ignore_index=True)


def read_csv(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """Parse a CSV landing file whole (:func:`csv_batches` concatenated)."""
    return _whole(csv_batches(contract, source))


def csv_batches(
    contract: Contract, source: LandedFile, batch_rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """Parse a CSV landing file; ``source_line`` is the line where each record starts.

    Plainly well-formed files take pyarrow's parser (:mod:`orders_core.csv_fast`; one
    frame, of Arrow strings); anything else is read row by row with the ``csv`` module,
    which is the reference, at most ``batch_rows`` (:data:`CSV_BATCH_ROWS`) records a
    frame.
    """
    parsed = parse_well_formed(source.data)
    if parsed is not None:
        yield _well_formed_frame(contract, source, parsed)
        return
    yield from csv_row_batches(contract, source, batch_rows)


def read_csv_rows(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """The reference CSV reader, whole (:func:`csv_row_batches` concatenated)."""
    return _whole(csv_row_batches(contract, source))


def csv_row_batches(
    contract: Contract, source: LandedFile, batch_rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """The reference CSV reader: Python's ``csv`` module, strict, one record at a time,
    framed ``batch_rows`` records at a time (one frame, maybe empty, at least).

    Sizes and line numbers follow :mod:`orders_core.landed_text`: a record over the size
    limit is one broken record with a bounded prefix of its text, and a quote that is
    never closed breaks the line it opens on only, not every record after it. Which
    extra columns hold e-mails is decided over the whole file: when the file is longer
    than a batch, a first pass over its records decides it before the first frame.
    """
    batch_rows = batch_rows or CSV_BATCH_ROWS
    text = source.data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = landed_text.PhysicalLines(text)
    reader = csv.reader(lines, strict=True)
    # Sizes are judged per record below: the csv module must not cut a long field short.
    with _field_size_limit(len(text) + 1):
        try:
            header = next(reader)
        except StopIteration:
            yield empty_raw_frame(contract)
            return
        except csv.Error as exc:
            records = _Records(contract, [])
            records.add_broken(f"unparseable_header: {exc}", bounded_raw(lines.record(0)), 1)
            yield records.frame(contract, source, "csv")
            return
        records = _Records(contract, bounded_header([_escape(name) for name in header]))
        framed = False
        for _ in _read_csv_records(records, reader, lines, batch_rows):
            if not framed and records.unresolved_extras():
                _note_pii_of_file(contract, records, text, batch_rows)
            yield records.frame(contract, source, "csv")
            records.clear()
            framed = True
        if records.values or not framed:
            yield records.frame(contract, source, "csv")


def _note_pii_of_file(contract: Contract, records: _Records, text: str, batch_rows: int) -> None:
    """Mark in ``records`` every extra column holding an e-mail in any record of the
    file (``text``, its header already read into ``records``): a pass over the records
    that keeps no more than a batch of them."""
    lines = landed_text.PhysicalLines(text)
    reader = csv.reader(lines, strict=True)
    next(reader)  # the header
    scan = _Records(contract, records.header)
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
    records: _Records, reader, lines: landed_text.PhysicalLines, batch_rows: int
) -> Iterator[None]:
    """Add every record after the header, each starting on the line where it begins;
    pause (yield) whenever ``records`` holds ``batch_rows`` of them."""
    has_bad_bytes = _SURROGATES.search(lines.text) is not None
    while True:
        if len(records.values) >= batch_rows:
            yield
        start, line = lines.pos, lines.line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if str(exc) == "unexpected end of data":  # a quote of this record never closes
                text = lines.restart_after_line(start, line)
                records.add_broken("csv_syntax: unclosed quote", bounded_raw(text), line)
            else:
                records.add_broken(f"csv_syntax: {exc}", bounded_raw(lines.record(start)), line)
            continue
        if (lines.pos - start) * 4 > landed_text.MAX_RECORD_BYTES:
            text = lines.record(start)
            if landed_text.is_oversized(text):
                size = landed_text.text_bytes(text)
                records.add_broken(landed_text.oversized_error(size), bounded_raw(text), line)
                continue
        if row and has_bad_bytes and any(_SURROGATES.search(value) for value in row):
            records.add_broken("invalid_utf8", json.dumps([_escape(v) for v in row]), line)
        else:
            _check_fields(records, row, line)


class _JsonNumber(float):
    """A JSON number with a fraction or an exponent (or a NaN/Infinity token), keeping the
    text it landed as: ``1E2``, ``1.10``, ``1e400`` and ``100000000000000000000.0`` are
    landed text like a CSV field, not ``100.0``, ``1.1``, ``inf`` and ``1e+20``."""

    text: str

    @classmethod
    def of(cls, text: str) -> _JsonNumber:
        number = cls(text)
        number.text = text
        return number


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, _JsonNumber):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, default=str)


def read_jsonl(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """Parse a JSON Lines landing file; nested values are kept as JSON text."""
    return _whole(jsonl_batches(contract, source))


def jsonl_batches(
    contract: Contract,
    source: LandedFile,
    batch_rows: int | None = None,
    stream: BinaryIO | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`read_jsonl`'s frame, ``batch_rows`` records at a time, from ``stream`` (a
    seekable binary stream of the file; default ``source.data``): what is held is one
    chunk of the file and one batch, not a record object per line (a million-line file
    took 4 GiB read whole). The header (every key, in order of first appearance) and the
    keys holding e-mail addresses depend on the whole file: a file of more records than
    a batch is parsed twice, first for those only."""
    batch_rows = batch_rows or BATCH_ROWS
    stream = stream if stream is not None else io.BytesIO(source.data)
    kept: list | None = []  # the records, while the file fits one batch
    names: dict[str, None] = {}
    contract_names: set[str] = set()  # contract columns already named by a key
    email_keys: set[str] = set()  # extra columns whose values hold e-mail addresses
    settled: set[str] = set()  # keys whose values need no look: contract ones, e-mail ones
    for entry in map(_jsonl_record, _jsonl_lines(stream)):
        if entry is None:
            continue
        if kept is not None:
            kept.append(entry)
            kept = kept if len(kept) <= batch_rows else None
        record = entry[1]
        if record is None:
            continue
        for key, value in record.items():
            if key not in names:
                names[key] = None
                name = normalize_header(key)
                if name in contract.column_names and name not in contract_names:
                    contract_names.add(name)  # the first key naming it: not an extra
                    settled.add(key)
            if key not in settled and looks_like_email(_json_text(value)):
                email_keys.add(key)
                settled.add(key)
    if kept is not None:
        yield _jsonl_frame(contract, source, list(names), kept, None)
        return
    batch: list = []
    for entry in map(_jsonl_record, _jsonl_lines(stream)):
        if entry is not None:
            batch.append(entry)
        if len(batch) == batch_rows:
            yield _jsonl_frame(contract, source, list(names), batch, email_keys)
            batch = []
    if batch:
        yield _jsonl_frame(contract, source, list(names), batch, email_keys)


def _jsonl_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(number, text) of each line of a JSON Lines file, read a chunk at a time. Records
    end at "\n" (or "\r" in a file without "\n", as landed_text.line_ending says)
    only: str.splitlines() would also split inside JSON strings holding U+2028, U+0085
    or other characters JSON allows unescaped. Undecodable bytes are kept as surrogates
    (flagged later); a line end is never inside a UTF-8 sequence, so lines decode as the
    whole file would."""
    stream.seek(0)
    ending = b"\r"
    while chunk := stream.read(CHUNK_BYTES):
        if b"\n" in chunk:
            ending = b"\n"
            break
    stream.seek(0)
    head = stream.read(3)
    carry = b"" if head == b"\xef\xbb\xbf" else head
    number = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        lines = (carry + chunk).split(ending)
        carry = lines.pop() if chunk else b""  # a line the next chunk may go on with
        for line in lines:
            number += 1
            yield number, line.decode("utf-8", "surrogateescape")
        if not chunk:
            return


def _jsonl_record(numbered: tuple[int, str]) -> tuple[int, dict | None, str | None, str] | None:
    """(number, record or None, parse_error, text) of one line; None for a blank line."""
    number, line = numbered
    line = line.removesuffix("\r")
    if not line.strip():
        return None
    if landed_text.is_oversized(line):
        size = landed_text.text_bytes(line)
        return number, None, landed_text.oversized_error(size), bounded_raw(line)
    if _SURROGATES.search(line):
        return number, None, "invalid_utf8", _escape(line)
    try:
        record = json.loads(
            line,
            object_pairs_hook=_keep_repeated_keys,
            parse_float=_JsonNumber.of,
            parse_constant=_JsonNumber.of,
        )
    except (ValueError, RecursionError) as exc:
        return number, None, f"invalid_json: {exc}", line
    if not isinstance(record, dict):
        return number, None, "not_an_object", line
    if _ESCAPED_SURROGATE.search(line) and _ANY_SURROGATE.search(
        json.dumps(record, ensure_ascii=False)
    ):
        return number, None, "invalid_unicode: lone surrogate escape", line
    return number, record, None, line


def _jsonl_frame(
    contract: Contract,
    source: LandedFile,
    names: list[str],
    parsed: Sequence[tuple],
    email_keys: set[str] | None,
) -> pd.DataFrame:
    """The raw frame of parsed lines of a file with header ``names``; ``email_keys``: the
    file's keys holding e-mail addresses (None: ``parsed`` is the whole file)."""
    records = _Records(contract, names)
    if email_keys is not None:
        records.pii_cells |= {records.header[i] for i, _ in records.extras} & email_keys
    aliases = _contract_aliases(records)
    for number, record, error, line in parsed:
        if record is None:
            records.add_broken(error or "", line, number)
            continue
        values = [_json_text(record.get(name)) for name in names]
        if aliases:
            _use_own_keys(record, names, aliases, values)
        records.add(values, number)
    return records.frame(contract, source, "jsonl")


def _contract_aliases(records: _Records) -> dict[str, tuple[int, int]]:
    """The keys of a JSON Lines file that name a contract column another key of the file
    names first (``amount`` after ``Amount``), each with that column's position and its
    own."""
    positions = {records.header[i]: i for i in records.positions.values()}
    by_column = {normalize_header(key): i for key, i in positions.items()}
    return {
        key: (by_column[normalize_header(key)], own)
        for own, key in enumerate(records.header)
        if key not in positions and normalize_header(key) in by_column
    }


def _use_own_keys(
    record: dict,
    names: list[str],
    aliases: dict[str, tuple[int, int]],
    values: list[str | None],
) -> None:
    """Read a contract column of ``record`` from the record's own key naming it when the
    key the file named it by first is not in the record: each JSON object names its
    values, so a record spelling ``amount`` where others spell ``Amount`` still has its
    amount (it was kept as an extra and the record quarantined as ``missing_amount``)."""
    filled: set[int] = set()  # the first of the record's keys naming a column counts
    for key in record:
        position, own = aliases.get(key, (None, None))
        if position is not None and position not in filled and names[position] not in record:
            values[position], values[own] = values[own], None
            filled.add(position)


def _is_binary(kind: pa.DataType) -> bool:
    return (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or pa.types.is_binary_view(kind)
    )


def _decoded(value: object) -> tuple[object, bool]:
    """``value`` with every bytes value in it as text, and whether some were not UTF-8.

    Valid UTF-8 bytes become that text; other bytes become a visible, lossless escape
    (``\\xNN`` for each byte that is not UTF-8, as the CSV reader does), which the
    record's ``parse_error`` then flags.
    """
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), False
        except UnicodeDecodeError:
            return value.decode("utf-8", "backslashreplace"), True
    if isinstance(value, dict):
        pairs = [(key, _decoded(item)) for key, item in value.items()]
        return {key: item for key, (item, _) in pairs}, any(bad for _, (_, bad) in pairs)
    if isinstance(value, list | tuple):
        items = [_decoded(item) for item in value]
        return [item for item, _ in items], any(bad for _, bad in items)
    return value, False


def _timestamp_text(column: pa.ChunkedArray) -> list[str | None]:
    """ISO-8601 text of a timestamp column: no offset when the type has no time zone
    (cleaning reads such values as UTC), the zone's offset when it has one. A value
    outside Python's datetime range is rendered by Arrow (e.g. a five-digit year),
    which cleaning rejects as ``invalid_<column>``."""
    try:
        return [None if v is None else v.isoformat() for v in column.to_pylist()]
    except (OverflowError, ValueError):
        return pc.cast(column, pa.string()).to_pylist()


def _arrow_to_text(column: pa.ChunkedArray) -> tuple[list[str | None], list[bool]]:
    """The text of each value of a Parquet column, and which values held bytes that
    are not UTF-8 (see :func:`_decoded`).

    A text column (Parquet's UTF8 annotation) is not checked by every writer, nor by
    Arrow's reader: one holding bytes that are not UTF-8 is read as the bytes it holds,
    as a binary column is (its records broken ``invalid_utf8``, the bytes escaped), not
    left to fail the whole run."""
    try:
        return _typed_text(column)
    except UnicodeDecodeError:
        return _typed_text(column.cast(_bytes_type(column.type)))


def _bytes_type(kind: pa.DataType) -> pa.DataType:
    """``kind`` with every text type in it made the matching binary type (dictionaries
    decoded)."""
    if pa.types.is_dictionary(kind):
        return _bytes_type(kind.value_type)
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_string_view(kind):
        return pa.binary_view()
    if pa.types.is_map(kind):
        return pa.map_(_bytes_type(kind.key_type), _bytes_type(kind.item_type))
    if pa.types.is_struct(kind):
        return pa.struct([_bytes_field(kind.field(i)) for i in range(kind.num_fields)])
    if pa.types.is_large_list(kind):
        return pa.large_list(_bytes_field(kind.value_field))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(_bytes_field(kind.value_field), kind.list_size)
    if pa.types.is_list(kind):
        return pa.list_(_bytes_field(kind.value_field))
    return kind


def _bytes_field(field: pa.Field) -> pa.Field:
    return field.with_type(_bytes_type(field.type))


def _typed_text(column: pa.ChunkedArray) -> tuple[list[str | None], list[bool]]:
    """:func:`_arrow_to_text` of a column whose text is UTF-8 (else UnicodeDecodeError)."""
    kind = column.type
    clean = [False] * len(column)
    if pa.types.is_dictionary(kind):
        decoded = [chunk.dictionary_decode() for chunk in column.chunks]
        return _typed_text(pa.chunked_array(decoded, kind.value_type))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.to_pylist(), clean
    if pa.types.is_timestamp(kind):
        return _timestamp_text(column), clean
    if _is_binary(kind):
        pairs = [_decoded(v) for v in column.to_pylist()]
        return [text for text, _ in pairs], [bad for _, bad in pairs]
    if pa.types.is_nested(kind):
        pairs = [_decoded(v) for v in column.to_pylist()]
        return [_json_text(value) for value, _ in pairs], [bad for _, bad in pairs]
    try:
        return pc.cast(column, pa.string()).to_pylist(), clean
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return [_json_text(v) for v in column.to_pylist()], clean


def integer_money_errors(contract: Contract, header: Sequence[str], table: pa.Table) -> list[str]:
    """Why every record of a Parquet file is broken when a decimal money column of the
    contract (``amount``, ``unit_price``) is an integer type holding values: such
    values are most likely minor units (cents), and reading ``1999`` as 1999.00 major
    units would publish them changed. The records are quarantined, never converted."""
    return _integer_money_errors(
        contract,
        header,
        table.schema,
        {i: table.column(i).null_count < table.num_rows for i in range(table.num_columns)},
    )


def _integer_money_columns(contract: Contract, header: Sequence[str], schema: pa.Schema) -> dict:
    """Positions of the contract's decimal money columns that are an integer type, with
    their contract name and type."""
    found = {}
    for name, position in contract_positions(contract, header).items():
        kind = schema.field(position).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if contract.column(name).type == "decimal" and pa.types.is_integer(kind):
            found[position] = (name, kind)
    return found


def _integer_money_errors(
    contract: Contract, header: Sequence[str], schema: pa.Schema, holds_values: dict[int, bool]
) -> list[str]:
    """:func:`integer_money_errors`, from whether each column holds a value anywhere."""
    return [
        f"{INTEGER_MONEY_ERROR}: {name} is {kind} in Parquet (minor units?);"
        " the contract wants major units"
        for position, (name, kind) in _integer_money_columns(contract, header, schema).items()
        if holds_values[position]
    ]


def _binary_error(contract: Contract, header: Sequence[str], position: int) -> str:
    """The parse_error of a record whose binary value at ``position`` is not UTF-8;
    only contract columns are named (an extra column's name is landed text)."""
    name = normalize_header(header[position])
    where = f"column {name}" if name in contract.column_names else f"extra column {position + 1}"
    return f"invalid_utf8: binary value in {where} is not UTF-8 (kept with \\xNN escapes)"


class UnreadableFile(Exception):
    """A landing file found unreadable after some of its batches were read: the file is
    never read in part, so those rows are void and ``frame`` (one broken record naming
    why) stands for the whole file."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__(frame["parse_error"].iloc[0])
        self.frame = frame


def read_parquet(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """Read a Parquet landing file; typed values are rendered as text, nested as JSON.

    Binary values are read as UTF-8 text; a record holding one that is not UTF-8 is
    broken (``invalid_utf8``) with the bytes kept as ``\\xNN`` escapes. A file whose
    ``amount`` or ``unit_price`` is an integer type has every record broken
    (``integer_money_column``, values kept): see :func:`integer_money_errors`. A file
    that cannot be read is one broken record (``unreadable_parquet``).
    """
    return _whole(parquet_batches(contract, source))


def parquet_batches(
    contract: Contract, source: LandedFile, batch_rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """:func:`read_parquet`'s frame, ``batch_rows`` records at a time: what is held is one
    batch of the file, not the file (a million-row file took 2.3 GiB read whole).

    What depends on the whole file (which extra columns hold e-mail addresses, whether
    an integer money column holds values) is read first, in a pass over those columns
    only. Raises :class:`UnreadableFile` when the file cannot be read, at any point.
    """
    batch_rows = batch_rows or BATCH_ROWS
    try:
        parquet = pq.ParquetFile(io.BytesIO(source.data))
        header = bounded_header(parquet.schema_arrow.names)
        if parquet.metadata.num_rows <= batch_rows:
            # ParquetFile, not read_table: the dataset API refuses repeated column names.
            yield _parquet_frame(contract, source, header, parquet.read(), 0, None)
            return
        file_errors, pii_cells = _whole_file_facts(contract, header, parquet, batch_rows)
        offset = 0
        for batch in parquet.iter_batches(batch_size=batch_rows):
            table = pa.Table.from_batches([batch])
            yield _parquet_frame(contract, source, header, table, offset, (file_errors, pii_cells))
            offset += table.num_rows
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        # UnicodeDecodeError: a column name that is not UTF-8 (pyarrow decodes names)
        records = _Records(contract, [])
        records.add_broken(f"unreadable_parquet: {exc}", "", 0)
        raise UnreadableFile(records.frame(contract, source, "parquet")) from None


def _whole_file_facts(
    contract: Contract, header: list[str], parquet: pq.ParquetFile, batch_rows: int
) -> tuple[list[str], set[str]]:
    """The file's integer-money errors and the header cells of its extra columns that
    hold e-mail addresses: one pass over the batches, converting only those columns."""
    schema = parquet.schema_arrow
    money = _integer_money_columns(contract, header, schema)
    extras = [index for index, _ in extra_columns(contract, header)]
    holds_values = dict.fromkeys(money, False)
    pii_cells = {header[i] for i in extras if names_email(header[i])}
    wanted = [i for i in extras if header[i] not in pii_cells]
    if not money and not wanted:
        return [], pii_cells
    for batch in parquet.iter_batches(batch_size=batch_rows):
        for position in money:
            holds_values[position] |= batch.column(position).null_count < batch.num_rows
        for position in wanted:
            if header[position] not in pii_cells:
                texts, _ = _arrow_to_text(pa.chunked_array([batch.column(position)]))
                if holds_emails(texts):
                    pii_cells.add(header[position])
    return _integer_money_errors(contract, header, schema, holds_values), pii_cells


def _parquet_frame(
    contract: Contract,
    source: LandedFile,
    header: list[str],
    table: pa.Table,
    offset: int,
    whole_file: tuple[list[str], set[str]] | None,
) -> pd.DataFrame:
    """The raw frame of ``table``, the rows of a Parquet file from row ``offset + 1``;
    ``whole_file``: the file's integer-money errors and e-mail extra columns (None: the
    table is the whole file)."""
    records = _Records(contract, header)
    converted = [_arrow_to_text(table.column(i)) for i in range(table.num_columns)]
    columns = [texts for texts, _ in converted]
    if whole_file is None:
        file_errors = integer_money_errors(contract, records.header, table)
        # As the batched pass does: values of rows broken below for their size count.
        records.pii_cells |= {header[i] for i, _ in records.extras if holds_emails(columns[i])}
    else:
        file_errors, pii_cells = whole_file
        records.pii_cells |= pii_cells
    records.values = [list(row) for row in zip(*columns, strict=True)] if columns else []
    records.lines = list(range(offset + 1, offset + table.num_rows + 1))
    errors: list[list[str]] = [list(file_errors) for _ in range(table.num_rows)]
    for position, (_, bad) in enumerate(converted):
        if any(bad):
            error = _binary_error(contract, records.header, position)
            for row in np.flatnonzero(bad):
                if not any(e.startswith("invalid_utf8") for e in errors[row]):
                    errors[row].append(error)
    records.errors = ["; ".join(row) or None for row in errors]
    records.raws = [None] * table.num_rows
    _break_oversized_rows(records, columns)
    return records.frame(contract, source, "parquet")


def _break_oversized_rows(records: _Records, columns: list[list[str | None]]) -> None:
    """Make each row whose text (as a JSON object) is over the size limit a broken record."""
    widest = sum(max(map(len, filter(None, column)), default=0) for column in columns)
    if widest * 4 <= landed_text.MAX_RECORD_BYTES:
        return  # no row can be over the limit: skip the per-row pass
    for row, values in enumerate(records.values):
        if sum(len(value) for value in values if value) * 4 <= landed_text.MAX_RECORD_BYTES:
            continue
        text = json.dumps(dict(zip(records.header, values, strict=True)), ensure_ascii=False)
        if landed_text.is_oversized(text):
            records.values[row] = [None] * len(values)
            records.errors[row] = landed_text.oversized_error(landed_text.text_bytes(text))
            records.raws[row] = bounded_raw(text)


BATCH_READERS = {
    "csv": csv_batches,
    "jsonl": jsonl_batches,
    "parquet": parquet_batches,
}


def with_partition_date(frame: pd.DataFrame, day) -> pd.DataFrame:
    """Stamp a raw frame with the UTC day of its partition."""
    frame["partition_date"] = repeated_day(day, len(frame), frame.index)
    return frame


def read_landed_file(contract: Contract, source: LandedFile) -> pd.DataFrame | None:
    """The raw frame of one landing file (gzip decompressed first), or None when the
    platform cannot read it (see :mod:`orders_core.landing_formats`)."""
    if file_format(source.name) is None:
        return None
    return _whole(landed_file_batches(contract, source))


def _whole(batches: Iterator[pd.DataFrame]) -> pd.DataFrame:
    """One frame of a file's batches (its broken record if it turned out unreadable)."""
    try:
        frames = list(batches)
    except UnreadableFile as unreadable:
        return unreadable.frame
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def landed_file_batches(contract: Contract, source: LandedFile) -> Iterator[pd.DataFrame]:
    """The raw frame of one landing file in batches of at most :data:`BATCH_ROWS`
    records (:data:`CSV_BATCH_ROWS` of CSV; a CSV file pyarrow parses whole is one frame
    of Arrow strings); nothing when the platform cannot read the file. Raises
    :class:`UnreadableFile` when a file fails after some of its batches (never read in
    part)."""
    fmt = file_format(source.name)
    if fmt is None:
        return
    if is_gzip(source.name):
        try:
            source = replace(source, data=gunzip(source.data))
        except UnreadableCompressedFile as exc:
            records = _Records(contract, [])
            records.add_broken(str(exc), "", 0)
            yield records.frame(contract, source, fmt)
            return
    yield from BATCH_READERS[fmt](contract, source)


def read_landed_files(contract: Contract, files: Iterable[LandedFile]) -> pd.DataFrame:
    """Concatenate the raw frames of several landing files, in the given order."""
    frames = [read_landed_file(contract, source) for source in files]
    frames = [frame for frame in frames if frame is not None and len(frame)]
    if not frames:
        return empty_raw_frame(contract)
    return pd.concat(frames, ignore_index=True)
