"""The JSON Lines landing file reader: one raw frame row per line (:mod:`orders_core.raw_frame`).

Each line is one JSON object; its keys, in order of first appearance in the file, are
the file's header (a key over 1 KiB named by its size, as a CSV header cell is). Values
are kept as the text they landed as (numbers too), nested values as JSON text; a line
that is not an object is a broken record with its text.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

import pandas as pd

from orders_core import landed_text
from orders_core.contract import Contract
from orders_core.landed_text import (
    BATCH_TEXT_BYTES,
    bounded_header,
    bounded_raw,
    is_oversized_name,
)
from orders_core.pii import looks_like_email
from orders_core.raw_frame import (
    UNDECODABLE,
    LandedFile,
    Records,
    escape_undecodable,
    foreign_text_frame,
    normalize_header,
    numbered_key,
    whole,
)

_ANY_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON escape of a UTF-16 surrogate; paired ones decode to one character, lone ones
# decode to text that cannot be encoded as UTF-8 (or stored, or hashed).
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# JSON's insignificant whitespace (RFC 8259): a line of nothing else is blank, no record.
# str.strip() also strips form feeds, no-break spaces, U+2028, ...: not JSON, not blank.
JSON_WHITESPACE = " \t\r\n"
# Records of a file read (and held) at a time: see jsonl_batches. At 65,536 a one-file
# day of 1M records (304 MB, keys differing between records) peaked at 1,081 MiB in
# raw_orders (1,040 MiB gzip), at 16,384 786 MiB, in the same seconds.
BATCH_ROWS = 16_384
# Values framed at a time (records x the file's keys): a file naming many keys is framed
# in fewer records at a time, as every record has a value (null) for every key.
BATCH_VALUES = BATCH_ROWS * 32
# Distinct keys a file may name. Every record carries every key of its file (null where
# it has none), so a file whose records each name new keys (an export flattening one key
# per product, `"sku_12345": 2`) costs records x keys: 4,000 records of a key each held
# 1 GB. A file naming more keys than this is not order records: each of its records is
# a broken record saying so (too_many_keys), with its text, read in linear time.
MAX_FILE_KEYS = 1_024
CHUNK_BYTES = 8 * 1024 * 1024  # of a file read at a time


def _keep_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose repeated keys keep every value (``json.loads`` keeps the last):
    as with repeated CSV header cells, the first keeps the key and the n-th is keyed
    ``key__n``, skipping keys the object already has."""
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    record, taken = {}, {key for key, _ in pairs}
    for key, value in pairs:
        record[numbered_key(key, taken) if key in record else key] = value
    return record


class _JsonNumber(float):
    """A JSON number with a fraction or an exponent (or a NaN/Infinity token, or an
    integer an int would not give back: :func:`_json_integer`), keeping the text it
    landed as: ``1E2``, ``1.10``, ``1e400`` and ``100000000000000000000.0`` are
    landed text like a CSV field, not ``100.0``, ``1.1``, ``inf`` and ``1e+20``."""

    text: str

    @classmethod
    def of(cls, text: str) -> _JsonNumber:
        number = cls(text)
        number.text = text
        return number


def _json_integer(text: str) -> int | _JsonNumber:
    """A JSON integer as an int, but as the text it landed as where the int would not
    say it: ``-0`` (read as ``0``, another order id than the CSV's ``-0``) and one over
    the int's digit limit (``int()`` raises, and the record was broken)."""
    if text == "-0":
        return _JsonNumber.of(text)
    try:
        return int(text)
    except ValueError:
        return _JsonNumber.of(text)


def json_text(value: object) -> str | None:
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
    return whole(jsonl_batches(contract, source))


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
    a batch is parsed twice, first for those only. A file naming many keys is framed in
    fewer records at a time (:data:`BATCH_VALUES`), one naming more than
    :data:`MAX_FILE_KEYS` as broken records."""
    stream = stream if stream is not None else io.BytesIO(source.data)
    if (foreign := landed_text.foreign_encoding(stream)) is not None:
        yield foreign_text_frame(contract, source, "jsonl", *foreign)
        return
    kept: list | None = []  # the records, while the file fits one batch
    names: dict[str, None] = {}
    firsts: dict[str, str] = {}  # contract column -> the first key naming it (no extra)
    aliases: dict[str, str] = {}  # a key naming a contract column another names first -> it
    email_keys: set[str] = set()  # extra columns whose values hold e-mail addresses
    settled: set[str] = set()  # keys whose values need no look: contract ones, e-mail ones
    most = batch_rows or BATCH_ROWS  # records kept from the first pass
    kept_text = 0
    for entry in _entries(stream):
        if kept is not None:
            kept.append(entry)
            kept_text += len(entry[3])
            kept = kept if len(kept) <= most and kept_text <= BATCH_TEXT_BYTES else None
        record = entry[1]
        if record is None:
            continue
        for key, value in record.items():
            if key not in names:
                if len(names) == MAX_FILE_KEYS:
                    yield from _too_many_keys(contract, source, stream, most)
                    return
                names[key] = None
                name = normalize_header(key)
                if name in contract.column_names and not is_oversized_name(key):
                    if name not in firsts:
                        firsts[name] = key
                        settled.add(key)
                    else:
                        aliases[key] = firsts[name]
            if (
                key not in settled
                and looks_like_email(json_text(value))
                and not _fills_column(record, key, aliases)
            ):
                email_keys.add(key)
                settled.add(key)
    rows = batch_rows or max(1, min(BATCH_ROWS, BATCH_VALUES // max(1, len(names))))
    if kept is not None and len(kept) <= rows:
        yield _jsonl_frame(contract, source, list(names), kept, None)
        return
    # Framed in parts: the keys holding e-mails are the whole file's, from the first pass.
    entries = kept if kept is not None else _entries(stream)
    for part in _parts(entries, rows):
        yield _jsonl_frame(contract, source, list(names), part, email_keys)


def _entries(stream: BinaryIO) -> Iterator[tuple[int, dict | None, str | None, str]]:
    """The parsed records of a file (blank lines skipped), read from its start."""
    return (entry for entry in map(_jsonl_record, _jsonl_lines(stream)) if entry is not None)


def _parts(entries: Iterable[tuple], rows: int) -> Iterator[list[tuple]]:
    """``entries`` in lists of ``rows``, or fewer holding :data:`BATCH_TEXT_BYTES` of
    landed text (and one line), the last maybe shorter."""
    part: list[tuple] = []
    text = 0
    for entry in entries:
        part.append(entry)
        text += len(entry[3])
        if len(part) == rows or text >= BATCH_TEXT_BYTES:
            yield part
            part, text = [], 0
    if part:
        yield part


def _too_many_keys(
    contract: Contract, source: LandedFile, stream: BinaryIO, rows: int
) -> Iterator[pd.DataFrame]:
    """A file naming more than :data:`MAX_FILE_KEYS` keys, as broken records: each line
    with its text (as read: a broken one keeps its own error), none as an order."""
    error = f"too_many_keys: the file's records name more than {MAX_FILE_KEYS} distinct keys"
    for part in _parts(_entries(stream), rows):
        records = Records(contract, [])
        for number, _record, own_error, line in part:
            records.add_broken(own_error or error, line, number)
        yield records.frame(contract, source, "jsonl")


def _fills_column(record: dict, key: str, aliases: dict[str, str]) -> bool:
    """True when ``key`` gives ``record`` a contract column's value (:func:`_use_own_keys`),
    which is then no extra column's: it names a column another key of the file names
    first (``aliases``: such a key -> that key), the record lacks that key, and ``key``
    is the first of the record's keys naming the column."""
    first = aliases.get(key)
    if first is None or first in record:
        return False
    return next(own for own in record if aliases.get(own) == first) == key


class _CutLine(str):
    """A line too long to be a record, read without holding it (a file that is one
    minified JSON array): its first bytes and its last, ``dropped`` bytes between them
    counted and not kept (``blank``: all of them JSON whitespace)."""

    dropped: int
    blank: bool

    @classmethod
    def of(cls, data: bytes, dropped: int, blank: bool) -> _CutLine:
        line = cls(data.decode("utf-8", "surrogateescape"))
        line.dropped, line.blank = dropped, blank
        return line


def _jsonl_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(number, text) of each line of a JSON Lines file, read a chunk at a time. Records
    end at "\n" (or "\r" in a file without "\n": a JSON string holds no raw line break,
    so any "\n" ends a line) only: str.splitlines() would also split inside JSON
    strings holding U+2028, U+0085 or other characters JSON allows unescaped.
    Undecodable bytes are kept as surrogates (flagged later); a line end is never inside
    a UTF-8 sequence, so lines decode as the whole file would. A line that grows past
    the record limit is a :class:`_CutLine`: what is held stays under twice the limit."""
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
    dropped, blank = 0, True  # of the line in carry: bytes cut from its middle
    held = landed_text.MAX_RECORD_BYTES + 1  # more is oversized ("\r\n" ends a line)
    keep = landed_text.RAW_RECORD_KEEP_BYTES + 4  # all that bounded_raw reads of it
    while True:
        chunk = stream.read(CHUNK_BYTES)
        lines = (carry + chunk).split(ending)
        carry = lines.pop() if chunk else b""  # a line the next chunk may go on with
        for line in lines:
            number += 1
            if dropped:
                yield number, _CutLine.of(line, dropped, blank)
                dropped, blank = 0, True
            else:
                yield number, line.decode("utf-8", "surrogateescape")
        if len(carry) > held:  # oversized already: keep its start and its last byte
            middle = carry[keep:-1]
            dropped += len(middle)
            blank = blank and not middle.strip(JSON_WHITESPACE.encode())
            carry = carry[:keep] + carry[-1:]
        if not chunk:
            return


def _jsonl_record(numbered: tuple[int, str]) -> tuple[int, dict | None, str | None, str] | None:
    """(number, record or None, parse_error, text) of one line; None for a blank line."""
    number, line = numbered
    cut = line if isinstance(line, _CutLine) else None
    line = line.removesuffix("\r")
    if not line.strip(JSON_WHITESPACE) and (cut is None or cut.blank):
        return None
    if cut is not None or landed_text.is_oversized(line):
        size = landed_text.text_bytes(line) + (cut.dropped if cut is not None else 0)
        return number, None, landed_text.oversized_error(size), bounded_raw(line)
    if UNDECODABLE.search(line):
        return number, None, "invalid_utf8", escape_undecodable(line)
    try:
        record = json.loads(
            line,
            object_pairs_hook=_keep_repeated_keys,
            parse_float=_JsonNumber.of,
            parse_int=_json_integer,
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
    header = bounded_header(names)  # the keys as columns; records are read by their keys
    records = Records(contract, header)
    if email_keys is not None:
        emails = {cell for cell, key in zip(header, names, strict=True) if key in email_keys}
        records.pii_cells |= {records.header[i] for i, _ in records.extras} & emails
    aliases = _contract_aliases(records)
    for number, record, error, line in parsed:
        if record is None:
            records.add_broken(error or "", line, number)
            continue
        values = [json_text(record.get(name)) for name in names]
        if aliases:
            _use_own_keys(record, names, aliases, values)
        records.add(values, number)
    return records.frame(contract, source, "jsonl")


def _contract_aliases(records: Records) -> dict[str, tuple[int, int]]:
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
