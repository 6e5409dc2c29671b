"""Which Parquet files the warehouse engine may load itself, record for record as the reader.

The reader (:mod:`orders_core.parquet_reader`) renders typed values as text its own way
(timestamps with Python's ``isoformat``, decimals and doubles by Arrow, nested values as
sorted JSON, INT96 with its nanoseconds, integer money columns broken). A file of text
columns only has nothing to render: the reader's value is the text, which the engine's
``read_parquet`` reads alike. So the engine loads a Parquet file (:func:`plain_parquet_header`
from its footer, :func:`decoded_plain_parquet_header` its pages too) when:

- every column is text (Parquet's UTF8 annotation: Arrow's ``string``, ``large_string``
  or a dictionary of them), at the top level;
- its column names are distinct even ignoring case (the engine binds names so), none
  empty, oversized or the engine's ``file_row_number``, no two naming one contract
  column, and the names of its extra columns plain ASCII
  (:func:`orders_core.plain_csv.json_safe`: the engine builds their JSON as the reader
  writes it);
- the reader decodes every page of it (:func:`decoded_plain_parquet_header`, a pass
  over the file a batch at a time, before the engine loads it): the engine's scan
  skips GZIP's data check and reads a page holding a value fewer than its rows, so a
  corrupt file loaded a changed character or lost an order, silently, where the
  reader refuses it (one broken record, ``unreadable_parquet``).

In the engine, before it inserts a row (``SqlSession.load_plain_parquet``): no row's
values may add up to a quarter of the record size limit (the reader breaks a record over
the limit; under a quarter, in bytes, it cannot be over), and every extra value must be
printable ASCII, with a quote or backslash only where it holds no ``@`` (the engine
escapes them as ``json.dumps`` does; its e-mail search is for unquoted text). Text
that is not UTF-8 makes the engine's scan fail (the reader keeps it escaped and breaks
the record): the file is then left to the reader, as is any other.
Each row's ``source_line`` is its row number in the file plus one (the engine's
``file_row_number``), as the reader numbers rows. A file whose rows hold on average over
that quarter, decoded (``parquet_reader.long_values``), ``raw_orders`` leaves to the reader
at once, without decoding its pages or the engine's scan first.

A typed file (numbers, decimals, timestamps, dates, dictionaries, nested values: the
shape warehouses and dataframes export) is made plain first (:func:`text_copy`): a
temporary copy whose columns hold, batch by batch, the very text the reader renders of
each value (:func:`orders_core.parquet_reader.text_table`), under the same names and in
the same row order, which the engine then loads as above. A file is copied
(:func:`renderable_parquet_header`, from its footer) when its names are plain as above
and it has no column whose reading breaks records or needs the reader's own care: no
binary column (bytes that are not UTF-8 are escaped and break their record), no integer
money column (its records are broken: minor units), no INT96 timestamp (read twice, for
its nanoseconds). A copy that meets text that is not UTF-8 stops, and the file is the
reader's.
"""

from __future__ import annotations

from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from orders_core.contract import Contract
from orders_core.landed_text import MAX_HEADER_NAME_BYTES
from orders_core.parquet_reader import (
    READ_OPTIONS,
    batch_rows_of,
    file_tables,
    holds_binary,
    integer_money_columns,
    native_file,
    text_table,
)
from orders_core.plain_csv import json_safe
from orders_core.raw_frame import extra_columns, normalize_header

# The engine's column of each row's number in the file: a file column of that name is
# left to the reader.
ROW_NUMBER = "file_row_number"


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _footer(handle: BinaryIO) -> pq.ParquetFile | None:
    """The Parquet file of ``handle`` with its footer read; None when it cannot be read
    (the reader then says why)."""
    try:
        return pq.ParquetFile(handle)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None


def _plain_names(names: list[str], contract: Contract) -> bool:
    """Whether the engine binds ``names`` as the reader reads them (see the module
    docstring): distinct ignoring case, none empty, oversized or ``file_row_number``, no
    two naming one contract column, the extra columns' names plain ASCII."""
    named = [n for n in map(normalize_header, names) if n in contract.column_names]
    extras = [names[i] for i, _ in extra_columns(contract, names)]
    return bool(
        names
        and len({name.lower() for name in names} | {ROW_NUMBER}) == len(names) + 1
        and len(set(named)) == len(named)
        and all(name and len(name.encode()) <= MAX_HEADER_NAME_BYTES for name in names)
        and all(map(json_safe, extras))
    )


def plain_parquet_header(handle: BinaryIO, contract: Contract) -> list[str] | None:
    """The column names of a plain Parquet file (see the module docstring), read from its
    footer; None when the file is not plain, or not a Parquet file the footer of which
    can be read (the reader then says why)."""
    parquet = _footer(handle)
    if parquet is None:
        return None
    schema = parquet.schema_arrow
    names = list(schema.names)
    if not all(_is_text(field.type) for field in schema) or not _plain_names(names, contract):
        return None
    return names


def decoded_plain_parquet_header(handle: BinaryIO, contract: Contract) -> list[str] | None:
    """:func:`plain_parquet_header`, when the reader also decodes every page of the file
    (read as the reader reads it, :func:`file_tables`, a batch at a time and dropped);
    else None, and the file is the reader's, which breaks it (``unreadable_parquet``).

    The engine's ``read_parquet`` checks less: a GZIP page whose data check fails, or a
    page holding one value fewer than its row group's rows, it loads silently (a
    character of a value changed, ``'3'`` read as empty, an order lost), where pyarrow
    refuses the file. Found by mutating landed files byte by byte
    (``tests/integration/test_plain_parquet.py``, ``test_batching_mutants.py``)."""
    names = plain_parquet_header(handle, contract)
    if names is None:
        return None
    try:  # read as the reader reads (READ_OPTIONS): a 1.2 GB row group took 1.6 GiB read whole
        with native_file(handle) as native:
            parquet = pq.ParquetFile(native, **READ_OPTIONS)
            for table in file_tables(parquet, batch_rows_of(parquet, source=native)):
                del table
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None
    return names


def renderable_parquet_header(handle: BinaryIO, contract: Contract) -> list[str] | None:
    """The column names of a typed Parquet file that :func:`text_copy` makes plain (see
    the module docstring), read from its footer; None for any other file, a plain one
    included."""
    parquet = _footer(handle)
    if parquet is None:
        return None
    schema = parquet.schema_arrow
    names = list(schema.names)
    leaves = parquet.schema
    if (
        all(_is_text(field.type) for field in schema)
        or not _plain_names(names, contract)
        or any(holds_binary(field.type) for field in schema)
        or integer_money_columns(contract, names, schema)
        or any(leaves.column(i).physical_type == "INT96" for i in range(len(leaves)))
    ):
        return None
    return names


def text_copy(handle: BinaryIO, contract: Contract, target: BinaryIO) -> bool:
    """Write into ``target`` the plain copy of the typed Parquet file of ``handle``
    (:func:`renderable_parquet_header`): every column as the text the reader renders of
    its values, same names, same rows in the same order, in the reader's batches
    (neither file is held). False when the file is not renderable, or cannot be read to
    its end, or holds text that is not UTF-8: the file is then the reader's, and
    ``target`` holds nothing of use."""
    names = renderable_parquet_header(handle, contract)
    if names is None:
        return False
    schema = pa.schema([pa.field(name, pa.string()) for name in names])
    try:
        with (
            native_file(handle) as native,
            pq.ParquetWriter(target, schema, compression="none") as writer,
        ):
            parquet = pq.ParquetFile(native, **READ_OPTIONS)
            for table in file_tables(parquet, batch_rows_of(parquet, source=native)):
                texts = text_table(table)
                if texts is None:
                    return False
                writer.write_table(texts.cast(schema))
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return False
    return True
