"""customer_clv: BG/NBD + Gamma-Gamma lifetime value per customer, validated on a holdout."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field

from orders_core import clv, tables
from orders_core.clv_ladder import UsableFit, fit_usable_model
from orders_core.clv_validation import (
    DEFAULT_HOLDOUT_FRACTION,
    MIN_HISTORY_DAYS,
    HoldoutValidation,
    default_cut_date,
    validate_holdout,
)
from orders_core.contract import load_contract
from orders_core.metrics import (
    CLV_CUSTOMERS_SQL,
    CLV_HISTORIES_SQL,
    CLV_SPENDS_SQL,
    FIRST_ORDER_DAY_SQL,
    holdout_histories_sql,
    holdout_summary_params,
    spend_sample_threshold,
)
from orders_core.rounding import score, significant
from orders_core.sql.customers import (
    CLV_SUMMARY_COLUMNS,
    HISTORIES_TABLE,
    HISTORY_TYPES,
    clv_statements,
    clv_summary_sql,
    histories_table_sql,
)
from orders_core.sql.tables import CLV_TYPES
from platform_assets.assets.common import (
    ANALYTICS,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    code_version,
    ensure_step_tables,
    refuse_earlier_release_tables,
)
from platform_assets.schema_metadata import table_metadata
from resources.instance_history import withheld_days
from resources.settings import parse_day
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import SqlSession, Warehouse, resident_bytes
from resources.warehouse_pool import WAREHOUSE_POOL

CUSTOMER_CLV = dg.AssetKey(tables.CUSTOMER_CLV.key)
# (customer_clv's summary row, fitted model or None, reason it was not fitted) -> results
ModelChecks = Callable[
    [Mapping[str, object], "clv.CLVModel | None", str], Iterable[dg.AssetCheckResult]
]
TABLE = tables.CUSTOMER_CLV.qualified
CLV_DESCRIPTIONS = {
    "customer_id": "Customer identifier.",
    "as_of_date": "The day the model was fitted as of (customer_metrics' as_of_date).",
    "horizon_months": "Months ahead that expected_purchases and clv cover.",
    "expected_purchases": "Expected purchase days in the next horizon_months (BG/NBD).",
    "prob_alive": "Probability the customer is still active (BG/NBD); 1 without a repeat "
    "purchase, since the model only lets customers leave after one.",
    "expected_avg_order_value": "Expected spend per purchase day (Gamma-Gamma), in the "
    "reporting currency (contract fx.reporting_currency); the population mean for customers "
    "without a repeat purchase.",
    "clv": "Discounted expected revenue in the next horizon_months, in the reporting currency: "
    "each month's expected purchases times expected_avg_order_value, discounted at "
    "monthly_discount_rate.",
}
_INPUTS = {
    "customer_id": ("customer_id",),
    "as_of_date": ("as_of_date",),
    "expected_purchases": clv.HISTORY_COLUMNS,
    "prob_alive": clv.HISTORY_COLUMNS,
    "expected_avg_order_value": ("frequency", "monetary_value"),
    "clv": (*clv.HISTORY_COLUMNS, "monetary_value"),
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
        # The calibration fit's penalizer, up the ladder as the published fit's (0: none).
        "holdout/penalizer": validation.fit.penalizer,
        "holdout/by_frequency": _holdout_table(table),
    }


def _holdout_metadata(
    session: SqlSession, as_of: dt.date, config: CLVConfig, withheld: Sequence[str]
) -> dict[str, object]:
    """Fit on orders up to the cut day, compare predicted and actual purchases after it
    (leaving out the days customer_metrics left out, ``withheld``)."""
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
        (first,) = session.query(FIRST_ORDER_DAY_SQL)["first_order_date"]
        first_day = pd.Timestamp(first).date()
        cut = default_cut_date(first_day, as_of, config.holdout_fraction)
        if cut is None:
            return {
                "holdout/status": f"disabled: the history ({(as_of - first_day).days} days) "
                f"is shorter than {MIN_HISTORY_DAYS} days"
            }
    days = [dt.date.fromisoformat(day) for day in withheld]
    summary = session.query(
        holdout_histories_sql(len(days)),
        holdout_summary_params(cut.isoformat(), as_of.isoformat(), days),
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


def _lineage(metrics_key: dg.AssetKey) -> dg.TableColumnLineage:
    return dg.TableColumnLineage(
        deps_by_column={
            out: [dg.TableColumnDep(asset_key=metrics_key, column_name=c) for c in inputs]
            for out, inputs in _INPUTS.items()
        }
    )


def _summary_metadata(
    summary: Mapping[str, object], histories: pd.DataFrame, metrics_key: dg.AssetKey
) -> dict[str, object]:
    scored = int(summary["scored"])
    weights = clv.customer_weights(histories)
    return {
        "dagster/row_count": scored,
        **table_metadata(TABLE, CLV_TYPES, CLV_DESCRIPTIONS, _lineage(metrics_key)),
        "customers/total": int(weights.sum()),
        "customers/repeat": int(weights[histories["frequency"].to_numpy(float) > 0].sum()),
        "clv/total": round(float(summary["clv_total"]), 2),
        "clv/mean": round(float(summary["clv_total"]) / scored, 4) if scored else 0.0,
        "prob_alive/mean": round(float(summary["prob_alive_total"]) / scored, 6) if scored else 0.0,
        # The currency of clv/total and clv/mean, as customer_metrics states its money.
        "fx/reporting_currency": load_contract().fx.reporting_currency,
    }


def _history_table(histories: pd.DataFrame, by_history: Mapping[str, np.ndarray]) -> pa.Table:
    """The histories table's rows: each row of ``histories`` (distinct) with its scores
    (``by_history``: :func:`orders_core.clv.history_scores`' arrays, in its order)."""
    columns = {name: histories[name].to_numpy("int64") for name in clv.HISTORY_COLUMNS}
    return pa.table({**columns, **by_history}).cast(
        pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in HISTORY_TYPES.items()])
    )


_ARROW_TYPES = {"BIGINT": pa.int64(), "DOUBLE": pa.float64()}


def _publish(
    session: SqlSession,
    by_history: pa.Table | None,
    model: clv.CLVModel | None,
    config: CLVConfig,
) -> dict[str, object]:
    """Replace customer_clv: every customer scored by ``model`` (``by_history``: the rows
    of :func:`_history_table`), or no row without one. Returns the new table's summary
    (:func:`orders_core.sql.customers.clv_summary_sql`)."""
    # the holdout summary reads the orders priced with the rates (orders_core.metrics)
    ensure_step_tables(session, load_contract(), tables.CUSTOMER_CLV, tables.FX_RATES)
    if model is not None:
        # DDL and the bulk load go outside the transaction (Snowflake commits on DDL).
        session.execute(histories_table_sql())
        session.append(HISTORIES_TABLE, by_history)
    delete, insert = clv_statements()
    with session.transaction():
        session.execute(delete)
        if model is not None:
            spend = model.spend.params
            session.execute(
                insert,
                [config.horizon_months, spend.p, spend.gamma, spend.p, spend.q, spend.mean_value],
            )
        (row,) = session.execute(clv_summary_sql())
        summary = dict(zip(CLV_SUMMARY_COLUMNS, row, strict=True))
        if model is not None and summary["scored"] != summary["metrics_rows"]:
            # Raised inside the transaction: the previous scores stay. customer_metrics
            # changed between the fit's read and this insert; a retry reads it again.
            raise RuntimeError(
                f"customer_clv scored {summary['scored']} customers of"
                f" {summary['metrics_rows']} in customer_metrics: the metrics changed while"
                " the model was fitted"
            )
    return summary


def _fit(
    histories: pd.DataFrame, spends: pd.DataFrame, config: CLVConfig
) -> tuple[UsableFit | None, clv.CLVModel | None, str, pa.Table | None]:
    """The fits up the penalizer ladder (None with too few customers to fit), the model
    kept (None: none), why it is not plain maximum likelihood or why there is none ("" when
    it is), and the histories table's rows it scores."""
    try:
        fitted = fit_usable_model(
            histories,
            config.time_unit,
            spends,
            horizon_months=config.horizon_months,
            monthly_discount_rate=config.monthly_discount_rate,
        )
    except clv.InsufficientDataError as exc:
        # Too little history is a normal state of a young deployment, not an error: the
        # metrics are still worth publishing, and a retry cannot create customers. So the
        # run goes on with an empty table and says why, instead of failing.
        return None, None, str(exc), None
    model = fitted.model
    # A model kept has finite scores; without one (no penalizer gave finite predictions)
    # nothing is published: NaN would be worse than no row.
    scores = _history_table(histories, fitted.by_history) if model is not None else None
    return fitted, model, fitted.reason(), scores


def _reserve_fit_memory(session: SqlSession, opened: int | None) -> None:
    """Give up, from the engine's limit for the rest of the session, what the process has
    grown by since the session opened (``opened``: its resident bytes then): the fits'
    frames and arrays, and what the allocators keep of their temporaries. The session's
    limit left room for the process as it was when it opened, and the holdout's query over
    all orders and the scores' insert fill whatever limit they have (a hash of every order
    and of every customer's purchase days): at 8M customers the step otherwise peaked at
    921 MiB in the holdout (bench/RESULTS.md, hunt 90). The growth counts the engine's
    cached pages too, which its limit already holds: the reserve errs on the low side of
    the limit, which only makes the engine spill sooner (results do not depend on it)."""
    now = resident_bytes()
    if opened is not None and now is not None and now > opened:
        session.reserve_memory(now - opened)


def _attempts(fitted: UsableFit) -> dict[str, str]:
    """Each model's fits tried up the penalizer ladder and what became of each."""
    return {
        "bgnbd/attempts": fitted.purchases.summary(),
        "gamma_gamma/attempts": fitted.spend.summary(),
    }


def _fit_and_score(
    context: dg.AssetExecutionContext,
    config: CLVConfig,
    warehouse: Warehouse,
    customer_metrics_key: dg.AssetKey,
    check_results: ModelChecks,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """customer_clv's table, metadata and check results (see the asset's description).

    The fits read customer_metrics' distinct histories and a bounded sample of spends
    (:data:`orders_core.metrics.CLV_HISTORIES_SQL`, :data:`~orders_core.metrics.CLV_SPENDS_SQL`);
    the customers are scored in the warehouse, never held here.
    """
    # The reads and the write on one connection (a DuckDB open per read cost 30 ms each).
    with warehouse.session() as session:
        opened = resident_bytes()
        histories = session.query(CLV_HISTORIES_SQL)
        ((as_of_value, spend_customers),) = session.query(CLV_CUSTOMERS_SQL).itertuples(index=False)
        spends = session.query(CLV_SPENDS_SQL, [spend_sample_threshold(int(spend_customers))])
        as_of = None if pd.isna(as_of_value) else pd.Timestamp(as_of_value).date()
        settings = {
            "as_of": as_of.isoformat() if as_of else "none",
            "horizon_months": config.horizon_months,
            "monthly_discount_rate": config.monthly_discount_rate,
            "time_unit": config.time_unit,
        }
        fitted, model, reason, scores = _fit(histories, spends, config)
        _reserve_fit_memory(session, opened)
        if model is None:
            context.log.warning(f"customer_clv not fitted: {reason}")
            details: dict[str, object] = {"clv/status": "not fitted", "clv/reason": reason}
            if fitted is not None:
                details |= {**_model_metadata(fitted.last_tried), **_attempts(fitted)}
        else:
            details = {
                "clv/status": "fitted",
                **({"clv/reason": reason} if reason else {}),
                **_model_metadata(model),
                **_attempts(fitted),
                "customers/gamma_gamma": model.spend.n_customers,
                # Fewer than could be: fitted on a sample (orders_core.clv.GAMMA_GAMMA_SAMPLE).
                "gamma_gamma/sampled": model.spend.n_customers < int(spend_customers),
                **_holdout_metadata(
                    session, as_of, config, withheld_days(context.instance, customer_metrics_key)
                ),
            }
        with sql_write_span(context, TABLE, session.db_system) as write:
            summary = _publish(session, scores, model, config)
            write.set_attribute(ROWS_WRITTEN, int(summary["scored"]))
    yield dg.MaterializeResult(
        metadata={
            **_summary_metadata(summary, histories, customer_metrics_key),
            tables.TABLE_VERSION_METADATA: tables.TABLE_VERSIONS[tables.CUSTOMER_CLV],
            **settings,
            **details,
        },
    )
    yield from check_results(summary, model, reason)


def build_clv_assets(
    customer_metrics_key: dg.AssetKey,
    *,
    check_specs: Sequence[dg.AssetCheckSpec],
    check_results: ModelChecks,
) -> list[dg.AssetsDefinition]:
    """customer_clv over the customer_metrics table (``analytics.customer_metrics``): the
    fit reads its customers grouped by history and spend, the scores are written by
    ``INSERT ... SELECT`` in the warehouse.

    ``check_specs`` are evaluated inside the step by ``check_results(summary, model,
    reason)``, on one aggregate row over the new table
    (:func:`orders_core.sql.customers.clv_summary_sql`) and the fitted model the step
    holds (the composition root passes the CLV sanity checks in).
    """

    @dg.asset(
        key=CUSTOMER_CLV,
        code_version=code_version(tables.CUSTOMER_CLV),
        deps=[customer_metrics_key],
        backfill_policy=SINGLE_RUN,
        group_name="analytics",
        owners=[ANALYTICS],
        kinds={"scipy", "sql", WAREHOUSE_KIND},
        tags={"layer": "analytics"},
        metadata={
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
        discounted at `monthly_discount_rate` (default 1% a month). Purchases only, as
        customer_metrics counts them: cancelled and returned orders are none (also in
        the holdout), and a customer with nothing else is neither fitted nor scored.

        Metadata: fitted parameters (`bgnbd/r`, `bgnbd/alpha`, `bgnbd/a`, `bgnbd/b`,
        `gamma_gamma/p`, `gamma_gamma/q`, `gamma_gamma/gamma`), log-likelihoods,
        convergence, penalizers, and a holdout validation: the model is refitted on
        history up to a cut day (default: the last quarter of the history is held out)
        and its predicted purchases after the cut are compared with what happened, by
        purchase frequency (`holdout/by_frequency`); `holdout/mean_absolute_error` and
        `holdout/aggregate_relative_error` plot the error over time.

        When maximum likelihood has no usable optimum (a few days of regular customers,
        everyone buying at one rate and nobody leaving: its predictions overflow), the
        model is refitted with a penalizer, weakest first, until its predictions are
        finite: `bgnbd/penalizer` and `gamma_gamma/penalizer` (0: plain maximum
        likelihood), `bgnbd/attempts`, `gamma_gamma/attempts` and `clv/reason` say which
        was needed and why. With fewer than 20 customers, or 10 repeat customers with a
        positive spend, there is nothing to fit: the table is written empty,
        `clv/status` says why, the convergence check warns, and dim_customers is
        published with empty CLV columns.

        The customers are scored inside the warehouse: the step holds one row per
        distinct history (frequency, recency, tenure: what BG/NBD fits on and scores)
        and Gamma-Gamma's spends, about a million repeat customers at most, drawn by a
        hash of their id (`gamma_gamma/sampled` says when it was a sample); one `INSERT ...
        SELECT` joins every customer to their history's scores and adds the Gamma-Gamma
        order value. The table is replaced in one transaction; its checks are one
        aggregate over the new rows.
        """
        refuse_earlier_release_tables(context, tables.CUSTOMER_METRICS)
        with telemetry.asset_span(context) as span:
            for event in _fit_and_score(
                context, config, warehouse, customer_metrics_key, check_results
            ):
                if isinstance(event, dg.AssetCheckResult):
                    check_key = dg.AssetCheckKey(CUSTOMER_CLV, event.check_name)
                    with telemetry.check_span(context, check_key) as check:
                        yield check.record_check(event)
                    continue
                span.record_rows(
                    rows_in=event.metadata["customers/total"],
                    rows_out=event.metadata["dagster/row_count"],
                )
                yield event

    return [customer_clv]
