"""Limits and line rules shared by the landing readers: what a record's size and line are.

**Size.** An order record is well under a kilobyte; a landed record (a CSV record, a
JSON line, a Parquet row rendered as text) of more than :data:`MAX_RECORD_BYTES` bytes
of UTF-8 is not an order but a fault (an unclosed quote, a blob pasted into a field).
It becomes one broken record, ``parse_error`` ``oversized_record: N bytes > limit``,
keeping only its first :data:`RAW_RECORD_KEEP_BYTES` bytes in ``raw_record``, so one
bad record can neither blow up a table nor take its neighbours with it.

A header cell longer than :data:`MAX_HEADER_NAME_BYTES` is not a column name either:
the file is still read (its records keep their values), the cell is named by its
position and size (:func:`oversized_name`) so its values are carried as an extra
column and the schema drift check reports it, and its text is never copied onto
every row's ``file_header`` or into check metadata.

**Lines.** ``source_line`` counts lines ending at ``\\n`` (``\\r\\n`` included); in a
file without any ``\\n``, at ``\\r`` (old Mac line endings). A lone ``\\r`` in a file
that has ``\\n`` line endings is data (for instance inside a quoted CSV field), not a
line break.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

MAX_RECORD_BYTES = 64 * 1024
RAW_RECORD_KEEP_BYTES = 16 * 1024
MAX_HEADER_NAME_BYTES = 1024
_CUT_CHARACTER = re.compile("[\udc80-\udcff]{1,3}$")
# One line, up to and with the line ending of a CSV text (line_ending): "\n" (so "\r\n"
# too) or "\r". A lone "\r" in a text of "\n" lines is inside its line.
_LINES = {"\n": re.compile(r"[^\n]*\n?"), "\r": re.compile(r"[^\r]*\r?")}
# The header's line break: a quoted field opens only at the start of a field (a quote
# inside an unquoted field is a character, as csv reads it) and may hold line breaks;
# group 1 is the first line break outside one.
_FIRST_BREAK = re.compile(r'(?<![^,\r\n])"[^"]*(?:""[^"]*)*"|(\r\n|\n|\r)')
HEADER_SCAN_CHARS = 1 << 20


def line_ending(text: str) -> str:
    """The character that ends the lines of CSV ``text``: ``\\n`` (so ``\\r\\n`` too),
    or ``\\r`` for a file without ``\\n``, or whose header line ends with a lone ``\\r``.

    Decided by the header, not "``\\n`` anywhere": a CR-ended file may hold ``\\n``
    inside quoted cells (a spreadsheet's "CSV (Macintosh)" export of multi-line
    addresses) or end with a single ``\\n``, and a file of ``\\n`` lines may hold a stray
    ``\\r`` or an inch mark (``27" monitor``) in any row: the rows cannot mislead the
    header. Only texts holding both a lone ``\\r`` and a ``\\n`` are looked at past a
    ``str.count``, and only up to the header's break (at most the first
    :data:`HEADER_SCAN_CHARS` characters).
    """
    if "\r" not in text:
        return "\n"
    if "\n" not in text:
        return "\r"
    if text.count("\r") == text.count("\r\n"):
        return "\n"  # CR LF lines, no lone CR
    for match in _FIRST_BREAK.finditer(text, 0, HEADER_SCAN_CHARS):
        if match.group(1):
            return "\r" if match.group(1) == "\r" else "\n"
    return "\n"


def text_bytes(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (undecodable bytes, kept as surrogates, count one)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


def is_oversized(text: str) -> bool:
    """True when a record's text is longer than :data:`MAX_RECORD_BYTES` bytes."""
    return len(text) > MAX_RECORD_BYTES or (
        len(text) * 4 > MAX_RECORD_BYTES and text_bytes(text) > MAX_RECORD_BYTES
    )


def oversized_error(size: int) -> str:
    """The ``parse_error`` of a record of ``size`` bytes over the limit."""
    return (
        f"oversized_record: {size} bytes > {MAX_RECORD_BYTES}"
        f" (first {RAW_RECORD_KEEP_BYTES} bytes kept in raw_record)"
    )


def bounded_raw(text: str) -> str:
    """At most the first :data:`RAW_RECORD_KEEP_BYTES` bytes of ``text``, whole characters,
    undecodable bytes shown as ``\\xNN``."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) > RAW_RECORD_KEEP_BYTES:
        text = _CUT_CHARACTER.sub(
            "", data[:RAW_RECORD_KEEP_BYTES].decode("utf-8", "surrogateescape")
        )
        data = text.encode("utf-8", "surrogateescape")
    return data.decode("utf-8", "backslashreplace")


def oversized_name(position: int, size: int) -> str:
    """The name given to a header cell too long to be a column name (0-based position)."""
    return f"(oversized header cell {position + 1}: {size} bytes)"


def is_oversized_name(name: str) -> bool:
    """True when a header name is longer than :data:`MAX_HEADER_NAME_BYTES` bytes."""
    return len(name.encode("utf-8", "surrogateescape")) > MAX_HEADER_NAME_BYTES


def bounded_header(names: Sequence[str]) -> list[str]:
    """Header names, each longer than :data:`MAX_HEADER_NAME_BYTES` replaced by :func:`oversized_name`."""
    return [
        oversized_name(position, len(name.encode("utf-8", "surrogateescape")))
        if is_oversized_name(name)
        else name
        for position, name in enumerate(names)
    ]


class PhysicalLines:
    """A text's lines as ``csv.reader`` consumes them, tracking where the reader is.

    The reader iterates the lines of the text split after its :func:`line_ending` only
    (line breaks kept) and pulls lines only until its record is complete, so between
    records :attr:`pos` is where the next record starts and :attr:`line` its number,
    counted by the same ending. Every record thus starts on a line of its own: a lone
    ``\\r`` outside quotes in a file of ``\\n`` lines is inside its line, which ``csv``
    refuses (one broken record with the line's text). Split at every ``\\r`` too, as
    ``io.StringIO(text, newline="")`` splits, ``"B,c,2\\rB,c,3\\n"`` was two records
    numbered with the same line: two raw rows with one key (day, file, line), which
    cleaning joins on, so an order of the line was lost and another row quarantined
    with its neighbour's reason (reconciliation failed the day).
    """

    def __init__(self, text: str):
        self.text = text
        self.ending = line_ending(text)
        self._line_pattern = _LINES[self.ending]
        self._pos = 0  # where the next line starts
        self._counted = 0  # line breaks before this offset are counted in _line
        self._line = 1

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        # The text's lines without a copy of the text (io.StringIO holds four bytes a
        # character once read): a reader holds the file's text once.
        start = self._pos
        if start >= len(self.text):
            raise StopIteration
        self._pos = self._line_pattern.match(self.text, start).end()
        return self.text[start : self._pos]

    @property
    def pos(self) -> int:
        return self._pos

    @property
    def line(self) -> int:
        pos = self.pos
        self._line += self.text.count(self.ending, self._counted, pos)
        self._counted = pos
        return self._line

    def record(self, start: int) -> str:
        """The text from ``start`` to where the reader is, without its final line break."""
        text = self.text[start : self.pos]
        return text.removesuffix("\n").removesuffix("\r")

    def restart_after_line(self, start: int, line: int) -> str:
        """Go back to the line at ``start`` (number ``line``), step past it, return its text."""
        end = self.text.find(self.ending, start)
        end = len(self.text) if end < 0 else end
        self._counted = min(end + 1, len(self.text))
        self._line = line + 1
        self._pos = self._counted
        text = self.text[start:end]
        return text.removesuffix("\r") if self.ending == "\n" else text
