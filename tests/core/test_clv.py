"""BG/NBD + Gamma-Gamma CLV: published CDNOW estimates, recovery, robustness, scoring."""

from __future__ import annotations

import tracemalloc

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from devtools.clv_simulation import simulate_customers
from orders_core import clv
from tests.support import paths

FIXTURES = paths.FIXTURES


@pytest.fixture(scope="module")
def cdnow_days() -> pd.DataFrame:
    """CDNOW calibration summary (39 weeks, 2357 customers) as customer_metrics in days."""
    raw = pd.read_csv(FIXTURES / "cdnow_calibration_summary.csv")
    return pd.DataFrame(
        {
            "customer_id": raw["ID"].astype(str),
            "frequency": raw["x"],
            "recency_days": raw["t_x"] * 7,
            "tenure_days": raw["T"] * 7,
            "monetary_value": raw["zbar"],
        }
    )


@pytest.fixture(scope="module")
def cdnow_model(cdnow_days: pd.DataFrame) -> clv.CLVModel:
    return clv.fit_clv_model(cdnow_days, time_unit="weeks")


def test_bgnbd_matches_published_cdnow_estimates(cdnow_model: clv.CLVModel) -> None:
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), section 5.
    fit = cdnow_model.purchases
    assert fit.converged and fit.n_customers == 2357
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert vars(fit.params) == pytest.approx(published, abs=1e-3)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_published_cdnow_likelihood_at_published_parameters(cdnow_days: pd.DataFrame) -> None:
    x, t_x, T, _ = clv.summary_arrays(cdnow_days, "weeks")
    ll = clv.bgnbd_log_likelihood(clv.BGNBDParams(0.243, 4.414, 0.793, 2.426), x, t_x, T)
    assert ll == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_matches_published_cdnow_estimates(cdnow_model: clv.CLVModel) -> None:
    # Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": 946 repeat buyers.
    fit = cdnow_model.spend
    assert fit.converged and fit.n_customers == 946
    assert vars(fit.params) == pytest.approx({"p": 6.25, "q": 3.74, "gamma": 15.44}, abs=0.01)


def test_conditional_expectation_of_published_example_customer(cdnow_model: clv.CLVModel) -> None:
    # FHL (2005): customer with x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks.
    got = clv.expected_purchases(cdnow_model.purchases.params, 39.0, 2, 30.43, 38.86)
    assert got == pytest.approx(1.226, abs=1e-3)


def test_days_and_weeks_fit_the_same_model(cdnow_days: pd.DataFrame, cdnow_model) -> None:
    in_days = clv.fit_clv_model(cdnow_days, time_unit="days").purchases.params
    in_weeks = cdnow_model.purchases.params
    assert in_days.alpha == pytest.approx(7 * in_weeks.alpha, rel=1e-4)
    assert (in_days.r, in_days.a, in_days.b) == pytest.approx(
        (in_weeks.r, in_weeks.a, in_weeks.b), rel=1e-4
    )
    scored_days = clv.score_customers(cdnow_days, time_unit="days")
    scored_weeks = clv.score_customers(cdnow_days, cdnow_model)
    assert np.allclose(scored_days["clv"], scored_weeks["clv"], rtol=1e-3)


def test_euler_transformed_expectation_equals_textbook_formula() -> None:
    p = clv.BGNBDParams(r=0.6, alpha=12.0, a=0.7, b=3.0)
    x = np.array([0, 1, 3, 8])
    t_x, T, t = np.array([0.0, 20.0, 50.0, 90.0]), np.array([30.0, 60.0, 90.0, 100.0]), 52.0
    z = t / (p.alpha + T + t)
    textbook = (
        (p.a + p.b + x - 1)
        / (p.a - 1)
        * (
            1
            - ((p.alpha + T) / (p.alpha + T + t)) ** (p.r + x)
            * special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
        )
        / (
            1
            + (x > 0)
            * p.a
            / (p.b + np.maximum(x, 1) - 1)
            * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x)
        )
    )
    assert clv.expected_purchases(p, t, x, t_x, T) == pytest.approx(textbook, rel=1e-9)


@pytest.mark.parametrize(
    ("loglik", "theta", "data"),
    [
        (
            clv._bgnbd_loglik,
            np.array([0.4, 6.0, 0.9, 2.0]),
            ([0.0, 1.0, 4.0], [0.0, 3.0, 20.0], [5.0, 30.0, 25.0]),
        ),
        (clv._gg_loglik, np.array([5.0, 3.0, 12.0]), ([1.0, 2.0, 9.0], [10.0, 42.5, 3.0])),
    ],
)
def test_analytic_gradients_match_finite_differences(loglik, theta, data) -> None:
    arrays = tuple(np.asarray(d) for d in data)
    analytic = loglik(theta, *arrays)[1].sum(axis=1)
    numeric = optimize.approx_fprime(theta, lambda th: loglik(th, *arrays)[0].sum(), 1e-7)
    assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-5)


def test_weights_equal_repeated_rows() -> None:
    p = clv.BGNBDParams(0.3, 5.0, 0.8, 2.0)
    x, t_x, T, w = (
        np.array([0, 2, 5]),
        np.array([0.0, 4.0, 9.0]),
        np.array([10.0, 12.0, 9.0]),
        np.array([3, 1, 2]),
    )
    expanded = clv.bgnbd_log_likelihood(p, np.repeat(x, w), np.repeat(t_x, w), np.repeat(T, w))
    assert clv.bgnbd_log_likelihood(p, x, t_x, T, weights=w) == pytest.approx(expanded)


def test_a_fit_on_grouped_customers_equals_the_fit_on_each(cdnow_days: pd.DataFrame) -> None:
    """What customer_clv fits on: identical customers as one row with their count."""
    columns = list(clv.METRIC_COLUMNS)
    grouped = (
        cdnow_days.groupby(columns, as_index=False)
        .size()
        .rename(columns={"size": clv.WEIGHT_COLUMN})
    )
    assert len(grouped) < len(cdnow_days)
    each = clv.fit_clv_model(cdnow_days, "weeks")
    together = clv.fit_clv_model(grouped, "weeks")
    for one, other in ((each.purchases, together.purchases), (each.spend, together.spend)):
        assert vars(other.params) == pytest.approx(vars(one.params), rel=1e-7)
        assert other.log_likelihood == pytest.approx(one.log_likelihood, rel=1e-12)
        assert other.n_customers == one.n_customers and other.converged
    # Scores by history are each customer's, whatever the grouping.
    histories = cdnow_days[list(clv.HISTORY_COLUMNS)]
    by_history = clv.history_scores(histories, each, horizon_months=6)
    scored = clv.score_customers(cdnow_days, each, horizon_months=6)
    for name in ("expected_purchases", "prob_alive"):
        np.testing.assert_array_equal(by_history[name], scored[name])
    value = clv.expected_order_value(
        each.spend.params, scored["frequency"], scored["monetary_value"]
    )
    np.testing.assert_allclose(by_history["purchase_discount"] * value, scored["clv"], rtol=1e-15)


@pytest.mark.parametrize("seed", [0, 1])
def test_collapse_finds_distinct_rows_in_order_of_first_appearance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, 3, 200).astype(float) / 7 for _ in range(3)]
    rows = list(zip(*columns, strict=True))
    distinct = list(dict.fromkeys(rows))  # a dict keeps first appearances in order
    uniques, counts, codes = clv._collapse(*columns)
    assert list(zip(*uniques, strict=True)) == distinct
    assert counts.tolist() == [rows.count(row) for row in distinct]
    assert [distinct[code] for code in codes] == rows


def test_collapse_of_no_rows_and_of_one_row() -> None:
    (empty,), counts, codes = clv._collapse(np.array([]))
    assert len(empty) == len(counts) == len(codes) == 0
    (x, t_x), counts, codes = clv._collapse(np.array([2.0]), np.array([1.0]))
    assert (x.tolist(), t_x.tolist(), counts.tolist(), codes.tolist()) == ([2.0], [1.0], [1.0], [0])


def test_fit_does_not_depend_on_the_blas_thread_count() -> None:
    rng = np.random.default_rng(3)
    x, monetary = rng.integers(1, 20, 20_000).astype(float), rng.gamma(5.0, 4.0, 20_000)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            fits.append(clv.fit_gamma_gamma(x, monetary))
    assert fits[0] == fits[1]


def test_recovers_simulated_parameters() -> None:
    true_purchases = clv.BGNBDParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
    true_spend = clv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    sim = simulate_customers(40_000, true_purchases, true_spend, tenure_range=(26.0, 78.0), seed=7)
    model = clv.fit_clv_model(sim)
    assert model.purchases.converged and model.spend.converged
    assert vars(model.purchases.params) == pytest.approx(vars(true_purchases), rel=0.15)
    assert vars(model.spend.params) == pytest.approx(vars(true_spend), rel=0.15)


def _edge_metrics() -> pd.DataFrame:
    """A base of ordinary customers plus every awkward kind the warehouse can produce."""
    base = simulate_customers(
        300,
        clv.BGNBDParams(0.5, 20.0, 0.8, 2.5),
        clv.GammaGammaParams(5.0, 3.0, 20.0),
        (1.0, 400.0),
    )
    base = base.assign(
        recency_days=np.floor(base["recency_days"]), tenure_days=np.ceil(base["tenure_days"])
    )
    awkward = pd.DataFrame(
        {
            "customer_id": [
                "one_day",
                "single_purchase",
                "whale",
                "whale_gone",
                "free",
                "refund",
                "tiny",
            ],
            "frequency": [0, 0, 2000, 2000, 3, 1, 1],
            "recency_days": [0, 0, 400, 10, 50, 5, 1],
            "tenure_days": [0, 400, 400, 4000, 60, 5, 1],
            "monetary_value": [0.0, 0.0, 35.0, 1e6, 0.0, -20.0, 1e-9],
        }
    )
    return pd.concat([base.drop(columns="holdout_purchases"), awkward], ignore_index=True)


def test_edge_customers_score_finite_and_sane() -> None:
    metrics = _edge_metrics()
    model = clv.fit_clv_model(metrics)
    scored = clv.score_customers(metrics, model, horizon_months=24)
    values = scored[list(clv.SCORE_COLUMNS)].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert scored["prob_alive"].le(1).all()
    by_id = scored.set_index("customer_id")
    assert (
        by_id.loc["whale", "expected_purchases"]
        > 50 * by_id.loc["whale_gone", "expected_purchases"]
    )
    assert by_id.loc["one_day", "expected_avg_order_value"] == pytest.approx(
        model.spend.params.mean_value
    )
    assert by_id.loc["refund", "expected_avg_order_value"] < model.spend.params.mean_value
    # Zero or negative spend is scored but never fitted on.
    assert model.spend.n_customers == int(
        ((metrics["frequency"] > 0) & (metrics["monetary_value"] > 0)).sum()
    )


def test_score_customers_adds_columns_and_discounts() -> None:
    metrics = _edge_metrics()
    model = clv.fit_clv_model(metrics)
    undiscounted = clv.score_customers(metrics, model, horizon_months=12, monthly_discount_rate=0.0)
    discounted = clv.score_customers(metrics, model, horizon_months=12, monthly_discount_rate=0.02)
    longer = clv.score_customers(metrics, model, horizon_months=36, monthly_discount_rate=0.02)
    assert list(undiscounted.columns) == [*metrics.columns, *clv.SCORE_COLUMNS]
    assert undiscounted["customer_id"].tolist() == metrics["customer_id"].tolist()
    # Without discounting, monthly increments telescope to horizon purchases x value.
    expected = undiscounted["expected_purchases"] * undiscounted["expected_avg_order_value"]
    assert np.allclose(undiscounted["clv"], expected)
    assert (discounted["clv"] <= undiscounted["clv"] + 1e-12).all()
    assert (longer["clv"] >= discounted["clv"] - 1e-12).all()
    assert "clv" not in metrics.columns


def test_model_metadata_is_flat_and_serialisable(cdnow_model: clv.CLVModel) -> None:
    meta = cdnow_model.metadata()
    assert meta["time_unit"] == "weeks"
    assert meta["bgnbd/n_customers"] == 2357 and meta["gamma_gamma/converged"] is True
    assert meta["bgnbd/r"] == cdnow_model.purchases.params.r
    assert meta["gamma_gamma/gamma"] == cdnow_model.spend.params.gamma
    assert meta["bgnbd/max_gradient"] < clv.STATIONARY_GRADIENT
    assert all(isinstance(v, float | int | str | bool) for v in meta.values())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"recency_days": [50.0, 0.0]}, "recency beyond tenure"),
        ({"frequency": [-1, 0]}, "negative frequency"),
        ({"frequency": [1.5, 0]}, "non-integer"),
        ({"monetary_value": [np.nan, 0.0]}, "non-finite"),
        ({"recency_days": [10.0, 3.0]}, "recency without a repeat purchase"),
    ],
)
def test_invalid_metrics_are_rejected(change: dict, match: str) -> None:
    rows = pd.DataFrame(
        {
            "frequency": [2, 0],
            "recency_days": [10.0, 0.0],
            "tenure_days": [20.0, 5.0],
            "monetary_value": [5.0, 0.0],
        }
    )
    with pytest.raises(ValueError, match=match):
        clv.summary_arrays(rows.assign(**change))


def test_unusable_inputs_raise_clear_errors(cdnow_days: pd.DataFrame) -> None:
    with pytest.raises(clv.InsufficientDataError, match="needs >= 20 customers"):
        clv.fit_clv_model(cdnow_days.head(5))
    with pytest.raises(clv.InsufficientDataError, match="repeat purchase"):
        clv.fit_clv_model(cdnow_days[cdnow_days["frequency"] == 0])
    with pytest.raises(ValueError, match="lack columns"):
        clv.fit_clv_model(cdnow_days.drop(columns="tenure_days"))
    with pytest.raises(ValueError, match="time_unit"):
        clv.fit_clv_model(cdnow_days, time_unit="months")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="horizon_months"):
        clv.score_customers(cdnow_days, horizon_months=0)


log_param = st.floats(-4.0, 4.0)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    theta=st.tuples(log_param, st.floats(-2.0, 7.0), log_param, log_param),
    x=st.integers(0, 3000),
    tenure=st.floats(0.0, 3000.0),
    recency_share=st.floats(0.0, 1.0),
    horizon=st.floats(0.0, 2000.0),
)
def test_predictions_are_finite_and_bounded(theta, x, tenure, recency_share, horizon) -> None:
    params = clv.BGNBDParams(*np.exp(theta))
    recency = tenure * recency_share if x > 0 else 0.0
    alive = clv.probability_alive(params, x, recency, tenure)
    grid = np.array([0.0, horizon / 2, horizon])
    purchases = clv.expected_purchases(params, grid, x, recency, tenure)
    assert np.isfinite(alive) and 0.0 <= alive <= 1.0
    assert np.isfinite(purchases).all() and purchases[0] == 0.0
    assert np.all(np.diff(purchases) >= -1e-9 * (1 + purchases[-1]))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    p=st.floats(0.1, 50.0),
    q=st.floats(1.01, 50.0),
    gamma=st.floats(0.01, 1e4),
    x=st.integers(0, 5000),
    monetary=st.floats(-1e3, 1e7),
)
def test_expected_order_value_is_finite_and_positive(p, q, gamma, x, monetary) -> None:
    value = clv.expected_order_value(clv.GammaGammaParams(p, q, gamma), x, monetary)
    assert np.isfinite(value) and value > 0


def test_expectation_survives_scipy_hyp2f1_integer_case() -> None:
    # r == a makes c - A - B an integer, where scipy's hyp2f1 returns inf for z > 0.9.
    params = clv.BGNBDParams(r=np.exp(-2.0), alpha=1.0, a=np.exp(-2.0), b=1.0)
    nearby = clv.BGNBDParams(r=np.exp(-2.0) * (1 + 1e-7), alpha=1.0, a=np.exp(-2.0), b=1.0)
    got = clv.expected_purchases(params, 10.0, 99, 0.0, 0.0)
    assert np.isfinite(got) and got == pytest.approx(
        clv.expected_purchases(nearby, 10.0, 99, 0.0, 0.0), rel=1e-5
    )


def test_customers_who_never_leave_fit_a_vanishing_dropout() -> None:
    rng = np.random.default_rng(0)
    tenure = rng.uniform(20.0, 60.0, 3000)
    n = rng.poisson(rng.gamma(2.0, 1 / 5.0, 3000) * tenure)
    recency = np.where(n > 0, tenure * rng.beta(np.maximum(n, 1), 1), 0.0)
    spend = np.where(n > 0, 10.0 + n % 7, 0.0)
    metrics = pd.DataFrame(
        {"frequency": n, "recency_days": recency, "tenure_days": tenure, "monetary_value": spend}
    )
    model = clv.fit_clv_model(metrics)
    params = model.purchases.params
    assert (params.r, params.alpha) == pytest.approx((2.0, 5.0), rel=0.1)
    assert params.a / (params.a + params.b) < 1e-3  # mean dropout probability
    scored = clv.score_customers(metrics, model)
    assert scored["prob_alive"].min() > 0.99
    assert np.isfinite(scored[list(clv.SCORE_COLUMNS)].to_numpy()).all()


def test_spends_read_apart_are_validated_and_fitted_on(cdnow_days: pd.DataFrame) -> None:
    """Gamma-Gamma fits on the spends given (customer_clv reads a sample of them apart
    from the histories), never on the histories' own monetary column."""
    spends = cdnow_days[["frequency", "monetary_value"]]
    apart = clv.fit_clv_model(cdnow_days.assign(monetary_value=0.0), "weeks", spends=spends)
    assert apart == clv.fit_clv_model(cdnow_days, "weeks")
    half = spends.iloc[::2]
    sampled = clv.fit_clv_model(cdnow_days, "weeks", spends=half)
    assert sampled.spend.n_customers == int(
        ((half.frequency > 0) & (half.monetary_value > 0)).sum()
    )
    for bad, message in (
        (spends.assign(monetary_value=np.nan), "non-finite values"),
        (spends.assign(frequency=-1), "non-integer or negative frequency"),
        (spends.drop(columns="frequency"), "lack columns"),
    ):
        with pytest.raises(ValueError, match=message):
            clv.fit_clv_model(cdnow_days, "weeks", spends=bad)


def _alike_dropouts(a: float) -> clv.BGNBDParams:
    # a and b both large: p ~ Beta(a, b) concentrated at a / (a + b) = 0.033, what BG/NBD
    # fitted on two weeks of 274 customers (a = 43046, b = 1.27e6; the search bound is
    # e^15). Euler's form is then 0 * inf.
    return clv.BGNBDParams(r=1.0073, alpha=7.88, a=a, b=a * 29.45)


ALIKE = (
    np.array([0.0, 0.0, 1.0, 5.0]),
    np.array([0.0, 0.0, 3.0, 12.0]),
    np.array([0.0, 13.0, 10.0, 13.0]),
)


@pytest.mark.parametrize("a", [200.0, 500.0])
def test_expectation_of_a_dropout_that_hardly_varies_is_the_textbook_value(a: float) -> None:
    params = _alike_dropouts(a)
    got = clv.expected_purchases(params, 365.25, *ALIKE)
    alive = clv.probability_alive(params, *ALIKE)
    mp = mpmath.mp
    mp.dps = 30
    r, alpha, a_, b = (mp.mpf(float(v)) for v in vars(params).values())
    for i, (x, T) in enumerate(zip(ALIKE[0], ALIKE[2], strict=True)):
        x, T, t = mp.mpf(float(x)), mp.mpf(float(T)), mp.mpf(365.25)
        z = t / (alpha + T + t)
        textbook = (
            (a_ + b + x - 1)
            / (a_ - 1)
            * (1 - (1 - z) ** (r + x) * mp.hyp2f1(r + x, b + x, a_ + b + x - 1, z))
        )
        assert got[i] == pytest.approx(float(textbook) * alive[i], rel=1e-8)


def test_expectation_of_a_dropout_that_does_not_vary_is_the_limit() -> None:
    fitted, at_bound = (
        clv.expected_purchases(_alike_dropouts(a), 365.25, *ALIKE) for a in (43046.0, np.exp(15.0))
    )
    assert np.isfinite(fitted).all() and np.isfinite(at_bound).all()
    assert fitted == pytest.approx(at_bound, rel=1e-4)


def test_history_scores_are_computed_a_chunk_of_histories_at_a_time(monkeypatch) -> None:
    """The scores' temporaries are histories x months doubles each: computed for
    ``SCORE_CHUNK`` histories at a time, they stay bounded (60,000 histories held 40 MiB
    at once, 23 MiB in chunks; bench/RESULTS.md, hunt 90), to the same bits as at once."""
    rng = np.random.default_rng(7)
    n = 60_000
    frequency, tenure = rng.integers(0, 30, n), rng.integers(1, 400, n)
    recency = np.where(frequency > 0, (rng.random(n) * tenure).astype(int), 0)
    histories = pd.DataFrame(
        {"frequency": frequency, "recency_days": recency, "tenure_days": tenure}
    )
    params = clv.BGNBDParams(0.5, 20.0, 0.8, 2.5)
    tracemalloc.start()
    try:
        chunked = clv.purchase_scores(histories, params, "days")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20
    monkeypatch.setattr(clv, "SCORE_CHUNK", n)
    whole = clv.purchase_scores(histories, params, "days")
    assert {k: v.tobytes() for k, v in whole.items()} == {
        k: v.tobytes() for k, v in chunked.items()
    }
