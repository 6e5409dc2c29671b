"""How numbers are rounded where they become metadata (what the UI shows and plots).

Float arithmetic leaves noise in the last digits (a revenue of 58499.950000000004); each
number is rounded where it is produced, to what it means:

- `money`: amounts in major units, to the cent;
- `score`: scores, means and errors read by people, to 4 decimals;
- `significant`: rates, fitted parameters and other values whose size varies, to 6
  significant digits, so a rate of 0.0000033 keeps its precision.

Everything stays a float (non-finite values pass through); ints are left to callers.
"""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 6


def money(value: float) -> float:
    """An amount to the cent."""
    return round(float(value), 2)


def score(value: float) -> float:
    """A score or a mean to 4 decimals."""
    return round(float(value), 4)


def significant(value: float) -> float:
    """A rate or a parameter to :data:`SIGNIFICANT_DIGITS` significant digits."""
    number = float(value)
    if number == 0 or not math.isfinite(number):
        return number
    return float(f"{number:.{SIGNIFICANT_DIGITS}g}")
