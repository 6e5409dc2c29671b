"""customer_clv through Dagster: CDNOW's published estimates, awkward customers, too few
customers, and the CLV checks it reports."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from asset_checks.clv import (
    CLV_FINITE_NON_NEGATIVE,
    MODEL_CONVERGED,
    NO_MISSING_VALUES,
    PARAMETERS_FINITE_POSITIVE,
    PROB_ALIVE_IN_UNIT_INTERVAL,
    clv_check_results,
    clv_check_specs,
)
from devtools.clv_simulation import simulate_daily_metrics
from orders_core import clv, clv_validation
from orders_core.sql.customers import CLV_SUMMARY_COLUMNS, clv_summary_sql
from orders_core.sql.dialect import render
from platform_assets.assets import clv as clv_asset
from platform_assets.assets.analytics import build_analytics_assets
from platform_assets.assets.clv import CUSTOMER_CLV, build_clv_assets
from resources.telemetry import TelemetryResource
from resources.warehouse import MIB, DuckDBWarehouse, SqlSession
from tests.support import clv_shapes, paths
from tests.support.earlier_release import metrics_of_this_release
from tests.support.fx import FX

FIXTURES = paths.FIXTURES
METRICS = dg.AssetKey("customer_metrics")
REQUIRED_KEYS = {
    "bgnbd/r",
    "bgnbd/alpha",
    "bgnbd/a",
    "bgnbd/b",
    "gamma_gamma/p",
    "gamma_gamma/q",
    "gamma_gamma/gamma",
    "time_unit",
}


def _materialize(database: str, assets: list, config: dict) -> dg.ExecuteInProcessResult:
    """Run ``assets`` against one DuckDB file; customer_metrics is read from its table
    (written by this release, as the instance records) when it is not among them."""
    has_metrics = any(METRICS in a.keys for a in assets)
    instance = dg.DagsterInstance.ephemeral()
    if not has_metrics:
        metrics_of_this_release(instance)
    return dg.materialize(
        [*assets, *([] if has_metrics else [dg.AssetSpec(METRICS)])],
        instance=instance,
        selection=[key for a in assets for key in a.keys],
        resources={
            "warehouse": DuckDBWarehouse(database=database),
            "telemetry": TelemetryResource(),
        },
        run_config={"ops": config},
        raise_on_error=False,
    )


def _clv_metadata(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == CUSTOMER_CLV]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _clv_assets() -> list[dg.AssetsDefinition]:
    """customer_clv with its sanity checks, wired as the composition root wires them."""
    return build_clv_assets(
        METRICS, check_specs=clv_check_specs(CUSTOMER_CLV), check_results=clv_check_results
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, dg.AssetCheckSeverity]]:
    return {e.check_name: (e.passed, e.severity) for e in result.get_asset_check_evaluations()}


def _metrics_table(database: str, metrics: pd.DataFrame) -> None:
    with duckdb.connect(database) as conn:
        conn.execute("create schema analytics")
        conn.register("metrics", metrics)
        conn.execute("create table analytics.customer_metrics as select * from metrics")


@pytest.fixture(scope="module")
def cdnow_warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A warehouse whose cleaned orders are the CDNOW sample (78 weeks, 2357 customers)."""
    raw = pd.read_csv(
        FIXTURES / "cdnow_sample_transactions.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str, "customer_id": str},
    )
    day = pd.to_datetime(raw["date"], format="%Y%m%d").dt.date
    orders = pd.DataFrame(
        {
            "order_id": [f"cdnow-{i}" for i in range(len(raw))],
            "customer_id": raw["customer_id"],
            "order_date": day,
            "amount": raw["amount"],
            "currency": "USD",  # the reporting currency: no rate needed
            "updated_at": pd.to_datetime(raw["date"], format="%Y%m%d", utc=True),
            "source_file": "cdnow_sample_transactions.txt",
            "source_line": range(1, len(raw) + 1),
            "partition_date": day,
        }
    )
    database = str(tmp_path_factory.mktemp("cdnow") / "orders.duckdb")
    with duckdb.connect(database) as conn:
        conn.execute("create schema staging")
        conn.register("orders", orders)
        conn.execute("create table staging.cleaned_orders as select * from orders")
    return database


def _cdnow_run(database: str, as_of: str, clv_config: dict) -> dg.ExecuteInProcessResult:
    assets = [*build_analytics_assets(dg.AssetKey("cleaned_orders"), (), *FX), *_clv_assets()]
    config = {
        "customer_metrics": {"config": {"as_of": as_of}},
        "customer_clv": {"config": {"time_unit": "weeks", **clv_config}},
    }
    result = _materialize(database, assets, config)
    assert result.success
    return result


def test_cdnow_through_the_assets_reproduces_the_published_estimates(cdnow_warehouse) -> None:
    # Calibration period 1997-01-01..1997-09-30 (39 weeks): FHL (2005) section 5 and
    # Fader & Hardie (2013). customer_metrics computes the summary with SQL from orders.
    meta = _clv_metadata(_cdnow_run(cdnow_warehouse, "1997-09-30", {"holdout_fraction": 0.0}))
    assert REQUIRED_KEYS <= meta.keys() and meta["time_unit"] == "weeks"
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: meta[f"bgnbd/{k}"] for k in published} == pytest.approx(published, abs=1e-3)
    assert meta["bgnbd/log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    spend = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert {k: meta[f"gamma_gamma/{k}"] for k in spend} == pytest.approx(spend, abs=0.01)
    assert meta["bgnbd/converged"] and meta["gamma_gamma/converged"]
    assert (meta["customers/total"], meta["customers/repeat"]) == (2357, 946)
    assert meta["customers/gamma_gamma"] == 946 and meta["as_of"] == "1997-09-30"
    assert meta["holdout/status"] == "disabled: holdout_fraction is 0"


def test_cdnow_holdout_in_sql_matches_the_published_split(cdnow_warehouse) -> None:
    # As of the end of the 78 weeks, holding out weeks 40-78 as in FHL (2005) figure 4.
    result = _cdnow_run(
        cdnow_warehouse, "1998-06-30", {"holdout_cut_date": "1997-09-30", "horizon_months": 6}
    )
    meta = _clv_metadata(result)
    raw = pd.read_csv(
        FIXTURES / "cdnow_sample_transactions.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    transactions = raw.assign(order_date=pd.to_datetime(raw["date"], format="%Y%m%d"))
    in_pandas = clv_validation.validate_transactions(
        transactions, "1997-09-30", "1998-06-30", time_unit="weeks"
    )
    assert meta["holdout/status"] == "validated" and meta["holdout/cut_date"] == "1997-09-30"
    assert meta["holdout/customers"] == 2357 and meta["holdout/actual_purchases"] == 1882
    # metadata shows 6 significant digits (orders_core/rounding.py): within 5e-6.
    assert meta["holdout/mean_absolute_error"] == pytest.approx(
        in_pandas.mean_absolute_error, rel=1e-5
    )
    assert meta["holdout/aggregate_relative_error"] == pytest.approx(
        in_pandas.aggregate_relative_error, rel=1e-5
    )
    rows = [record.data for record in meta["holdout/by_frequency"].records]
    assert [r["bucket"] for r in rows] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert [r["actual_total"] for r in rows] == in_pandas.table["actual_total"].tolist()
    assert meta["horizon_months"] == 6 and meta["as_of"] == "1998-06-30"
    assert all(passed for passed, _ in _checks(result).values())


def test_the_fit_memory_is_given_up_by_the_engine_before_the_holdout(
    cdnow_warehouse, monkeypatch
) -> None:
    """What the process grew by from the session's opening to the end of the fit is
    reserved from the engine's limit before the holdout's query over all orders, which
    fills any limit it has (bench/RESULTS.md, hunt 90)."""
    resident = iter([300 * MIB, 520 * MIB])
    monkeypatch.setattr(clv_asset, "resident_bytes", lambda: next(resident))
    reserved: list[int] = []
    monkeypatch.setattr(SqlSession, "reserve_memory", lambda _s, size: reserved.append(size))
    meta = _clv_metadata(_cdnow_run(cdnow_warehouse, "1998-06-30", {}))
    assert meta["holdout/status"] == "validated"
    assert reserved == [220 * MIB]


def _edge_metrics() -> pd.DataFrame:
    """Ordinary simulated customers plus every awkward kind the warehouse can produce."""
    base = simulate_daily_metrics(
        400, clv.BGNBDParams(0.5, 20.0, 0.8, 2.5), clv.GammaGammaParams(5.0, 3.0, 20.0), 400, 1
    )
    awkward = pd.DataFrame(
        {
            "customer_id": ["no_repeat", "one_day", "heavy", "heavy_gone", "free", "tiny"],
            "frequency": [0, 0, 390, 390, 3, 1],
            "recency_days": [0, 0, 399, 391, 50, 1],
            "tenure_days": [300, 0, 400, 4000, 60, 1],
            "monetary_value": [0.0, 0.0, 35.0, 1e6, 0.0, 1e-9],
        }
    )
    metrics = pd.concat([base.drop(columns="customer_id"), awkward.drop(columns="customer_id")])
    return metrics.assign(
        customer_id=[*("c" + base["customer_id"]), *awkward["customer_id"]],
        as_of_date=pd.Timestamp("2025-06-30").date(),
    ).reset_index(drop=True)


def test_awkward_customers_are_scored_finite_through_the_asset(tmp_path: Path) -> None:
    database = str(tmp_path / "orders.duckdb")
    metrics = _edge_metrics()
    _metrics_table(database, metrics)
    config = {"customer_clv": {"config": {"holdout_fraction": 0.0, "horizon_months": 24}}}
    result = _materialize(database, _clv_assets(), config)
    assert result.success
    assert all(passed for passed, _ in _checks(result).values())
    with duckdb.connect(database, read_only=True) as conn:
        scores = conn.execute("select * from analytics.customer_clv").df().set_index("customer_id")
    assert len(scores) == len(metrics)
    values = scores[list(clv.SCORE_COLUMNS)].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert scores["prob_alive"].le(1).all() and (scores["horizon_months"] == 24).all()
    meta = _clv_metadata(result)
    # From the parameters as metadata shows them (6 significant digits): within 1e-4.
    population_mean = (
        meta["gamma_gamma/p"] * meta["gamma_gamma/gamma"] / (meta["gamma_gamma/q"] - 1)
    )
    for quiet in ("no_repeat", "one_day"):
        assert scores.loc[quiet, "prob_alive"] == 1.0
        assert scores.loc[quiet, "expected_avg_order_value"] == pytest.approx(
            population_mean, rel=1e-4
        )
    heavy, gone = scores.loc["heavy"], scores.loc["heavy_gone"]
    assert heavy["expected_purchases"] > 50 * gone["expected_purchases"]
    assert heavy["prob_alive"] > 0.99 > gone["prob_alive"]
    assert 0 < scores.loc["free", "expected_avg_order_value"] < population_mean
    # Zero spend is scored but never fitted on.
    repeat = metrics["frequency"] > 0
    assert meta["customers/repeat"] == int(repeat.sum())
    assert meta["customers/gamma_gamma"] == int((repeat & (metrics["monetary_value"] > 0)).sum())


def test_too_few_customers_write_an_empty_typed_table_and_warn(tmp_path: Path) -> None:
    database = str(tmp_path / "orders.duckdb")
    _metrics_table(database, _edge_metrics().tail(6))
    result = _materialize(database, _clv_assets(), {})
    assert result.success
    meta = _clv_metadata(result)
    assert meta["clv/status"] == "not fitted" and "needs >= 20 customers" in meta["clv/reason"]
    assert meta["dagster/row_count"] == 0 and not (REQUIRED_KEYS - {"time_unit"}) & meta.keys()
    checks = _checks(result)
    warn = dg.AssetCheckSeverity.WARN
    # Nothing blocks dim_customers (see test_checks_automation); the warning says why.
    assert checks[PARAMETERS_FINITE_POSITIVE][0]
    assert checks[MODEL_CONVERGED] == (False, warn)
    for name in (CLV_FINITE_NON_NEGATIVE, PROB_ALIVE_IN_UNIT_INTERVAL, NO_MISSING_VALUES):
        assert checks[name][0]
    with duckdb.connect(database, read_only=True) as conn:
        columns = {
            row[0]: row[1] for row in conn.execute("describe analytics.customer_clv").fetchall()
        }
        assert conn.execute("select count(*) from analytics.customer_clv").fetchone() == (0,)
    assert columns["clv"] == "DOUBLE" and columns["as_of_date"] == "DATE"


def test_a_cut_date_after_as_of_fails_without_retry(tmp_path: Path) -> None:
    database = str(tmp_path / "orders.duckdb")
    _metrics_table(database, _edge_metrics())
    config = {"customer_clv": {"config": {"holdout_cut_date": "2025-07-01"}}}
    result = _materialize(database, _clv_assets(), config)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "must be before as_of" in failure.step_failure_data.user_failure_data.description


ORDERS_START, ORDERS_DAYS = pd.Timestamp("2025-01-01"), 80


def _buyers(rng, prefix: str, n: int, first_days: tuple[int, int], rate=None) -> list[tuple]:
    """(customer, day) of ``n`` customers, each first buying on a day drawn from
    ``first_days``, then on each later day with probability ``rate`` (one for all when
    a number; else drawn per customer by ``rate(rng)``) until day ORDERS_DAYS."""
    rows = []
    for i in range(n):
        first = int(rng.integers(*first_days))
        p = rate if isinstance(rate, float) else rate(rng)
        days = [first, *(d for d in range(first + 1, ORDERS_DAYS) if rng.random() < p)]
        rows += [(f"{prefix}{i}", d) for d in days]
    return rows


def _cleaned_orders_table(database: str, rng, rows: list[tuple]) -> None:
    """staging.cleaned_orders holding one order per (customer, day) of ``rows``."""
    orders = pd.DataFrame(rows, columns=["customer_id", "day"])
    order_date = (ORDERS_START + pd.to_timedelta(orders["day"], unit="D")).dt.date
    frame = pd.DataFrame(
        {
            "customer_id": orders["customer_id"],
            "order_date": order_date,
            "amount": 10.0 + rng.random(len(orders)).round(2),
            "currency": "USD",
            "order_id": [f"o{i}" for i in range(len(orders))],
            "updated_at": pd.to_datetime(order_date, utc=True),
            "source_file": "orders.csv",
            "source_line": range(1, len(orders) + 1),
            "partition_date": order_date,
        }
    )
    with duckdb.connect(database) as conn:
        conn.execute("create schema staging")
        conn.register("orders", frame)
        conn.execute("create table staging.cleaned_orders as select * from orders")


def _metrics_and_clv(tmp_path: Path, rng, rows: list[tuple], clv_config=None):
    """customer_metrics (as of 2025-03-21) and customer_clv over ``rows``' orders."""
    database = str(tmp_path / "orders.duckdb")
    _cleaned_orders_table(database, rng, rows)
    assets = [*build_analytics_assets(dg.AssetKey("cleaned_orders"), (), *FX), *_clv_assets()]
    config = {"customer_metrics": {"config": {"as_of": "2025-03-21"}}}
    if clv_config:
        config["customer_clv"] = {"config": clv_config}
    result = _materialize(database, assets, config)
    assert result.success
    return _clv_metadata(result)


def test_a_degenerate_holdout_fit_is_penalized_and_validated(tmp_path: Path) -> None:
    """The customers first seen before the holdout cut all buy at one rate and never
    leave: maximum likelihood on the calibration history has no finite prediction (r and
    alpha run off). The calibration fit goes up the penalizer ladder as the published fit
    does, and the holdout is validated with the penalizer it took, not skipped."""
    rng = np.random.default_rng(3)
    rows = [
        *_buyers(rng, "a", 300, (0, 20), 0.3),  # before the cut (day 60): one rate
        *_buyers(rng, "b", 300, (61, 75), lambda rng: rng.gamma(0.5, 0.2)),  # rates vary
    ]
    meta = _metrics_and_clv(tmp_path, rng, rows)
    assert meta["clv/status"] == "fitted" and meta["holdout/cut_date"] == "2025-03-01"
    assert meta["holdout/status"] == "validated" and meta["holdout/penalizer"] > 0
    assert not [k for k, v in meta.items() if isinstance(v, float) and not np.isfinite(v)]


def test_a_degenerate_fit_is_penalized_and_every_customer_scored(tmp_path: Path) -> None:
    """Every customer buys at one rate and nobody leaves: BG/NBD's r and alpha run towards
    infinity and its maximum-likelihood scores are not finite (the table was written empty).
    The weakest penalizer that gives finite scores is kept and the metadata says so."""
    rng = np.random.default_rng(3)
    rows = _buyers(rng, "a", 300, (0, 20), 0.3)
    meta = _metrics_and_clv(tmp_path, rng, rows, {"holdout_fraction": 0.0})
    assert meta["clv/status"] == "fitted" and meta["dagster/row_count"] == 300
    assert meta["bgnbd/penalizer"] == 1e-4 and meta["bgnbd/converged"]
    attempts = meta["bgnbd/attempts"]
    assert attempts.startswith("penalizer 0: predictions not finite (") and attempts.endswith(
        "; penalizer 0.0001: kept"
    ), attempts
    reason = meta["clv/reason"]
    assert reason.startswith("BG/NBD penalized (0.0001); without a penalizer: predictions not"), (
        reason
    )
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        scores = conn.execute("select * from analytics.customer_clv").df()
    values = scores[list(clv.SCORE_COLUMNS)].to_numpy()
    assert len(scores) == 300 and np.isfinite(values).all() and (values >= 0).all()


def test_when_no_penalizer_helps_nothing_is_published_and_the_reason_says_why(
    tmp_path: Path, monkeypatch
) -> None:
    """The documented fallback, with a ladder of plain maximum likelihood alone: no score
    is published (NaN would be worse than no row), the reason quotes each attempt, and the
    last fit's figures are shown for the analyst."""
    from orders_core import clv_ladder

    monkeypatch.setattr(clv_ladder, "PENALIZERS", (0.0,))
    rng = np.random.default_rng(3)
    rows = _buyers(rng, "a", 300, (0, 20), 0.3)
    meta = _metrics_and_clv(tmp_path, rng, rows, {"holdout_fraction": 0.0})
    assert meta["clv/status"] == "not fitted" and meta["dagster/row_count"] == 0
    attempts = meta["bgnbd/attempts"]
    assert attempts == f"penalizer 0: predictions not finite ({meta['bgnbd/message']})"
    assert meta["clv/reason"] == (
        "the fit is degenerate, no penalizer tried gave finite predictions (BG/NBD): "
        f"BG/NBD: {attempts}"
    )
    assert meta["bgnbd/r"] > 1e4 and meta["bgnbd/alpha"] > 1e4


@pytest.mark.parametrize("shape", [*sorted(clv_shapes.DEGENERATE), "whale"])
def test_histories_without_a_maximum_likelihood_fit_are_scored(tmp_path: Path, shape) -> None:
    """Shapes where plain maximum likelihood gave no usable fit (tests/support/clv_shapes;
    the whale is fitted without a penalizer): every customer is scored, finite, and every
    check passes, model_converged too."""
    database = str(tmp_path / "orders.duckdb")
    metrics = getattr(clv_shapes, shape)()
    _metrics_table(database, metrics)
    config = {"customer_clv": {"config": {"holdout_fraction": 0.0}}}
    result = _materialize(database, _clv_assets(), config)
    assert result.success
    meta = _clv_metadata(result)
    assert meta["clv/status"] == "fitted" and meta["dagster/row_count"] == len(metrics)
    if shape == "whale":
        assert meta["bgnbd/penalizer"] == meta["gamma_gamma/penalizer"] == 0.0
        assert "clv/reason" not in meta and meta["gamma_gamma/p"] > 1e6  # at its bound
    else:
        assert max(meta["bgnbd/penalizer"], meta["gamma_gamma/penalizer"]) > 0
        assert "penalized" in meta["clv/reason"]
    with duckdb.connect(database, read_only=True) as conn:
        values = conn.execute("select * from analytics.customer_clv").df()
    scores = values[list(clv.SCORE_COLUMNS)].to_numpy()
    assert np.isfinite(scores).all() and (scores >= 0).all()
    assert all(passed for passed, _ in _checks(result).values()), _checks(result)


@pytest.mark.parametrize("shape", sorted(clv_shapes.TOO_LITTLE))
def test_too_little_to_fit_is_the_documented_empty_table(tmp_path: Path, shape) -> None:
    database = str(tmp_path / "orders.duckdb")
    make, message = clv_shapes.TOO_LITTLE[shape]
    _metrics_table(database, make())
    meta = _clv_metadata(_materialize(database, _clv_assets(), {}))
    assert meta["clv/status"] == "not fitted" and meta["dagster/row_count"] == 0
    assert message in meta["clv/reason"] and "bgnbd/attempts" not in meta


def _scores(**change) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "as_of_date": [pd.Timestamp("2025-01-01").date()] * 2,
            "horizon_months": [12, 12],
            "expected_purchases": [1.0, 0.5],
            "prob_alive": [0.9, 1.0],
            "expected_avg_order_value": [30.0, 25.0],
            "clv": [30.0, 12.0],
        }
    )
    return frame.assign(**change)


def _summary(**change) -> dict:
    """customer_clv's summary row, by the asset's own SQL, over ``_scores(**change)``."""
    with duckdb.connect() as conn:
        conn.execute("create schema analytics")
        conn.register("scores", _scores(**change))
        conn.execute("create table analytics.customer_clv as select * from scores")
        conn.execute("create table analytics.customer_metrics as select customer_id from scores")
        (row,) = conn.execute(render(clv_summary_sql())).fetchall()
    return dict(zip(CLV_SUMMARY_COLUMNS, row, strict=True))


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({}, set()),
        ({"clv": [-1.0, 2.0]}, {CLV_FINITE_NON_NEGATIVE}),
        ({"clv": [np.inf, 2.0]}, {CLV_FINITE_NON_NEGATIVE, NO_MISSING_VALUES}),
        ({"prob_alive": [1.5, 0.2]}, {PROB_ALIVE_IN_UNIT_INTERVAL}),
        ({"prob_alive": [np.nan, 0.2]}, {PROB_ALIVE_IN_UNIT_INTERVAL, NO_MISSING_VALUES}),
        ({"customer_id": ["a", None]}, {NO_MISSING_VALUES}),
    ],
)
def test_score_checks_catch_bad_values(change: dict, failing: set[str]) -> None:
    model = clv.CLVModel(
        clv.FitResult(clv.BGNBDParams(0.3, 5.0, 0.8, 2.0), -1.0, True, 5, "ok", 1e-9, 10),
        clv.FitResult(clv.GammaGammaParams(6.0, 4.0, 15.0), -1.0, True, 5, "ok", 1e-9, 5),
        "days",
    )
    results = {r.check_name: r.passed for r in clv_check_results(_summary(**change), model)}
    assert {name for name, passed in results.items() if not passed} == failing


def test_model_checks_catch_bad_parameters_and_non_convergence() -> None:
    model = clv.CLVModel(
        clv.FitResult(clv.BGNBDParams(0.3, np.inf, 0.8, 2.0), -1.0, False, 5, "stuck", 0.1, 10),
        clv.FitResult(clv.GammaGammaParams(6.0, 4.0, 15.0), -1.0, True, 5, "ok", 1e-9, 5),
        "days",
    )
    results = {r.check_name: r for r in clv_check_results(_summary(), model)}
    assert not results[PARAMETERS_FINITE_POSITIVE].passed
    assert results[PARAMETERS_FINITE_POSITIVE].metadata["invalid"].value == "bgnbd/alpha"
    assert not results[MODEL_CONVERGED].passed
    assert results[MODEL_CONVERGED].severity == dg.AssetCheckSeverity.WARN


def test_only_convergence_is_a_non_blocking_check() -> None:
    specs = {spec.name: spec.blocking for spec in clv_check_specs(CUSTOMER_CLV)}
    assert specs == {
        CLV_FINITE_NON_NEGATIVE: True,
        PROB_ALIVE_IN_UNIT_INTERVAL: True,
        PARAMETERS_FINITE_POSITIVE: True,
        MODEL_CONVERGED: False,
        NO_MISSING_VALUES: True,
    }


def _cdnow_metrics() -> pd.DataFrame:
    raw = pd.read_csv(paths.FIXTURES / "cdnow_calibration_summary.csv")
    return pd.DataFrame(
        {
            "customer_id": raw["ID"].astype(str),
            "frequency": raw["x"].astype("int64"),
            "recency_days": (raw["t_x"] * 7).round().astype("int64"),
            "tenure_days": (raw["T"] * 7).round().astype("int64"),
            "monetary_value": raw["zbar"],
            "as_of_date": pd.Timestamp("1997-09-30").date(),
        }
    )


def _fit_inputs(database: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What customer_clv fits on: the distinct histories and the spends, with counts."""
    from orders_core.metrics import CLV_HISTORIES_SQL, CLV_SPENDS_SQL

    warehouse = DuckDBWarehouse(database=database)
    return warehouse.query(CLV_HISTORIES_SQL), warehouse.query(CLV_SPENDS_SQL, ["g"])


def test_the_warehouse_scores_every_customer_as_score_customers_does(tmp_path: Path) -> None:
    """customer_clv's INSERT ... SELECT (scores by history joined to the customers, the
    order value in SQL) gives each customer what clv.score_customers gives them in NumPy,
    to the last digit or one rounding of it."""
    from platform_assets.assets.clv import CLVConfig, _history_table, _publish

    database = str(tmp_path / "orders.duckdb")
    metrics = _cdnow_metrics()
    _metrics_table(database, metrics)
    histories, spends = _fit_inputs(database)
    assert len(histories) == len(metrics[list(clv.HISTORY_COLUMNS)].drop_duplicates())
    assert histories["customers"].sum() == len(metrics)
    repeat = metrics[(metrics["frequency"] > 0) & (metrics["monetary_value"] > 0)]
    assert spends["customers"].sum() == len(repeat) and len(spends) <= len(repeat)
    model = clv.fit_clv_model(histories, "weeks", spends=spends)
    # The same model as a fit on each customer, to the optimizer's tolerance.
    each = clv.fit_clv_model(metrics, "weeks")
    assert vars(model.purchases.params) == pytest.approx(vars(each.purchases.params), rel=1e-7)
    assert vars(model.spend.params) == pytest.approx(vars(each.spend.params), rel=1e-7)
    config = CLVConfig(horizon_months=18, monthly_discount_rate=0.02, time_unit="weeks")
    scores = _history_table(
        histories,
        clv.history_scores(histories, model, horizon_months=18, monthly_discount_rate=0.02),
    )
    assert scores.num_rows == len(histories)
    with DuckDBWarehouse(database=database).session() as session:
        summary = _publish(session, scores, model, config)
    assert summary["scored"] == summary["metrics_rows"] == len(metrics)
    with duckdb.connect(database, read_only=True) as conn:
        table = conn.execute("select * from analytics.customer_clv").df()
    table = table.set_index("customer_id").loc[metrics["customer_id"]]
    expected = clv.score_customers(metrics, model, horizon_months=18, monthly_discount_rate=0.02)
    for name in clv.SCORE_COLUMNS:
        np.testing.assert_allclose(table[name], expected[name], rtol=1e-14, atol=0, err_msg=name)
    assert (table["horizon_months"] == 18).all()
    assert table["clv"].sum() == pytest.approx(summary["clv_total"], abs=1e-6)


def test_scores_that_miss_a_customer_are_not_published(tmp_path: Path) -> None:
    """Every customer of customer_metrics is scored, or the table stays as it was: a
    customer whose history has no scores (the metrics changed after the fit read them)
    fails the step inside its transaction."""
    from platform_assets.assets.clv import CLVConfig, _history_table, _publish

    database = str(tmp_path / "orders.duckdb")
    _metrics_table(database, _cdnow_metrics())
    histories, spends = _fit_inputs(database)
    model = clv.fit_clv_model(histories, "weeks", spends=spends)
    config = CLVConfig(time_unit="weeks")
    scores = _history_table(histories, clv.history_scores(histories, model))
    with DuckDBWarehouse(database=database).session() as session:
        _publish(session, scores, model, config)
    with DuckDBWarehouse(database=database).session() as session:
        with pytest.raises(RuntimeError, match="scored 2356 customers of 2357"):
            # the last history (one customer's) has no scores
            _publish(session, scores.slice(0, scores.num_rows - 1), model, config)
    with duckdb.connect(database, read_only=True) as conn:
        assert conn.execute("select count(*) from analytics.customer_clv").fetchone() == (2357,)


def test_gamma_gamma_fits_on_a_bounded_sample_of_spends(tmp_path: Path, monkeypatch) -> None:
    """Above orders_core.clv.GAMMA_GAMMA_SAMPLE repeat customers, Gamma-Gamma is fitted on
    about that many, drawn by the hash of their id (the same ones every run); every
    customer is still scored, and the metadata says the fit was sampled."""
    import platform_assets.assets.clv as clv_asset
    from orders_core.metrics import CLV_SPENDS_SQL, spend_sample_threshold

    database = str(tmp_path / "orders.duckdb")
    metrics = _cdnow_metrics()
    _metrics_table(database, metrics)
    warehouse = DuckDBWarehouse(database=database)
    spenders = metrics[(metrics["frequency"] > 0) & (metrics["monetary_value"] > 0)]
    assert spend_sample_threshold(len(spenders)) == "g"  # below the bound: all of them
    everyone = warehouse.query(CLV_SPENDS_SQL, ["g"])
    assert everyone["customers"].sum() == len(spenders) == 946

    threshold = spend_sample_threshold(len(spenders), sample=300)
    sample = warehouse.query(CLV_SPENDS_SQL, [threshold])
    # 946 customers, each drawn with chance 300/946: 300 +- 3 standard deviations (43).
    assert 257 <= sample["customers"].sum() <= 343
    assert warehouse.query(CLV_SPENDS_SQL, [threshold]).equals(sample)
    drawn = spenders[
        [
            hashlib.md5(c.encode(), usedforsecurity=False).hexdigest() < threshold
            for c in spenders["customer_id"]
        ]
    ]
    assert sample["customers"].sum() == len(drawn)  # by the MD5 of the id, not its order

    monkeypatch.setattr(
        clv_asset,
        "spend_sample_threshold",
        lambda customers: spend_sample_threshold(customers, 300),
    )
    config = {"customer_clv": {"config": {"time_unit": "weeks", "holdout_fraction": 0.0}}}
    result = _materialize(database, _clv_assets(), config)
    assert result.success
    meta = _clv_metadata(result)
    assert meta["customers/gamma_gamma"] == len(drawn) and meta["gamma_gamma/sampled"] is True
    assert meta["dagster/row_count"] == meta["customers/total"] == len(metrics)
    # A third of the 946 spends: near the published estimates, not on them.
    assert meta["gamma_gamma/p"] == pytest.approx(6.25, rel=0.5)
    assert all(passed for passed, _ in _checks(result).values())
