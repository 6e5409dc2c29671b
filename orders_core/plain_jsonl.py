"""Which JSON Lines files the warehouse engine may load itself, record for record as the reader.

The reader (:mod:`orders_core.jsonl_reader`) keeps every value as the text it landed as:
numbers as written (``1.10``, ``-0``), repeated keys numbered, nested values as sorted
JSON; its header is every key the lines name, in order of first appearance, and a key a
line leaves out is null there. The engine's JSON functions re-print numbers and keep one
of repeated keys, so it may load only the files where none of that can happen, the
common export: every line one flat object, naming no key twice, every value a JSON
string, a number, ``true``, ``false`` or ``null``. Lines may name the keys in any order
and leave some out, as Spark's writer leaves out null values. Each value is then its
string (which the engine's ``json_extract_string`` decodes as Python's ``json`` does) or
the token as landed: a JSON number's text is the reader's text of it (a fraction or an
exponent kept as written; an integer's text is its ``int``'s, JSON allowing no leading
zero or plus, and ``-0`` kept as written), and ``true`` / ``false`` are the reader's texts
of the booleans. So the engine reads each string with ``json_extract_string`` and takes
any other value's token from the line itself (:func:`token_pattern`), where its JSON
functions would re-print a number.

The header is the first line's keys, unless a later line names another key: then the
engine lists every key the lines name (``SqlSession.jsonl_keys``) and
:func:`keys_in_order` puts the others after the first line's, where each first appears.

Proven in two parts:

- here, in Python, reading the first line and streaming a byte look at the rest (bounded
  memory, at C speed): the first line is such an object; and no byte of the file is a
  control character but the tab and the line feed (no CR, no NUL: JSON forbids them raw
  in a string, and the engine's line scan would read them otherwise), no line is blank,
  and there is no byte-order mark. The header's keys (:func:`plain_keys`) are plain ASCII
  (:func:`orders_core.plain_csv.json_safe`: written as they are, in a JSON path and in
  the extras' JSON), none oversized, no two naming one contract column, at most
  :data:`MAX_KEYS` of them;
- in the engine, before it inserts a row (``SqlSession.load_plain_jsonl``): every line
  fully matches :func:`line_pattern` (members naming the header's keys, each with a
  string of plain characters and simple escapes, a JSON number, ``true``, ``false`` or
  ``null``; JSON whitespace between tokens; no ``NaN`` or ``Infinity``, which Python
  reads), names as many keys as it has members (none twice), and none is over the
  record size limit. A string's escapes are the simple ones and ``\\u`` escapes of
  characters other than NUL and the surrogates (a lone surrogate makes the reader's
  record broken; a pair is left to the reader too).

A file that passes here but is still not what it seems (invalid UTF-8, a line that does
not match) is refused by the engine before any row is written, and left to the reader.
"""

from __future__ import annotations

import json
import re
from typing import BinaryIO

from orders_core.contract import Contract
from orders_core.landed_text import MAX_HEADER_NAME_BYTES, MAX_RECORD_BYTES
from orders_core.plain_csv import json_safe
from orders_core.raw_frame import normalize_header

CHUNK_BYTES = 8 * 1024 * 1024
# Keys a file the engine loads may name: its check and insert grow with them. Measured
# (all values short strings): 64 keys x 20,000 lines 2.0 s by the engine against 3.2 s by
# the reader, 128 keys x 10,000 lines 4.3 s against 2.1 s, 250 keys x 20,000 lines 27 s
# (session 26; again in session 31, loaded machine: 2.5-3.6 s, 5.2-5.6 s, 35-45 s, of
# which the line pattern 0.1 s at 64 keys, the rest the extras' checks and JSON). An
# order export names a dozen or two.
MAX_KEYS = 64
# Every byte but the control ones other than the tab and the line feed: deleting them
# (bytes.translate, a table lookup in C) leaves the bytes a plain file may not hold.
_ALLOWED = bytes(b for b in range(256) if b >= 0x20 or b in b"\t\n")

# RE2, for the engine: JSON whitespace within a line, and a JSON string of characters
# other than the quote, the backslash and the control ones, or simple escapes, or \u
# escapes of any character but NUL and the UTF-16 surrogates (D800-DFFF).
_SPACE = r"[ \t]*"
_UNICODE_ESCAPE = (
    r"u(?:0(?:0(?:0[1-9a-fA-F]|[1-9a-fA-F][0-9a-fA-F])|[1-9a-fA-F][0-9a-fA-F]{2})"
    r"|[1-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2})"
)
_STRING = r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|' + _UNICODE_ESCAPE + r'))*"'
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_VALUE = f"(?:{_STRING}|{_NUMBER}|true|false|null)"


_SCALARS = (str, int, float)  # bool is an int


class _Members(list):
    """The (key, value) pairs of a JSON object, in order, repeated keys kept."""


def plain_jsonl_first_line(first: bytes, contract: Contract) -> list[str] | None:
    """The keys of a JSON Lines file's first line (as read, line end included) when it is
    a plain record (see the module docstring): what a file must pass before the rest of
    it is worth a look. None otherwise."""
    line = first.removesuffix(b"\n")
    if not line or not _plain_bytes(line):
        return None
    try:
        pairs = json.loads(line.decode("utf-8"), object_pairs_hook=_Members)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, _Members) or not pairs:
        return None
    keys = [key for key, _ in pairs]
    if not plain_keys(keys, contract) or not all(
        isinstance(value, _SCALARS) or value is None for _, value in pairs
    ):
        return None
    return keys


def plain_keys(keys: list[str], contract: Contract) -> bool:
    """Whether a file's keys (its header: every key its lines name, in order of first
    appearance) are ones the engine may load under: at most :data:`MAX_KEYS`, none
    repeated, none empty, oversized or other than plain ASCII (``json_safe``: written as
    they are, in a JSON path and in the extras' JSON), and no two naming one contract
    column."""
    named = [n for n in map(normalize_header, keys) if n in contract.column_names]
    return (
        len(keys) <= MAX_KEYS
        and len(set(keys)) == len(keys)
        and len(set(named)) == len(named)
        and all(key and json_safe(key) and len(key) <= MAX_HEADER_NAME_BYTES for key in keys)
    )


def plain_jsonl_header(handle: BinaryIO, contract: Contract) -> list[str] | None:
    """The keys of a plain JSON Lines file (see the module docstring) as far as bytes can
    tell, or None. Reads ``handle`` from its current position to the end, a chunk at a
    time; the engine checks every line against :func:`line_pattern` before loading."""
    first = handle.readline(MAX_RECORD_BYTES + 2)
    keys = plain_jsonl_first_line(first, contract)
    if keys is None:
        return None
    before = first[-1:]  # b"\n", or b"" for a file of one line without its line end
    while chunk := handle.read(CHUNK_BYTES):
        if not _plain_bytes(chunk) or (before == b"\n" and chunk.startswith(b"\n")):
            return None
        before = chunk[-1:]
    return keys


def keys_in_order(handle: BinaryIO, first: list[str], keys: set[str]) -> list[str]:
    """The header of a JSON Lines file whose lines are flat objects (the engine found
    that, and ``keys``, every key they name): its first line's keys ``first``, then the
    others in order of first appearance. Each is found where a member names it first
    (:func:`token_pattern`'s look: only a member matches in such a line), reading
    ``handle`` from its start a chunk of whole lines at a time, until every key is."""
    header, rest = list(first), keys - set(first)
    handle.seek(0)
    while rest and (chunk := handle.read(CHUNK_BYTES)):
        chunk += handle.readline()  # whole lines: a member is never cut in two
        start = 0
        while rest:
            names = "|".join(re.escape(key) for key in sorted(rest))
            found = re.compile(f'[{{,]{_SPACE}"({names})"{_SPACE}:'.encode()).search(chunk, start)
            if found is None:
                break
            key = found.group(1).decode()
            header.append(key)
            rest.discard(key)
            start = found.end()
    return header


def _plain_bytes(data: bytes) -> bool:
    """No control byte but the tab and the line feed, and no blank line inside."""
    return not data.translate(None, _ALLOWED) and b"\n\n" not in data


def line_pattern(keys: list[str] | None) -> str:
    """An RE2 pattern that a line fully matches when it is one flat JSON object whose
    members each name one of ``keys`` (plain ASCII: :func:`plain_keys`), or any plain
    ASCII key when ``keys`` is None, in any order, some or none of them, each with a
    string (plain characters and simple escapes), a number, ``true``, ``false`` or
    ``null``. A key named twice in a line is not the pattern's to see (RE2 has no
    back-references): the engine compares the line's keys with the ones it found."""
    if keys is None:
        key = r'"[ !#-\[\]-~]+"'  # json_safe: printable ASCII but the quote and backslash
    else:
        key = '"(?:' + "|".join(_literal(key) for key in keys) + ')"'
    member = f"{key}{_SPACE}:{_SPACE}{_VALUE}"
    members = f"(?:{member}(?:{_SPACE},{_SPACE}{member})*)?"
    return f"^{_SPACE}\\{{{_SPACE}{members}{_SPACE}\\}}{_SPACE}$"


def _literal(text: str) -> str:
    """``text`` (plain ASCII) as an RE2 literal: letters and digits as they are, every
    other character as a hexadecimal escape."""
    return "".join(c if c.isalnum() or c == "_" else f"\\x{ord(c):02x}" for c in text)


def token_pattern(key: str) -> str:
    """An RE2 pattern whose group 1 is the token of ``key``'s value in a line that fully
    matches :func:`line_pattern` (the value not a string: a number, ``true``, ``false``).
    The key's opening quote must follow a ``{`` or a ``,`` (and JSON whitespace): inside
    a string value every quote follows a backslash, so only the member itself matches."""
    return f'[{{,]{_SPACE}"{_literal(key)}"{_SPACE}:{_SPACE}([^ \\t,}}]+)'


def json_path(key: str) -> str:
    """The JSON path of a plain ASCII key (no quote, no backslash): ``$."key"``."""
    return f'$."{key}"'
