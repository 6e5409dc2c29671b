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
# Every landed FX rate row, typed, with a reason where it cannot be used (not partitioned:
# re-read whole from the landing zone by every run).
FX_RATES = Table(("fx_rates",), "staging", "fx_rates")

TABLES = (
    RAW_ORDERS,
    CLEANED_ORDERS,
    QUARANTINED_ORDERS,
    CUSTOMER_METRICS,
    CUSTOMER_CLV,
    FCT_ORDERS,
    DIM_CUSTOMERS,
    FX_RATES,
)

# What the rows of a table that a later step reads whole mean (its columns, its units), as
# a number a release raises when it changes them; each materialization of such a table
# states it (TABLE_VERSION_METADATA). customer_clv and dim_customers copy or fit on customer_metrics
# and customer_clv as they stand, so they refuse one whose latest materialization states
# another version: one an earlier release wrote (README, "Upgrading"). 2: money in the
# reporting currency (fx.reporting_currency); 1, and no such key: before, amounts of every
# currency summed as they landed.
TABLE_VERSION_METADATA = "orders/table_version"
TABLE_VERSIONS = {CUSTOMER_METRICS: 2, CUSTOMER_CLV: 2}

# Lineage of every landed record, kept from raw_orders on (raw_orders has the contract's
# columns, then these). pii_extra_columns_json holds the extra columns that carry e-mail
# addresses: like the contract's customer_email, it stays in raw and quarantine only.
RAW_LINEAGE_COLUMNS = (
    "extra_columns_json",
    "pii_extra_columns_json",
    "parse_error",
    "raw_record",
    "source_file",
    "source_line",
    "source_format",
    "file_header",
)
# cleaned_orders: typed contract columns, the e-mail as a keyed hash, the lineage that
# survives cleaning.
CLEANED_ORDERS_COLUMNS = (
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
    "extra_columns_json",
    "source_file",
    "source_line",
    "partition_date",
)
# The published order facts: cleaned_orders without lineage (and so without drift columns
# that might carry PII).
FCT_ORDERS_COLUMNS = tuple(
    c
    for c in CLEANED_ORDERS_COLUMNS
    if c not in ("extra_columns_json", "source_file", "source_line")
)
# dim_customers: every customer_metrics column, then these customer_clv columns
# (dim_customers name -> customer_clv name).
DIM_CLV_COLUMNS = {
    "expected_purchases": "expected_purchases",
    "prob_alive": "prob_alive",
    "expected_avg_order_value": "expected_avg_order_value",
    "clv": "clv",
    "clv_horizon_months": "horizon_months",
    "clv_as_of_date": "as_of_date",
}
# The order attributes the quality suite judges: the facts without the derived dates.
QUALITY_COLUMNS = tuple(c for c in FCT_ORDERS_COLUMNS if c not in ("order_date", "partition_date"))

# Check names (the UI, automation and the release command refer to them).
SCHEMA_DRIFT = "schema_drift"
# raw_orders' per-day count of landing entries refused by the containment rule; the
# schema_drift check fails the day with an ERROR when it is above zero.
REFUSED_FILES_METADATA = "orders/refused_files"
# raw_orders' per-day count and names of landed files the platform cannot read (unknown
# extension, dot-file); the schema_drift check fails the day with an ERROR when there are any.
UNREADABLE_FILES_METADATA = "orders/unreadable_files"
UNREADABLE_NAMES_METADATA = "orders/unreadable"
# raw_orders' per-day count of landed files it read: 0 is a day with no landed file (no
# folder, or nothing readable in it), which schema_drift and metadata_anomaly say so.
FILES_READ_METADATA = "orders/files"
# raw_orders' per-day headers of the landed files that hold no record (a header only),
# which no row keeps: schema_drift compares them with the contract like any file's.
HEADER_ONLY_METADATA = "orders/header_only_files"
RECONCILIATION = "reconciliation"
GX_QUALITY = "gx_quality"
METADATA_ANOMALY = "metadata_anomaly"
# Dagster names a check's op "<asset key as identifier>_<check name>"; run config that
# releases a held day addresses this op.
METADATA_ANOMALY_OP = f"{'_'.join(RAW_ORDERS.key)}_{METADATA_ANOMALY}"
