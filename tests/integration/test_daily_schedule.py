"""orders_pipeline_daily asks for every asset each night, even while a day has not passed
cleaned_orders' blocking checks: customer_metrics leaves that day out (as fct_orders does)
instead of refusing, so the nightly run succeeds and the customer tables stay fresh. The
real definitions, pipeline and schedule.
"""

import datetime as dt

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, DAILY_SCHEDULE, build_definitions
from resources.instance_history import WITHHELD_DAYS
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


def test_the_schedule_keeps_the_customer_tables_fresh_while_a_day_fails_cleaned_checks(
    tmp_path, instance, failing
):
    for index, day in enumerate(DAYS):
        land(tmp_path / "landing", day, "a.csv", csv_bytes(order_rows(20, day, f"d{index}")))
    defs = build_definitions(settings_for(tmp_path))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)

    first = run(job, instance, nightly(defs, instance, DAYS[0]))
    assert not first.success, "the day failing gx_quality: its own run says so (one alert)"
    assert instance.get_latest_materialization_event(dg.AssetKey("customer_metrics")) is None

    second = nightly(defs, instance, DAYS[1])
    assert second.asset_selection is None, "every asset, the customer tables included"
    result = run(job, instance, second)
    assert result.success, "customer_metrics leaves the failing day out, never refuses"
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert CUSTOMER_TABLES <= materialized
    metrics = instance.get_latest_materialization_event(dg.AssetKey("customer_metrics"))
    values = {k: v.value for k, v in metrics.asset_materialization.metadata.items()}
    assert values[WITHHELD_DAYS] == BAD
    assert values["as_of"] == DAYS[1].isoformat()
    revenue_without = values["total_revenue"]
    published = instance.get_materialized_partitions(dg.AssetKey(["warehouse", "fct_orders"]))
    assert published == {DAYS[1].isoformat()}

    # Fixed and run again: the day's rows count from then on.
    failing.clear()
    assert run(job, instance, nightly(defs, instance, DAYS[0])).success
    third = nightly(defs, instance, DAYS[2])
    assert third.asset_selection is None
    assert run(job, instance, third).success
    metrics = instance.get_latest_materialization_event(dg.AssetKey("customer_metrics"))
    values = {k: v.value for k, v in metrics.asset_materialization.metadata.items()}
    assert values[WITHHELD_DAYS] == "none" and values["as_of"] == DAYS[2].isoformat()
    # the three days' revenue: each day's 20 orders hold the same amounts
    assert values["total_revenue"] == pytest.approx(3 * revenue_without)


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
