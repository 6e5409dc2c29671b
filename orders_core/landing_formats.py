"""Which landed files are order files, in what format, and how the others are reported.

Read: CSV (``.csv``), JSON Lines (``.jsonl``, ``.ndjson``, ``.json``) and Parquet
(``.parquet``), case-insensitively, and CSV or JSON Lines compressed with gzip (the same
names ending in ``.gz``). Everything else in a day's folder is *unreadable*: another
extension (``.zip``, ``.xlsx``, ``.parquet.gz``, ``_SUCCESS``) or a dot-file (``.DS_Store``,
an AppleDouble ``._orders.csv``, an upload's temporary ``.orders.csv.part``). Unreadable
files are never read, but never ignored quietly either: raw_orders reports them and the
schema drift check fails the day, so a day whose orders came in a form the platform
cannot read never looks empty and healthy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from urllib.parse import unquote_to_bytes, urlparse

from orders_core.compression import GZIP_SUFFIX
from orders_core.tables import (
    HEADER_ONLY_METADATA,
    UNREADABLE_FILES_METADATA,
    UNREADABLE_NAMES_METADATA,
)

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}
COMPRESSIBLE = ("csv", "jsonl")  # Parquet compresses its own pages
MAX_LISTED_NAMES = 10


def file_format(name: str) -> str | None:
    """The landing format of a file name (``csv``, ``jsonl``, ``parquet``), or None when the
    platform cannot read it."""
    lowered = name.lower()
    if lowered.startswith("."):
        return None
    compressed = lowered.endswith(GZIP_SUFFIX)
    stem = lowered.removesuffix(GZIP_SUFFIX) if compressed else lowered
    for suffix, fmt in FORMATS.items():
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return fmt if not compressed or fmt in COMPRESSIBLE else None
    return None


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def display_name(name: str) -> str:
    """A landed file's name as a user reads it (metadata, findings, alerts, errors), and
    so a landed column's (schema_drift's findings).

    Printable text is shown as it is. A byte that is not UTF-8 (the file system's decoding
    keeps it as a lone surrogate, U+DC80-U+DCFF, which no tool prints) is shown as
    ``\\xNN``; another character that does not print (a line break that would forge a
    line of an alert, a no-break space) as ``\\n``, ``\\r``, ``\\t`` or ``\\uNNNN``; a
    backslash of the name is doubled. So every escape reads one way, and the name's
    bytes can be told from what is shown (``caf\\xe9.csv`` is Latin-1 ``café.csv``).
    The lineage column ``source_file`` is not this: it is the file's URI, its bytes
    percent-encoded, unique and stable."""
    shown = []
    for char in name:
        code = ord(char)
        if char in _ESCAPES:
            shown.append(_ESCAPES[char])
        elif 0xDC80 <= code <= 0xDCFF:
            shown.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            shown.append(char)
        else:
            shown.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(shown)


def display_name_of_uri(uri: str) -> str:
    """:func:`display_name` of the file a ``source_file`` URI names (its last segment,
    percent-decoded to the name's bytes): ``.../caf%E9.csv`` shows as ``caf\\xe9.csv``."""
    segment = PurePosixPath(urlparse(uri).path).name
    return display_name(unquote_to_bytes(segment).decode("utf-8", "surrogateescape"))


def listed_names(names: Sequence[str]) -> str:
    """Names joined for metadata, the first :data:`MAX_LISTED_NAMES` and a count of the rest."""
    shown = "; ".join(names[:MAX_LISTED_NAMES])
    rest = len(names) - MAX_LISTED_NAMES
    return shown + (f"; and {rest} more" if rest > 0 else "")


def unreadable_metadata(names: Sequence[str]) -> dict[str, object]:
    """raw_orders' metadata for a day's unreadable landed files (names only; empty if none)."""
    if not names:
        return {}
    return {UNREADABLE_FILES_METADATA: len(names), UNREADABLE_NAMES_METADATA: listed_names(names)}


# Header-only files of a day listed with their header in raw_orders' metadata (the count
# says how many there were).
MAX_HEADER_ONLY_FILES = 20


def header_only_metadata(headers: Sequence[tuple[str, Sequence[str]]]) -> dict[str, object]:
    """raw_orders' metadata for a day's landed files that hold a header and no record
    (``(file, header)`` each, e-mail addresses already masked; empty if none): the
    headers no row keeps, for the schema_drift check."""
    if not headers:
        return {}
    listed = [{"file": file, "header": list(header)} for file, header in headers]
    return {
        HEADER_ONLY_METADATA: {
            "files": len(listed),
            "headers": listed[:MAX_HEADER_ONLY_FILES],
        }
    }


def read_header_only(metadata: Mapping[str, object]) -> tuple[int, list[tuple[str, list[str]]]]:
    """From a raw_orders materialization's plain metadata values: how many header-only
    files the day had, and (file, header) of those listed."""
    value = metadata.get(HEADER_ONLY_METADATA)
    if not isinstance(value, Mapping):
        return 0, []
    listed = [
        (str(item["file"]), [str(name) for name in item["header"]])
        for item in value.get("headers", [])
    ]
    return int(value.get("files", len(listed))), listed
