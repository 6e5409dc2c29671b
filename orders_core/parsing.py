"""Text to typed values, exactly as pandas reads them, with Arrow where it agrees.

The cleaning rules were written against pandas: ``pd.to_datetime(format="ISO8601")``
and ``pd.to_numeric``. On the layouts sources usually send (``2025-01-01T10:00:00Z``,
``13.46``) Arrow's vectorised casts give the same values many times faster; every
other value, and every case where pandas' result depends on the rest of the column,
still goes through pandas.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orders_core.contract import ColumnSpec
from orders_core.dtypes import TEXT_DTYPE

# ASCII digits only: Python's \d also matches "٣" or "３", which pandas cannot parse.
DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
INTEGER = r"^\+?[0-9]+(?:\.0*)?$"
_OFFSET = r"(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
# At most 15 digits and two decimals: pandas' parser holds the digits exactly and divides
# once by 10 or 100, so it rounds correctly there, like Arrow's cast (not beyond).
_SHORT_DECIMAL = r"^[+-]?(?:\d{1,15}\.?|\d{0,14}\.\d|\d{0,13}\.\d\d)$"
_PLAIN_ISO = (
    r"^(?:19|20|21)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)


def _parse_plain_iso(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Arrow's parser for the values written ``YYYY-MM-DDTHH:MM:SS`` with ``Z`` or a
    ``+HH:MM`` offset, the layout sources usually send: (their rows, UTC nanoseconds).

    On that layout Arrow and pandas' ISO 8601 parser agree (years are limited to what
    nanosecond timestamps hold). None when no value has it, or when Arrow refuses one
    (an impossible date such as February 30th): pandas then parses everything.
    """
    if values.dtype != TEXT_DTYPE:
        return None
    text = pa.array(values.array)
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_ISO), False)
    rows = np.flatnonzero(plain.to_numpy(zero_copy_only=False))
    if not rows.size:
        return None
    try:
        parsed = pc.cast(text.filter(plain), pa.timestamp("ns", tz="UTC"))
    except pa.ArrowInvalid:
        return None
    return rows, parsed.cast(pa.int64()).to_numpy(zero_copy_only=False)


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps and a mask of values that carried no offset.

    pandas reads a value without offset with the offset of an earlier value of the same
    column, so the plain values go through Arrow only when no other value is a valid
    timestamp without offset; otherwise the column is read as a whole, as before.
    """
    naive = values.notna() & ~values.str.contains(_OFFSET, regex=True, na=False)
    fast = _parse_plain_iso(values)
    if fast is not None:
        rows, nanoseconds = fast
        rest = values.notna().to_numpy(dtype=bool)
        rest[rows] = False
        others = pd.to_datetime(values[rest], utc=True, format="ISO8601", errors="coerce")
        if not (others.notna() & naive[rest]).any():
            stamps = np.full(len(values), np.iinfo(np.int64).min)  # NaT
            stamps[rows] = nanoseconds
            stamps[rest] = others.astype("int64").to_numpy()
            parsed = pd.to_datetime(stamps, unit="ns", utc=True)
            return pd.Series(parsed, index=values.index), naive
    return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce"), naive


def to_float(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")`` as float64, through Arrow's cast when
    every value is a short decimal (see ``_SHORT_DECIMAL``): the same floats there.

    All or nothing, because pandas reads a column of big integers differently from the
    same integers among other values.
    """
    if values.dtype == TEXT_DTYPE:
        text = pa.array(values.array)
        if pc.all(pc.match_substring_regex(text, _SHORT_DECIMAL)).as_py() is not False:
            return pd.Series(
                pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), index=values.index
            )
    return pd.to_numeric(values, errors="coerce").astype("float64")


def parse_number(values: pd.Series, pattern: str) -> tuple[pd.Series, pd.Series]:
    """Numbers from strict text, and the mask of present values that are not finite numbers
    (``1e400`` is well formed but overflows: it must not reach the cleaned rows as NaN)."""
    well_formed = values.str.match(pattern, na=False)
    numbers = to_float(values.where(well_formed))
    finite = pd.Series(np.isfinite(numbers.to_numpy()), index=values.index)
    return numbers.where(finite), values.notna() & ~(well_formed & finite)


def parse_values(text: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, pd.Series]:
    """Typed values of a cleaned text column (``cleaning.column_text``), and the mask of present values that
    do not parse as the contract type (the one parser of cleaning and the drift check)."""
    if spec.type == "timestamp":
        parsed, _ = parse_timestamps(text)
        return parsed, text.notna() & parsed.isna()
    if spec.type in ("decimal", "integer"):
        return parse_number(text, DECIMAL if spec.type == "decimal" else INTEGER)
    return text, _nested(text)


def _nested(text: pd.Series) -> pd.Series:
    """Mask of values that are JSON arrays or objects (nested values), not scalars."""
    candidates = text.str.startswith(("[", "{"), na=False)
    nested = pd.Series(False, index=text.index)
    if candidates.any():
        nested[candidates] = [_is_json_container(v) for v in text[candidates]]
    return nested


def _is_json_container(value: str) -> bool:
    try:
        return isinstance(json.loads(value), list | dict)
    except ValueError:
        return False
