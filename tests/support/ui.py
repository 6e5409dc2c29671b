"""The UI tests' fixture: which days are materialized, and whether we run under CI."""

from __future__ import annotations

import datetime as dt
import os

# Two weeks: enough history for plain maximum-likelihood CLV fits (fewer days left BG/NBD's
# degenerate before hunt 85's penalizer ladder, orders_core/clv_ladder.py).
FIXTURE_DAYS = 14
# The days end yesterday (UTC): the UI's per-partition plots read only the latest 120
# partition keys counted back from today, so days far in the past could never be plotted.
FIXTURE_END = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
FIXTURE_START = FIXTURE_END - dt.timedelta(days=FIXTURE_DAYS - 1)
# The partitions start a week before the data, as in a deployment with days not loaded yet.
PARTITIONS_START = FIXTURE_START - dt.timedelta(days=7)


def under_ci() -> bool:
    """True when the CI variable is set to anything but empty, 0 or false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")
