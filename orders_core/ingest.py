"""Read landing files into the lossless raw frame of ``raw_orders``.

Every landed record becomes exactly one row, whatever state it is in (the frame is
:mod:`orders_core.raw_frame`'s): values are kept as text, columns outside the contract
are carried as JSON, and a record that cannot be parsed keeps its original text with
the reason. Cleaning decides later what is valid; no reader drops or repairs anything.
This module picks the reader of a file's format (:mod:`orders_core.csv_reader`,
:mod:`orders_core.jsonl_reader`, :mod:`orders_core.parquet_reader`), after gzip.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO

import pandas as pd

from orders_core.compression import UnreadableCompressedFile, gunzip, is_gzip, read_head
from orders_core.contract import Contract
from orders_core.csv_reader import csv_batches, csv_header
from orders_core.jsonl_reader import jsonl_batches
from orders_core.landing_formats import file_format
from orders_core.parquet_reader import parquet_batches, parquet_header
from orders_core.raw_frame import LandedFile, broken_file, empty_raw_frame, whole

BATCH_READERS = {
    "csv": csv_batches,
    "jsonl": jsonl_batches,
    "parquet": parquet_batches,
}


def read_landed_file(contract: Contract, source: LandedFile) -> pd.DataFrame | None:
    """The raw frame of one landing file (gzip decompressed first), or None when the
    platform cannot read it (see :mod:`orders_core.landing_formats`)."""
    if file_format(source.name) is None:
        return None
    return whole(landed_file_batches(contract, source))


def landed_file_batches(contract: Contract, source: LandedFile) -> Iterator[pd.DataFrame]:
    """The raw frame of one landing file in batches of at most each reader's
    ``BATCH_ROWS`` records (a CSV file pyarrow parses, ``WELL_FORMED_BATCH_ROWS``, its
    blocks of ``WELL_FORMED_BLOCK_BYTES`` parsed one at a time);
    nothing when the platform cannot read the file. Raises
    :class:`~orders_core.raw_frame.UnreadableFile` when a file fails after some of its
    batches (never read in part)."""
    fmt = file_format(source.name)
    if fmt is None:
        return
    if is_gzip(source.name):
        try:
            source = replace(source, data=gunzip(source.data))
        except UnreadableCompressedFile as exc:
            yield broken_file(contract, source, fmt, str(exc))
            return
    yield from BATCH_READERS[fmt](contract, source)


# Bytes of a file's text read for its header (see landed_header): far over a record's
# limit (landed_text.MAX_RECORD_BYTES), so any header the reader takes is in them.
HEADER_HEAD_BYTES = 1 << 20


def landed_header(name: str, stream: BinaryIO) -> list[str] | None:
    """The names the reader of a landed file's format gives its columns (gzip
    decompressed first), read without its records from ``stream`` (the landed file,
    seekable, from its start): for a file without any, whose header no row of
    ``raw_orders`` keeps. A CSV file's first :data:`HEADER_HEAD_BYTES` of text are read,
    never the file (one of blank lines after its header can be large). None for JSON
    Lines (its keys come with its records) and for a file none can be read from."""
    fmt = file_format(name)
    if fmt not in ("csv", "parquet"):
        return None
    try:
        if fmt == "csv" and is_gzip(name):
            with gzip.GzipFile(fileobj=stream, mode="rb") as text:
                return csv_header(io.BytesIO(read_head(text, HEADER_HEAD_BYTES)))
        if fmt == "csv":
            return csv_header(io.BytesIO(stream.read(HEADER_HEAD_BYTES)))
        data = stream.read()
        return parquet_header(gunzip(data) if is_gzip(name) else data)
    except UnreadableCompressedFile:
        return None


def read_landed_files(contract: Contract, files: Iterable[LandedFile]) -> pd.DataFrame:
    """Concatenate the raw frames of several landing files, in the given order."""
    frames = [read_landed_file(contract, source) for source in files]
    frames = [frame for frame in frames if frame is not None and len(frame)]
    if not frames:
        return empty_raw_frame(contract)
    return pd.concat(frames, ignore_index=True)
