"""ISO-8601 text of an Arrow timestamp column, as the raw layer keeps it.

:func:`python_timestamp_text` is the definition: ``datetime.isoformat()`` of each value
as pyarrow converts it (no offset for a type without a time zone, the zone's offset
when it has one, ``.ffffff`` only when there are microseconds). It takes about 5 s per
million values in a named zone. :func:`timestamp_text` gives the same text with Arrow's
kernels, taking from Python only what the zone decides: the offset of each distinct UTC
second of the column (a zone's offset changes at whole seconds; pyarrow converts a
zoned value to the zone's local time as ``utc + offset``), so a day of orders costs at
most 86,400 conversions, and Arrow never reads a time zone file itself (its files and
Python's may differ). Nanosecond units (pyarrow converts them to pandas Timestamps,
which print nanoseconds) and columns with a value within two days of the ends of
Python's years 1-9999 (where the conversion may raise and Arrow renders the whole
column) are rendered value by value.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SCALE = {"s": 1, "ms": 1_000, "us": 1_000_000}
# UTC seconds two days inside Python's datetime range (0001-01-01 to 9999-12-31): a
# zone's offset moves no value of this window outside it.
_FIRST_SECOND = -62_135_596_800 + 2 * 86_400
_END_SECOND = 253_402_300_800 - 2 * 86_400


def python_timestamp_text(column: pa.ChunkedArray) -> list[str | None]:
    """ISO-8601 text of a timestamp column, value by value: no offset when the type has
    no time zone (cleaning reads such values as UTC), the zone's offset when it has
    one. A value outside Python's datetime range is rendered by Arrow (e.g. a five-digit
    year), which cleaning rejects as ``invalid_<column>``."""
    try:
        return [None if v is None else v.isoformat() for v in column.to_pylist()]
    except (OverflowError, ValueError):
        return pc.cast(column, pa.string()).to_pylist()


def timestamp_text(column: pa.ChunkedArray) -> list[str | None]:
    """:func:`python_timestamp_text` of ``column``, rendered by Arrow with each distinct
    second's offset from Python (see the module's docstring)."""
    kind = column.type
    if kind.unit not in _SCALE or len(column) == column.null_count:
        return python_timestamp_text(column)
    scale = _SCALE[kind.unit]
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    utc = array.cast(pa.int64()).fill_null(0).to_numpy()
    seconds = utc // scale
    if seconds.min() < _FIRST_SECOND or seconds.max() >= _END_SECOND:
        return python_timestamp_text(column)
    offsets = np.zeros(len(utc), np.int64)
    if kind.tz:
        distinct, where = np.unique(seconds, return_inverse=True)
        moments = pa.array(distinct, pa.timestamp("s", tz=kind.tz)).to_pylist()
        offsets = np.array([int(m.utcoffset().total_seconds()) for m in moments], np.int64)
        offsets = offsets[where.reshape(-1)]
    return _text(utc + offsets * scale, scale, offsets, bool(kind.tz), array.is_null())


def _text(
    local: np.ndarray, scale: int, offsets: np.ndarray, shows_offset: bool, nulls: pa.Array
) -> list[str | None]:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM[:SS]]`` of local times in ``scale`` units."""
    seconds = local // scale
    micros = (local - seconds * scale) * (1_000_000 // scale)
    # Arrow's cast prints YYYY-MM-DD HH:MM:SS (ten times faster than its strftime)
    seconds_text = pc.cast(pa.array(seconds, pa.timestamp("s")), pa.string())
    parts = [pc.utf8_replace_slice(seconds_text, start=10, stop=11, replacement="T")]
    if micros.any():
        digits = pc.utf8_lpad(pc.cast(pa.array(micros), pa.string()), width=6, padding="0")
        parts.append(
            pc.if_else(pa.array(micros != 0), pc.binary_join_element_wise(".", digits, ""), "")
        )
    if shows_offset:
        encoded = pc.dictionary_encode(pa.array(offsets))
        distinct = [_offset_text(offset) for offset in encoded.dictionary.to_pylist()]
        parts.append(pa.array(distinct, pa.string()).take(encoded.indices))
    text = pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
    return pc.if_else(nulls, pa.scalar(None, pa.string()), text).to_pylist()


@functools.cache
def _offset_text(offset: int) -> str:
    """``+HH:MM`` (``:SS`` when it has seconds) of an offset in seconds, as isoformat."""
    moment = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=offset)))
    return moment.isoformat()[len("2000-01-01T00:00:00") :]
