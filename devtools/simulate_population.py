"""The simulated customer population and its orders, as numbers (no files).

New customers arrive every day from ``start`` and then buy per the BG/NBD and
Gamma-Gamma truths of :mod:`devtools.simulate_truth`; each purchase
becomes an order with region, currency, items, status and local-time offset.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from devtools.simulate_render import REGION_OFFSETS, REGION_WEIGHTS, STATUSES
from devtools.simulate_truth import (
    TRUE_BGNBD,
    TRUE_GAMMA_GAMMA,
    BGNBDTruth,
    draw_purchase_rates,
    draw_transaction_values,
    expected_repeat_purchases,
    simulate_purchase_times,
)

# Monday .. Sunday; mean exactly 1 so the weekly volume keeps its target.
WEEKDAY_MULTIPLIERS = (0.92, 0.90, 0.93, 0.95, 1.05, 1.15, 1.10)
STATUS_WEIGHTS = (0.15, 0.20, 0.55, 0.05, 0.05)
LOCAL_TIME_SHARE = 0.3  # rows whose order_ts is written in the region's local offset
MEAN_EXTRA_ITEMS = 0.6  # quantity = 1 + Poisson(0.6)
SECONDS_PER_DAY = 86_400


def acquisition_schedule(
    orders_per_day: float, days: int, truth: BGNBDTruth = TRUE_BGNBD
) -> np.ndarray:
    """Expected new customers per day that keep the expected daily volume at the target.

    A customer acquired at a uniform time in day 0 makes ``m[k]`` expected repeat
    purchases on day ``k`` (increments of E[X(t)], averaged over the time of
    acquisition), so ``volume[t] = c[t] * (1 + m[0]) + sum_{s<t} c[s] m[t-s]``;
    solving that for ``c`` day by day is exact in expectation.
    """
    within_day = (np.arange(16) + 0.5) / 16
    ages = np.arange(days)[:, None]
    repeat_rate = (
        expected_repeat_purchases(ages + 1 - within_day, truth)
        - expected_repeat_purchases(np.maximum(ages - within_day, 0.0), truth)
    ).mean(axis=1)
    new = np.zeros(days)
    for t in range(days):
        from_base = np.dot(new[:t][::-1], repeat_rate[1 : t + 1])
        new[t] = max(orders_per_day - from_base, 0.0) / (1 + repeat_rate[0])
    return new


def day_epoch(day: dt.date) -> int:
    """Epoch seconds of the start of a UTC day."""
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def weekday_multipliers(start: dt.date, days: int, seasonality: bool) -> np.ndarray:
    """Purchase-rate multiplier of each day of the window."""
    if not seasonality:
        return np.ones(days)
    weekdays = (start.weekday() + np.arange(days)) % 7
    return np.asarray(WEEKDAY_MULTIPLIERS)[weekdays]


def simulate_orders(
    start: dt.date, days: int, orders_per_day: int, rng: np.random.Generator, seasonality: bool
) -> tuple[pd.DataFrame, int]:
    """All orders of the window as numbers, sorted by time, and the number of customers."""
    season = weekday_multipliers(start, days, seasonality)
    new = rng.poisson(acquisition_schedule(orders_per_day, days) * season)
    n_customers = int(new.sum())
    calendar = np.arange(days + 1, dtype=float)
    business = np.r_[0.0, np.cumsum(season)]
    first = np.sort(np.repeat(calendar[:-1], new) + rng.random(n_customers))
    lam, dropout = draw_purchase_rates(n_customers, rng)
    first_business = np.interp(first, calendar, business)
    owner, times = simulate_purchase_times(first_business, business[-1], lam, dropout, rng)
    values = draw_transaction_values(owner, n_customers, rng, TRUE_GAMMA_GAMMA)
    region = rng.choice(len(REGION_WEIGHTS), n_customers, p=REGION_WEIGHTS)

    # Business time maps monotonically onto the calendar, so owner order sorts by time too.
    order = np.argsort(times, kind="stable")
    owner, values = owner[order], values[order]
    seconds = np.interp(times[order], business, calendar) * SECONDS_PER_DAY
    seconds = np.minimum(seconds.astype(np.int64), days * SECONDS_PER_DAY - 1)
    n = owner.size
    quantity = 1 + rng.poisson(MEAN_EXTRA_ITEMS, n)
    unit_cents = np.maximum(np.rint(values * 100 / quantity), 1).astype(np.int64)
    status = rng.choice(len(STATUSES), n, p=STATUS_WEIGHTS)
    # Two offset choices per region (a one-offset region repeats its only one).
    offsets = np.array([(codes * 2)[:2] for codes in REGION_OFFSETS])
    offset = np.where(
        rng.random(n) < LOCAL_TIME_SHARE, offsets[region[owner], rng.integers(0, 2, n)], 0
    )
    day_end = (seconds // SECONDS_PER_DAY + 1) * SECONDS_PER_DAY - 1
    lag = np.where(status == 0, 0, (rng.random(n) * (day_end - seconds)).astype(np.int64))
    epoch = day_epoch(start)
    frame = pd.DataFrame(
        {
            "day": seconds // SECONDS_PER_DAY,
            "customer": owner,
            "region": region[owner],
            "ts": epoch + seconds,
            "offset": offset,
            "quantity": quantity,
            "unit_cents": unit_cents,
            "amount_cents": quantity * unit_cents,
            "status": status,
            "updated_ts": epoch + seconds + lag,
        }
    )
    return frame, n_customers
