"""The one daily partitioning shared by every partitioned asset."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from resources.settings import parse_day


def daily_partitions(start: str) -> dg.DailyPartitionsDefinition:
    """UTC days from ``start`` (ORDERS_PARTITIONS_START) up to yesterday."""
    parse_day(start, "ORDERS_PARTITIONS_START")
    return dg.DailyPartitionsDefinition(start_date=start, timezone="UTC")


def days_in_window(window: dg.TimeWindow) -> list[dt.date]:
    """The UTC days covered by a partition time window (end exclusive)."""
    first = window.start.date()
    count = (window.end.date() - first).days
    return [first + dt.timedelta(days=offset) for offset in range(count)]


def partition_dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Days of the partition or partition range being materialized."""
    return days_in_window(context.partition_time_window)
