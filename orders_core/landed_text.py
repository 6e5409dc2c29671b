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
line break. A CSV file's header is its first line that is not blank (only spaces and
tabs, :func:`is_blank_line`): blank lines before it are skipped, as most CSV tools skip
them (read as the header, an empty line made every record of the file a broken
``field_count`` one), and the lines after keep their numbers in the file.

**Encoding.** Landed text is UTF-8. A CSV or JSON Lines file that opens with the
byte-order mark of UTF-16 or UTF-32 (Excel's "Unicode Text", Windows PowerShell's
``Out-File``) is not read as records: read as UTF-8 its header is names interleaved with
NUL bytes and no contract column, so every record was quarantined as missing its
order_id. It is one broken record instead (:func:`foreign_encoding`), ``parse_error``
``not_utf8: ...`` naming the encoding, its text kept as far as any record's is.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Sequence
from typing import BinaryIO

MAX_RECORD_BYTES = 64 * 1024
RAW_RECORD_KEEP_BYTES = 16 * 1024
# Landed text of the records a reader frames at a time, at most (and one record), besides
# its count of records: records near the size limit filled 16,384-record frames of 1 GiB,
# and a day of 20,000 e-mails of 100 KB in one CSV file took raw_orders to 1,488 MiB
# (bench/RESULTS.md, session 36). Plain orders (about 150 bytes a record) frame 16,384
# records in 2.4 MB, under it.
BATCH_TEXT_BYTES = 16 * 1024 * 1024
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
# Bytes of a landed file read at a time by the streamed line readers.
STREAM_CHUNK_BYTES = 8 * 1024 * 1024
_UNDECODABLE = re.compile("[\udc80-\udcff]")


# What a blank line holds besides its line ending.
_BLANK = " \t"


def is_blank_line(line: str | bytes | bytearray) -> bool:
    """Whether a line (its line ending included or not) holds only spaces and tabs."""
    if isinstance(line, str):
        return not line.rstrip("\r\n").strip(_BLANK)
    return not line.rstrip(b"\r\n").strip(_BLANK.encode())


def line_ending(text: str) -> str:
    """The character that ends the lines of CSV ``text``: ``\\n`` (so ``\\r\\n`` too),
    or ``\\r`` for a file without ``\\n``, or whose header line ends with a lone ``\\r``.

    Decided by the header, not "``\\n`` anywhere": a CR-ended file may hold ``\\n``
    inside quoted cells (a spreadsheet's "CSV (Macintosh)" export of multi-line
    addresses) or end with a single ``\\n``, and a file of ``\\n`` lines may hold a stray
    ``\\r`` or an inch mark (``27" monitor``) in any row: the rows cannot mislead the
    header. Only texts holding both a lone ``\\r`` and an ``\\n`` are looked at past a
    ``str.count``, and only up to the header's break (at most the first
    :data:`HEADER_SCAN_CHARS` characters).
    """
    return _ending(text.count("\r"), text.count("\n"), text.count("\r\n"), lambda: text)


def _ending(returns: int, feeds: int, pairs: int, head) -> str:
    """:func:`line_ending` from the text's counts of ``\\r``, ``\\n`` and ``\\r\\n``;
    ``head()`` gives (at least) its first :data:`HEADER_SCAN_CHARS` characters."""
    if not returns:
        return "\n"
    if not feeds:
        return "\r"
    if returns == pairs:
        return "\n"  # CR LF lines, no lone CR
    for match in _FIRST_BREAK.finditer(head(), 0, HEADER_SCAN_CHARS):
        if match.group(1):
            return "\r" if match.group(1) == "\r" else "\n"
    return "\n"


def stream_line_ending(stream: BinaryIO) -> str:
    """:func:`line_ending` of the text of a seekable binary stream (UTF-8, its BOM not a
    line), counted a chunk at a time: the text is never held."""
    returns = feeds = pairs = 0
    after_return = False
    stream.seek(0)
    while chunk := stream.read(STREAM_CHUNK_BYTES):
        returns += chunk.count(b"\r")
        feeds += chunk.count(b"\n")
        pairs += chunk.count(b"\r\n") + (after_return and chunk.startswith(b"\n"))
        after_return = chunk.endswith(b"\r")

    def head() -> str:
        stream.seek(0)
        text = stream.read(HEADER_SCAN_CHARS * 4 + 7).decode("utf-8", "surrogateescape")
        return text.removeprefix("\ufeff")

    return _ending(returns, feeds, pairs, head)


# Byte-order marks of text a UTF-8 reader would misread, longest first (UTF-32 LE's
# starts with UTF-16 LE's).
_FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def foreign_encoding(stream: BinaryIO) -> tuple[str, str] | None:
    """``(parse_error, raw_record)`` of a seekable text file (its position kept) that
    opens with a UTF-16 or UTF-32 byte-order mark: the encoding named, and the file's
    first :data:`RAW_RECORD_KEEP_BYTES` bytes as text of that encoding. None for any
    other file."""
    at = stream.tell()
    stream.seek(0)
    head = stream.read(4)
    encoding = next((name for bom, name in _FOREIGN_BOMS if head.startswith(bom)), None)
    if encoding is None:
        stream.seek(at)
        return None
    stream.seek(0)
    text = stream.read(RAW_RECORD_KEEP_BYTES).decode(encoding, "replace").removeprefix("\ufeff")
    stream.seek(at)
    error = (
        f"not_utf8: the file is {encoding.upper()} (its byte-order mark says so);"
        " landed text must be UTF-8"
    )
    return error, bounded_raw(text)


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

    :meth:`of_stream` reads a file's text a chunk at a time instead (:attr:`text` is then
    a window of it, from at most the record being read on): a one-file day of 1M quoted
    orders held the file's bytes and its text, four bytes a character when one value
    of the file needs them (1.5 GiB in raw_orders).
    """

    def __init__(self, text: str, ending: str | None = None):
        self.text = text
        self.ending = ending or line_ending(text)
        self._line_pattern = _LINES[self.ending]
        self._base = 0  # offset in the whole text of self.text's first character
        self._pos = 0  # where the next line starts, in self.text
        self._counted = 0  # line breaks before this offset are counted in _line
        self._line = 1
        self._stream: BinaryIO | None = None
        self._read_at = 0  # of the stream: where its next chunk starts
        self._decoder = None
        self._at_start = False
        self._released = 0  # text before this offset (in self.text) is no longer needed
        self.has_undecodable = _UNDECODABLE.search(text) is not None

    @classmethod
    def of_stream(cls, stream: BinaryIO) -> PhysicalLines:
        """The lines of a seekable binary stream's text (UTF-8, undecodable bytes kept as
        surrogates, a BOM dropped), read :data:`STREAM_CHUNK_BYTES` at a time; the text
        before the record being read (:meth:`release`) is dropped as more is read."""
        lines = cls("", stream_line_ending(stream))
        lines._stream = stream
        lines._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        lines._at_start = True
        return lines

    def _read_more(self) -> None:
        """Append the stream's next chunk (at least as much as is held: a long record
        costs linear time) to the text, dropping the released text; the last read
        (nothing left) ends the stream (``_decoder`` None)."""
        if self._stream is None or self._decoder is None:
            return
        self._stream.seek(self._read_at)
        chunk = self._stream.read(max(STREAM_CHUNK_BYTES, len(self.text) - self._released))
        self._read_at += len(chunk)
        more = self._decoder.decode(chunk, final=not chunk)
        if self._at_start and more:
            more, self._at_start = more.removeprefix("\ufeff"), False
        if not chunk:
            self._decoder = None
        self.has_undecodable = self.has_undecodable or _UNDECODABLE.search(more) is not None
        if self._released:
            self._line = self.line  # the line breaks before pos counted
            cut, self._released = self._released, 0
            self.text = self.text[cut:] + more
            self._base += cut
            self._pos -= cut
            self._counted -= cut
        else:
            self.text += more

    def skip_blank_lines(self) -> None:
        """Step past the blank lines (:func:`is_blank_line`) from :attr:`pos` on: those
        before a CSV file's header. They are released as they are passed (a file of
        gigabytes of them is not held), and counted in :attr:`line`."""
        while True:
            self.release()
            start = self.pos
            try:
                line = next(self)
            except StopIteration:
                return
            if not is_blank_line(line):
                self._pos = start - self._base
                return

    def release(self) -> None:
        """Say that the text before :attr:`pos` is read (between records): a streamed
        text drops it when it reads on."""
        if self._stream is not None:
            self._released = self._pos

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        # The text's lines without a copy of the text (io.StringIO holds four bytes a
        # character once read): a reader holds the file's text once.
        while True:  # positions are taken again after a read: it drops released text
            start = self._pos
            end = self._line_pattern.match(self.text, start).end()
            complete = end < len(self.text) or (end > start and self.text[end - 1] == self.ending)
            if complete or self._decoder is None:
                break
            self._read_more()
        if start >= len(self.text):
            raise StopIteration
        self._pos = end
        return self.text[start:end]

    @property
    def pos(self) -> int:
        """Where the next line starts, counted from the text's start."""
        return self._base + self._pos

    @property
    def line(self) -> int:
        pos = self._pos
        self._line += self.text.count(self.ending, self._counted, pos)
        self._counted = pos
        return self._line

    def record(self, start: int) -> str:
        """The text from ``start`` (a :attr:`pos`) to where the reader is, without its
        final line break."""
        text = self.text[start - self._base : self._pos]
        return text.removesuffix("\n").removesuffix("\r")

    def restart_after_line(self, start: int, line: int) -> str:
        """Go back to the line at ``start`` (a :attr:`pos`, number ``line``), step past it,
        return its text."""
        end = self.text.find(self.ending, start - self._base)
        while end < 0 and self._decoder is not None:
            self._read_more()
            end = self.text.find(self.ending, start - self._base)
        start -= self._base
        end = len(self.text) if end < 0 else end
        self._counted = min(end + 1, len(self.text))
        self._line = line + 1
        self._pos = self._counted
        text = self.text[start:end]
        return text.removesuffix("\r") if self.ending == "\n" else text
