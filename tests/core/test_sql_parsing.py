"""Text to timestamps and numbers by the cleaning SQL, against Python's own parsers.

The layouts are the contract's (``orders_core.sql.cleaning``): ISO-8601 with ``T``/``t``
or a space, optional seconds and fraction, ``Z``/``z`` or ``+HH[:MM]``; a value without
an offset is UTC. Numbers are plain decimals; a finite double is read exactly as Python's
``float`` reads it, and ``-0`` is 0.
"""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_core.cleaning import typed_frame
from orders_core.contract import load_contract

CONTRACT = load_contract()

TIMESTAMPS = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(1900, 2199),
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from(["T", "t", " "]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["", "Z", "z", "+00:00", "-05:30", "+14:00", "+0100", "-23:59", "+02"]),
)


def _python_instant(text: str) -> dt.datetime:
    value = text.upper().replace("Z", "+00:00")
    if value[-3] in "+-" and value[-3:].lstrip("+-").isdigit():  # +HH
        value += ":00"
    elif value[-5] in "+-" and value[-4:].isdigit():  # +HHMM
        value = value[:-2] + ":" + value[-2:]
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(TIMESTAMPS, min_size=1, max_size=8))
def test_timestamps_are_the_instants_python_reads_and_naive_is_utc(values):
    typed = typed_frame(pd.DataFrame({"order_ts": values}), CONTRACT)
    for text, parsed in zip(values, typed["v_order_ts"], strict=True):
        assert parsed == pd.Timestamp(_python_instant(text)), text


def test_an_instant_outside_utc_years_1_to_9999_is_malformed_not_published():
    # Four-digit years all, but the offset takes the first two out of them: year 10000
    # was published as an updated_at (DuckDB hands it to Python as text), the year BC
    # was quarantined only as order_ts_outside_partition. The last two are the ends.
    values = [
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59.999999+00:00",
        "0001-01-01T00:00:00-00:00",
    ]
    typed = typed_frame(pd.DataFrame({"updated_at": values}), CONTRACT)
    assert typed["m_updated_at"].tolist() == [True, True, False, False]
    assert typed["v_updated_at"].isna().tolist() == [True, True, False, False]
    assert [ts.isoformat() for ts in typed["v_updated_at"][2:]] == [
        "9999-12-31T23:59:59.999999+00:00",
        "0001-01-01T00:00:00+00:00",
    ]


NUMBERS = st.builds(
    "{}{}{}".format,
    st.sampled_from(["", "+", "-"]),
    st.text("0123456789", min_size=1, max_size=17),
    st.sampled_from(["", ".", ".5", ".05", ".123", "e3", ".1e-2", "e-400", "e400"]),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(NUMBERS, min_size=1, max_size=8))
def test_numbers_are_python_floats_and_never_silently_changed(values):
    typed = typed_frame(pd.DataFrame({"amount": values}), CONTRACT)
    for text, value, malformed in zip(values, typed["v_amount"], typed["m_amount"], strict=True):
        expected = float(text)
        has_digit = any(c in "123456789" for c in text.lower().split("e")[0])
        if expected in (float("inf"), float("-inf")) or (expected == 0 and has_digit):
            assert malformed and pd.isna(value), text  # overflow or underflow: quarantined
        else:
            assert not malformed and value == expected, text
            assert str(value) != "-0.0", text
