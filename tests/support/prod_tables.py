"""Compare warehouse tables across engines: same rows, whatever the dtypes and row order."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from urllib.parse import unquote

import pandas as pd


def _canonical(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 9))
    if hasattr(value, "item"):
        return _canonical(value.item())
    return str(value)


def canonical_rows(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """Rows as sorted tuples of canonical text, columns in name order.

    ``source_file`` is cut to its path inside the landing zone, since the same file
    is ``file:///.../orders/date%3D.../...`` locally and ``s3://bucket/prefix/orders/date=.../...``
    in prod (``fx_rates/...`` likewise).
    """
    frame = frame.rename(columns=str.lower)
    frame = frame[sorted(frame.columns)].astype(object)
    if "source_file" in frame:
        frame["source_file"] = frame["source_file"].map(
            lambda uri: unquote(uri[re.search("(orders|fx_rates)/", uri).start() :])
        )
    return sorted(tuple(_canonical(v) for v in row) for row in frame.itertuples(index=False))


def checksum(frame: pd.DataFrame) -> str:
    """A digest of the canonical rows (and column names) of a table."""
    digest = hashlib.sha256("\0".join(sorted(frame.columns.str.lower())).encode())
    for row in canonical_rows(frame):
        digest.update("\0".join(row).encode() + b"\n")
    return digest.hexdigest()[:16]
