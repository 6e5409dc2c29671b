"""Published warehouse tables: warehouse/fct_orders and warehouse/dim_customers."""

import dagster as dg
import pandas as pd

from platform_assets.assets.analytics import METRIC_DESCRIPTIONS
from platform_assets.assets.common import (
    ANALYTICS,
    IO_MANAGER,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    column_descriptions,
)
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import column_schema, frame_sql_types

FCT_ORDERS_COLUMNS = (
    "order_id",
    "customer_id",
    "order_ts",
    "order_date",
    "amount",
    "currency",
    "quantity",
    "unit_price",
    "status",
    "region",
    "customer_email_hash",
    "updated_at",
    "partition_date",
)


def build_warehouse_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The two published tables."""

    @dg.asset(
        key=["warehouse", "fct_orders"],
        ins={"cleaned_orders": dg.AssetIn("cleaned_orders")},
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        io_manager_key=IO_MANAGER,
        retry_policy=IO_RETRY_POLICY,
        group_name="warehouse",
        owners=[ANALYTICS],
        kinds={"pandas", "table"},
        tags={"layer": "published"},
        metadata={"partition_expr": "partition_date"},
    )
    def fct_orders(context: dg.AssetExecutionContext, cleaned_orders: pd.DataFrame) -> pd.DataFrame:
        """Order facts, one row per order, published for analysts and BI.

        The cleaned, deduplicated orders of each day, without lineage columns and
        with e-mails only as a keyed hash. Re-running a day or a range replaces those
        days atomically: no duplicates, no leftovers of superseded rows.
        """
        facts = cleaned_orders.loc[:, list(FCT_ORDERS_COLUMNS)].reset_index(drop=True)
        for day in partition_dates(context):
            rows = int((pd.to_datetime(facts["partition_date"]).dt.date == day).sum())
            context.add_asset_metadata(
                {"dagster/row_count": rows, "dagster/partition_row_count": rows},
                partition_key=day.isoformat(),
            )
        context.add_output_metadata(
            {
                "dagster/column_schema": column_schema(
                    frame_sql_types(facts), column_descriptions()
                ),
                "dagster/table_name": "warehouse.fct_orders",
                "dagster/column_lineage": dg.TableColumnLineage(
                    deps_by_column={
                        name: [
                            dg.TableColumnDep(
                                asset_key=dg.AssetKey("cleaned_orders"), column_name=name
                            )
                        ]
                        for name in FCT_ORDERS_COLUMNS
                    }
                ),
            }
        )
        return facts

    @dg.asset(
        key=["warehouse", "dim_customers"],
        ins={"customer_metrics": dg.AssetIn("customer_metrics")},
        io_manager_key=IO_MANAGER,
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
        group_name="warehouse",
        owners=[ANALYTICS],
        kinds={"pandas", "table"},
        tags={"layer": "published"},
    )
    def dim_customers(
        context: dg.AssetExecutionContext, customer_metrics: pd.DataFrame
    ) -> pd.DataFrame:
        """One row per customer with their purchase metrics, published for analysts.

        Replaced as a whole on every run, as of the same day as customer_metrics.
        """
        dim = customer_metrics.reset_index(drop=True)
        context.add_output_metadata(
            {
                "dagster/row_count": len(dim),
                "dagster/column_schema": column_schema(frame_sql_types(dim), METRIC_DESCRIPTIONS),
                "dagster/table_name": "warehouse.dim_customers",
                "dagster/column_lineage": dg.TableColumnLineage(
                    deps_by_column={
                        name: [
                            dg.TableColumnDep(
                                asset_key=dg.AssetKey("customer_metrics"), column_name=name
                            )
                        ]
                        for name in dim.columns
                    }
                ),
            }
        )
        return dim

    return [fct_orders, dim_customers]
