"""Column types shared by the order frames, and day conversions that stay vectorised.

Dates are Arrow ``date32`` (:data:`DATE_DTYPE`). :func:`day_array` takes the days of a
column whatever it holds (a DuckDB ``DATE`` read back as ``datetime64``, a UTC timestamp,
or Arrow dates) as NumPy's ``datetime64[D]``, which never builds a Python object per
row, as ``.dt.date`` does.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

DATE_DTYPE = pd.ArrowDtype(pa.date32())
# Text is Arrow-backed: parsed without Python objects and handled by Arrow's string kernels.
TEXT_DTYPE = pd.StringDtype("pyarrow")


def day_array(values: pd.Series) -> np.ndarray:
    """UTC calendar days of a date or timestamp column as ``datetime64[D]`` (NaT for nulls)."""
    if values.dtype == DATE_DTYPE:
        return pa.array(values.array).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values)
    return values.dt.floor("D").to_numpy(dtype="datetime64[D]")


def day_mask(days: np.ndarray, day: dt.date) -> np.ndarray:
    """Rows of a :func:`day_array` that fall on ``day``."""
    return days == np.datetime64(day, "D")


def repeated_day(day: dt.date, n: int, index: pd.Index) -> pd.Series:
    """``day`` on n rows, as :data:`DATE_DTYPE`."""
    days = pa.array(np.full(n, np.datetime64(day, "D")), type=pa.date32())
    return pd.Series(pd.arrays.ArrowExtensionArray(days), index=index)
