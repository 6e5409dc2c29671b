"""Text to timestamps and numbers: the same values as pandas, fast path or not."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_core.dtypes import TEXT_DTYPE
from orders_core.parsing import parse_timestamps, to_float

TIMESTAMP_TEXT = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
    st.sampled_from([1899, 1900, 1970, 2024, 2025, 2199, 2262, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 60),
    st.integers(0, 61),
    st.sampled_from(["Z", "z", "+00:00", "-05:30", "+14:00", "+24:00", "+0100", "", ".5Z"]),
)


PLAIN_TIMESTAMP_TEXT = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
    st.integers(1900, 2199),
    st.integers(1, 12),
    st.integers(1, 31),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["Z", "+00:00", "-05:30", "+14:00", "-23:59"]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(PLAIN_TIMESTAMP_TEXT | st.none(), max_size=6)
    | st.lists(TIMESTAMP_TEXT | PLAIN_TIMESTAMP_TEXT | st.none(), max_size=6)
)
def test_timestamps_parse_as_pandas_iso8601_does(values):
    text = pd.Series(values, dtype=TEXT_DTYPE)
    parsed, _ = parse_timestamps(text)
    expected = pd.to_datetime(text.astype("string"), utc=True, format="ISO8601", errors="coerce")
    pd.testing.assert_series_equal(parsed, expected)


NUMBER_TEXT = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["", "+", "-"]),
    st.text("0123456789", max_size=17),
    st.sampled_from(["", ".", ".5", ".05", ".123", "e3", ".1e-2"]),
    st.sampled_from(["", "", "x", " "]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(NUMBER_TEXT | st.none(), max_size=8))
def test_numbers_parse_as_pandas_to_numeric_does(values):
    text = pd.Series(values, dtype=TEXT_DTYPE)
    expected = pd.to_numeric(text.astype("string"), errors="coerce").astype("float64")
    pd.testing.assert_series_equal(to_float(text), expected, check_exact=True)
