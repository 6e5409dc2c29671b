"""Column types shared by the order frames, and day conversions that stay vectorised.

Dates are Arrow ``date32`` (:data:`DATE_DTYPE`), whatever they arrive as: a
DuckDB ``DATE`` read back as ``datetime64``, a UTC timestamp, or Arrow already.
Converting through NumPy's ``datetime64[D]`` never builds a Python object per
row, which ``.dt.date`` does.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DATE_DTYPE = pd.ArrowDtype(pa.date32())
# Text is Arrow-backed: parsed without Python objects and handled by Arrow's string kernels.
TEXT_DTYPE = pd.StringDtype("pyarrow")
PYTHON_TEXT_DTYPE = pd.StringDtype("python")


def exact_text(values: pd.Series) -> pd.Series:
    """Text on which pandas string methods give exactly what Python's ``str`` methods give.

    Arrow's kernels (used on Arrow-backed text) agree with Python on printable
    ASCII: stripping, case mapping, regular expressions, lengths. Any other
    character (Unicode case rules or white space, control characters, non-ASCII
    digits that Python's ``\\d`` matches) moves the column to Python strings.
    """
    if values.dtype == TEXT_DTYPE:
        if pc.all(pc.ascii_is_printable(pa.array(values.array))).as_py() is not False:
            return values
    return values.astype(PYTHON_TEXT_DTYPE)


def day_array(values: pd.Series) -> np.ndarray:
    """UTC calendar days of a date or timestamp column as ``datetime64[D]`` (NaT for nulls)."""
    if values.dtype == DATE_DTYPE:
        return pa.array(values.array).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values)
    return values.dt.floor("D").to_numpy(dtype="datetime64[D]")


def as_dates(values: pd.Series) -> pd.Series:
    """A date or timestamp column as :data:`DATE_DTYPE` (UTC days), same index and name."""
    if values.dtype == DATE_DTYPE:
        return values
    days = pa.array(day_array(values), type=pa.date32(), from_pandas=True)
    return pd.Series(pd.arrays.ArrowExtensionArray(days), index=values.index, name=values.name)


def day_mask(days: np.ndarray, day: dt.date) -> np.ndarray:
    """Rows of a :func:`day_array` that fall on ``day``."""
    return days == np.datetime64(day, "D")


def repeated_day(day: dt.date, n: int, index: pd.Index) -> pd.Series:
    """``day`` on n rows, as :data:`DATE_DTYPE`."""
    days = pa.array(np.full(n, np.datetime64(day, "D")), type=pa.date32())
    return pd.Series(pd.arrays.ArrowExtensionArray(days), index=index)
