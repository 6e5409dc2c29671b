"""Arrow's rendering of Parquet timestamps is the per-value one, character for character.

:func:`timestamp_text` renders with Arrow's kernels what :func:`python_timestamp_text`
(``datetime.isoformat()`` of each value) defines; each test compares the two on
seeded random instants, every transition of the zone's file (and around it), nulls and
chunks, and fails on the first value whose text differs.
"""

from __future__ import annotations

import zoneinfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from orders_core import timestamp_text as module
from orders_core.timestamp_text import python_timestamp_text, timestamp_text

SCALE = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
FIRST, END = -62_135_596_800, 253_402_300_800  # 0001-01-01, 10000-01-01 (UTC seconds)
# Zones whose offsets are odd: half- and quarter-hour, local mean time with seconds
# (Amsterdam +00:19:32 until 1937), a negative DST (Dublin), a day skipped (Apia),
# DST that ended (Sao Paulo), DST without end (Casablanca's Ramadan rules, 2087),
# rules only (UTC, EST), and fixed offsets Arrow and Python parse themselves.
ZONES = [
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Europe/Amsterdam",
    "Europe/Dublin",
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Africa/Casablanca",
    "America/St_Johns",
    "UTC",
    "EST",
    "Etc/GMT+5",
    "+05:30",
    "-00:00",
    "+14:00",
    "-12:00",
    "utc",  # not a file name: pyarrow falls back to pytz, so does the rendering
]
UNITS = ["s", "ms", "us"]
FIRST_OF_2025 = {  # 2025-01-01T00:00:00.000005Z
    "America/New_York": "2024-12-31T19:00:00.000005-05:00",
    "UTC": "2025-01-01T00:00:00.000005+00:00",
    "+05:30": "2025-01-01T05:30:00.000005+05:30",
    None: "2025-01-01T00:00:00.000005",
}


def _transitions(zone: str) -> np.ndarray:
    """UTC seconds at which the zone's offset changes between years 1 and 2100 (as Arrow
    reads it: a daily scan, then bisection to the second)."""
    day = np.arange(FIRST + 2 * 86_400, 4_102_444_800, 86_400, dtype=np.int64)
    offsets = _arrow_offsets(day, zone)
    low, high = day[:-1][offsets[:-1] != offsets[1:]], day[1:][offsets[:-1] != offsets[1:]]
    while (high - low > 1).any():
        middle = (low + high) // 2
        same = _arrow_offsets(middle, zone) == _arrow_offsets(low, zone)
        low, high = np.where(same, middle, low), np.where(same, high, middle)
    return high


def _arrow_offsets(seconds: np.ndarray, zone: str) -> np.ndarray:
    values = pa.array(seconds, pa.int64()).view(pa.timestamp("s", tz=zone))
    return pc.local_timestamp(values).cast(pa.int64()).to_numpy() - seconds


def _instants(zone: str, seed: int) -> np.ndarray:
    """Seconds to render: around each transition, and seeded random ones over years
    1-9999 (where a zone's footer rule takes over from its transitions) and near now."""
    rng = np.random.default_rng(seed)
    parts = [rng.integers(FIRST + 2 * 86_400, END - 2 * 86_400, 2_000)]
    parts.append(rng.integers(-3_000_000_000, 5_000_000_000, 2_000))
    try:
        changes = _transitions(zone)
    except pa.ArrowInvalid:  # a name Arrow does not know ("utc"): Python renders it
        changes = np.array([], np.int64)
    for step in (-86_400, -3_601, -3_600, -1_801, -1_800, -1, 0, 1, 1_799, 3_599, 3_600):
        parts.append(changes + step)
    return np.concatenate(parts)


def _column(seconds: np.ndarray, unit: str, zone: str | None, seed: int) -> pa.ChunkedArray:
    """``seconds`` with random fractions (none for a third), a tenth null, in 3 chunks."""
    rng = np.random.default_rng(seed)
    scale = SCALE[unit]
    fractions = np.where(rng.random(len(seconds)) < 0.3, 0, rng.integers(0, scale, len(seconds)))
    values = pa.array(seconds * scale + fractions, pa.int64(), mask=rng.random(len(seconds)) < 0.1)
    values = values.view(pa.timestamp(unit, tz=zone))
    cut = sorted(rng.integers(0, len(values), 2))
    return pa.chunked_array([values[: cut[0]], values[cut[0] : cut[1]], values[cut[1] :]])


def _assert_same_text(column: pa.ChunkedArray) -> None:
    expected = python_timestamp_text(column)
    rendered = timestamp_text(column)
    differences = [
        (row, want, got)
        for row, (want, got) in enumerate(zip(expected, rendered, strict=True))
        if want != got
    ]
    assert len(rendered) == len(expected)
    assert not differences, f"{len(differences)} differ, e.g. {differences[:5]}"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("zone", ZONES)
def test_arrow_renders_each_instant_as_python_does(zone, unit):
    seed = ZONES.index(zone) * 10 + UNITS.index(unit)
    _assert_same_text(_column(_instants(zone, seed), unit, zone, seed))


@pytest.mark.parametrize("unit", UNITS)
def test_arrow_renders_timestamps_without_a_zone_as_python_does(unit):
    seconds = np.random.default_rng(7).integers(FIRST + 2 * 86_400, END - 2 * 86_400, 20_000)
    _assert_same_text(_column(seconds, unit, None, 7))


def test_every_zone_of_the_database_renders_as_python_does():
    """Random instants in every zone Python knows (its files, or the tzdata package's)."""
    rng = np.random.default_rng(11)
    for zone in sorted(zoneinfo.available_timezones()):
        seconds = np.concatenate(
            [
                rng.integers(FIRST + 2 * 86_400, END - 2 * 86_400, 100),
                rng.integers(-5_000_000_000, 5_000_000_000, 100),
            ]
        )
        _assert_same_text(_column(seconds, "us", zone, int(rng.integers(1 << 30))))


@pytest.mark.parametrize(
    "seconds",
    [
        [FIRST, 0],  # 0001-01-01 UTC: a local time before year 1 in New York
        [END - 3_600, 0],  # 9999-12-31T23:00 UTC: after year 9999 in Kolkata
        [300_000_000_000, 0],  # year 11476: Arrow renders the whole column
        [-70_000_000_000],
    ],
)
@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "+05:30", None])
def test_a_column_reaching_the_ends_of_pythons_range_renders_as_python_does(seconds, zone):
    _assert_same_text(_column(np.array(seconds * 3, np.int64), "s", zone, 3))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", None])
def test_nanoseconds_empty_and_null_columns_render_as_python_does(zone):
    nanos = np.random.default_rng(5).integers(
        -9_000_000_000_000_000_000, 9_000_000_000_000_000_000, 500
    )
    _assert_same_text(_column(nanos // 1_000_000_000, "ns", zone, 5))
    _assert_same_text(pa.chunked_array([], pa.timestamp("us", tz=zone)))
    _assert_same_text(pa.chunked_array([pa.nulls(3, pa.timestamp("us", tz=zone))]))
    _assert_same_text(pa.chunked_array([pa.array([0], pa.timestamp("ms", tz=zone))[:0]]))


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", "+05:30", None])
def test_a_recent_column_is_rendered_by_arrow_not_value_by_value(zone, monkeypatch):
    """The comparisons above prove something only if Arrow renders: a day of 2025 does
    not go through the per-value rendering, which here would raise."""

    def refused(column):
        raise AssertionError(f"{len(column)} values rendered in Python")

    monkeypatch.setattr(module, "python_timestamp_text", refused)
    seconds = np.arange(1_735_689_600, 1_735_776_000, 7, dtype=np.int64)
    column = pa.chunked_array([pa.array(seconds * 1_000_000 + 5, pa.timestamp("us", tz=zone))])
    assert timestamp_text(column)[0] == FIRST_OF_2025[zone]
