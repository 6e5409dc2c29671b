"""Compressed landing files: gzip (``.csv.gz``, ``.jsonl.gz``, ...) is read like the plain file.

Decompression streams and stops at :data:`MAX_DECOMPRESSED_BYTES`, so a gzip bomb costs
at most that much memory; a file that would decompress to more, or that is not a whole
valid gzip stream (corrupt, truncated, not gzip at all), is not read at all and becomes
one broken record naming why. A truncated file is never read in part: its last record
could be cut short and still look valid.
"""

from __future__ import annotations

import gzip
import io
import zlib

GZIP_SUFFIX = ".gz"
MAX_DECOMPRESSED_BYTES = 1 << 30  # 1 GiB of landed text in one file


class UnreadableCompressedFile(ValueError):
    """A compressed landing file that cannot be read; the message is its ``parse_error``."""


def is_gzip(name: str) -> bool:
    """True when a landing file name says it is gzip-compressed."""
    return name.lower().endswith(GZIP_SUFFIX)


def gunzip(data: bytes) -> bytes:
    """The decompressed bytes of a gzip file (every member), or :class:`UnreadableCompressedFile`."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
            text = stream.read(MAX_DECOMPRESSED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableCompressedFile(f"unreadable_gzip: {exc}") from None
    if len(text) > MAX_DECOMPRESSED_BYTES:
        raise UnreadableCompressedFile(
            f"gzip_too_large: decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes"
        )
    return text
