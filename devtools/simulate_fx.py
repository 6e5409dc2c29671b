"""Daily FX rates of the demo, and orders priced in their region's currency with them.

The demo's values are drawn in the reporting currency (USD, the contract's
``fx.reporting_currency``: the Gamma-Gamma truth of :mod:`devtools.simulate_truth` is in
its units). An order of a EUR or GBP region is priced in that currency at the day's rate:
its unit price converted and rounded to the currency's minor unit (cents), its amount
quantity times that, so converting it back at the same rate gives its value within half
a cent per item: the CLV truth holds in the reporting currency.

Rates move: each currency's rate is a deterministic random walk (a daily log return of
about 0.6 %), rounded to six decimals, so two days' conversions differ and converting at
the wrong day's rate would show. A file ``fx_rates/rates-YYYY-MM-DD.csv`` lands for every
day of the window (``rate_date,currency,rate``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from devtools.simulate_render import REGION_CURRENCY

REPORTING_CURRENCY = "USD"
# USD per unit at the start of the window (about early-2025 levels).
RATE_START = {"EUR": 1.08, "GBP": 1.27}
DAILY_LOG_VOLATILITY = 0.006
RATE_DECIMALS = 6


def daily_rates(start: dt.date, days: int, seed: int) -> dict[dt.date, dict[str, float]]:
    """Each day's rate of every demo currency but the reporting one (deterministic)."""
    rng = np.random.default_rng([seed, 2])
    walks = {
        currency: level * np.exp(np.cumsum(rng.normal(0.0, DAILY_LOG_VOLATILITY, days)))
        for currency, level in RATE_START.items()
    }
    return {
        start + dt.timedelta(days=i): {
            currency: round(float(walk[i]), RATE_DECIMALS) for currency, walk in walks.items()
        }
        for i in range(days)
    }


def in_order_currency(frame: pd.DataFrame, rates: dict[str, float]) -> pd.DataFrame:
    """``frame``'s orders (values in reporting-currency cents) priced in their region's
    currency at ``rates``: unit price rounded to the cent (at least one), amount = quantity
    x unit price."""
    if frame.empty:
        return frame
    currency = np.asarray(REGION_CURRENCY)[frame["region"].to_numpy()]
    rate = np.array([rates.get(code, 1.0) for code in currency])
    unit = np.maximum(np.rint(frame["unit_cents"].to_numpy() / rate), 1).astype(np.int64)
    return frame.assign(unit_cents=unit, amount_cents=frame["quantity"].to_numpy() * unit)


def rates_csv(day: dt.date, rates: dict[str, float]) -> str:
    """The day's rates file."""
    lines = ["rate_date,currency,rate"]
    lines += [
        f"{day.isoformat()},{code},{rate:.{RATE_DECIMALS}f}" for code, rate in sorted(rates.items())
    ]
    return "\n".join(lines) + "\n"


def write_rates(landing_root: Path, day: dt.date, rates: dict[str, float]) -> Path:
    """Write (or replace) the day's rates file under ``landing_root/fx_rates``."""
    folder = Path(landing_root) / "fx_rates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rates-{day.isoformat()}.csv"
    path.write_text(rates_csv(day, rates), encoding="utf-8")
    return path
