"""CLV sanity checks, evaluated inside customer_clv on the scores and model it just built.

The checks need the fitted model, which only exists inside the asset's step, so they are
declared as the asset's check specs and reported with its materialization. Scores that
would corrupt the published dim_customers (negative or non-finite CLV, P(alive) outside
[0, 1], missing values, nonsensical parameters) are blocking: dim_customers is not
rebuilt in that run. A fit that did not converge is a warning: its estimate is still the
best the optimizer found, but an analyst should look at it.

When there were too few customers to fit (see customer_clv), the score checks pass on
the empty table and the two model checks fail as warnings that say why.
"""

from __future__ import annotations

import math

import dagster as dg
import numpy as np
import pandas as pd

from orders_core.clv import SCORE_COLUMNS, CLVModel
from orders_core.rounding import money, significant

CLV_FINITE_NON_NEGATIVE = "clv_finite_and_non_negative"
PROB_ALIVE_IN_UNIT_INTERVAL = "prob_alive_within_unit_interval"
PARAMETERS_FINITE_POSITIVE = "model_parameters_finite_and_positive"
MODEL_CONVERGED = "model_converged"
NO_MISSING_VALUES = "no_missing_or_infinite_values"

_DESCRIPTIONS = {
    CLV_FINITE_NON_NEGATIVE: "clv, expected_purchases and expected_avg_order_value are finite "
    "and >= 0 for every customer.",
    PROB_ALIVE_IN_UNIT_INTERVAL: "prob_alive is a probability: within [0, 1] for every customer.",
    PARAMETERS_FINITE_POSITIVE: "BG/NBD r, alpha, a, b and Gamma-Gamma p, q, gamma are finite "
    "and positive, and q > 1 so the mean order value is finite.",
    MODEL_CONVERGED: "Both maximum-likelihood fits converged (warning only).",
    NO_MISSING_VALUES: "No NULL, NaN or infinite value in any column of customer_clv.",
}
_WARN_ONLY = {MODEL_CONVERGED}


def clv_check_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """The check specs customer_clv declares."""
    return [
        dg.AssetCheckSpec(
            name, asset=asset_key, description=description, blocking=name not in _WARN_ONLY
        )
        for name, description in _DESCRIPTIONS.items()
    ]


def _scores_non_negative(scores: pd.DataFrame) -> dg.AssetCheckResult:
    values = scores[["clv", "expected_purchases", "expected_avg_order_value"]].to_numpy(float)
    bad = int((~(np.isfinite(values) & (values >= 0)).all(axis=1)).sum())
    return dg.AssetCheckResult(
        check_name=CLV_FINITE_NON_NEGATIVE,
        passed=bad == 0,
        metadata={
            "failing_customers": bad,
            "min_clv": money(np.nanmin(values[:, 0])) if len(values) else 0.0,
        },
    )


def _prob_alive_bounded(scores: pd.DataFrame) -> dg.AssetCheckResult:
    alive = scores["prob_alive"].to_numpy(float)
    bad = int((~((alive >= 0) & (alive <= 1))).sum())
    return dg.AssetCheckResult(
        check_name=PROB_ALIVE_IN_UNIT_INTERVAL,
        passed=bad == 0,
        metadata={
            "failing_customers": bad,
            "min_prob_alive": significant(np.nanmin(alive)) if len(alive) else 0.0,
            "max_prob_alive": significant(np.nanmax(alive)) if len(alive) else 0.0,
        },
    )


def _no_missing(scores: pd.DataFrame) -> dg.AssetCheckResult:
    bad_by_column = {}
    for name, column in scores.items():
        if pd.api.types.is_numeric_dtype(column):
            bad = int((~np.isfinite(column.to_numpy(float))).sum())
        else:
            bad = int(column.isna().sum())
        if bad:
            bad_by_column[str(name)] = bad
    return dg.AssetCheckResult(
        check_name=NO_MISSING_VALUES,
        passed=not bad_by_column,
        metadata={
            "failing_values": sum(bad_by_column.values()),
            "failing_columns": ", ".join(sorted(bad_by_column)) or "none",
        },
    )


def _parameters_valid(model: CLVModel) -> dg.AssetCheckResult:
    params = {
        **{f"bgnbd/{k}": v for k, v in vars(model.purchases.params).items()},
        **{f"gamma_gamma/{k}": v for k, v in vars(model.spend.params).items()},
    }
    invalid = [k for k, v in params.items() if not (math.isfinite(v) and v > 0)]
    if model.spend.params.q <= 1:
        invalid.append("gamma_gamma/q <= 1")
    shown = {k: significant(v) for k, v in params.items()}
    return dg.AssetCheckResult(
        check_name=PARAMETERS_FINITE_POSITIVE,
        passed=not invalid,
        metadata={**shown, "invalid": ", ".join(invalid) or "none"},
    )


def _converged(model: CLVModel) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {}
    for name, fit in (("bgnbd", model.purchases), ("gamma_gamma", model.spend)):
        metadata[f"{name}/converged"] = fit.converged
        metadata[f"{name}/max_gradient"] = significant(fit.max_gradient)
        metadata[f"{name}/message"] = fit.message
    return dg.AssetCheckResult(
        check_name=MODEL_CONVERGED,
        passed=model.converged,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


def _not_fitted(check_name: str, reason: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"No model was fitted: {reason}",
        metadata={"reason": reason},
    )


def clv_check_results(
    scores: pd.DataFrame, model: CLVModel | None, not_fitted_reason: str = ""
) -> list[dg.AssetCheckResult]:
    """Evaluate every CLV check on the customer_clv frame and the model (None if unfitted)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"customer_clv lacks score columns {missing}")
    results = [_scores_non_negative(scores), _prob_alive_bounded(scores), _no_missing(scores)]
    if model is None:
        results += [
            _not_fitted(PARAMETERS_FINITE_POSITIVE, not_fitted_reason),
            _not_fitted(MODEL_CONVERGED, not_fitted_reason),
        ]
    else:
        results += [_parameters_valid(model), _converged(model)]
    return results
