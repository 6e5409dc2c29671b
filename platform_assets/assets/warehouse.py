"""Published warehouse tables: warehouse/fct_orders and warehouse/dim_customers."""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from orders_core import tables
from orders_core.calendar import consecutive_runs
from orders_core.contract import load_contract
from orders_core.sql.customers import dim_statements, dim_summary_sql
from orders_core.sql.facts import (
    AFFECTED_TABLE,
    affected_days_sql,
    affected_orders_sql,
    day_currency_figures_sql,
    day_figures_sql,
    publish_statements,
)
from orders_core.sql.tables import DIM_CLV_TYPES, METRIC_TYPES
from orders_core.tables import DIM_CLV_COLUMNS, FCT_ORDERS_COLUMNS
from platform_assets.assets.analytics import METRIC_DESCRIPTIONS
from platform_assets.assets.clv import CLV_DESCRIPTIONS
from platform_assets.assets.common import (
    ANALYTICS,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    code_version,
    column_descriptions,
    days_left_out,
    ensure_step_tables,
    order_table_types,
    permanent_failure,
    refuse_earlier_release_tables,
    refuse_unchecked_table,
    unpassed_upstream,
)
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import same_name_lineage, table_metadata
from resources.instance_history import WITHHELD_DAYS, left_alone_by, unpassed_checks
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

FCT_ORDERS_TABLE = tables.FCT_ORDERS.qualified
DIM_CUSTOMERS_TABLE = tables.DIM_CUSTOMERS.qualified
CLEANED_ORDERS = dg.AssetKey(tables.CLEANED_ORDERS.key)
CUSTOMER_METRICS = dg.AssetKey(tables.CUSTOMER_METRICS.key)
CUSTOMER_CLV = dg.AssetKey(tables.CUSTOMER_CLV.key)


def _as_date(value) -> dt.date:
    """A DATE as the engine returns it (a date; a datetime from some drivers)."""
    return value.date() if isinstance(value, dt.datetime) else value


# A day of fct_orders without a published fact: its figures.
NO_FIGURES = (None, 0, 0, {})


def _day_figures(row) -> dict[str, float | int]:
    """What an analyst plots per day, from a row of ``day_figures_sql`` with the day's
    ``day_currency_figures_sql`` rows by currency: orders, customers, the currencies, and
    per currency its revenue (gross: every order, whatever its status) and net revenue
    (less the cancelled and returned orders), in that currency's units: amounts of
    different currencies are never added."""
    _, rows, customers, by_currency = row
    figures: dict[str, float | int] = {
        "dagster/row_count": int(rows),
        "dagster/partition_row_count": int(rows),
        "orders/distinct_customers": int(customers),
        "orders/currencies": len(by_currency),
    }
    for currency, (_, revenue, net_revenue) in sorted(by_currency.items()):
        figures[f"orders/revenue/{currency}"] = round(float(revenue), 2)
        figures[f"orders/net_revenue/{currency}"] = round(float(net_revenue), 2)
    return figures


def _figures_by_day(session, first: dt.date, last: dt.date) -> dict[dt.date, tuple]:
    """:func:`_day_figures`' rows of the published days from ``first`` to ``last``."""
    by_currency: dict[dt.date, dict] = {}
    for day, currency, rows, revenue, net in session.execute(
        day_currency_figures_sql(), [first, last]
    ):
        by_currency.setdefault(_as_date(day), {})[currency] = (rows, revenue, net)
    return {
        _as_date(day): (day, rows, customers, by_currency.get(_as_date(day), {}))
        for day, rows, customers in session.execute(day_figures_sql(), [first, last])
    }


# customer_clv's horizon_months is dim_customers' clv_horizon_months.
DIM_HORIZON = next(dim for dim, source in DIM_CLV_COLUMNS.items() if source == "horizon_months")
DIM_CLV_DESCRIPTIONS = {
    dim: CLV_DESCRIPTIONS[source].replace("horizon_months", DIM_HORIZON)
    for dim, source in DIM_CLV_COLUMNS.items()
}


# Metadata of a fct_orders materialization of a day the step left out of a range run
# (Dagster records one for every day of the range).
NOT_PUBLISHED = "orders/not_published"


def unpublished_days(
    context: dg.AssetExecutionContext,
    cleaned_blocking: Sequence[dg.AssetCheckKey],
    days: list[dt.date],
) -> dict[dt.date, str]:
    """The days of the run fct_orders leaves out, each with why; fails at once, without
    retries, when that is every day.

    A day is left out while one of cleaned_orders' blocking checks ``cleaned_blocking``
    has not passed its latest cleaning, or when the cleaning left it alone in this run
    (held upstream, ``orders/not_cleaned``). Dagster stops fct_orders after a failed
    blocking check only in the run that evaluated it, and only when it failed every day
    of the run; a run of fct_orders alone, or a range in which other days passed, reaches
    the step: it publishes the other days and leaves these as their own runs would.

    A day an earlier run left alone holds the rows its last cleaning left, judged by
    cleaned_orders' checks (their run judged the marker's day on those rows) as any
    day's: published when they passed, as after runs of each day alone, where the held
    day's run stopped before its cleaning and left its latest cleaning as it was.
    """
    unpassed = unpassed_upstream(context, cleaned_blocking, days)
    held = left_alone_by(context.instance, [day.isoformat() for day in days], context.run)
    why = {
        day: (
            f"{', '.join(names)} not passed",
            "fix the cause and run the day again (its checks run with it), then this asset",
        )
        for day, names in unpassed.items()
    }
    for day in held:
        why.setdefault(
            day,
            (
                "cleaned_orders left the day alone in this run (held upstream)",
                "its materialization's orders/not_cleaned says why; run the day again once it"
                " passes",
            ),
        )
    return days_left_out(context, why, days, "published")


def clv_status(instance: dg.DagsterInstance) -> str:
    """customer_clv's ``clv/status`` at its latest materialization, with the reason when it
    was not fitted: why dim_customers' CLV columns are empty. One query."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=CUSTOMER_CLV), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    metadata = materialization.metadata if materialization else {}
    if "clv/status" not in metadata:
        return "unknown: customer_clv has no materialization saying"
    status, reason = metadata["clv/status"].value, metadata.get("clv/reason")
    return f"{status}: {reason.value}" if reason is not None else str(status)


def build_warehouse_assets(
    partitions_def: dg.PartitionsDefinition,
    cleaned_blocking: Sequence[dg.AssetCheckKey],
    clv_blocking: Sequence[dg.AssetCheckKey],
) -> list[dg.AssetsDefinition]:
    """The two published tables: fct_orders built on no day ``cleaned_blocking``
    (cleaned_orders' blocking checks) has not passed, dim_customers on no customer_clv
    ``clv_blocking`` (its blocking checks) has not passed."""
    fct_types = {name: order_table_types()["cleaned_orders"][name] for name in FCT_ORDERS_COLUMNS}
    fct_lineage = same_name_lineage(CLEANED_ORDERS, FCT_ORDERS_COLUMNS)
    dim_types = {**METRIC_TYPES, **DIM_CLV_TYPES}
    dim_descriptions = {**METRIC_DESCRIPTIONS, **DIM_CLV_DESCRIPTIONS}
    dim_lineage = dg.TableColumnLineage(
        deps_by_column={
            **same_name_lineage(CUSTOMER_METRICS, METRIC_TYPES).deps_by_column,
            **{
                name: [dg.TableColumnDep(asset_key=CUSTOMER_CLV, column_name=source)]
                for name, source in DIM_CLV_COLUMNS.items()
            },
        }
    )

    @dg.asset(
        key=list(tables.FCT_ORDERS.key),
        code_version=code_version(tables.FCT_ORDERS),
        deps=[CLEANED_ORDERS],
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        group_name="warehouse",
        owners=[ANALYTICS],
        kinds={"sql", WAREHOUSE_KIND},
        tags={"layer": "published"},
        metadata={
            **table_metadata(FCT_ORDERS_TABLE, fct_types, column_descriptions(), fct_lineage),
        },
    )
    def fct_orders(
        context: dg.AssetExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ) -> dg.MaterializeResult:
        """Order facts for reporting and BI: one row per order, one partition per day.

        The cleaned, deduplicated orders with the business columns only: when
        (`order_ts`, `order_date`), who (`customer_id`), how much (`amount`, `currency`,
        `quantity`, `unit_price`), `status` and `region`. E-mails appear only as a keyed
        hash. One row per order across all days: when an order landed on two days, its
        newest `updated_at` wins (then the later day), whichever days a run covers, so a
        range run and day-by-day runs publish the same rows. Re-running days replaces
        their facts atomically.

        Plots per day: orders, distinct customers, currencies, and per currency
        `orders/revenue/<currency>` and `orders/net_revenue/<currency>` (e.g.
        `orders/revenue/EUR`), in that currency's units as landed: amounts of different
        currencies are never added (customer_metrics states money in the reporting
        currency). Every order is a fact whatever its `status`: revenue is gross
        (cancelled and returned orders included, as landed); net revenue leaves out the
        orders whose status the contract says is no purchase (`status.not_purchase`:
        cancelled, returned), as customer_metrics does. A day
        outside the run whose facts the run moved (an order re-sent later leaves its older
        day) gets a materialization with its new figures too, as does a day of the run
        left out (orders/not_published) whose facts it moved, so a day's figures are
        those of its rows however the days were batched.
        """
        days = partition_dates(context)  # a bad range fails here, before any SQL
        skipped = unpublished_days(context, cleaned_blocking, days)
        published = [day for day in days if day not in skipped]
        # Days (of any run) whose cleaning has not passed: their rows compete for no
        # order's current version, as they are not published on their own day.
        withheld = sorted(
            dt.date.fromisoformat(day)
            for day in unpassed_checks(context.instance, cleaned_blocking)
        )
        # What the facts' suite reads back: the rule these facts were published under.
        said_withheld = ", ".join(day.isoformat() for day in withheld) or "none"
        with telemetry.asset_span(context) as span, warehouse.session() as session:
            contract = load_contract()
            ensure_step_tables(session, contract, tables.CLEANED_ORDERS, tables.FCT_ORDERS)
            touched: set[dt.date] = set()
            with sql_write_span(context, FCT_ORDERS_TABLE, session.db_system) as write:
                # Each stretch of consecutive days as one range; a day left out between
                # two keeps its facts, as a run of the others alone leaves them.
                for group in consecutive_runs(published):
                    bounds = [group[0], group[-1]]
                    session.execute(
                        f"CREATE OR REPLACE TEMPORARY TABLE {AFFECTED_TABLE} AS"
                        f" {affected_orders_sql()}",
                        bounds * 2,
                    )
                    with session.transaction():
                        # the days outside the range whose facts it takes or gives back
                        moved = {row[0] for row in session.execute(affected_days_sql(), bounds)}
                        delete, insert = publish_statements(len(withheld))
                        session.execute(delete)
                        session.execute(insert, [*bounds, *withheld] * 2)
                        moved |= {row[0] for row in session.execute(affected_days_sql(), bounds)}
                        touched |= {_as_date(day) for day in moved}
                # The days outside the run's published days whose facts a range moved; the
                # figures of every day once all the ranges are written.
                moved = sorted(touched - set(published))
                shown = sorted({*published, *moved})
                figures = _figures_by_day(session, shown[0], shown[-1]) if shown else {}
                written = sum(int(figures[day][1]) for day in published if day in figures)
                write.set_attribute(ROWS_WRITTEN, written)
            for day, why in skipped.items():
                if day in moved:
                    # Its facts moved all the same (another day of the run took an order
                    # over, or gave one back): this materialization, the day's latest,
                    # says so with its figures, as a run of the other days alone would.
                    metadata = {
                        NOT_PUBLISHED: f"not published in this run: {why}; the run's other"
                        " days moved orders to or from it (a newer version on another day)",
                        **_day_figures(figures.get(day, NO_FIGURES)),
                    }
                else:
                    metadata = {NOT_PUBLISHED: f"not published in this run, left as it was: {why}"}
                context.add_asset_metadata(metadata, partition_key=day.isoformat())
            for day in published:
                metadata = _day_figures(figures.get(day, NO_FIGURES))
                context.add_asset_metadata(metadata, partition_key=day.isoformat())
                rows = metadata["dagster/row_count"]
                span.record_rows(rows_in=rows, rows_out=rows, partition_key=day.isoformat())
            for day in (day for day in moved if day not in skipped):
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=context.asset_key,
                        partition=day.isoformat(),
                        metadata={
                            **table_metadata(
                                FCT_ORDERS_TABLE, fct_types, column_descriptions(), fct_lineage
                            ),
                            **_day_figures(figures.get(day, NO_FIGURES)),
                            WITHHELD_DAYS: said_withheld,
                        },
                    )
                )
            return dg.MaterializeResult(
                metadata={
                    **table_metadata(
                        FCT_ORDERS_TABLE, fct_types, column_descriptions(), fct_lineage
                    ),
                    WITHHELD_DAYS: said_withheld,
                }
            )

    @dg.asset(
        key=list(tables.DIM_CUSTOMERS.key),
        code_version=code_version(tables.DIM_CUSTOMERS),
        deps=[CUSTOMER_METRICS, CUSTOMER_CLV],
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        group_name="warehouse",
        owners=[ANALYTICS],
        kinds={"sql", WAREHOUSE_KIND},
        tags={"layer": "published"},
        metadata=table_metadata(DIM_CUSTOMERS_TABLE, dim_types, dim_descriptions, dim_lineage),
    )
    def dim_customers(
        context: dg.AssetExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ) -> dg.MaterializeResult:
        """Customers for reporting and BI: one row per customer, metrics and lifetime value.

        Purchase count, repeat purchase days, recency, tenure, mean repeat spend and total
        revenue of every customer with a purchase (from `customer_metrics`: cancelled and
        returned orders are no purchase, and a customer with nothing else is not here;
        customer_metrics' `customers_without_purchase` counts them), with their expected
        purchases, probability of being active, expected order value and CLV over
        `clv_horizon_months` (from `customer_clv`), as of the same day. The CLV columns
        are empty when no model could be fitted (`clv/status` says why). Joined with SQL inside the warehouse
        and replaced as a whole, in one transaction, on every run.

        Plots: customers, share of repeat customers, total revenue, customers with CLV.
        """
        refuse_unchecked_table(context, clv_blocking)
        refuse_earlier_release_tables(context, tables.CUSTOMER_METRICS, tables.CUSTOMER_CLV)
        delete, insert = dim_statements()
        with telemetry.asset_span(context) as span, warehouse.session() as session:
            ensure_step_tables(session, load_contract(), tables.DIM_CUSTOMERS)
            with sql_write_span(context, DIM_CUSTOMERS_TABLE, session.db_system) as write:
                with session.transaction():
                    session.execute(delete)
                    session.execute(insert)
                    ((customers, repeat, revenue, with_clv, metrics_rows),) = session.execute(
                        dim_summary_sql()
                    )
                    if customers != metrics_rows:
                        # Raised inside the transaction: the previous rows stay.
                        raise permanent_failure(
                            f"{tables.CUSTOMER_CLV.qualified} holds a customer twice: the join"
                            f" gives {customers} rows for {metrics_rows} customers",
                        )
                customers, repeat = int(customers), int(repeat)
                write.set_attribute(ROWS_WRITTEN, customers)
            span.record_rows(rows_in=int(metrics_rows), rows_out=customers)
            return dg.MaterializeResult(
                metadata={
                    "dagster/row_count": customers,
                    **table_metadata(DIM_CUSTOMERS_TABLE, dim_types, dim_descriptions, dim_lineage),
                    "customers": customers,
                    "repeat_customer_rate": round(repeat / customers, 6) if customers else 0.0,
                    "total_revenue": round(float(revenue), 2),
                    "customers_with_clv": int(with_clv),
                    "clv/status": clv_status(context.instance),
                    # The currency of total_revenue and the CLV columns.
                    "fx/reporting_currency": load_contract().fx.reporting_currency,
                }
            )

    return [fct_orders, dim_customers]
