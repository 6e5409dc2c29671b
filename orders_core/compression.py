"""Compressed landing files: gzip (``.csv.gz``, ``.jsonl.gz``, ...) is read like the plain file.

Decompression streams and stops at :data:`MAX_DECOMPRESSED_BYTES`, so a gzip bomb costs
at most that much memory; a file that would decompress to more, or that is not a whole
valid gzip stream (corrupt, truncated, not gzip at all, a file of no byte), is not read at
all and becomes one broken record naming why. A truncated file is never read in part: its
last record could be cut short and still look valid.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

GZIP_SUFFIX = ".gz"
MAX_DECOMPRESSED_BYTES = 1 << 30  # 1 GiB of landed text in one file
CHUNK_BYTES = 8 * 1024 * 1024


class UnreadableCompressedFile(ValueError):
    """A compressed landing file that cannot be read; the message is its ``parse_error``."""


def is_gzip(name: str) -> bool:
    """True when a landing file name says it is gzip-compressed."""
    return name.lower().endswith(GZIP_SUFFIX)


def gunzip(data: bytes) -> bytes:
    """The decompressed bytes of a gzip file (every member), or :class:`UnreadableCompressedFile`."""
    if not data:
        raise _empty()
    with readable():
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
            text = stream.read(MAX_DECOMPRESSED_BYTES + 1)
    if len(text) > MAX_DECOMPRESSED_BYTES:
        raise _too_large()
    return text


def copy_into(stream: BinaryIO, target: BinaryIO, *, first_line: bytes = b"") -> None:
    """Write ``first_line`` (already read from ``stream``) and the rest of an open stream
    (a ``gzip.GzipFile`` decompresses) to ``target`` a chunk at a time, with
    :func:`gunzip`'s limit and errors: memory stays one chunk whatever the file's size."""
    written = len(first_line)
    target.write(first_line)
    with readable():
        while chunk := stream.read(CHUNK_BYTES):
            written += len(chunk)
            if written > MAX_DECOMPRESSED_BYTES:
                raise _too_large()
            target.write(chunk)
    if not written and _holds_no_byte(stream):
        raise _empty()


def _holds_no_byte(stream: BinaryIO) -> bool:
    """Whether ``stream`` is a ``gzip.GzipFile`` that read no byte of its file: Python reads
    a file of no byte as a gzip stream of no member, and decompresses it to nothing."""
    return isinstance(stream, gzip.GzipFile) and stream.fileobj.tell() == 0


@contextmanager
def readable() -> Iterator[None]:
    """Turn the errors of a corrupt, truncated or non-gzip stream into the file's parse_error."""
    try:
        yield
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableCompressedFile(f"unreadable_gzip: {exc}") from None


def read_head(stream: BinaryIO, limit: int) -> bytes:
    """The first ``limit`` bytes of an open (gzip) stream (fewer if it ends sooner), or
    :class:`UnreadableCompressedFile`."""
    with readable():
        return stream.read(limit)


def _empty() -> UnreadableCompressedFile:
    # gzip writes 20 bytes for an empty text: a file of none is an upload cut to nothing.
    return UnreadableCompressedFile(
        "unreadable_gzip: the file is empty (0 bytes), not a gzip stream"
    )


def _too_large() -> UnreadableCompressedFile:
    return UnreadableCompressedFile(
        f"gzip_too_large: decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes"
    )
