"""The penalizer ladder (orders_core.clv_ladder): histories without a usable maximum-
likelihood fit get a penalized one with finite scores; others keep maximum likelihood."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orders_core import clv, clv_ladder
from tests.support import clv_shapes, paths


def _plain_problems(metrics: pd.DataFrame) -> list[str]:
    """What was wrong with plain maximum likelihood on ``metrics``, per model."""
    model = clv.fit_clv_model(metrics)
    scores = clv.history_scores(metrics, model)
    fits = {"BG/NBD": model.purchases, "Gamma-Gamma": model.spend}
    finite = all(np.isfinite(v).all() for v in scores.values())
    return [f"{name} not converged" for name, fit in fits.items() if not fit.converged] + (
        [] if finite else ["BG/NBD scores not finite"]
    )


@pytest.mark.parametrize("shape", sorted(clv_shapes.DEGENERATE))
def test_a_history_without_a_usable_fit_is_fitted_penalized(shape: str) -> None:
    metrics = clv_shapes.DEGENERATE[shape]()
    assert _plain_problems(metrics), "the shape no longer needs a penalizer"
    fitted = clv_ladder.fit_usable_model(metrics)
    model = fitted.model
    assert model is not None and model.converged
    assert max(model.purchases.penalizer, model.spend.penalizer) > 0
    assert "penalized" in fitted.reason()
    # every customer's scores finite and in range
    scored = clv.score_customers(metrics, model)
    for name in clv.SCORE_COLUMNS:
        values = scored[name].to_numpy()
        assert np.isfinite(values).all() and (values >= 0).all(), name
    assert scored["prob_alive"].le(1.0).all()


def test_the_scores_kept_are_the_models_scores_of_the_histories_fitted() -> None:
    """As customer_clv fits: distinct histories with their counts, spends apart."""
    histories = clv_shapes.regulars().groupby(list(clv.HISTORY_COLUMNS), as_index=False).size()
    histories = histories.rename(columns={"size": clv.WEIGHT_COLUMN}).assign(monetary_value=0.0)
    spends = clv_shapes.regulars().query("frequency > 0")[["frequency", "monetary_value"]]
    fitted = clv_ladder.fit_usable_model(histories, "days", spends, horizon_months=6)
    assert fitted.model is not None and fitted.by_history is not None
    again = clv.history_scores(histories, fitted.model, horizon_months=6)
    for name, values in again.items():
        np.testing.assert_array_equal(fitted.by_history[name], values, err_msg=name)


def test_a_penalized_fit_does_not_depend_on_the_time_unit() -> None:
    metrics = clv_shapes.regulars()
    days, weeks = (clv_ladder.fit_usable_model(metrics, unit) for unit in ("days", "weeks"))
    assert days.model is not None and weeks.model is not None
    assert days.model.purchases.penalizer == weeks.model.purchases.penalizer > 0
    for name, values in days.by_history.items():
        np.testing.assert_allclose(weeks.by_history[name], values, rtol=1e-5, err_msg=name)


def test_a_usable_maximum_likelihood_fit_is_kept_unpenalized() -> None:
    raw = pd.read_csv(paths.FIXTURES / "cdnow_calibration_summary.csv")
    cdnow = pd.DataFrame(
        {
            "frequency": raw["x"],
            "recency_days": raw["t_x"],
            "tenure_days": raw["T"],
            "monetary_value": raw["zbar"],
        }
    )
    fitted = clv_ladder.fit_usable_model(cdnow)
    assert fitted.model == clv.fit_clv_model(cdnow) and fitted.reason() == ""
    assert fitted.purchases.summary() == fitted.spend.summary() == "penalizer 0: kept"


@pytest.mark.parametrize("shape", sorted(clv_shapes.TOO_LITTLE))
def test_too_little_to_fit_is_said_not_penalized(shape: str) -> None:
    make, message = clv_shapes.TOO_LITTLE[shape]
    with pytest.raises(clv.InsufficientDataError, match=message):
        clv_ladder.fit_usable_model(make())


def _fit(penalizer: float, converged: bool) -> clv.FitResult[clv.GammaGammaParams]:
    params = clv.GammaGammaParams(p=1.0 + penalizer, q=2.0, gamma=1.0)
    return clv.FitResult(params, -1.0, converged, 1, "msg", 0.0, 20, penalizer)


def test_the_ladder_keeps_the_first_finite_fit_when_none_converges() -> None:
    ladder = clv_ladder.climb(lambda pen: _fit(pen, False), lambda params: [[params.p]])
    assert len(ladder.tried) == len(clv_ladder.PENALIZERS) and ladder.kept is ladder.tried[0]
    assert ladder.summary().startswith("penalizer 0: kept; penalizer 0.0001: not converged")


def test_the_ladder_keeps_nothing_when_no_prediction_is_finite() -> None:
    ladder = clv_ladder.climb(lambda pen: _fit(pen, True), lambda params: [[np.inf]])
    assert ladder.kept is None
    assert ladder.summary().split("; ")[-1] == "penalizer 1: predictions not finite (msg)"


def test_the_ladder_stops_at_the_first_usable_fit() -> None:
    calls = []

    def fit_at(penalizer: float) -> clv.FitResult[clv.GammaGammaParams]:
        calls.append(penalizer)
        return _fit(penalizer, penalizer >= 1e-3)

    ladder = clv_ladder.climb(fit_at, lambda params: [[params.p]])
    assert calls == [0.0, 1e-4, 1e-3] and ladder.kept is ladder.tried[-1]
    assert ladder.summary() == (
        "penalizer 0: not converged (msg); penalizer 0.0001: not converged (msg); "
        "penalizer 0.001: kept"
    )
