"""Which CSV files the warehouse engine may load itself, record for record as the reader.

The platform's reader (:mod:`orders_core.ingest`) is the reference: every record one row,
with its line, and every odd record kept. For the common file it is needlessly slow and
holds the file in memory, so :func:`plain_header` recognises the files where the
engine's own CSV scan gives exactly the reader's rows, by a streaming look at the bytes
(bounded memory): no quote character at all (so no field spans lines and no escaping),
no CR, no NUL, no blank line, no byte-order mark, no line over the record size limit,
and a header whose every cell is a distinct contract column (no extra columns, so no
extras JSON or PII extras to build). Then line *n* holds data record *n - 1*. A file
that passes but is still not what it seems (invalid UTF-8, a ragged row) makes the
engine's strict scan fail, and the caller falls back to the reader.
"""

from __future__ import annotations

from typing import BinaryIO

from orders_core.contract import Contract
from orders_core.ingest import normalize_header
from orders_core.landed_text import MAX_HEADER_NAME_BYTES, MAX_RECORD_BYTES

CHUNK_BYTES = 8 * 1024 * 1024
_FORBIDDEN = (b'"', b"\r", b"\x00", b"\n\n")


def plain_header(handle: BinaryIO, contract: Contract) -> list[str] | None:
    """The header cells of a plain CSV file (see the module docstring), or None.

    Reads ``handle`` from its current position to the end, a chunk at a time.
    """
    first = handle.readline(MAX_RECORD_BYTES + 2)
    if not first.endswith(b"\n") or first.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        cells = first[:-1].decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    names = [normalize_header(cell) for cell in cells]
    if (
        any(len(cell.encode()) > MAX_HEADER_NAME_BYTES for cell in cells)
        or len(set(names)) != len(names)
        or not set(names) <= set(contract.column_names)
        or any(c in first for c in (b'"', b"\r", b"\x00"))
    ):
        return None
    previous = b"\n"
    line_length = 0
    while chunk := handle.read(CHUNK_BYTES):
        joined = previous[-1:] + chunk
        if any(token in joined for token in _FORBIDDEN):
            return None
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            if line_length + end - start > MAX_RECORD_BYTES:
                return None
            line_length, start = 0, end + 1
        line_length += len(chunk) - start
        if line_length > MAX_RECORD_BYTES:
            return None
        previous = chunk
    return cells
