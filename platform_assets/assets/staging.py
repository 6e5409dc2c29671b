"""cleaned_orders and quarantined_orders: typed, deduplicated rows and rejected rows."""

import dagster as dg
import pandas as pd

from platform_assets.assets.common import (
    DATA_PLATFORM,
    IO_MANAGER,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    column_descriptions,
    permanent_failure,
)
from platform_assets.cleaning import CleaningResult, clean_orders
from platform_assets.contract import load_contract
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import column_schema, frame_sql_types
from resources.pii import PiiHasher, PiiKeyError


def _on_day(frame: pd.DataFrame, day) -> pd.Series:
    return pd.to_datetime(frame["partition_date"]).dt.date == day


def _partition_counts(raw: pd.DataFrame, result: CleaningResult, day) -> dict[str, float | int]:
    """Reconciliation numbers of one day: raw = cleaned + quarantined + superseded."""
    raw_rows = int(_on_day(raw, day).sum())
    cleaned = result.cleaned[_on_day(result.cleaned, day)]
    quarantined = int(_on_day(result.quarantined, day).sum())
    superseded = raw_rows - len(cleaned) - quarantined
    return {
        "dagster/row_count": len(cleaned),
        "dagster/partition_row_count": len(cleaned),
        "orders/raw_rows": raw_rows,
        "orders/quarantined_rows": quarantined,
        "orders/superseded_rows": superseded,
        "orders/quarantine_rate": round(quarantined / raw_rows, 6) if raw_rows else 0.0,
        "orders/revenue": round(float(cleaned["amount"].sum()), 2),
        "orders/distinct_customers": int(cleaned["customer_id"].nunique()),
    }


def build_staging_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The cleaning step, producing cleaned_orders and quarantined_orders together."""
    descriptions = column_descriptions()

    @dg.multi_asset(
        name="clean_orders",
        outs={
            "cleaned_orders": dg.AssetOut(
                key="cleaned_orders",
                io_manager_key=IO_MANAGER,
                group_name="staging",
                owners=[DATA_PLATFORM],
                kinds={"pandas"},
                tags={"layer": "staging"},
                metadata={"schema": "staging", "partition_expr": "partition_date"},
                description=(
                    "Orders typed per the landing contract: timestamps in UTC, amounts as "
                    "numbers, currency and status normalised, one row per order_id (the "
                    "newest updated_at wins). E-mails are replaced by a keyed hash."
                ),
            ),
            "quarantined_orders": dg.AssetOut(
                key="quarantined_orders",
                io_manager_key=IO_MANAGER,
                group_name="staging",
                owners=[DATA_PLATFORM],
                kinds={"pandas"},
                tags={"layer": "staging"},
                metadata={"schema": "staging", "partition_expr": "partition_date"},
                description=(
                    "Landed rows rejected by the contract, exactly as they arrived, with a "
                    "reason_code (first rule broken) and reason_detail (all rules broken). "
                    "raw rows = cleaned + quarantined + superseded duplicates, every day."
                ),
            ),
        },
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
    )
    def clean_orders_step(
        context: dg.AssetExecutionContext, raw_orders: pd.DataFrame, pii: PiiHasher
    ):
        """Validate, type and deduplicate the partition's raw orders."""
        try:
            key = pii.key_bytes()
        except PiiKeyError as error:
            raise permanent_failure(str(error)) from error
        result = clean_orders(raw_orders, load_contract(), key)
        for day in partition_dates(context):
            counts = _partition_counts(raw_orders, result, day)
            quarantined = counts["orders/quarantined_rows"]
            for key in ("cleaned_orders", "quarantined_orders"):
                metadata = dict(counts)
                if key == "quarantined_orders":
                    metadata["dagster/row_count"] = quarantined
                    metadata["dagster/partition_row_count"] = quarantined
                context.add_asset_metadata(metadata, asset_key=key, partition_key=day.isoformat())
        reasons = result.quarantined["reason_code"].value_counts().to_dict()
        yield dg.Output(
            result.cleaned,
            output_name="cleaned_orders",
            metadata={
                "dagster/column_schema": column_schema(
                    frame_sql_types(result.cleaned), descriptions
                ),
                "dagster/table_name": "staging.cleaned_orders",
                "orders/naive_timestamp_rows": result.naive_timestamp_rows,
            },
        )
        yield dg.Output(
            result.quarantined,
            output_name="quarantined_orders",
            metadata={
                "dagster/column_schema": column_schema(
                    frame_sql_types(result.quarantined), descriptions
                ),
                "dagster/table_name": "staging.quarantined_orders",
                "orders/reason_codes": dg.MetadataValue.json(
                    {k: int(v) for k, v in reasons.items()}
                ),
            },
        )

    return [clean_orders_step]
