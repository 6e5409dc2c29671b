"""The one daily partitioning shared by every partitioned asset."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orders_core.calendar import days_in_window
from platform_assets.assets.common import permanent_failure
from resources.settings import parse_day


def daily_partitions(start: str) -> dg.DailyPartitionsDefinition:
    """UTC days from ``start`` (ORDERS_PARTITIONS_START) up to yesterday."""
    parse_day(start, "ORDERS_PARTITIONS_START")
    return dg.DailyPartitionsDefinition(start_date=start, timezone="UTC")


def partition_dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Days of the partition or partition range being materialized.

    Dagster does not check range tags given to a job (``dagster/asset_partition_range_*``)
    before the run starts: a day outside the partitions or a reversed range fails here,
    at once and without retries, before anything is read or written.
    """
    key_range = context.partition_key_range
    partitions_def = context.assets_def.partitions_def
    unknown = [
        key
        for key in dict.fromkeys((key_range.start, key_range.end))
        if not partitions_def.has_partition_key(key)
    ]
    if unknown:
        raise permanent_failure(
            f"partition {', '.join(unknown)} is not a day of the orders partitions"
            " (UTC days from ORDERS_PARTITIONS_START up to yesterday)",
            partition_range=f"{key_range.start}...{key_range.end}",
        )
    days = days_in_window(context.partition_time_window)
    if not days:
        raise permanent_failure(
            f"partition range {key_range.start}...{key_range.end} is empty: is it reversed?",
            partition_range=f"{key_range.start}...{key_range.end}",
        )
    return days
