"""orders_pipeline_daily: yesterday's partition of every asset at 02:00 UTC.

A day that has not passed cleaned_orders' blocking checks (``gx_quality``,
``reconciliation``) does not hold the customer tables back: customer_metrics leaves such
a day's rows out, as fct_orders does, so the nightly run always asks for every asset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dagster as dg

DAILY_SCHEDULE = "orders_pipeline_daily"


def yesterday(scheduled: dt.datetime) -> str:
    """The daily partition that closed before ``scheduled``: the day before its UTC date."""
    return (scheduled.astimezone(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def build_daily_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    partitions_start: str,
    tags: Mapping[str, str],
    default_status: dg.DefaultScheduleStatus,
) -> dg.ScheduleDefinition:
    """The daily schedule of ``job`` (every asset), from ``partitions_start`` on."""

    @dg.schedule(
        name=DAILY_SCHEDULE,
        cron_schedule="0 2 * * *",
        execution_timezone="UTC",
        job=job,
        default_status=default_status,
        description=(
            "Every day at 02:00 UTC, materializes yesterday's partition of every asset, so "
            "the warehouse tables are fresh each morning. Late files "
            "for older days are picked up by the sensors and backfills (see "
            "docs/backfill-runbook.md)."
        ),
    )
    def orders_pipeline_daily(context: dg.ScheduleEvaluationContext):
        day = yesterday(context.scheduled_execution_time)
        if day < partitions_start:
            return dg.SkipReason(f"{day} is before the first partition, {partitions_start}")
        return dg.RunRequest(run_key=day, partition_key=day, tags=dict(tags))

    return orders_pipeline_daily
