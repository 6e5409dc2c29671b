"""The rounding of metadata numbers: money to the cent, scores to 4 decimals, rates to 6
significant digits; non-finite values pass through."""

import math

import pytest

from orders_core.rounding import money, score, significant


def test_money_drops_float_noise_to_the_cent():
    assert money(58499.950000000004) == 58499.95
    assert repr(money(0.1 + 0.2)) == "0.3"


def test_scores_keep_4_decimals():
    assert score(0.65249999) == 0.6525 and score(-9582.412345) == -9582.4123


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1 / 3, 0.333333), (1 / 300000, 3.33333e-06), (34.175104608302895, 34.1751), (2.0, 2.0)],
)
def test_rates_keep_6_significant_digits(value, expected):
    assert significant(value) == expected


@pytest.mark.parametrize("value", [0.0, math.inf, -math.inf])
def test_zero_and_infinities_pass_through(value):
    assert significant(value) == value and money(value) == value


def test_nan_passes_through():
    assert math.isnan(significant(math.nan)) and math.isnan(money(math.nan))


def test_numpy_scalars_become_floats():
    np = pytest.importorskip("numpy")
    assert type(significant(np.float64(0.1) + np.float64(0.2))) is float
    assert type(money(np.float32(1.005))) is float
