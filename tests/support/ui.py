"""The UI tests' fixture: which days are materialized, and whether we run under CI."""

from __future__ import annotations

import datetime as dt
import os

FIXTURE_START = dt.date(2025, 1, 1)
# Two weeks: enough history for the CLV models to fit (fewer days make BG/NBD degenerate).
FIXTURE_DAYS = 14


def under_ci() -> bool:
    """True when the CI variable is set to anything but empty, 0 or false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")
