"""Day conversions and the keyed hash of e-mails."""

import datetime as dt
import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from orders_core.cleaning import hash_email
from orders_core.dtypes import (
    DATE_DTYPE,
    TEXT_DTYPE,
    day_array,
    day_mask,
    repeated_day,
)

DAY = dt.date(2025, 1, 2)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([DAY, None], dtype=DATE_DTYPE),
        pd.Series(pd.to_datetime(["2025-01-02", None])),  # DuckDB DATE read back
        pd.Series(pd.to_datetime(["2025-01-02T23:59:59+00:00", None], utc=True)),
        pd.Series(pd.to_datetime(["2025-01-03T00:30:00+01:00", None], utc=True)),
    ],
)
def test_days_of_dates_and_timestamps(values):
    assert day_mask(day_array(values), DAY).tolist() == [True, False]


def test_repeated_day():
    days = repeated_day(DAY, 3, pd.RangeIndex(3))
    assert days.dtype == DATE_DTYPE and days.tolist() == [DAY] * 3


def test_email_hash_is_the_hmac_of_the_normalised_address():
    key = b"k" * 16
    emails = pd.Series([" A@X.com", "a@x.com", None, "É@x.com"], dtype=TEXT_DTYPE)
    hashed = hash_email(emails, key)
    expected = hmac.new(key, b"a@x.com", hashlib.sha256).hexdigest()
    assert hashed.iloc[0] == hashed.iloc[1] == expected
    assert pd.isna(hashed.iloc[2])
    assert hashed.iloc[3] == hmac.new(key, "é@x.com".encode(), hashlib.sha256).hexdigest()
    assert np.array_equal(hashed.index, emails.index)


@pytest.mark.parametrize("key_length", [16, 64, 65, 200])
def test_email_hash_matches_the_hmac_module_for_any_key_length(key_length):
    key = bytes(range(256))[:key_length]
    emails = pd.Series(["a@x.com", "Ünïcode@例え.jp", "", None], dtype=TEXT_DTYPE)
    expected = [hmac.new(key, e.lower().encode(), hashlib.sha256).hexdigest() for e in emails[:2]]
    # An empty address is no address: it has no hash, as in cleaning.
    assert hash_email(emails, key).tolist() == [*expected, pd.NA, pd.NA]


def test_email_hash_keeps_row_order_over_many_row_groups():
    emails = pd.Series([f"user{i}@x.com" for i in range(300_000)], dtype=TEXT_DTYPE)
    hashed = hash_email(emails, b"k" * 16)
    for i in (0, 122_880, 299_999):
        assert hashed.iloc[i] == hmac.new(b"k" * 16, emails[i].encode(), hashlib.sha256).hexdigest()
    assert hash_email(emails[:0], b"k" * 16).empty
