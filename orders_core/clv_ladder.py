"""Which fit customer_clv publishes: plain maximum likelihood, else the weakest penalizer
that gives a usable model, else none, and why.

Maximum likelihood has no finite optimum on some histories an order-to-cash platform sees:
a few days of regular customers, every customer buying at one rate and nobody leaving
(BG/NBD's r and alpha then grow without bound, a falls to 0), a synthetic year of
uniformly spread orders, a single whale among small spenders (Gamma-Gamma's p runs off).
The optimizer stops far out, its predictions overflow, and customer_clv had nothing finite
to publish: an empty table for the whole run. A penalized fit
(:func:`orders_core.clv.fit_bgnbd`'s ``penalizer``: ridge in the log parameters) has a
finite optimum on any history; where the likelihood does have one, the weakest
penalizers here move the predictions by far less than the data's own uncertainty.

Each model climbs :data:`PENALIZERS` on its own, from 0 (plain maximum likelihood, the
published estimates on CDNOW), and keeps the first fit that converged with finite
predictions for the data it will score: BG/NBD's scores of every history over the
horizon, Gamma-Gamma's expected order value of every spend and its population mean.
When none converged, the first with finite predictions is kept (``model_converged`` then
warns, as it did before); when none has finite predictions, there is no model and the
reason says what each attempt gave. Every attempt is a pure function of the fitted rows,
which the warehouse gives sorted by value, so the outcome does not depend on how the days
were batched into runs, nor on the time unit or the currency (see orders_core.clv).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic

import numpy as np
import pandas as pd

from orders_core import clv
from orders_core.clv import BGNBDParams, CLVModel, FitResult, GammaGammaParams, P, TimeUnit

# Weakest first. 1e-4 already held every degenerate history found (hunt 85) at finite
# parameters while costing under 0.05 % of their log-likelihood; the stronger ones are the
# bounded retry for what that does not hold. 1 pulls the parameters close to the start.
PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


@dataclass(frozen=True)
class Ladder(Generic[P]):
    """Every fit tried, in order of :data:`PENALIZERS`, and the one kept (None: none had
    finite predictions). ``problems`` says, per fit, what was wrong with it ("" if nothing)."""

    tried: tuple[FitResult[P], ...]
    problems: tuple[str, ...]
    kept: FitResult[P] | None

    def summary(self) -> str:
        """Each attempt and its outcome, e.g. ``penalizer 0: predictions not finite (...);
        penalizer 0.0001: kept``."""
        return "; ".join(
            f"penalizer {fit.penalizer:g}: "
            + ("kept" if fit is self.kept else problem or "not needed")
            for fit, problem in zip(self.tried, self.problems, strict=True)
        )


def climb(
    fit_at: Callable[[float], FitResult[P]], predict: Callable[[P], list[np.ndarray]]
) -> Ladder[P]:
    """``fit_at(penalizer)`` for each of :data:`PENALIZERS` until a fit converges and every
    array of ``predict(params)`` is finite (see the module docstring)."""
    tried: list[FitResult[P]] = []
    problems: list[str] = []
    for penalizer in PENALIZERS:
        fit = fit_at(penalizer)
        finite = all(np.isfinite(a).all() for a in predict(fit.params))
        problem = (
            f"predictions not finite ({fit.message})"
            if not finite
            else ""
            if fit.converged
            else f"not converged ({fit.message})"
        )
        tried.append(fit)
        problems.append(problem)
        if not problem:
            return Ladder(tuple(tried), tuple(problems), fit)
    usable = [f for f, p in zip(tried, problems, strict=True) if p.startswith("not converged")]
    return Ladder(tuple(tried), tuple(problems), usable[0] if usable else None)


@dataclass(frozen=True)
class UsableFit:
    """customer_clv's two ladders, and BG/NBD's scores of each history when both kept a
    fit (``by_history``: :func:`orders_core.clv.history_scores`'s arrays)."""

    purchases: Ladder[BGNBDParams]
    spend: Ladder[GammaGammaParams]
    time_unit: TimeUnit
    by_history: dict[str, np.ndarray] | None

    @property
    def model(self) -> CLVModel | None:
        """The model published, None when a ladder kept no fit."""
        if self.purchases.kept is None or self.spend.kept is None:
            return None
        return CLVModel(self.purchases.kept, self.spend.kept, self.time_unit)

    @property
    def last_tried(self) -> CLVModel:
        """The strongest fits tried: what an analyst looks at when no model was kept."""
        return CLVModel(self.purchases.tried[-1], self.spend.tried[-1], self.time_unit)

    def reason(self) -> str:
        """Why no model was kept, or which fit was penalized and why ("" for maximum
        likelihood on both)."""
        ladders = {"BG/NBD": self.purchases, "Gamma-Gamma": self.spend}
        failed = [name for name, ladder in ladders.items() if ladder.kept is None]
        if failed:
            return (
                f"the fit is degenerate, no penalizer tried gave finite predictions "
                f"({' and '.join(failed)}): "
                + " | ".join(f"{name}: {ladders[name].summary()}" for name in failed)
            )
        return "; ".join(
            f"{name} penalized ({ladder.kept.penalizer:g}); without a penalizer: "
            + ladder.problems[0]
            for name, ladder in ladders.items()
            if ladder.kept is not None and ladder.kept.penalizer > 0
        )


def fit_usable_model(
    histories: pd.DataFrame,
    time_unit: TimeUnit = "days",
    spends: pd.DataFrame | None = None,
    *,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> UsableFit:
    """Fit BG/NBD on ``histories`` and Gamma-Gamma on ``spends`` (a customer_metrics frame
    each, as :func:`orders_core.clv.fit_clv_model` takes them), each up the penalizer
    ladder until its predictions for those rows over the horizon are usable.

    Raises :class:`orders_core.clv.InsufficientDataError` when there are too few customers
    (or repeat customers) to fit at all: no penalizer makes up for missing data.
    """
    x, t_x, T, monetary = clv.summary_arrays(histories, time_unit)
    weights = clv.customer_weights(histories)
    # Each fit's scores, kept so that those of the fit kept are not computed twice.
    scores: dict[BGNBDParams, dict[str, np.ndarray]] = {}

    def history_scores(params: BGNBDParams) -> list[np.ndarray]:
        scores[params] = clv.purchase_scores(
            histories,
            params,
            time_unit,
            horizon_months=horizon_months,
            monthly_discount_rate=monthly_discount_rate,
        )
        return list(scores[params].values())

    purchases = climb(lambda pen: clv.fit_bgnbd(x, t_x, T, weights, pen), history_scores)
    if spends is not None:
        (x, monetary), weights = clv.spend_arrays(spends), clv.customer_weights(spends)
    spend = climb(
        lambda pen: clv.fit_gamma_gamma(x, monetary, weights, pen),
        lambda params: [clv.expected_order_value(params, x, monetary), [params.mean_value]],
    )
    kept = purchases.kept
    by_history = scores[kept.params] if kept is not None and spend.kept is not None else None
    return UsableFit(purchases, spend, time_unit, by_history)
