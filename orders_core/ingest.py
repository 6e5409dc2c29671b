"""Read landing files into the lossless raw frame of ``raw_orders``.

Every landed record becomes exactly one row, whatever state it is in (the frame is
:mod:`orders_core.raw_frame`'s): values are kept as text, columns outside the contract
are carried as JSON, and a record that cannot be parsed keeps its original text with
the reason. Cleaning decides later what is valid; no reader drops or repairs anything.
This module picks the reader of a file's format (:mod:`orders_core.csv_reader`,
:mod:`orders_core.jsonl_reader`, :mod:`orders_core.parquet_reader`), after gzip.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import replace

import pandas as pd

from orders_core.compression import UnreadableCompressedFile, gunzip, is_gzip
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


def landed_header(source: LandedFile) -> list[str] | None:
    """The names the reader of a landed file's format gives its columns (gzip
    decompressed first), read without its records: for a file without any, whose header
    no row of ``raw_orders`` keeps. None for JSON Lines (its keys come with its records)
    and for a file none can be read from."""
    fmt = file_format(source.name)
    data = source.data
    if is_gzip(source.name):
        try:
            data = gunzip(data)
        except UnreadableCompressedFile:
            return None
    if fmt == "csv":
        return csv_header(io.BytesIO(data))
    if fmt == "parquet":
        return parquet_header(data)
    return None


def read_landed_files(contract: Contract, files: Iterable[LandedFile]) -> pd.DataFrame:
    """Concatenate the raw frames of several landing files, in the given order."""
    frames = [read_landed_file(contract, source) for source in files]
    frames = [frame for frame in frames if frame is not None and len(frame)]
    if not frames:
        return empty_raw_frame(contract)
    return pd.concat(frames, ignore_index=True)
