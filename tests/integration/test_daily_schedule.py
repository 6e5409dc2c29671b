"""orders_pipeline_daily plans through the sensors' guard: while a day has not passed
cleaned_orders' blocking checks, its nightly run is yesterday's daily tables only (and
succeeds), not every asset (a run failing at customer_metrics, which refuses to build on
that day, each night until the day is fixed). The real definitions, pipeline and schedule.
"""

import datetime as dt

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, DAILY_SCHEDULE, build_definitions
from orders_platform.schedule import DOWNSTREAM_HELD_TAG
from tests.support.order_fixtures import csv_bytes, land, order_rows, settings_for
from tests.support.quality_cases import fail_order_suite

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(3)]
BAD = DAYS[0].isoformat()
CUSTOMER_TABLES = {
    dg.AssetKey("customer_metrics"),
    dg.AssetKey("customer_clv"),
    dg.AssetKey(["warehouse", "dim_customers"]),
}


@pytest.fixture
def failing(monkeypatch) -> set[str]:
    """cleaned_orders' order suite fails the days of the returned set."""
    return fail_order_suite(monkeypatch, {BAD})


def nightly(defs: dg.Definitions, instance, day: dt.date) -> dg.RunRequest:
    """The schedule's tick at 02:00 UTC the day after ``day``."""
    schedule = defs.resolve_schedule_def(DAILY_SCHEDULE)
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(2), tzinfo=dt.UTC
        ),
        repository_def=defs.get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == day.isoformat()
    return request


def run(job, instance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        asset_selection=request.asset_selection,
        tags={k: v for k, v in request.tags.items() if not k.startswith("dagster/partition")},
        raise_on_error=False,
    )


def test_the_schedule_leaves_the_customer_tables_while_a_day_fails_cleaned_checks(
    tmp_path, instance, failing
):
    for index, day in enumerate(DAYS):
        land(tmp_path / "landing", day, "a.csv", csv_bytes(order_rows(20, day, f"d{index}")))
    defs = build_definitions(settings_for(tmp_path))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)

    first = run(job, instance, nightly(defs, instance, DAYS[0]))
    assert not first.success, "the day failing gx_quality: its own run says so (one alert)"

    second = nightly(defs, instance, DAYS[1])
    assert second.asset_selection is not None
    assert not CUSTOMER_TABLES & set(second.asset_selection)
    assert dg.AssetKey("cleaned_orders") in second.asset_selection
    assert second.tags[DOWNSTREAM_HELD_TAG] == f"{BAD} (gx_quality)"
    # What every asset would do that night: customer_metrics refuses the failing day.
    whole = job.execute_in_process(
        instance=instance, partition_key=DAYS[1].isoformat(), raise_on_error=False
    )
    (refused,) = [e for e in whole.all_events if e.is_step_failure]
    assert refused.step_key == "customer_metrics" and BAD in refused.step_failure_data.error.message
    result = run(job, instance, second)
    assert result.success, "no run refused by customer_metrics"
    published = instance.get_materialized_partitions(dg.AssetKey(["warehouse", "fct_orders"]))
    assert DAYS[1].isoformat() in published

    # Fixed and run again: the next night asks for every asset again.
    failing.clear()
    assert run(job, instance, nightly(defs, instance, DAYS[0])).success
    third = nightly(defs, instance, DAYS[2])
    assert third.asset_selection is None and DOWNSTREAM_HELD_TAG not in third.tags
    materialized = {
        e.asset_key for e in run(job, instance, third).get_asset_materialization_events()
    }
    assert CUSTOMER_TABLES <= materialized


def test_the_unfixed_day_itself_is_scheduled_whole(tmp_path, instance, failing):
    """The night of the failing day's own partition asks for every asset: the run judges
    the day again before customer_metrics (as the sensors' re-runs do)."""
    for index, day in enumerate(DAYS[:1]):
        land(tmp_path / "landing", day, "a.csv", csv_bytes(order_rows(20, day, f"d{index}")))
    defs = build_definitions(settings_for(tmp_path))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    assert not run(job, instance, nightly(defs, instance, DAYS[0])).success
    again = nightly(defs, instance, DAYS[0])
    assert again.asset_selection is None


def test_no_partition_before_the_first_day(tmp_path, instance):
    defs = build_definitions(settings_for(tmp_path))
    schedule = defs.resolve_schedule_def(DAILY_SCHEDULE)
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2025, 1, 1, 2, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )
    tick = schedule.evaluate_tick(context)
    assert not tick.run_requests and "before the first partition" in tick.skip_message
