"""Vectorised BG/NBD + Gamma-Gamma simulator for tests and benchmarks.

Each customer's first purchase is at time 0. While alive they buy at rate
lambda ~ Gamma(r, alpha); after each repeat purchase they leave with probability
p ~ Beta(a, b), so the repeat purchase after which they leave, J, is Geometric(p).
With N ~ Poisson(lambda T) arrivals in (0, T], the observed repeat count is min(N, J)
and the x-th of N uniform arrival times is T * Beta(x, N - x + 1). Order values are
Gamma(p, nu) with nu ~ Gamma(q, gamma), so the mean of x of them is Gamma(p x, x nu).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from devtools.simulate_population import STATUS_WEIGHTS
from devtools.simulate_render import STATUSES
from orders_core.clv import BGNBDParams, GammaGammaParams
from orders_core.contract import load_contract


def simulate_customers(
    n: int,
    purchases: BGNBDParams,
    spend: GammaGammaParams,
    tenure_range: tuple[float, float],
    holdout: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate n customers: frequency, recency, tenure (continuous, model time units),
    monetary_value and holdout_purchases in the ``holdout`` period after the tenure."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(purchases.r, 1.0 / purchases.alpha, n)
    drop = np.clip(rng.beta(purchases.a, purchases.b, n), 1e-12, 1.0)
    tenure = rng.uniform(*tenure_range, n)
    leave_after = rng.geometric(drop)
    arrivals = rng.poisson(lam * tenure)
    x = np.minimum(arrivals, leave_after)
    recency = np.where(x > 0, tenure * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    left = np.maximum(leave_after - arrivals, 0)
    future = np.minimum(rng.poisson(lam * holdout), left)
    nu = rng.gamma(spend.q, 1.0 / spend.gamma, n)
    monetary = np.where(
        x > 0, rng.gamma(spend.p * np.maximum(x, 1), 1.0 / (np.maximum(x, 1) * nu)), 0.0
    )
    return pd.DataFrame(
        {
            "customer_id": np.arange(n).astype(str),
            "frequency": x,
            "recency_days": recency,
            "tenure_days": tenure,
            "monetary_value": monetary,
            "holdout_purchases": future,
        }
    )


def simulate_daily_metrics(
    n: int, purchases: BGNBDParams, spend: GammaGammaParams, max_tenure_days: int, seed: int = 0
) -> pd.DataFrame:
    """customer_metrics-like frame in whole days, as the warehouse produces it."""
    sim = simulate_customers(n, purchases, spend, (0.0, float(max_tenure_days)), seed=seed)
    return sim.assign(
        recency_days=np.floor(sim["recency_days"]).astype(int),
        tenure_days=np.floor(sim["tenure_days"]).astype(int),
    ).drop(columns="holdout_purchases")


def purchase_share() -> float:
    """The share of the generated orders that are purchases (the contract's
    ``status.not_purchase`` left out): 0.9.

    The generator draws each order's status independently (``STATUS_WEIGHTS``), so the
    purchases are the orders' Poisson process thinned to this share: a customer's rate
    ``lambda ~ Gamma(r, alpha)`` becomes ``share * lambda ~ Gamma(r, alpha / share)``,
    and a fit on purchases estimates ``alpha / share``. The dropout, drawn after every
    order, purchase or not, has no such exact form.
    """
    left_out = load_contract().not_purchase_statuses
    return 1.0 - sum(
        w for status, w in zip(STATUSES, STATUS_WEIGHTS, strict=True) if status in left_out
    )


def landing_transactions(landing_root: Path) -> pd.DataFrame:
    """customer_id, order_date (UTC) and amount of every purchase in clean CSV landing
    files: the orders whose status the contract does not list under ``not_purchase``
    (cancelled, returned), as customer_metrics counts them.

    Read straight from the files with pandas, independently of the platform's reader and
    SQL, for comparison with what the pipeline computes. Only for ``dirty=False`` data
    (one version per order) with a rate of every order's currency and day under
    ``fx_rates/`` (as the simulator lands them): the amount is in the reporting currency,
    the order's amount times its day's rate.
    """
    root = Path(landing_root)
    files = sorted(root.glob("orders/date=*/*.csv"))
    columns = ["customer_id", "order_ts", "amount", "currency", "status"]
    orders = pd.concat([pd.read_csv(f, usecols=columns) for f in files])
    status = orders["status"].str.strip().str.lower()
    orders = orders[~status.isin(load_contract().not_purchase_statuses)]
    order_ts = pd.to_datetime(orders["order_ts"], utc=True, format="ISO8601")
    rates = pd.concat([pd.read_csv(f) for f in sorted(root.glob("fx_rates/*.csv"))])
    rate = orders.assign(rate_date=order_ts.dt.strftime("%Y-%m-%d")).merge(
        rates, on=["rate_date", "currency"], how="left"
    )["rate"]
    reporting = orders["currency"].eq(load_contract().fx.reporting_currency).to_numpy()
    rate = rate.where(~reporting, 1.0).to_numpy()
    if pd.isna(rate).any():
        raise ValueError("an order without its day's rate: not simulator data")
    return pd.DataFrame(
        {
            "customer_id": orders["customer_id"],
            "order_date": order_ts,
            "amount": orders["amount"].to_numpy() * rate,
        }
    )
