"""Published warehouse tables: warehouse/fct_orders and warehouse/dim_customers."""

import dagster as dg
import pandas as pd

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.facts import (
    AFFECTED_TABLE,
    affected_orders_sql,
    day_figures_sql,
    publish_statements,
)
from orders_core.sql.tables import ensure_tables
from orders_core.tables import FCT_ORDERS_COLUMNS
from platform_assets.assets.analytics import METRIC_DESCRIPTIONS, METRIC_TYPES
from platform_assets.assets.clv import CLV_DESCRIPTIONS
from platform_assets.assets.common import (
    ANALYTICS,
    IO_MANAGER,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    column_descriptions,
    order_table_types,
)
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import frame_sql_types, same_name_lineage, table_metadata
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

FCT_ORDERS_TABLE = tables.FCT_ORDERS.qualified
DIM_CUSTOMERS_TABLE = tables.DIM_CUSTOMERS.qualified
CLEANED_ORDERS = dg.AssetKey(tables.CLEANED_ORDERS.key)
CUSTOMER_METRICS = dg.AssetKey(tables.CUSTOMER_METRICS.key)
CUSTOMER_CLV = dg.AssetKey(tables.CUSTOMER_CLV.key)


def _day_figures(rows: int, revenue: float, customers: int) -> dict[str, float | int]:
    """What an analyst plots per day: orders, revenue, basket size, customers."""
    return {
        "dagster/row_count": rows,
        "dagster/partition_row_count": rows,
        "orders/revenue": round(revenue, 2),
        "orders/mean_order_value": round(revenue / rows, 4) if rows else 0.0,
        "orders/distinct_customers": customers,
    }


# dim_customers column -> customer_clv column
DIM_CLV_COLUMNS = {
    "expected_purchases": "expected_purchases",
    "prob_alive": "prob_alive",
    "expected_avg_order_value": "expected_avg_order_value",
    "clv": "clv",
    "clv_horizon_months": "horizon_months",
    "clv_as_of_date": "as_of_date",
}
DIM_CLV_DESCRIPTIONS = {dim: CLV_DESCRIPTIONS[source] for dim, source in DIM_CLV_COLUMNS.items()}
DIM_CLV_TYPES = {
    "expected_purchases": "DOUBLE",
    "prob_alive": "DOUBLE",
    "expected_avg_order_value": "DOUBLE",
    "clv": "DOUBLE",
    "clv_horizon_months": "BIGINT",
    "clv_as_of_date": "DATE",
}


def join_customer_clv(metrics: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Every customer of ``metrics`` with their CLV columns (empty where unscored)."""
    clv_columns = scores.loc[:, ["customer_id", *DIM_CLV_COLUMNS.values()]].rename(
        columns={source: dim for dim, source in DIM_CLV_COLUMNS.items()}
    )
    dim = metrics.reset_index(drop=True).merge(
        clv_columns, on="customer_id", how="left", validate="one_to_one"
    )
    return dim.astype({"clv_horizon_months": "Int64"})


def build_warehouse_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The two published tables."""
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
            "partition_expr": "partition_date",
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

        Plots per day: orders, revenue, mean order value, distinct customers.
        """
        days = partition_dates(context)  # a bad range fails here, before any SQL
        with telemetry.asset_span(context) as span, warehouse.session() as session:
            contract = load_contract()
            bounds = [days[0], days[-1]]
            ensure_tables(session.execute, contract, tables.CLEANED_ORDERS, tables.FCT_ORDERS)
            session.execute(
                f"CREATE OR REPLACE TEMPORARY TABLE {AFFECTED_TABLE} AS {affected_orders_sql()}",
                bounds * 2,
            )
            with sql_write_span(context, FCT_ORDERS_TABLE, session.db_system) as write:
                with session.transaction():
                    for statement in publish_statements():
                        session.execute(statement)
                    figures = {row[0]: row for row in session.execute(day_figures_sql(), bounds)}
                write.set_attribute(ROWS_WRITTEN, sum(int(row[1]) for row in figures.values()))
            for day in days:
                _, rows, revenue, customers = figures.get(day, (day, 0, 0.0, 0))
                metadata = _day_figures(int(rows), float(revenue), int(customers))
                context.add_asset_metadata(metadata, partition_key=day.isoformat())
                span.record_rows(
                    rows_in=int(rows), rows_out=int(rows), partition_key=day.isoformat()
                )
            return dg.MaterializeResult(
                metadata=table_metadata(
                    FCT_ORDERS_TABLE, fct_types, column_descriptions(), fct_lineage
                )
            )

    @dg.asset(
        key=list(tables.DIM_CUSTOMERS.key),
        ins={
            "customer_metrics": dg.AssetIn(CUSTOMER_METRICS),
            "customer_clv": dg.AssetIn(CUSTOMER_CLV),
        },
        io_manager_key=IO_MANAGER,
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        group_name="warehouse",
        owners=[ANALYTICS],
        kinds={"pandas", WAREHOUSE_KIND},
        tags={"layer": "published"},
        metadata=table_metadata(DIM_CUSTOMERS_TABLE, dim_types, dim_descriptions, dim_lineage),
    )
    def dim_customers(
        context: dg.AssetExecutionContext,
        customer_metrics: pd.DataFrame,
        customer_clv: pd.DataFrame,
        telemetry: TelemetryResource,
    ) -> pd.DataFrame:
        """Customers for reporting and BI: one row per customer, metrics and lifetime value.

        Order count, repeat purchase days, recency, tenure, mean repeat spend and total
        revenue of every customer (from `customer_metrics`), with their expected
        purchases, probability of being active, expected order value and CLV over
        `clv_horizon_months` (from `customer_clv`), as of the same day. The CLV columns
        are empty when no model could be fitted. Replaced as a whole on every run.

        Plots: customers, share of repeat customers, total revenue, customers with CLV.
        """
        with telemetry.asset_span(context) as span:
            dim = join_customer_clv(customer_metrics, customer_clv)
            repeat = int((dim["frequency"] > 0).sum())
            context.add_output_metadata(
                {
                    "dagster/row_count": len(dim),
                    **table_metadata(
                        DIM_CUSTOMERS_TABLE, frame_sql_types(dim), dim_descriptions, dim_lineage
                    ),
                    "customers": len(dim),
                    "repeat_customer_rate": round(repeat / len(dim), 6) if len(dim) else 0.0,
                    "total_revenue": round(float(dim["total_revenue"].sum()), 2),
                    "customers_with_clv": int(dim["clv"].notna().sum()),
                }
            )
            span.record_rows(rows_in=len(customer_metrics), rows_out=len(dim))
            return dim

    return [fct_orders, dim_customers]
