"""CLV sanity checks, evaluated inside customer_clv on the table and model it just built.

The checks need the fitted model, which only exists inside the asset's step, so they are
declared as the asset's check specs and reported with its materialization. Scores that
would corrupt the published dim_customers (negative or non-finite CLV, P(alive) outside
[0, 1], missing values, nonsensical parameters) are blocking: dim_customers is not
rebuilt in that run. A fit that did not converge is a warning: its estimate is still the
best the optimizer found, but an analyst should look at it.

The score checks judge the table as written: one aggregate over it, computed in the
warehouse in the step's transaction (``orders_core.sql.customers.clv_summary_sql``), so
no customer's row is read into Python. When there were too few customers to fit (see
customer_clv), the score checks pass on the empty table, so does the parameter check (no
parameter was used), and the convergence check fails as a warning that says why: every
blocking check passes, so dim_customers is published with empty CLV columns by a run and
by the automation alike (Dagster's automation holds an asset on any failed blocking check
upstream, whatever its severity).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import dagster as dg

from orders_core.clv import CLVModel
from orders_core.rounding import money, significant
from orders_core.sql.customers import CLV_SUMMARY_COLUMNS
from orders_core.sql.tables import CLV_TYPES

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
    MODEL_CONVERGED: "Both maximum-likelihood fits converged, penalized or not (warning only).",
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


def _scores_non_negative(table: Mapping[str, object]) -> dg.AssetCheckResult:
    bad = int(table["bad_scores"])
    return dg.AssetCheckResult(
        check_name=CLV_FINITE_NON_NEGATIVE,
        passed=bad == 0,
        metadata={
            "failing_customers": bad,
            "min_clv": money(table["min_clv"]) if table["min_clv"] is not None else 0.0,
        },
    )


def _bound(value: object) -> float:
    return significant(value) if value is not None else 0.0


def _prob_alive_bounded(table: Mapping[str, object]) -> dg.AssetCheckResult:
    bad = int(table["bad_prob_alive"])
    return dg.AssetCheckResult(
        check_name=PROB_ALIVE_IN_UNIT_INTERVAL,
        passed=bad == 0,
        metadata={
            "failing_customers": bad,
            "min_prob_alive": _bound(table["min_prob_alive"]),
            "max_prob_alive": _bound(table["max_prob_alive"]),
        },
    )


def _no_missing(table: Mapping[str, object]) -> dg.AssetCheckResult:
    bad_by_column = {
        name: int(table[f"missing_{name}"]) for name in CLV_TYPES if table[f"missing_{name}"]
    }
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
        metadata[f"{name}/penalizer"] = fit.penalizer
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


def _no_parameters(reason: str) -> dg.AssetCheckResult:
    """The blocking parameter check without a model: no parameter reaches a score (the
    table is empty), so it passes, as the score checks do on the empty table. Failing, even
    as a warning, held dim_customers under automation, which reads no severity."""
    return dg.AssetCheckResult(
        check_name=PARAMETERS_FINITE_POSITIVE,
        passed=True,
        description=f"No model was fitted, so no parameter was used: {reason}",
        metadata={"reason": reason, "invalid": "none"},
    )


def clv_check_results(
    table: Mapping[str, object], model: CLVModel | None, not_fitted_reason: str = ""
) -> list[dg.AssetCheckResult]:
    """Evaluate every CLV check on customer_clv's summary row
    (:func:`orders_core.sql.customers.clv_summary_sql`, by column name) and the model
    (None if unfitted)."""
    missing = [c for c in CLV_SUMMARY_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"customer_clv's summary lacks {missing}")
    results = [_scores_non_negative(table), _prob_alive_bounded(table), _no_missing(table)]
    if model is None:
        results += [
            _no_parameters(not_fitted_reason),
            _not_fitted(MODEL_CONVERGED, not_fitted_reason),
        ]
    else:
        results += [_parameters_valid(model), _converged(model)]
    return results
