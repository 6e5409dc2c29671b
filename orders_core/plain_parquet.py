"""Which Parquet files the warehouse engine may load itself, record for record as the reader.

The reader (:mod:`orders_core.parquet_reader`) renders typed values as text its own way
(timestamps with Python's ``isoformat``, decimals and doubles by Arrow, nested values as
sorted JSON, INT96 with its nanoseconds, integer money columns broken). A file of text
columns only has nothing to render: the reader's value is the text, which the engine's
``read_parquet`` reads alike. So the engine loads a Parquet file (:func:`plain_parquet_header`,
from its footer only) when:

- every column is text (Parquet's UTF8 annotation: Arrow's ``string``, ``large_string``
  or a dictionary of them), at the top level;
- its column names are distinct even ignoring case (the engine binds names so), none
  empty, oversized or the engine's ``file_row_number``, no two naming one contract
  column, and the names of its extra columns plain ASCII
  (:func:`orders_core.plain_csv.json_safe`: the engine builds their JSON as the reader
  writes it).

In the engine, before it inserts a row (``SqlSession.load_plain_parquet``): no row's
values may add up to a quarter of the record size limit (the reader breaks a record over
the limit; under a quarter, in bytes, it cannot be over), and every extra value must be
plain ASCII. Text that is not UTF-8 makes the engine's scan fail (the reader keeps it
escaped and breaks the record): the file is then left to the reader, as is any other.
Each row's ``source_line`` is its row number in the file plus one (the engine's
``file_row_number``), as the reader numbers rows.
"""

from __future__ import annotations

from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from orders_core.contract import Contract
from orders_core.landed_text import MAX_HEADER_NAME_BYTES
from orders_core.plain_csv import json_safe
from orders_core.raw_frame import extra_columns, normalize_header

# The engine's column of each row's number in the file: a file column of that name is
# left to the reader.
ROW_NUMBER = "file_row_number"


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def plain_parquet_header(handle: BinaryIO, contract: Contract) -> list[str] | None:
    """The column names of a plain Parquet file (see the module docstring), read from its
    footer; None when the file is not plain, or not a Parquet file the footer of which
    can be read (the reader then says why)."""
    try:
        schema = pq.ParquetFile(handle).schema_arrow
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None
    names = list(schema.names)
    named = [n for n in map(normalize_header, names) if n in contract.column_names]
    extras = [names[i] for i, _ in extra_columns(contract, names)]
    if (
        not names
        or not all(_is_text(field.type) for field in schema)
        or len({name.lower() for name in names} | {ROW_NUMBER}) != len(names) + 1
        or len(set(named)) != len(named)
        or not all(name and len(name.encode()) <= MAX_HEADER_NAME_BYTES for name in names)
        or not all(map(json_safe, extras))
    ):
        return None
    return names
