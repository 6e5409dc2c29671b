"""orders_pipeline_daily: yesterday's partition of every asset at 02:00 UTC, planned through
the sensors' guard.

customer_metrics refuses to build while a day has not passed cleaned_orders' blocking
checks (``gx_quality``, ``reconciliation``: ``refuse_unchecked_upstream``), and the run
that judged such a day already alerted about it. A schedule that always asked for every
asset would then fail at customer_metrics every night until the day is fixed: a failed
run and one more alert a day about a day already announced. So, as the sensors do
(``sensors.batching.unbuildable``), the schedule asks for yesterday's daily assets only
while another day is unbuildable, with the reason in its log and in the run's
:data:`DOWNSTREAM_HELD_TAG`; the customer tables stay as they were until the run that
fixes those days refreshes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dagster as dg

from sensors.alerting import shortened
from sensors.batching import DayWork, JobAssets, unbuildable

DAILY_SCHEDULE = "orders_pipeline_daily"
DOWNSTREAM_HELD_TAG = "orders/downstream_held"
MAX_TAG_CHARS = 200  # a tag value stays short; the log line has every day


def yesterday(scheduled: dt.datetime) -> str:
    """The daily partition that closed before ``scheduled``: the day before its UTC date."""
    return (scheduled.astimezone(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def build_daily_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    partitions_start: str,
    job_assets: JobAssets,
    tags: Mapping[str, str],
    default_status: dg.DefaultScheduleStatus,
) -> dg.ScheduleDefinition:
    """The daily schedule of ``job`` (every asset of ``job_assets``), from
    ``partitions_start`` on."""

    @dg.schedule(
        name=DAILY_SCHEDULE,
        cron_schedule="0 2 * * *",
        execution_timezone="UTC",
        job=job,
        default_status=default_status,
        description=(
            "Every day at 02:00 UTC, materializes yesterday's partition of every asset, so "
            "the warehouse tables are fresh each morning; while another day has not passed "
            "cleaned_orders' blocking checks (which customer_metrics refuses to build on), "
            "yesterday's daily tables only (tag orders/downstream_held says why). Late files "
            "for older days are picked up by the sensors and backfills (see "
            "docs/backfill-runbook.md)."
        ),
    )
    def orders_pipeline_daily(context: dg.ScheduleEvaluationContext):
        day = yesterday(context.scheduled_execution_time)
        if day < partitions_start:
            return dg.SkipReason(f"{day} is before the first partition, {partitions_start}")
        whole_day = DayWork(day, "", job_assets.all, "schedule")
        blocked = unbuildable(context.instance, job_assets, [whole_day])
        if not blocked:
            return dg.RunRequest(run_key=day, partition_key=day, tags=dict(tags))
        days = "; ".join(f"{d} ({', '.join(names)})" for d, names in blocked.items())
        held = ", ".join(sorted(k.to_user_string() for k in job_assets.unpartitioned))
        context.log.info(
            f"{day}: daily assets only; {held} not requested: blocking checks have not passed"
            f" {days} (customer_metrics would refuse to build); they stay as they were until"
            " the run that fixes those days refreshes them"
        )
        return dg.RunRequest(
            run_key=day,
            partition_key=day,
            asset_selection=sorted(job_assets.partitioned, key=lambda k: k.to_user_string()),
            tags={**tags, DOWNSTREAM_HELD_TAG: shortened(days, MAX_TAG_CHARS)},
        )

    return orders_pipeline_daily
