"""customer_clv: BG/NBD + Gamma-Gamma lifetime value per customer, validated on a holdout."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Literal

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field

from orders_core import clv, tables
from orders_core.clv_validation import (
    DEFAULT_HOLDOUT_FRACTION,
    MIN_HISTORY_DAYS,
    HoldoutValidation,
    default_cut_date,
    validate_holdout,
)
from orders_core.metrics import (
    CLV_INPUTS_SQL,
    FIRST_ORDER_DAY_SQL,
    HOLDOUT_SUMMARY_SQL,
    holdout_summary_params,
)
from orders_core.rounding import score, significant
from platform_assets.assets.common import (
    ANALYTICS,
    IO_MANAGER,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
)
from platform_assets.schema_metadata import column_schema, frame_sql_types, table_metadata
from resources.settings import parse_day
from resources.telemetry import TelemetryResource
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

CUSTOMER_CLV = dg.AssetKey(tables.CUSTOMER_CLV.key)
# (scores, fitted model or None, reason it was not fitted) -> check results
ModelChecks = Callable[[pd.DataFrame, "clv.CLVModel | None", str], Iterable[dg.AssetCheckResult]]
TABLE = tables.CUSTOMER_CLV.qualified
CLV_DESCRIPTIONS = {
    "customer_id": "Customer identifier.",
    "as_of_date": "The day the model was fitted as of (customer_metrics' as_of_date).",
    "horizon_months": "Months ahead that expected_purchases and clv cover.",
    "expected_purchases": "Expected purchase days in the next horizon_months (BG/NBD).",
    "prob_alive": "Probability the customer is still active (BG/NBD); 1 without a repeat "
    "purchase, since the model only lets customers leave after one.",
    "expected_avg_order_value": "Expected spend per purchase day (Gamma-Gamma); the "
    "population mean for customers without a repeat purchase.",
    "clv": "Discounted expected revenue in the next horizon_months: each month's expected "
    "purchases times expected_avg_order_value, discounted at monthly_discount_rate.",
}
_DATE = pd.ArrowDtype(pa.date32())
# Arrow-backed text, as the warehouse loads it: no Python object per customer id (2.35M
# of them took the step past 1 GiB).
TEXT = pd.StringDtype("pyarrow")
_HISTORY = ("frequency", "recency_days", "tenure_days")
_INPUTS = {
    "customer_id": ("customer_id",),
    "as_of_date": ("as_of_date",),
    "expected_purchases": _HISTORY,
    "prob_alive": _HISTORY,
    "expected_avg_order_value": ("frequency", "monetary_value"),
    "clv": (*_HISTORY, "monetary_value"),
}


class CLVConfig(dg.Config):
    """Horizon and discounting of the CLV, the model's time unit and the holdout split."""

    horizon_months: int = Field(default=12, ge=1, le=120, description="CLV horizon in months.")
    monthly_discount_rate: float = Field(
        default=0.01, ge=0.0, lt=1.0, description="Discount rate per month (0.01 = 1%)."
    )
    time_unit: Literal["days", "weeks"] = Field(
        default="days",
        description="Time unit of the BG/NBD fit; alpha is per day or per week. The scores "
        "do not depend on it.",
    )
    holdout_cut_date: str | None = Field(
        default=None,
        description="Validate on purchases after this day (YYYY-MM-DD, before as_of). "
        "Default: the last holdout_fraction of the history.",
    )
    holdout_fraction: float = Field(
        default=DEFAULT_HOLDOUT_FRACTION,
        ge=0.0,
        lt=1.0,
        description=f"Share of the history held out when no cut date is set; 0 disables "
        f"validation. Histories under {MIN_HISTORY_DAYS} days are not validated.",
    )


def empty_scores() -> pd.DataFrame:
    """A customer_clv frame without rows, typed as a scored one."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype=TEXT),
            "as_of_date": pd.Series(dtype=_DATE),
            "horizon_months": pd.Series(dtype="int64"),
            **{name: pd.Series(dtype="float64") for name in clv.SCORE_COLUMNS},
        }
    )


def _distinct_days(values: pd.Series) -> pd.DatetimeIndex:
    """The distinct values of a date column, as timestamps.

    Each distinct value is converted once: pd.to_datetime converts an Arrow DATE column
    value by value, 0.4 s for half a million customers who share a few dozen days.
    """
    return pd.DatetimeIndex(pd.to_datetime(values.unique()))


def score_frame(metrics: pd.DataFrame, model: clv.CLVModel, config: CLVConfig) -> pd.DataFrame:
    """The customer_clv rows: one per customer of ``metrics``, scored with ``model``.

    Built from the score arrays and the metrics' own id and day columns: no copy of the
    metrics frame (2.35M customers: a step peak of 1.25 -> 0.9 GiB, see bench/RESULTS.md).
    """
    scores = clv.customer_scores(
        metrics,
        model,
        horizon_months=config.horizon_months,
        monthly_discount_rate=config.monthly_discount_rate,
    )
    return pd.DataFrame(
        {
            "customer_id": metrics["customer_id"].astype(TEXT).array,
            "as_of_date": metrics["as_of_date"].astype(_DATE).array,
            "horizon_months": np.full(len(metrics), config.horizon_months, dtype="int64"),
            **scores,
        }
    )


def _holdout_table(table: pd.DataFrame) -> dg.MetadataValue:
    columns = {
        "bucket": ("string", "Repeat purchase days in the calibration period (7+ = 7 or more)."),
        "customers": ("int", "Customers in the bucket."),
        "actual_mean": ("float", "Mean purchase days per customer in the holdout."),
        "predicted_mean": ("float", "Mean predicted purchase days per customer."),
        "actual_total": ("float", "Purchase days in the holdout."),
        "predicted_total": ("float", "Predicted purchase days."),
    }
    records = [
        dg.TableRecord(
            {
                name: str(row[name])
                if kind == "string"
                else int(row[name])
                if kind == "int"
                else round(float(row[name]), 4)
                for name, (kind, _) in columns.items()
            }
        )
        for _, row in table.iterrows()
    ]
    schema = dg.TableSchema(
        columns=[dg.TableColumn(n, kind, description=d) for n, (kind, d) in columns.items()]
    )
    return dg.MetadataValue.table(records=records, schema=schema)


def _validation_metadata(cut: dt.date, validation: HoldoutValidation) -> dict[str, object]:
    table = validation.table
    return {
        "holdout/status": "validated",
        "holdout/cut_date": cut.isoformat(),
        "holdout/customers": int(table["customers"].sum()),
        "holdout/actual_purchases": float(table["actual_total"].sum()),
        "holdout/predicted_purchases": round(float(table["predicted_total"].sum()), 4),
        "holdout/mean_absolute_error": significant(validation.mean_absolute_error),
        "holdout/aggregate_relative_error": significant(validation.aggregate_relative_error),
        "holdout/by_frequency": _holdout_table(table),
    }


def _holdout_metadata(warehouse: Warehouse, as_of: dt.date, config: CLVConfig) -> dict[str, object]:
    """Fit on orders up to the cut day, compare predicted and actual purchases after it."""
    if config.holdout_cut_date:
        cut = parse_day(config.holdout_cut_date, "holdout_cut_date")
        if cut >= as_of:
            raise dg.Failure(
                description=f"holdout_cut_date {cut} must be before as_of {as_of}",
                allow_retries=False,
            )
    elif config.holdout_fraction == 0.0:
        return {"holdout/status": "disabled: holdout_fraction is 0"}
    else:
        (first,) = warehouse.query(FIRST_ORDER_DAY_SQL)["first_order_date"]
        first_day = pd.Timestamp(first).date()
        cut = default_cut_date(first_day, as_of, config.holdout_fraction)
        if cut is None:
            return {
                "holdout/status": f"disabled: the history ({(as_of - first_day).days} days) "
                f"is shorter than {MIN_HISTORY_DAYS} days"
            }
    summary = warehouse.query(
        HOLDOUT_SUMMARY_SQL, holdout_summary_params(cut.isoformat(), as_of.isoformat())
    )
    try:
        validation = validate_holdout(summary, config.time_unit)
    except clv.InsufficientDataError as exc:
        return {"holdout/status": f"skipped: {exc}", "holdout/cut_date": cut.isoformat()}
    return _validation_metadata(cut, validation)


def _model_metadata(model: clv.CLVModel) -> dict[str, object]:
    """The fit's metadata as the UI shows it: parameters and gradients to 6 significant
    digits, log-likelihoods to 4 decimals (the model keeps full precision)."""
    return {
        key: (score(value) if key.endswith("/log_likelihood") else significant(value))
        if isinstance(value, float)
        else value
        for key, value in model.metadata().items()
    }


def _summary_metadata(
    scores: pd.DataFrame, metrics: pd.DataFrame, metrics_key: dg.AssetKey
) -> dict[str, object]:
    lineage = dg.TableColumnLineage(
        deps_by_column={
            out: [dg.TableColumnDep(asset_key=metrics_key, column_name=c) for c in inputs]
            for out, inputs in _INPUTS.items()
        }
    )
    return {
        "dagster/row_count": len(scores),
        "dagster/table_name": TABLE,
        "dagster/column_schema": column_schema(frame_sql_types(scores), CLV_DESCRIPTIONS),
        "dagster/column_lineage": lineage,
        "customers/total": len(metrics),
        "customers/repeat": int((metrics["frequency"] > 0).sum()),
        "clv/total": round(float(scores["clv"].sum()), 2),
        "clv/mean": round(float(scores["clv"].mean()), 4) if len(scores) else 0.0,
        "prob_alive/mean": round(float(scores["prob_alive"].mean()), 6) if len(scores) else 0.0,
    }


CLV_TYPES = {
    "customer_id": "VARCHAR",
    "as_of_date": "DATE",
    "horizon_months": "BIGINT",
    **dict.fromkeys(clv.SCORE_COLUMNS, "DOUBLE"),
}


def _fit_and_score(
    context: dg.AssetExecutionContext,
    config: CLVConfig,
    warehouse: Warehouse,
    customer_metrics: pd.DataFrame,
    customer_metrics_key: dg.AssetKey,
    check_results: ModelChecks,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """customer_clv's output and check results (see the asset's description)."""
    # Too little history is a normal state of a young deployment, not an error: the
    # metrics are still worth publishing, and a retry cannot create customers. So the
    # run goes on with an empty table and says why, instead of failing.
    model, reason = None, ""
    try:
        model = clv.fit_clv_model(customer_metrics, config.time_unit)
    except clv.InsufficientDataError as exc:
        reason = str(exc)
    as_of = (
        _distinct_days(customer_metrics["as_of_date"]).max().date()
        if len(customer_metrics)
        else None
    )
    settings = {
        "as_of": as_of.isoformat() if as_of else "none",
        "horizon_months": config.horizon_months,
        "monthly_discount_rate": config.monthly_discount_rate,
        "time_unit": config.time_unit,
    }
    scores = score_frame(customer_metrics, model, config) if model is not None else None
    if (
        scores is not None
        and not np.isfinite(scores[list(clv.SCORE_COLUMNS)].to_numpy(float)).all()
    ):
        # Too little or too regular history can push the likelihood to a search bound
        # (e.g. r and alpha towards infinity); such a model gives no usable scores, and
        # publishing NaN would be worse than publishing none.
        reason = (
            "the fit is degenerate (parameters at a search bound), its scores are not "
            f"finite: {model.purchases.message}"
        )
        diagnostics = _model_metadata(model)
        model, scores = None, None
    else:
        diagnostics = {}
    if model is None:
        context.log.warning(f"customer_clv not fitted: {reason}")
        scores = empty_scores()
        details: dict[str, object] = {
            "clv/status": "not fitted",
            "clv/reason": reason,
            **diagnostics,
        }
    else:
        details = {
            "clv/status": "fitted",
            **_model_metadata(model),
            "customers/gamma_gamma": model.spend.n_customers,
            **_holdout_metadata(warehouse, as_of, config),
        }
    yield dg.Output(
        scores,
        metadata={
            **_summary_metadata(scores, customer_metrics, customer_metrics_key),
            **settings,
            **details,
        },
    )
    yield from check_results(scores, model, reason)


def build_clv_assets(
    customer_metrics_key: dg.AssetKey,
    check_specs: Sequence[dg.AssetCheckSpec] = (),
    check_results: ModelChecks = lambda scores, model, reason: iter(()),
) -> list[dg.AssetsDefinition]:
    """customer_clv over the customer_metrics table (``analytics.customer_metrics``, read
    with SQL: the columns the fit uses, by customer).

    ``check_specs`` are evaluated inside the step by ``check_results(scores, model,
    reason)``, on the scores and the fitted model it holds (the composition root passes
    the CLV sanity checks in).
    """

    @dg.asset(
        key=CUSTOMER_CLV,
        deps=[customer_metrics_key],
        io_manager_key=IO_MANAGER,
        backfill_policy=SINGLE_RUN,
        group_name="analytics",
        owners=[ANALYTICS],
        kinds={"scipy", "pandas", WAREHOUSE_KIND},
        tags={"layer": "analytics"},
        metadata={
            "schema": "analytics",
            **table_metadata(TABLE, CLV_TYPES, CLV_DESCRIPTIONS),
        },
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        check_specs=list(check_specs),
    )
    def customer_clv(
        context: dg.AssetExecutionContext,
        config: CLVConfig,
        warehouse: Warehouse,
        telemetry: TelemetryResource,
    ) -> Iterator:
        """Customer lifetime value: expected purchases, P(alive), order value and CLV.

        Fits two published models on customer_metrics (as of its as-of day): BG/NBD
        (Fader, Hardie & Lee 2005) for how often customers buy and when they stop, and
        Gamma-Gamma for how much they spend per purchase day. Per customer it predicts
        purchases over the next `horizon_months` (default 12), the probability they are
        still active, the expected order value and CLV: that horizon's expected revenue,
        discounted at `monthly_discount_rate` (default 1% a month).

        Metadata: fitted parameters (`bgnbd/r`, `bgnbd/alpha`, `bgnbd/a`, `bgnbd/b`,
        `gamma_gamma/p`, `gamma_gamma/q`, `gamma_gamma/gamma`), log-likelihoods,
        convergence, and a holdout validation: the model is refitted on history up to a
        cut day (default: the last quarter of the history is held out) and its predicted
        purchases after the cut are compared with what happened, by purchase frequency
        (`holdout/by_frequency`); `holdout/mean_absolute_error` and
        `holdout/aggregate_relative_error` plot the error over time.

        With fewer than 20 customers, or 10 repeat customers with a positive spend, there
        is nothing to fit: the table is written empty, `clv/status` says why, the model
        checks warn, and dim_customers is published with empty CLV columns.
        """
        with telemetry.asset_span(context) as span:
            # Only the columns the fit, the scores and the holdout cut use.
            customer_metrics = warehouse.query(CLV_INPUTS_SQL)
            span.record_rows(rows_in=len(customer_metrics))
            for event in _fit_and_score(
                context, config, warehouse, customer_metrics, customer_metrics_key, check_results
            ):
                if isinstance(event, dg.AssetCheckResult):
                    check_key = dg.AssetCheckKey(CUSTOMER_CLV, event.check_name)
                    with telemetry.check_span(context, check_key) as check:
                        yield check.record_check(event)
                    continue
                span.record_rows(rows_out=len(event.value))
                yield event

    return [customer_clv]
