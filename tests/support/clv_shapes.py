"""Customer histories on which plain maximum likelihood gives BG/NBD or Gamma-Gamma no
usable fit (hunt 85), and two on which there is nothing to fit, as customer_metrics rows.

Each shape is a small, seeded customer_metrics frame (customer_id, frequency,
recency_days, tenure_days, monetary_value, as_of_date), what the warehouse would hold:

- ``regulars``: 30 customers over nine days, each buying on two days in three, as the
  batching corpus's regular customers do (with hunt 82's odd values spread in, that
  corpus left customer_clv empty): one rate for all and nobody leaving;
- ``two_days``: 30 customers over two days;
- ``uniform_year``: 2,000 customers with 1 to 4 orders on uniformly drawn days of a
  year, the shape of bench.clv_memory's synthetic history (its 5M customers were fitted
  degenerate, the table written empty);

one that plain maximum likelihood handles, where an optimizer might not: ``whale``, 200
customers of varied rates and spends and one buying every day for ten million a day
(Gamma-Gamma's p goes to its search bound, a valid limit: each customer's spend does not
vary; fitted on one row per customer it did not converge there, on the warehouse's rows
grouped by spend it does); and the documented fallbacks, too little to fit at all:
``one_time_buyers`` (500 customers, none with a repeat purchase) and ``few_customers``
(12, over three days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

AS_OF = dt.date(2025, 1, 9)


def _frame(rows: list[tuple[int, int, int, float]]) -> pd.DataFrame:
    """customer_metrics rows from (frequency, recency, tenure, monetary value) each."""
    frame = pd.DataFrame(
        rows, columns=["frequency", "recency_days", "tenure_days", "monetary_value"]
    )
    return frame.assign(customer_id=[f"c{i:05d}" for i in range(len(frame))], as_of_date=AS_OF)


def _buyers(days: int, customers: int, rate: Callable, spend: Callable, seed: int):
    """Each customer first buys on a day drawn from ``days``, then on each later day with
    probability ``rate(rng)`` (drawn per customer), spending ``spend(rng)`` a day."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(customers):
        first, p = int(rng.integers(0, days)), rate(rng)
        bought = [first, *(d for d in range(first + 1, days) if rng.random() < p)]
        spends = [spend(rng) for _ in bought[1:]]
        mean = round(float(np.mean(spends)), 2) if spends else 0.0
        rows.append((len(bought) - 1, bought[-1] - first, days - 1 - first, mean))
    return rows


def regulars() -> pd.DataFrame:
    return _frame(_buyers(9, 30, lambda rng: 2 / 3, lambda rng: 5.0 + rng.integers(0, 40), 1))


def two_days() -> pd.DataFrame:
    return _frame(_buyers(2, 30, lambda rng: 0.6, lambda rng: 10.0 + rng.integers(0, 20), 1))


def uniform_year(customers: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(customers):
        days = np.unique(rng.integers(0, 365, 1 + rng.integers(0, 4)))
        amounts = 5 + rng.integers(0, 20000, len(days)) / 100
        repeat = len(days) - 1
        mean = round(float(amounts[1:].mean()), 2) if repeat else 0.0
        rows.append((repeat, int(days[-1] - days[0]), int(364 - days[0]), mean))
    return _frame(rows)


def whale() -> pd.DataFrame:
    rows = _buyers(
        90, 200, lambda rng: rng.gamma(0.5, 0.1), lambda rng: round(rng.gamma(5.0, 4.0), 2), 0
    )
    return _frame([*rows, (89, 89, 89, 1e7)])


def one_time_buyers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return _frame([(0, 0, int(t), 0.0) for t in rng.integers(0, 30, 500)])


def few_customers() -> pd.DataFrame:
    return _frame(_buyers(3, 12, lambda rng: 0.6, lambda rng: 10.0, 2))


DEGENERATE = {"regulars": regulars, "two_days": two_days, "uniform_year": uniform_year}
TOO_LITTLE = {
    "one_time_buyers": (one_time_buyers, "got 500 and 0"),
    "few_customers": (few_customers, "needs >= 20 customers"),
}
