"""The Parquet landing file reader: one raw frame row per record (:mod:`orders_core.raw_frame`).

Typed values are rendered as text, nested ones as JSON, binary ones as UTF-8 text
(escaped and the record broken when they are not UTF-8); integer money columns break
every record of the file (:func:`integer_money_errors`).
"""

from __future__ import annotations

import functools
import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orders_core import landed_text
from orders_core.contract import Contract
from orders_core.jsonl_reader import json_text
from orders_core.landed_text import bounded_header, bounded_raw
from orders_core.pii import holds_emails, names_email
from orders_core.raw_frame import (
    LandedFile,
    Records,
    UnreadableFile,
    broken_file,
    contract_positions,
    extra_columns,
    normalize_header,
    numbered_names,
    whole,
)
from orders_core.timestamp_text import timestamp_text

# parse_error prefix of every record of a file whose money column is an integer.
INTEGER_MONEY_ERROR = "integer_money_column"
# Records of a file read (and held) at a time: see parquet_batches.
BATCH_ROWS = 65_536
# Fewer when they hold more than this of values, uncompressed, as the file's footer counts
# them (batch_rows_of): a day of 20,000 regions of 60,000 characters in one Parquet file
# was one batch of 1.2 GB, and its step took 3.5 GiB (bench/RESULTS.md, hunt 66). Plain
# orders (about 130 bytes a row) fill 65,536 rows in some 8.5 MB, under it. A
# dictionary-encoded column counts its dictionary once in the footer: its values count
# as decoded, by its longest dictionary value (dictionary_row_bytes; hunt 72).
BATCH_BYTES = 16 * 1024 * 1024
# How a file's pages are read: a buffered stream of each column chunk (pyarrow's
# buffer_size), not the whole row group's column chunks at once (pre_buffer, pyarrow's
# default), which held a row group of 1.2 GB whole whatever the batch.
READ_OPTIONS = {"pre_buffer": False, "buffer_size": 8 * 1024 * 1024}


def _is_binary(kind: pa.DataType) -> bool:
    return (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or pa.types.is_binary_view(kind)
    )


def _decoded(value: object) -> tuple[object, bool]:
    """``value`` with every bytes value in it as text, and whether some were not UTF-8.

    Valid UTF-8 bytes become that text; other bytes become a visible, lossless escape
    (``\\xNN`` for each byte that is not UTF-8, as the CSV reader does), which the
    record's ``parse_error`` then flags.
    """
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), False
        except UnicodeDecodeError:
            return value.decode("utf-8", "backslashreplace"), True
    if isinstance(value, dict):
        pairs = [(key, _decoded(item)) for key, item in value.items()]
        return {key: item for key, (item, _) in pairs}, any(bad for _, (_, bad) in pairs)
    if isinstance(value, list | tuple):
        items = [_decoded(item) for item in value]
        return [item for item, _ in items], any(bad for _, bad in items)
    return value, False


@functools.cache
def _known_zone(zone: str) -> bool:
    """Whether Python can read a timestamp type's time zone (a name of the time zone
    database or a fixed ``+HH:MM`` offset)."""
    try:
        pa.array([0], pa.timestamp("s", tz=zone)).to_pylist()
    except (KeyError, ValueError, pa.ArrowException):
        # KeyError: pytz's UnknownTimeZoneError, zoneinfo's ZoneInfoNotFoundError
        return False
    return True


def _readable_type(kind: pa.DataType) -> pa.DataType:
    """``kind`` made one Python can convert, with the same layout (values unchanged):

    - a timestamp type whose time zone no one can look up (``Z``, ``Mars/Olympus``, a
      typo: Arrow keeps the name a writer gave) becomes the same type in UTC. Parquet
      stores such a timestamp as a UTC instant and the zone only says how to show it,
      so the instant is read exactly, with offset ``+00:00``, as a reader that ignores
      Arrow's schema (DuckDB, Spark) reads it; converting it raised and failed the run;
    - a struct with a repeated field name (a Python dict cannot hold both; converting
      it raised and failed the run) has its n-th occurrence named ``name__n``, as a
      repeated column is keyed in ``extra_columns_json``
      (:func:`orders_core.raw_frame.extra_columns`).
    """
    if pa.types.is_timestamp(kind):
        if kind.tz and not _known_zone(kind.tz):
            return pa.timestamp(kind.unit, tz="UTC")
        return kind
    if pa.types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, _readable_type(kind.value_type), kind.ordered)
    if pa.types.is_struct(kind):
        fields = [kind.field(i) for i in range(kind.num_fields)]
        names = numbered_names([field.name for field in fields])
        kind = pa.struct([f.with_name(n) for f, n in zip(fields, names, strict=True)])
    return _nested(kind, _readable_type) or kind


def _nested(kind: pa.DataType, inner: Callable[[pa.DataType], pa.DataType]) -> pa.DataType | None:
    """``kind`` rebuilt with ``inner`` applied to each type it holds (a map's keys and
    items, a struct's fields, a list's values); None for a type that holds none."""

    def field(held: pa.Field) -> pa.Field:
        return held.with_type(inner(held.type))

    if pa.types.is_map(kind):
        return pa.map_(field(kind.key_field), field(kind.item_field), keys_sorted=kind.keys_sorted)
    if pa.types.is_struct(kind):
        return pa.struct([field(kind.field(i)) for i in range(kind.num_fields)])
    if pa.types.is_large_list(kind):
        return pa.large_list(field(kind.value_field))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(field(kind.value_field), kind.list_size)
    if pa.types.is_list(kind):
        return pa.list_(field(kind.value_field))
    return None


def _readable(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``column`` viewed as :func:`_readable_type` (itself when nothing changes).

    A column of an extension type is read as its values mean: a UUID (Parquet's UUID
    type, Arrow's ``arrow.uuid`` on 16 bytes) as its canonical text
    (``12345678-1234-5678-1234-567812345678``, as ``str(uuid.UUID)``, DuckDB and
    Spark show it); any other as the values it stores. Cast to text, Arrow wrote a
    UUID's 16 raw bytes, an id that could be published as that."""
    if isinstance(column.type, pa.UuidType):
        texts = [None if value is None else str(value) for value in column.to_pylist()]
        return pa.chunked_array([pa.array(texts, pa.string())])
    if isinstance(column.type, pa.BaseExtensionType):
        return _readable(pa.chunked_array([chunk.storage for chunk in column.chunks]))
    kind = _readable_type(column.type)
    if kind.equals(column.type, check_metadata=True):
        return column
    return pa.chunked_array([chunk.view(kind) for chunk in column.chunks], kind)


def _arrow_to_text(column: pa.ChunkedArray) -> tuple[list[str | None], list[bool]]:
    """The text of each value of a Parquet column, and which values held bytes that
    are not UTF-8 (see :func:`_decoded`).

    A text column (Parquet's UTF8 annotation) is not checked by every writer, nor by
    Arrow's reader: one holding bytes that are not UTF-8 is read as the bytes it holds,
    as a binary column is (its records broken ``invalid_utf8``, the bytes escaped), not
    left to fail the whole run. Types Python cannot convert are read as
    :func:`_readable_type` says."""
    column = _readable(column)
    try:
        return _typed_text(column)
    except UnicodeDecodeError:
        return _typed_text(column.cast(_bytes_type(column.type)))


def _bytes_type(kind: pa.DataType) -> pa.DataType:
    """``kind`` with every text type in it made the matching binary type (dictionaries
    decoded)."""
    if pa.types.is_dictionary(kind):
        return _bytes_type(kind.value_type)
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_string_view(kind):
        return pa.binary_view()
    return _nested(kind, _bytes_type) or kind


def _is_text_list(kind: pa.DataType) -> bool:
    """A list of text (``list<string>``, tags or labels): values that repeat, whose
    JSON :func:`_text_list_json` writes once per distinct value."""
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        return False
    item = kind.value_type
    return pa.types.is_string(item) or pa.types.is_large_string(item)


def _text_list_json(column: pa.ChunkedArray) -> list[str | None]:
    """:func:`json_text` of each value of a list-of-text column, once per distinct value
    (text compares exactly, so equal tuples are equal lists)."""
    known: dict[tuple, str] = {}
    texts: list[str | None] = []
    for value in column.to_pylist():
        if value is None:
            texts.append(None)
            continue
        key = tuple(value)
        text = known.get(key)
        if text is None:
            text = known[key] = json_text(value)
        texts.append(text)
    return texts


def holds_binary(kind: pa.DataType) -> bool:
    """Whether a value of ``kind`` can hold bytes (a binary type, in it at any depth):
    only then do its values need :func:`_decoded` (a nested column's walk in Python
    was a third of reading a list column of text)."""
    if _is_binary(kind):
        return True
    if pa.types.is_dictionary(kind):
        return holds_binary(kind.value_type)
    return any(holds_binary(kind.field(i).type) for i in range(kind.num_fields))


def _typed_text(column: pa.ChunkedArray) -> tuple[list[str | None], list[bool]]:
    """:func:`_arrow_to_text` of a column whose text is UTF-8 (else UnicodeDecodeError)."""
    kind = column.type
    clean = [False] * len(column)
    if pa.types.is_dictionary(kind):
        decoded = [chunk.dictionary_decode() for chunk in column.chunks]
        return _typed_text(pa.chunked_array(decoded, kind.value_type))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.to_pylist(), clean
    if pa.types.is_timestamp(kind):
        return timestamp_text(column), clean
    if _is_binary(kind):
        pairs = [_decoded(v) for v in column.to_pylist()]
        return [text for text, _ in pairs], [bad for _, bad in pairs]
    if pa.types.is_nested(kind):
        if _is_text_list(kind):
            return _text_list_json(column), clean
        if not holds_binary(kind):  # no bytes to decode: the values' JSON as they are
            return [json_text(value) for value in _nested_values(column)], clean
        pairs = [_decoded(v) for v in _nested_values(column)]
        return [json_text(value) for value, _ in pairs], [bad for _, bad in pairs]
    try:
        return pc.cast(column, pa.string()).to_pylist(), clean
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return [json_text(v) for v in column.to_pylist()], clean


def _nested_values(column: pa.ChunkedArray) -> list:
    """The Python values of a nested column. When a date, time, timestamp or duration in
    it is beyond Python's types (a list of timestamps holding a year after 9999 or
    before 1, a duration of more than 999,999,999 days: converting it raised and failed
    the run), every such value in the column is Arrow's text instead, as a top-level
    timestamp column beyond Python's years is rendered
    (:func:`orders_core.timestamp_text.python_timestamp_text`)."""
    try:
        return column.to_pylist()
    except (OverflowError, ValueError):
        return column.cast(_temporal_as_text(column.type)).to_pylist()


def _temporal_as_text(kind: pa.DataType) -> pa.DataType:
    """``kind`` with every date, time, timestamp or duration type in it made text (a
    dictionary decoded: its values convert alike)."""
    if pa.types.is_temporal(kind):
        return pa.string()
    if pa.types.is_dictionary(kind):
        return _temporal_as_text(kind.value_type)
    return _nested(kind, _temporal_as_text) or kind


def text_table(table: pa.Table) -> pa.Table | None:
    """``table`` with every column as the text the reader keeps of its values
    (:func:`_arrow_to_text`, as :func:`parquet_batches` renders a batch), same names and
    rows; None when a value holds bytes that are not UTF-8 (the reader escapes them and
    breaks the record, which text alone cannot say)."""
    columns = []
    for column in table.columns:
        array = _arrow_text(column)
        if array is None:
            texts, bad = _arrow_to_text(column)
            if any(bad):
                return None
            array = pa.chunked_array([pa.array(texts, pa.string())])
        columns.append(array)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _arrow_text(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """:func:`_arrow_to_text`'s texts kept in Arrow, for the kinds whose text
    :func:`_typed_text` takes from Arrow (a text column as it is, another scalar by
    Arrow's cast; timestamps, binary and nested values aside), without a Python value
    each; None for any other column, and for text that is not UTF-8."""
    column = _readable(column)
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        column = pa.chunked_array([chunk.dictionary_decode() for chunk in column.chunks], kind)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            column.validate(full=True)  # what converting the values checks: UTF-8
        except pa.ArrowInvalid:
            return None
        return column.cast(pa.string())
    if pa.types.is_timestamp(kind) or _is_binary(kind) or pa.types.is_nested(kind):
        return None
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def batch_rows_of(
    parquet: pq.ParquetFile, batch_rows: int | None = None, source: BinaryIO | None = None
) -> int:
    """The rows of a file read at a time: ``batch_rows`` (:data:`BATCH_ROWS`), fewer
    (never none) when that many rows of the file's widest row group hold more than
    :data:`BATCH_BYTES` of values (:func:`row_bytes`)."""
    batch_rows = batch_rows or BATCH_ROWS
    widest = row_bytes(parquet, source)
    if widest * batch_rows <= BATCH_BYTES:
        return batch_rows
    return max(1, int(BATCH_BYTES // widest))


def row_bytes(parquet: pq.ParquetFile, source: BinaryIO | None = None) -> float:
    """The bytes a row of the file's widest row group holds, on average over it: its
    footer's uncompressed bytes per row and, given the file's ``source`` (a seekable
    stream of it), the most a row's dictionary-encoded values take decoded
    (:func:`dictionary_row_bytes`), which the footer counts once."""
    metadata = parquet.metadata
    decoded = dictionary_row_bytes(parquet, source) if source is not None else {}
    return max(
        (
            metadata.row_group(g).total_byte_size / metadata.row_group(g).num_rows
            + decoded.get(g, 0)
            for g in range(metadata.num_row_groups)
            if metadata.row_group(g).num_rows
        ),
        default=0.0,
    )


@contextmanager
def native_file(stream: BinaryIO) -> Iterator[BinaryIO | pa.NativeFile]:
    """``stream`` as pyarrow reads it without Python: a file of this machine opened by
    pyarrow through ``/proc/self/fd/N`` (the very file ``stream`` has open, whatever its
    name now), or ``stream`` itself when it has no descriptor (a file in memory). Through
    a Python file object every page comes as a Python ``bytes`` besides pyarrow's own
    buffers: a pass over 1.2 GB of 60,000-character values in DuckDB's pages of 92 MiB
    took 1.3-2 CPU seconds and 50-120 MiB more (bench/RESULTS.md, hunt 78)."""
    try:
        path = f"/proc/self/fd/{stream.fileno()}"
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation: in memory
        yield stream
        return
    if not os.path.exists(path):
        yield stream
        return
    with pa.OSFile(path) as native:
        yield native


# Bytes a value of a fixed-width Parquet type takes decoded (FIXED_LEN_BYTE_ARRAY: its length).
_FIXED_WIDTH = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 12}


def _leaf_count(kind: pa.DataType) -> int:
    """The Parquet leaf columns an Arrow column of ``kind`` is stored in."""
    return sum(_leaf_count(kind.field(i).type) for i in range(kind.num_fields)) or 1


def dictionary_row_bytes(parquet: pq.ParquetFile, source: BinaryIO) -> dict[int, float]:
    """Per row group (its index), how many more bytes one row's values of its
    dictionary-encoded leaf columns can take decoded than the footer counts for them a
    row: a text or binary leaf's longest dictionary value (plus its 4-byte offset; read
    from its dictionary page), a fixed-width one's width, times the leaf's values a row
    (one for a top-level column or a struct's field; a list's items, on average over the
    row group), less its column chunk's uncompressed bytes a row. Row groups where none
    can are left out.

    A footer counts such a column chunk as encoded: its dictionary once and an index a
    value. One 60,000-character region on every row of 20,400 was 60 KB by the footer and
    a 1.2 GB batch decoded, which failed the step (pyarrow's realloc of 1.97 GB;
    bench/RESULTS.md, hunt 72); one of 256 such values in a list column, or a struct's
    field, alike (hunt 78). Only the first page of each such column chunk is read (with
    its dictionary, not decoded: ``read_dictionary``): plain orders' dictionaries of
    statuses or currencies cost little. The chunk's pages that fell back to plain
    encoding are counted by the footer, as a plain chunk. A nested leaf whose dictionary
    pyarrow cannot read as such is counted by the footer only."""
    metadata, leaves = parquet.metadata, parquet.schema
    nested: set[int] = set()  # the leaves of list, struct and map columns
    leaf = 0
    for field in parquet.schema_arrow:
        count = _leaf_count(field.type)
        if field.type.num_fields:
            nested.update(range(leaf, leaf + count))
        leaf += count
    widths: dict[tuple[int, int], float] = {}  # (row group, leaf): a row's most bytes
    texts: dict[int, list[int]] = {}  # row group: its top-level text leaves
    nested_texts: list[tuple[int, int]] = []
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        if not group.num_rows:  # no value to decode (an empty file)
            continue
        for c in range(metadata.num_columns):
            if not group.column(c).has_dictionary_page:
                continue
            kind = leaves.column(c).physical_type
            if kind == "BYTE_ARRAY":
                if c in nested:
                    nested_texts.append((g, c))
                else:
                    texts.setdefault(g, []).append(c)
                continue
            width = leaves.column(c).length if kind == "FIXED_LEN_BYTE_ARRAY" else 0
            widths[g, c] = (width or _FIXED_WIDTH.get(kind, 0)) * _values_a_row(group, c)
    if texts or nested_texts:
        wanted = {c for columns in texts.values() for c in columns} | {c for _, c in nested_texts}
        dictionaries = pq.ParquetFile(
            source, metadata=metadata, read_dictionary=sorted(wanted), **READ_OPTIONS
        )
    for g, columns in texts.items():
        first = next(dictionaries.reader.iter_batches(1, [g], columns, use_threads=False), None)
        if first is None:  # no row after all: nothing decoded
            continue
        for c, array in zip(columns, first.columns, strict=True):
            if isinstance(array, pa.DictionaryArray) and len(array.dictionary):
                widths[g, c] = pc.max(pc.binary_length(array.dictionary)).as_py() + 4
    for g, c in nested_texts:
        try:
            first = next(dictionaries.reader.iter_batches(1, [g], [c], use_threads=False), None)
        except pa.ArrowNotImplementedError:  # a leaf pyarrow reads only decoded
            continue
        longest = (
            max((_longest(d) for d in _dictionaries(first.column(0))), default=0) if first else 0
        )
        if longest:
            widths[g, c] = (longest + 4) * _values_a_row(metadata.row_group(g), c)
    found: dict[int, float] = {}
    for (g, c), width in widths.items():
        group = metadata.row_group(g)
        beyond = width - group.column(c).total_uncompressed_size / max(group.num_rows, 1)
        if beyond > 0:
            found[g] = found.get(g, 0.0) + beyond
    return found


def _values_a_row(group: pq.RowGroupMetaData, leaf: int) -> float:
    """A leaf column's values a row of ``group``, on average (nulls and empty lists
    counted): one for a top-level column or a struct's field."""
    return max(group.column(leaf).num_values / max(group.num_rows, 1), 1.0)


def _longest(dictionary: pa.Array) -> int:
    return pc.max(pc.binary_length(dictionary)).as_py() or 0 if len(dictionary) else 0


def _dictionaries(array: pa.Array) -> list[pa.Array]:
    """The dictionaries of the dictionary arrays in ``array`` (itself, or held at any
    depth by a list, struct or map)."""
    if isinstance(array, pa.DictionaryArray):
        return [array.dictionary]
    kind = array.type
    if pa.types.is_map(kind):
        return _dictionaries(array.keys) + _dictionaries(array.items)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _dictionaries(array.values)
    if pa.types.is_struct(kind):
        return [d for i in range(kind.num_fields) for d in _dictionaries(array.field(i))]
    return []


def long_values_bytes(handle: BinaryIO) -> int:
    """The largest column chunk's uncompressed bytes, by the footer of the Parquet file of
    ``handle``, when its rows are long enough for :func:`batch_rows_of` to cut its batches
    under :data:`BATCH_ROWS`; 0 for any other file (plain orders: about 130 bytes a row).
    See :func:`long_values`."""
    return long_values(handle)[0]


def long_values(handle: BinaryIO) -> tuple[int, float]:
    """:func:`long_values_bytes` and :func:`row_bytes` of the Parquet file of ``handle``
    (its dictionaries read once for both); ``(0, 0.0)`` when the footer cannot be read
    (the reader then says why).

    pyarrow reads a column chunk a page at a time, holding the page compressed and
    decompressed whatever the batch, and the pages are as large as the writer made them:
    DuckDB wrote a chunk of 1.2 GB of 60,000-character values in pages of 91 MiB, and
    reading it took pyarrow 420-440 MiB beyond the process's base (a chunk of 42 MB:
    about 80 MiB, 150 MB: 250; bench/RESULTS.md, hunt 69). A footer does not say a
    page's size: the chunk's bounds it."""
    try:
        with native_file(handle) as native:
            parquet = pq.ParquetFile(native)
            widest = row_bytes(parquet, native)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return 0, 0.0
    if widest * BATCH_ROWS <= BATCH_BYTES:
        return 0, widest
    metadata = parquet.metadata
    largest = max(
        (
            metadata.row_group(g).column(c).total_uncompressed_size
            for g in range(metadata.num_row_groups)
            for c in range(metadata.num_columns)
        ),
        default=0,
    )
    return largest, widest


def file_tables(parquet: pq.ParquetFile, batch_rows: int | None = None) -> Iterator[pa.Table]:
    """The tables :func:`parquet_batches` renders a file in, and
    :func:`orders_core.plain_parquet.text_copy` copies it in: the whole file when it has
    at most :func:`batch_rows_of` rows, else that many at a time. The cut matters: a
    timestamp column holding a value outside Python's datetime range is rendered by
    Arrow for the whole table (:func:`orders_core.timestamp_text.timestamp_text`)."""
    batch_rows = batch_rows_of(parquet, batch_rows)
    if parquet.metadata.num_rows <= batch_rows:
        # ParquetFile, not read_table: the dataset API refuses repeated column names.
        yield parquet.read()
        return
    for batch in parquet.iter_batches(batch_size=batch_rows):
        yield pa.Table.from_batches([batch])


def integer_money_errors(contract: Contract, header: Sequence[str], table: pa.Table) -> list[str]:
    """Why every record of a Parquet file is broken when a decimal money column of the
    contract (``amount``, ``unit_price``) is an integer type holding values: such
    values are most likely minor units (cents), and reading ``1999`` as 1999.00 major
    units would publish them changed. The records are quarantined, never converted."""
    return _integer_money_errors(
        contract,
        header,
        table.schema,
        {i: table.column(i).null_count < table.num_rows for i in range(table.num_columns)},
    )


def integer_money_columns(contract: Contract, header: Sequence[str], schema: pa.Schema) -> dict:
    """Positions of the contract's decimal money columns that are an integer type, with
    their contract name and type."""
    found = {}
    for name, position in contract_positions(contract, header).items():
        kind = schema.field(position).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if contract.column(name).type == "decimal" and pa.types.is_integer(kind):
            found[position] = (name, kind)
    return found


def _integer_money_errors(
    contract: Contract, header: Sequence[str], schema: pa.Schema, holds_values: dict[int, bool]
) -> list[str]:
    """:func:`integer_money_errors`, from whether each column holds a value anywhere."""
    return [
        f"{INTEGER_MONEY_ERROR}: {name} is {kind} in Parquet (minor units?);"
        " the contract wants major units"
        for position, (name, kind) in integer_money_columns(contract, header, schema).items()
        if holds_values[position]
    ]


def _binary_error(contract: Contract, header: Sequence[str], position: int) -> str:
    """The parse_error of a record whose binary value at ``position`` is not UTF-8;
    only contract columns are named (an extra column's name is landed text)."""
    name = normalize_header(header[position])
    where = f"column {name}" if name in contract.column_names else f"extra column {position + 1}"
    return f"invalid_utf8: binary value in {where} is not UTF-8 (kept with \\xNN escapes)"


def read_parquet(contract: Contract, source: LandedFile) -> pd.DataFrame:
    """Read a Parquet landing file; typed values are rendered as text, nested as JSON.

    Binary values are read as UTF-8 text; a record holding one that is not UTF-8 is
    broken (``invalid_utf8``) with the bytes kept as ``\\xNN`` escapes. A file whose
    ``amount`` or ``unit_price`` is an integer type has every record broken
    (``integer_money_column``, values kept): see :func:`integer_money_errors`. A file
    that cannot be read is one broken record (``unreadable_parquet``).
    """
    return whole(parquet_batches(contract, source))


def parquet_batches(
    contract: Contract,
    source: LandedFile,
    batch_rows: int | None = None,
    stream: BinaryIO | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`read_parquet`'s frame, ``batch_rows`` records at a time, from ``stream`` (a
    seekable binary stream of the file, read where its footer and pages are; default
    ``source.data``): what is held is one batch of the file and the pages it comes
    from, not the file (a million-row file took 2.3 GiB read whole).

    What depends on the whole file (which extra columns hold e-mail addresses, whether
    an integer money column holds values) is read first, in a pass over those columns
    only. Raises :class:`UnreadableFile` when the file cannot be read, at any point.
    """
    batch_rows = batch_rows or BATCH_ROWS
    try:
        with native_file(stream if stream is not None else io.BytesIO(source.data)) as opened:
            parquet = pq.ParquetFile(opened, coerce_int96_timestamp_unit="us", **READ_OPTIONS)
            nanos = _nanosecond_file(opened, parquet)
            header = bounded_header(parquet.schema_arrow.names)
            whole_file = None  # one table: _parquet_frame reads the facts off it
            batch_rows = batch_rows_of(parquet, batch_rows, opened)
            if parquet.metadata.num_rows > batch_rows:
                whole_file = _whole_file_facts(contract, header, parquet, batch_rows)
            offset = 0
            fine = file_tables(nanos, batch_rows) if nanos else None
            for table in file_tables(parquet, batch_rows):
                table = _with_nanoseconds(table, next(fine) if fine else None)
                yield _parquet_frame(contract, source, header, table, offset, whole_file)
                offset += table.num_rows
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        # UnicodeDecodeError: a column name that is not UTF-8 (pyarrow decodes names)
        error = f"unreadable_parquet: {exc}"
        raise UnreadableFile(broken_file(contract, source, "parquet", error)) from None


def parquet_header(data: bytes) -> list[str] | None:
    """The names :func:`parquet_batches` gives a Parquet file's columns (its schema's),
    None when the file cannot be read."""
    try:
        return bounded_header(pq.ParquetFile(io.BytesIO(data)).schema_arrow.names)
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None


def _nanosecond_file(opened: BinaryIO, parquet: pq.ParquetFile) -> pq.ParquetFile | None:
    """The file read with INT96 timestamps in nanoseconds, when it has such a column.

    INT96 (the legacy timestamps of Spark, Hive and Impala) holds a day and the
    nanoseconds into it. Read in nanoseconds, as Arrow does by default, a value outside
    1677-2262 (a ``9999-12-31`` "no end" sentinel, a year typed ``1500``) wrapped
    silently into another date (1816-03-29, 2084-07-20), and was published as that:
    ``parquet`` reads them in microseconds, and :func:`_with_nanoseconds` takes the
    nanosecond digits from this second reading where they did not wrap."""
    fine = pq.ParquetFile(opened, **READ_OPTIONS)  # the same stream: each read seeks to its pages
    return None if fine.schema_arrow.equals(parquet.schema_arrow) else fine


def _with_nanoseconds(table: pa.Table, fine: pa.Table | None) -> pa.Table:
    """``table`` (INT96 timestamps in microseconds) with each top-level INT96 column as
    text, its nanosecond digits taken from ``fine`` (the same rows read in nanoseconds)
    where that reading did not wrap. Nested INT96 values stay in microseconds."""
    if fine is None:
        return table
    for position, (coarse, exact) in enumerate(zip(table.columns, fine.columns, strict=True)):
        if not (pa.types.is_timestamp(coarse.type) and coarse.type != exact.type):
            continue
        micros = coarse.cast(pa.int64()).fill_null(0).to_numpy()
        nanos = exact.cast(pa.int64()).fill_null(0).to_numpy()
        kept = (nanos // 1000 == micros).tolist()
        texts = [
            fine_text if keep else coarse_text
            for fine_text, coarse_text, keep in zip(
                timestamp_text(exact), timestamp_text(coarse), kept, strict=True
            )
        ]
        field = table.schema.field(position).with_type(pa.string())
        table = table.set_column(position, field, pa.array(texts, pa.string()))
    return table


def _whole_file_facts(
    contract: Contract, header: list[str], parquet: pq.ParquetFile, batch_rows: int
) -> tuple[list[str], set[str]]:
    """The file's integer-money errors and the header cells of its extra columns that
    hold e-mail addresses: one pass over the batches, converting only those columns."""
    schema = parquet.schema_arrow
    money = integer_money_columns(contract, header, schema)
    extras = [index for index, _ in extra_columns(contract, header)]
    holds_values = dict.fromkeys(money, False)
    pii_cells = {header[i] for i in extras if names_email(header[i])}
    wanted = [i for i in extras if header[i] not in pii_cells]
    if not money and not wanted:
        return [], pii_cells
    for batch in parquet.iter_batches(batch_size=batch_rows):
        for position in money:
            holds_values[position] |= batch.column(position).null_count < batch.num_rows
        for position in wanted:
            if header[position] not in pii_cells:
                texts, _ = _arrow_to_text(pa.chunked_array([batch.column(position)]))
                if holds_emails(texts):
                    pii_cells.add(header[position])
    return _integer_money_errors(contract, header, schema, holds_values), pii_cells


def _parquet_frame(
    contract: Contract,
    source: LandedFile,
    header: list[str],
    table: pa.Table,
    offset: int,
    whole_file: tuple[list[str], set[str]] | None,
) -> pd.DataFrame:
    """The raw frame of ``table``, the rows of a Parquet file from row ``offset + 1``;
    ``whole_file``: the file's integer-money errors and e-mail extra columns (None: the
    table is the whole file)."""
    records = Records(contract, header)
    converted = [_arrow_to_text(table.column(i)) for i in range(table.num_columns)]
    columns = [texts for texts, _ in converted]
    if whole_file is None:
        file_errors = integer_money_errors(contract, records.header, table)
        # As the batched pass does: values of rows broken below for their size count.
        records.pii_cells |= {header[i] for i, _ in records.extras if holds_emails(columns[i])}
    else:
        file_errors, pii_cells = whole_file
        records.pii_cells |= pii_cells
    records.values = [list(row) for row in zip(*columns, strict=True)] if columns else []
    records.lines = list(range(offset + 1, offset + table.num_rows + 1))
    errors: list[list[str]] = [list(file_errors) for _ in range(table.num_rows)]
    for position, (_, bad) in enumerate(converted):
        if any(bad):
            error = _binary_error(contract, records.header, position)
            for row in np.flatnonzero(bad):
                if not any(e.startswith("invalid_utf8") for e in errors[row]):
                    errors[row].append(error)
    records.errors = ["; ".join(row) or None for row in errors]
    records.raws = [None] * table.num_rows
    _break_oversized_rows(records, columns)
    return records.frame(contract, source, "parquet")


def _break_oversized_rows(records: Records, columns: list[list[str | None]]) -> None:
    """Make each row whose text (as a JSON object) is over the size limit a broken record."""
    widest = sum(max(map(len, filter(None, column)), default=0) for column in columns)
    if widest * 4 <= landed_text.MAX_RECORD_BYTES:
        return  # no row can be over the limit: skip the per-row pass
    for row, values in enumerate(records.values):
        if sum(len(value) for value in values if value) * 4 <= landed_text.MAX_RECORD_BYTES:
            continue
        text = json.dumps(dict(zip(records.header, values, strict=True)), ensure_ascii=False)
        if landed_text.is_oversized(text):
            records.values[row] = [None] * len(values)
            records.errors[row] = landed_text.oversized_error(landed_text.text_bytes(text))
            records.raws[row] = bounded_raw(text)
