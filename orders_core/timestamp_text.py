"""ISO-8601 text of an Arrow timestamp column, as the raw layer keeps it.

:func:`python_timestamp_text` is the definition: ``datetime.isoformat()`` of each value
as pyarrow converts it (no offset for a type without a time zone, the zone's offset
when it has one, ``.ffffff`` only when there are microseconds). It takes about 5 s per
million values; :func:`timestamp_text` gives the same text with Arrow's compute kernels
wherever the two provably agree, and falls back to it elsewhere:

- nanosecond units (pyarrow converts them to pandas Timestamps, which print nanoseconds)
  and columns with a value within two days of the ends of Python's years 1-9999 (where
  the conversion may raise and Arrow renders the whole column) are converted in Python;
- a named zone's local time comes from ``pc.local_timestamp``, which reads the system's
  time zone files, only when Python's ``zoneinfo`` reads the same file (otherwise
  Python's answer is used, e.g. when the files come from the ``tzdata`` package);
- Arrow applies the file's transitions only: after the last one (2037 in a "fat" file,
  the 2000s in a "slim" one) it keeps that offset, where Python follows the file's
  footer rule (``EST5EDT,M3.2.0,M11.1.0``: daylight saving time every summer). Values
  after it take the footer's offset when the rule has no daylight saving time, and
  Python's conversion, value by value, when it has.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import struct
import sys
import zoneinfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SCALE = {"s": 1, "ms": 1_000, "us": 1_000_000}
# UTC seconds two days inside Python's datetime range (0001-01-01 to 9999-12-31): a
# zone's offset moves no value of this window outside it.
_FIRST_SECOND = -62_135_596_800 + 2 * 86_400
_END_SECOND = 253_402_300_800 - 2 * 86_400
# Where Arrow's C++ library reads time zones on Linux (its vendored ``date`` library).
_ARROW_ZONE_DIR = "/usr/share/zoneinfo"
_ARROW_UCLIBC_DIR = "/usr/share/zoneinfo/uclibc"
_TZIF_HEADER = struct.Struct(">4sc15x6l")
# A POSIX TZ rule with a standard time only (``UTC0``, ``<+0530>-5:30``): a fixed offset.
_FIXED_RULE = re.compile(r"(<[^>]*>|[A-Za-z]+)[+-]?\d+(:\d+){0,2}")


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
    """:func:`python_timestamp_text` of ``column``, computed by Arrow where it provably
    gives the same text (see the module's docstring)."""
    kind = column.type
    if kind.unit not in _SCALE or len(column) == column.null_count:
        return python_timestamp_text(column)
    scale = _SCALE[kind.unit]
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    utc = array.cast(pa.int64()).fill_null(0).to_numpy()
    seconds = utc // scale
    if seconds.min() < _FIRST_SECOND or seconds.max() >= _END_SECOND:
        return python_timestamp_text(column)
    zone = _Zone.of(kind.tz) if kind.tz else _NO_ZONE
    if zone is None:
        return python_timestamp_text(column)
    offsets = np.full(len(utc), zone.fixed or 0, np.int64)
    python_rows = np.zeros(len(utc), bool)
    if zone.last is not None:  # transitions Arrow reads as Python does, up to zone.last
        before = seconds < zone.last
        local = pc.local_timestamp(array).cast(pa.int64()).fill_null(0).to_numpy()
        offsets[before] = (local[before] - utc[before]) // scale
        if zone.fixed is None:  # the footer's rule has daylight saving time
            python_rows = ~before
    python_rows &= array.is_valid().to_numpy(zero_copy_only=False)
    texts = _text(utc + offsets * scale, scale, offsets, zone.shows_offset, array.is_null())
    if python_rows.any():
        rows = np.flatnonzero(python_rows)
        for row, text in zip(rows, python_timestamp_text(column.take(rows)), strict=True):
            texts[row] = text
    return texts


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


class _Zone:
    """What :func:`timestamp_text` knows of a timestamp type's time zone.

    ``last``: the UTC second of the last transition of the zone's file, before which
    ``pc.local_timestamp`` gives Python's local time (None: Arrow is not used);
    ``fixed``: the offset in seconds from then on when it is fixed (None: it is Python's
    to say, value by value); ``shows_offset``: whether the text ends with one."""

    def __init__(self, last: int | None, fixed: int | None, shows_offset: bool = True) -> None:
        self.last, self.fixed, self.shows_offset = last, fixed, shows_offset

    @staticmethod
    @functools.cache
    def of(name: str) -> _Zone | None:
        """The zone of a timestamp type named ``name``; None when Arrow and Python may
        disagree on it (Python then renders every value)."""
        try:
            tzinfo = pa.scalar(0, pa.timestamp("s", tz=name)).as_py().tzinfo
        except (KeyError, ValueError, pa.ArrowException):
            return None
        if type(tzinfo) is dt.timezone:  # a fixed offset such as +05:30
            return _Zone(None, int(tzinfo.utcoffset(None).total_seconds()))
        if type(tzinfo) is not zoneinfo.ZoneInfo:
            return None  # e.g. pytz, pyarrow's fallback for a name zoneinfo lacks
        return _file_zone(tzinfo)


_NO_ZONE = _Zone(None, 0, shows_offset=False)


def _file_zone(tzinfo: zoneinfo.ZoneInfo) -> _Zone | None:
    """The zone of a ``zoneinfo`` time zone, when Arrow reads the file Python read."""
    if not sys.platform.startswith("linux") or os.path.isdir(_ARROW_UCLIBC_DIR):
        return None
    found = [os.path.join(d, tzinfo.key) for d in zoneinfo.TZPATH]
    found = [path for path in found if os.path.isfile(path)]
    if not found or found[0] != os.path.join(_ARROW_ZONE_DIR, tzinfo.key):
        return None
    try:
        with open(found[0], "rb") as file:
            tail = _tzif_tail(file.read())
    except (OSError, struct.error, UnicodeDecodeError):  # unreadable: Python renders
        return None
    if tail is None:
        return None
    last, rule = tail
    fixed = None
    if _FIXED_RULE.fullmatch(rule):
        after = dt.datetime.fromtimestamp(min(max(last or 0, 0), _END_SECOND), tzinfo)
        fixed = int(after.utcoffset().total_seconds())
    if last is None:  # no transition: the rule is the zone
        return None if fixed is None else _Zone(None, fixed)
    try:
        pc.local_timestamp(pa.array([0], pa.timestamp("s", tz=tzinfo.key)))
    except pa.ArrowException:
        return None
    return _Zone(last, fixed)


def _tzif_tail(data: bytes) -> tuple[int | None, str] | None:
    """The last transition (UTC seconds, None when there is none) and the footer rule of
    a time zone file (RFC 8536, version 2 or later); None for a version 1 file or one
    with leap seconds (``right/...``), whose reading Arrow and Python may not share."""

    def counts(at: int) -> tuple[bytes, bytes, list[int]]:
        magic, version, *numbers = _TZIF_HEADER.unpack_from(data, at)
        return magic, version, numbers

    def block_end(at: int, numbers: list[int], time_size: int) -> int:
        isut, isstd, leap, times, types, chars = numbers
        sizes = times * time_size + times + types * 6 + chars + leap * (time_size + 4)
        return at + _TZIF_HEADER.size + sizes + isstd + isut

    magic, version, numbers = counts(0)
    if magic != b"TZif" or version == b"\0":
        return None
    second = block_end(0, numbers, 4)
    magic, _, numbers = counts(second)
    isut, isstd, leap, times, types, chars = numbers
    if magic != b"TZif" or leap:
        return None
    last = None
    if times:
        (last,) = struct.unpack_from(">q", data, second + _TZIF_HEADER.size + (times - 1) * 8)
    footer = data[block_end(second, numbers, 8) :].decode("ascii").strip("\n")
    return last, footer
