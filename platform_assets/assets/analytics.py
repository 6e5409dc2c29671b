"""customer_metrics: per-customer purchase history, computed in the warehouse with SQL."""

import datetime as dt
from collections.abc import Iterable, Sequence

import dagster as dg
import pandas as pd

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.metrics import LATEST_DAY_SQL, metrics_params, unpriced_purchases_sql
from orders_core.sql.customers import (
    metrics_statements,
    metrics_summary_sql,
    not_purchase_summary_sql,
)
from orders_core.sql.tables import METRIC_TYPES
from platform_assets.assets.common import (
    ANALYTICS,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    code_version,
    ensure_step_tables,
    permanent_failure,
    unpassed_message,
    unpassed_upstream,
)
from platform_assets.schema_metadata import table_metadata
from resources.instance_history import WITHHELD_DAYS, latest_cleaned_day
from resources.settings import parse_day
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

# A purchase: an order whose current version's status is not cancelled or returned (the
# contract's status.not_purchase; a NULL status is a purchase).
METRIC_DESCRIPTIONS = {
    "customer_id": "Customer identifier (customers with at least one purchase).",
    "order_count": "Purchases up to as_of_date: orders not cancelled or returned.",
    "frequency": "Repeat purchase days: distinct purchase days minus one.",
    "recency_days": "Days between the first and the last purchase day.",
    "tenure_days": "Days between the first purchase day and as_of_date.",
    "monetary_value": "Mean daily spend over the repeat purchase days (0 without repeats),"
    " in the reporting currency.",
    "total_revenue": "Sum of purchase amounts up to as_of_date (net of cancelled, returned),"
    " in the reporting currency (contract fx.reporting_currency).",
    "first_order_date": "First purchase day (UTC).",
    "last_order_date": "Last purchase day (UTC).",
    "as_of_date": "The day the metrics are computed as of.",
}
TABLE = tables.CUSTOMER_METRICS.qualified
# No history yet: the metrics as of a day before any order, i.e. an empty table.
NO_HISTORY_DAY = "1900-01-01"


class MetricsConfig(dg.Config):
    """as_of: compute metrics as of this day (YYYY-MM-DD); default the latest materialized day."""

    as_of: str | None = None


def resolve_as_of(
    config_as_of: str | None, materialized_days: Iterable[str], warehouse: Warehouse
) -> dt.date | None:
    """The as-of day: configured, else the latest of ``materialized_days`` (cleaned days),
    else the latest day in the table (None when there is no history at all)."""
    if config_as_of:
        return parse_day(config_as_of, "as_of")
    latest = max(materialized_days, default=None)
    if latest:
        return parse_day(latest, "partition key")
    latest = warehouse.query(LATEST_DAY_SQL)["latest_day"].iloc[0]
    return None if pd.isna(latest) else pd.Timestamp(latest).date()


def _as_of(
    context: dg.AssetExecutionContext,
    config: MetricsConfig,
    warehouse: Warehouse,
    cleaned_orders_key: dg.AssetKey,
    withheld: Iterable[str],
) -> dt.date | None:
    """The as-of day (:func:`resolve_as_of`) of the cleaned days but the ``withheld`` ones
    and those a range run left alone (held upstream) that no run cleaned: the day of
    day-by-day runs, where a run of such a day alone never reaches customer_metrics."""
    cleaned = context.instance.get_materialized_partitions(cleaned_orders_key)
    latest = latest_cleaned_day(context.instance, set(cleaned) - set(withheld))
    try:
        if cleaned and not latest and not config.as_of:
            return None  # days materialized, none of them cleaned and passed
        return resolve_as_of(config.as_of, [latest] if latest else [], warehouse)
    except ValueError as error:
        raise permanent_failure(str(error), as_of=str(config.as_of)) from error


def unpriced_metadata(rows: Sequence[tuple]) -> tuple[dict[str, list[str]], dict[str, object]]:
    """From :func:`orders_core.metrics.unpriced_purchases_sql`'s rows (currency, day,
    orders): the days of each currency, and the metadata counting them per currency with
    their first and last day."""
    days: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for currency, day, orders in rows:
        days.setdefault(currency, []).append(str(day))
        counts[currency] = counts.get(currency, 0) + int(orders)
    metadata: dict[str, object] = {
        "fx/orders_without_rate": sum(counts.values()),
        "fx/without_rate": "; ".join(
            f"{currency}: {counts[currency]} orders, {listed[0]}..{listed[-1]}"
            for currency, listed in sorted(days.items())
        )
        or "none",
    }
    return days, metadata


def build_analytics_assets(
    cleaned_orders_key: dg.AssetKey,
    cleaned_blocking: Sequence[dg.AssetCheckKey],
    fx_rates_key: dg.AssetKey,
    fx_check_spec: dg.AssetCheckSpec,
    fx_check_result,
) -> list[dg.AssetsDefinition]:
    """customer_metrics over all cleaned history but the days ``cleaned_blocking``
    (cleaned_orders' blocking checks) have not passed, in the reporting currency with the
    rates of ``fx_rates_key``; ``fx_check_spec`` is evaluated in its step with
    ``fx_check_result(asset_key, days by currency, orders)``
    (:func:`asset_checks.fx.fx_available_check_result`)."""

    @dg.asset(
        name="customer_metrics",
        code_version=code_version(tables.CUSTOMER_METRICS),
        deps=[cleaned_orders_key, fx_rates_key],
        check_specs=[fx_check_spec],
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        group_name="analytics",
        owners=[ANALYTICS],
        kinds={"sql", WAREHOUSE_KIND},
        tags={"layer": "analytics"},
        metadata={
            **table_metadata(TABLE, METRIC_TYPES, METRIC_DESCRIPTIONS),
        },
    )
    def customer_metrics(
        context: dg.AssetExecutionContext,
        config: MetricsConfig,
        warehouse: Warehouse,
        telemetry: TelemetryResource,
    ) -> dg.MaterializeResult:
        """One row per customer: how often, how recently and how much they buy.

        For every customer with at least one purchase: number of purchases, repeat
        purchase days (`frequency`), days from first to last purchase (`recency_days`),
        days since the first purchase (`tenure_days`), mean spend on repeat purchase
        days (`monetary_value`) and total revenue, money in the reporting currency (the
        contract's `fx.reporting_currency`): each purchase converted at its currency's
        rate of its order date from fx_rates, or the latest earlier rate at most
        `fx.max_rate_age_days` old (weekends, holidays). A purchase with no such rate is
        left out until its rate lands, then counted at the next run:
        `fx/orders_without_rate` and `fx/without_rate` count them per currency with their
        first and last day, and the `fx_rates_available` check fails naming the
        currencies and days. A purchase is an order whose current
        version (newest `updated_at`, across days) is not cancelled or returned (the
        contract's `status.not_purchase`; no status is a purchase): an order placed on
        one day and cancelled on a later one stops counting once the later day is
        cleaned. A customer whose every order is cancelled or returned has no row;
        `customers_without_purchase` counts them and `not_purchase_orders` the orders
        left out (fct_orders keeps every order with its status).

        All history up to the as-of day is used: the latest day cleaned_orders was materialized for (a day a range run left
        alone, held upstream, only if an earlier run cleaned it), or `as_of` in the run
        config. Nothing depends on today's date, so re-running gives the same numbers.
        Time unit: days.

        A day whose cleaning has not passed cleaned_orders' blocking checks (gx_quality,
        reconciliation) is left out, as fct_orders leaves it out: none of its rows count
        (not even as another day's order's newest version) and it is not the as-of day
        until it passes. `orders/withheld_days` names such days; the run that checked
        them already alerted.

        Computed with SQL inside the warehouse (DuckDB locally, Snowflake in
        production), never by loading all history into memory, and replaced as a whole
        in one transaction. Plots: customers, repeat customers and their share, total
        revenue.
        """
        # Days whose cleaning has not passed its blocking checks: left out, as fct_orders
        # leaves them out (retried while another run has yet to check them).
        unpassed = unpassed_upstream(context, cleaned_blocking)
        if unpassed:
            context.log.warning(
                f"Left out of customer_metrics: {unpassed_message(cleaned_blocking, unpassed)}"
            )
        withheld = [dt.date.fromisoformat(day) for day in sorted(unpassed)]
        with telemetry.asset_span(context) as span:
            as_of = _as_of(context, config, warehouse, cleaned_orders_key, unpassed)
            if as_of is None:
                context.log.warning("No cleaned orders yet: customer_metrics is empty.")
            as_of_text = as_of.isoformat() if as_of else None
            delete, insert = metrics_statements(len(withheld))
            with warehouse.session() as session:
                ensure_step_tables(
                    session,
                    load_contract(),
                    tables.CLEANED_ORDERS,
                    tables.FX_RATES,
                    tables.CUSTOMER_METRICS,
                )
                with sql_write_span(context, TABLE, session.db_system) as write:
                    with session.transaction():
                        session.execute(delete)
                        session.execute(
                            insert, metrics_params(as_of_text or NO_HISTORY_DAY, withheld)
                        )
                        ((customers, repeat, revenue),) = session.execute(metrics_summary_sql())
                        ((not_purchase, without),) = session.execute(
                            not_purchase_summary_sql(len(withheld)),
                            [*withheld, as_of_text or NO_HISTORY_DAY],
                        )
                        unpriced = session.execute(
                            unpriced_purchases_sql(len(withheld)),
                            [*withheld, as_of_text or NO_HISTORY_DAY],
                        )
                    customers, repeat = int(customers), int(repeat)
                    write.set_attribute(ROWS_WRITTEN, customers)
            span.record_rows(rows_out=customers)
            span.set_attribute("orders.as_of", as_of_text or "none")
            missing, unpriced_figures = unpriced_metadata(unpriced)
            # Evaluated in this step: its span is a child of the asset's.
            with telemetry.check_span(context, fx_check_spec.key) as check:
                available = check.record_check(
                    fx_check_result(
                        context.asset_key, missing, int(unpriced_figures["fx/orders_without_rate"])
                    )
                )
            if missing:
                context.log.warning(
                    f"Left out of customer_metrics until their FX rate lands: {unpriced_figures['fx/without_rate']}"
                )
            return dg.MaterializeResult(
                metadata={
                    "dagster/row_count": customers,
                    **table_metadata(TABLE, METRIC_TYPES, METRIC_DESCRIPTIONS),
                    tables.TABLE_VERSION_METADATA: tables.TABLE_VERSIONS[tables.CUSTOMER_METRICS],
                    "as_of": as_of_text or "none",
                    WITHHELD_DAYS: ", ".join(sorted(unpassed)) or "none",
                    "customers": customers,
                    "repeat_customers": repeat,
                    "repeat_customer_rate": round(repeat / customers, 6) if customers else 0.0,
                    "total_revenue": round(float(revenue), 2),
                    "not_purchase_orders": int(not_purchase),
                    "customers_without_purchase": int(without),
                    "fx/reporting_currency": load_contract().fx.reporting_currency,
                    **unpriced_figures,
                },
                check_results=[available],
            )

    return [customer_metrics]
