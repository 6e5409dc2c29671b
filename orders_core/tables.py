"""The names everything shares: asset keys, warehouse tables, published columns, check names.

One module so a table or a check is named once. Keys are plain tuples (the core has no
Dagster); code above the core wraps them in ``dagster.AssetKey``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """One asset and the warehouse table it is stored in."""

    key: tuple[str, ...]
    schema: str
    name: str

    @property
    def qualified(self) -> str:
        """``schema.name``, as SQL names the table."""
        return f"{self.schema}.{self.name}"

    @property
    def path(self) -> str:
        """The asset key as the UI and the CLI write it (``warehouse/fct_orders``)."""
        return "/".join(self.key)


RAW_ORDERS = Table(("raw_orders",), "raw", "raw_orders")
CLEANED_ORDERS = Table(("cleaned_orders",), "staging", "cleaned_orders")
QUARANTINED_ORDERS = Table(("quarantined_orders",), "staging", "quarantined_orders")
CUSTOMER_METRICS = Table(("customer_metrics",), "analytics", "customer_metrics")
CUSTOMER_CLV = Table(("customer_clv",), "analytics", "customer_clv")
FCT_ORDERS = Table(("warehouse", "fct_orders"), "warehouse", "fct_orders")
DIM_CUSTOMERS = Table(("warehouse", "dim_customers"), "warehouse", "dim_customers")

TABLES = (
    RAW_ORDERS,
    CLEANED_ORDERS,
    QUARANTINED_ORDERS,
    CUSTOMER_METRICS,
    CUSTOMER_CLV,
    FCT_ORDERS,
    DIM_CUSTOMERS,
)

# The published order facts: cleaned_orders without lineage and without PII in clear.
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

# Check names (the UI, automation and the release command refer to them).
SCHEMA_DRIFT = "schema_drift"
RECONCILIATION = "reconciliation"
GX_QUALITY = "gx_quality"
METADATA_ANOMALY = "metadata_anomaly"
# Dagster names a check's op "<asset key as identifier>_<check name>"; run config that
# releases a held day addresses this op.
METADATA_ANOMALY_OP = f"{'_'.join(RAW_ORDERS.key)}_{METADATA_ANOMALY}"
