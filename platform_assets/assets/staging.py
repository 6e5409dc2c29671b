"""cleaned_orders and quarantined_orders: typed, deduplicated rows and rejected rows."""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import numpy as np
import pandas as pd

from orders_core import tables
from orders_core.cleaning import CleaningResult, clean_orders
from orders_core.contract import load_contract
from orders_core.dtypes import day_array, day_mask
from platform_assets.assets.common import (
    DATA_PLATFORM,
    IO_MANAGER,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    InStepCheck,
    column_descriptions,
    order_table_types,
    permanent_failure,
)
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import frame_sql_types, table_metadata
from resources.pii import PiiHasher, PiiKeyError
from resources.telemetry import TelemetryResource
from resources.warehouse_pool import WAREHOUSE_POOL

CLEANED_ORDERS = dg.AssetKey(tables.CLEANED_ORDERS.key)
TABLES = {
    "cleaned_orders": tables.CLEANED_ORDERS.qualified,
    "quarantined_orders": tables.QUARANTINED_ORDERS.qualified,
}
CLEANED_DESCRIPTION = """Orders you can trust: typed, validated and deduplicated, one row per order.

Every landed row that passes the landing contract, with timestamps in UTC, amounts and
quantities as numbers, currency upper case and status lower case. When an order was sent
more than once, only its newest version (latest `updated_at`) is kept. Customer e-mails
are replaced by a keyed hash, so this table holds no PII in clear.

Plots per day: rows, revenue, distinct customers and the share of landed rows that were
quarantined (`orders/quarantine_rate`).
"""
QUARANTINED_DESCRIPTION = """Landed rows rejected by the landing contract, with the reason why.

Each row is kept exactly as it arrived, with `reason_code` (the first rule it broke, e.g.
a missing amount or a timestamp outside the day) and `reason_detail` (every rule broken
and the offending values). Every day, landed rows = cleaned + quarantined + superseded
duplicates, so nothing is lost silently. Holds customer e-mails in clear: staging only,
never published.
"""


def _partition_counts(
    days: dict[str, np.ndarray], result: CleaningResult, day
) -> dict[str, float | int]:
    """Reconciliation numbers of one day: raw = cleaned + quarantined + superseded."""
    raw_rows = int(day_mask(days["raw"], day).sum())
    cleaned = result.cleaned[day_mask(days["cleaned"], day)]
    quarantined = int(day_mask(days["quarantined"], day).sum())
    superseded = int(day_mask(days["superseded"], day).sum())
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


def build_staging_assets(
    partitions_def: dg.PartitionsDefinition, reconciliation: InStepCheck | None = None
) -> list[dg.AssetsDefinition]:
    """The cleaning step, producing cleaned_orders and quarantined_orders together.

    ``reconciliation`` is evaluated inside the step, on the frames it holds: called as
    ``events(context, raw_orders, result, days, contract)``.
    """
    descriptions = column_descriptions()

    @dg.multi_asset(
        name="clean_orders",
        outs={
            key: dg.AssetOut(
                key=key,
                io_manager_key=IO_MANAGER,
                group_name="staging",
                owners=[DATA_PLATFORM],
                kinds={"pandas", WAREHOUSE_KIND},
                tags={"layer": "staging"},
                metadata={
                    "schema": "staging",
                    "partition_expr": "partition_date",
                    **table_metadata(TABLES[key], order_table_types()[key], descriptions),
                },
                description=description,
            )
            for key, description in (
                ("cleaned_orders", CLEANED_DESCRIPTION),
                ("quarantined_orders", QUARANTINED_DESCRIPTION),
            )
        },
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        check_specs=[reconciliation.spec] if reconciliation else None,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def clean_orders_step(
        context: dg.AssetExecutionContext,
        raw_orders: pd.DataFrame,
        pii: PiiHasher,
        telemetry: TelemetryResource,
    ):
        """Validate, type and deduplicate the partition's raw orders."""
        with telemetry.asset_span(context, CLEANED_ORDERS) as span:
            contract = load_contract()
            try:
                key = pii.key_bytes()
            except PiiKeyError as error:
                raise permanent_failure(str(error)) from error
            result = clean_orders(raw_orders, contract, key)
            days = {
                "raw": day_array(raw_orders["partition_date"]),
                **{
                    name: day_array(getattr(result, name)["partition_date"])
                    for name in ("cleaned", "quarantined", "superseded")
                },
            }
            for day in partition_dates(context):
                counts = _partition_counts(days, result, day)
                _add_day_metadata(context, counts, day)
                span.record_rows(
                    rows_in=counts["orders/raw_rows"],
                    rows_out=counts["dagster/row_count"],
                    quarantined=counts["orders/quarantined_rows"],
                    partition_key=day.isoformat(),
                )
            yield from _outputs(result, descriptions)
            if (
                reconciliation is None
                or reconciliation.spec.key not in context.selected_asset_check_keys
            ):
                return
            with telemetry.check_span(context, reconciliation.spec.key) as check:
                yield from check.record_events(
                    reconciliation.events(
                        context.op_execution_context,
                        raw_orders,
                        result,
                        partition_dates(context),
                        contract,
                    )
                )

    return [clean_orders_step]


def _add_day_metadata(
    context: dg.AssetExecutionContext, counts: dict[str, float | int], day: dt.date
) -> None:
    """One day's reconciliation numbers on both outputs (row counts per output)."""
    quarantined = counts["orders/quarantined_rows"]
    for key in ("cleaned_orders", "quarantined_orders"):
        metadata = dict(counts)
        if key == "quarantined_orders":
            metadata["dagster/row_count"] = quarantined
            metadata["dagster/partition_row_count"] = quarantined
        context.add_asset_metadata(metadata, asset_key=key, partition_key=day.isoformat())


def _outputs(result: CleaningResult, descriptions: dict[str, str]) -> Iterator[dg.Output]:
    """The two outputs of the cleaning step, with their table metadata."""
    reasons = result.quarantined["reason_code"].value_counts().to_dict()
    yield dg.Output(
        result.cleaned,
        output_name="cleaned_orders",
        metadata={
            **table_metadata(
                TABLES["cleaned_orders"], frame_sql_types(result.cleaned), descriptions
            ),
            "orders/naive_timestamp_rows": result.naive_timestamp_rows,
        },
    )
    yield dg.Output(
        result.quarantined,
        output_name="quarantined_orders",
        metadata={
            **table_metadata(
                TABLES["quarantined_orders"], frame_sql_types(result.quarantined), descriptions
            ),
            "orders/reason_codes": dg.MetadataValue.json({k: int(v) for k, v in reasons.items()}),
        },
    )
