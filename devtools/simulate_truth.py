"""The known stochastic process behind the demo customers (the "truth" for CLV checks).

Repeat purchases follow the BG/NBD model (Fader, Hardie & Lee 2005) with time in
days: while alive, a customer buys as a Poisson process with rate
``lambda ~ Gamma(shape=r, scale=1/alpha)``; after each *repeat* purchase the
customer drops out for good with probability ``p ~ Beta(a, b)``. Spend follows
the Gamma-Gamma model: each customer has ``nu ~ Gamma(q, scale=1/gamma)`` and
each transaction is worth ``Gamma(p, scale=1/nu)`` units of the reporting currency
(USD): an order in EUR or GBP is priced at its day's rate (:mod:`devtools.simulate_fx`),
and customer_metrics converts it back, so the truth holds in the reporting currency.

The order generator and :func:`simulate_customer_summaries` share the same
kernel, so a model fitted on either can be compared with these constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import hyp2f1


@dataclass(frozen=True)
class BGNBDTruth:
    """BG/NBD parameters, time unit days."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaTruth:
    """Gamma-Gamma spend parameters."""

    p: float
    q: float
    gamma: float

    @property
    def mean_transaction_value(self) -> float:
        """Population mean of one transaction's value, ``p * gamma / (q - 1)``."""
        return self.p * self.gamma / (self.q - 1.0)


# Mean rate r/alpha = 0.0194/day (about 7 purchases a year while alive); with
# a < 1 some customers effectively never churn, as in the CDNOW fit of the paper.
TRUE_BGNBD = BGNBDTruth(r=0.35, alpha=18.0, a=0.8, b=2.5)
# Mean transaction value 6 * 15 / 3 = 30 currency units.
TRUE_GAMMA_GAMMA = GammaGammaTruth(p=6.0, q=4.0, gamma=15.0)

SUMMARY_COLUMNS = ("customer_id", "frequency", "recency_days", "tenure_days", "monetary_value")


def expected_repeat_purchases(t: np.ndarray | float, truth: BGNBDTruth = TRUE_BGNBD) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer within ``t`` days (paper eq. 7).

    ``(a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t))]``,
    valid for ``a != 1`` (for ``a < 1`` both factors are negative).
    """
    if np.isclose(truth.a, 1.0):
        raise ValueError("the closed form of E[X(t)] needs a != 1")
    t = np.asarray(t, dtype=float)
    r, alpha, a, b = truth.r, truth.alpha, truth.a, truth.b
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def draw_purchase_rates(
    n: int, rng: np.random.Generator, truth: BGNBDTruth = TRUE_BGNBD
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer purchase rate (per day) and dropout probability."""
    lam = rng.gamma(truth.r, 1.0 / truth.alpha, size=n)
    # Beta draws can underflow to 0 for a < 1; a geometric needs p > 0.
    dropout = np.clip(rng.beta(truth.a, truth.b, size=n), 1e-12, 1.0)
    return lam, dropout


def draw_transaction_values(
    owner: np.ndarray, n_customers: int, rng: np.random.Generator, spend: GammaGammaTruth
) -> np.ndarray:
    """One Gamma-Gamma value per transaction; ``owner`` indexes the customer of each."""
    nu = rng.gamma(spend.q, 1.0 / spend.gamma, size=n_customers)
    return rng.gamma(spend.p, 1.0 / nu[owner])


def simulate_purchase_times(
    first: np.ndarray,
    end: np.ndarray | float,
    lam: np.ndarray,
    dropout: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """All purchases in ``[first, end)`` of customers whose first purchase is at ``first``.

    Within the window a customer's Poisson process has ``Poisson(lam * span)``
    events; the customer dies after the ``Geometric(dropout)``-th repeat purchase,
    so the purchases kept are the earliest ``min(events, lifetime)`` of them.
    Returns ``(owner, time)`` sorted by owner then time, first purchases included.
    """
    n_customers = first.size
    span = np.maximum(np.broadcast_to(end, first.shape) - first, 0.0)
    events = rng.poisson(lam * span)
    lifetime = rng.geometric(dropout)
    kept = np.minimum(events, lifetime)

    owner = np.repeat(np.arange(n_customers), events)
    fraction = rng.random(owner.size)
    # One float key sorts within customers: the owner index keeps groups apart
    # because half a unit can never round up into the next owner.
    fraction = fraction[np.argsort(owner + 0.5 * fraction, kind="stable")]
    starts = np.cumsum(events) - events
    keep = np.arange(owner.size) - starts[owner] < kept[owner]
    repeats = first[owner[keep]] + fraction[keep] * span[owner[keep]]

    sizes = kept + 1
    first_slots = np.cumsum(sizes) - sizes
    times = np.empty(int(sizes.sum()))
    times[first_slots] = first
    is_repeat = np.ones(times.size, dtype=bool)
    is_repeat[first_slots] = False
    times[is_repeat] = repeats
    return np.repeat(np.arange(n_customers), sizes), times


def summarize_purchases(
    owner: np.ndarray, day: np.ndarray, value: np.ndarray, n_customers: int, as_of_day: int
) -> pd.DataFrame:
    """Per-customer summary with the customer_metrics definitions (days, as of ``as_of_day``).

    ``owner`` and ``day`` must be sorted by owner then day, every customer present.
    frequency = distinct purchase days - 1; recency_days = last - first purchase
    day; tenure_days = as_of_day - first purchase day; monetary_value = mean daily
    spend over the repeat purchase days (0 when frequency is 0).
    """
    new_owner = np.r_[True, owner[1:] != owner[:-1]]
    new_day = new_owner | np.r_[True, day[1:] != day[:-1]]
    group = np.cumsum(new_day) - 1
    daily_spend = np.bincount(group, weights=value)
    group_owner = owner[new_day]
    group_day = day[new_day]
    first_group = np.r_[True, group_owner[1:] != group_owner[:-1]]

    days_per_customer = np.bincount(group_owner, minlength=n_customers)
    frequency = days_per_customer - 1
    first_day = group_day[first_group]
    last_day = group_day[np.r_[first_group[1:], True]]
    repeat_spend = np.bincount(
        group_owner[~first_group], weights=daily_spend[~first_group], minlength=n_customers
    )
    monetary = np.divide(repeat_spend, frequency, out=np.zeros(n_customers), where=frequency > 0)
    return pd.DataFrame(
        {
            "customer_id": customer_ids(np.arange(n_customers)).to_numpy(zero_copy_only=False),
            "frequency": frequency,
            "recency_days": last_day - first_day,
            "tenure_days": as_of_day - first_day,
            "monetary_value": np.round(monetary, 2),
        }
    )


def customer_ids(index: np.ndarray) -> pa.Array:
    """Stable customer identifiers ``C00000001``... for 0-based customer indices."""
    digits = pc.utf8_lpad(pc.cast(pa.array(index + 1, pa.int64()), pa.string()), 8, "0")
    return pc.binary_join_element_wise("C", digits, "")


def simulate_customer_summaries(
    n_customers: int,
    observation_days: int,
    seed: int,
    truth: BGNBDTruth = TRUE_BGNBD,
    spend: GammaGammaTruth = TRUE_GAMMA_GAMMA,
) -> pd.DataFrame:
    """Per-customer summaries drawn straight from the truth, for large-scale CLV tests.

    Customers are acquired uniformly over days ``0 .. observation_days - 1`` (their
    first purchase), then buy per the BG/NBD and Gamma-Gamma truths until the end
    of the observation window; the summary is as of its last day
    (``observation_days - 1``). Columns: customer_id, frequency, recency_days,
    tenure_days, monetary_value. Vectorised: a million customers take seconds.
    """
    if n_customers < 1 or observation_days < 1:
        raise ValueError("n_customers and observation_days must be positive")
    rng = np.random.default_rng(seed)
    first = np.sort(rng.random(n_customers) * observation_days)
    lam, dropout = draw_purchase_rates(n_customers, rng, truth)
    owner, times = simulate_purchase_times(first, float(observation_days), lam, dropout, rng)
    values = draw_transaction_values(owner, n_customers, rng, spend)
    day = np.floor(times).astype(np.int64)
    return summarize_purchases(owner, day, values, n_customers, observation_days - 1)
