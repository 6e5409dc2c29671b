"""The sensors, the schedule and automation after a range run that left a day out.

The landing sensor loads three days in one range run; the middle day's files drift (a
file without the required amount), so the run succeeds and leaves that day out alone
(``asset_checks.partitioned.stops_the_run``). Then: neither sensor requests anything
more (the landing sensor runs the day again only once its files change, the anomaly
sensor has no blocked range to follow), orders_run_left_out_sensor posts the day once,
automation builds nothing on it, and the nightly run of the next day plans every asset
(a not-cleaned day's reconciliation is a warning, which customer_metrics does not refuse).
Once the files are fixed, the landing sensor runs the day once; it is cleaned and
published and its ``orders/not_cleaned`` marker affects nothing (customer_metrics' as-of
day, automation).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from orders_platform.definitions import ALL_ASSETS_JOB, DAILY_SCHEDULE, build_definitions
from resources.alerts import AlertWebhook
from resources.instance_history import NOT_CLEANED, not_cleaned_days
from sensors.landing import SENSOR_NAME as LANDING
from sensors.orders_anomaly import SENSOR_NAME as ANOMALY
from tests.support.local_instance import local_instance
from tests.support.order_fixtures import HEADER, csv_bytes, land, order_rows, settings_for
from tests.support.requests import execute_request, requested_days
from tests.support.sensor_reruns import left_out_tick
from tests.support.webhook_server import WebhookServer

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(3)]
LEFT = DAYS[1].isoformat()
# An hour into the day after the last: the last day is the latest partition.
EVALUATION_TIME = dt.datetime(2025, 1, 4, 1, tzinfo=dt.UTC)


def test_after_a_range_left_a_day_out_nothing_runs_it_until_its_files_change(tmp_path):
    landing = tmp_path / "landing"
    for i, day in enumerate(DAYS):
        land(landing, day, "a.csv", csv_bytes(order_rows(10, day, prefix=f"d{i}")))
    no_amount = [h for h in HEADER if h != "amount"]
    drift = land(landing, DAYS[1], "z.csv", csv_bytes(order_rows(2, DAYS[1], "z"), no_amount))
    defs = build_definitions(settings_for(tmp_path))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    cursors: dict[str, str | None] = {LANDING: None, ANOMALY: None}

    with WebhookServer() as server, local_instance() as instance:
        resources = {**defs.resources, "alert_webhook": AlertWebhook(url=server.url)}

        def tick() -> list[tuple[str, dg.RunRequest]]:
            requests = []
            for name in cursors:
                with dg.build_sensor_context(
                    instance=instance, cursor=cursors[name], definitions=defs, resources=resources
                ) as context:
                    result = defs.get_sensor_def(name)(context)
                cursors[name] = result.cursor
                requests += [(name, request) for request in result.run_requests or []]
            return requests

        def left_out_posts(result: dg.ExecuteInProcessResult) -> list[str]:
            before = len(server.posts)
            left_out_tick(defs, instance, result, server.url)
            return [post["text"] for post in server.posts[before:]]

        automation = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, evaluation_time=EVALUATION_TIME
        )
        ((name, request),) = tick()
        assert name == LANDING and requested_days(request) == [d.isoformat() for d in DAYS]
        ranged = execute_request(job, instance, request, name)
        assert ranged.success
        assert set(not_cleaned_days(instance, [LEFT])) == {LEFT}

        assert tick() == [] and tick() == []  # not re-requested: its files did not change
        (post,) = left_out_posts(ranged)
        assert f"left out {LEFT} (schema_drift)" in post
        automation = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, evaluation_time=EVALUATION_TIME, cursor=automation.cursor
        )
        assert automation.total_requested == 0
        nightly = defs.resolve_schedule_def(DAILY_SCHEDULE).evaluate_tick(
            dg.build_schedule_context(
                instance=instance,
                scheduled_execution_time=EVALUATION_TIME + dt.timedelta(hours=1),
                repository_def=defs.get_repository_def(),
            )
        )
        ((scheduled),) = nightly.run_requests
        assert scheduled.partition_key == DAYS[-1].isoformat()
        assert scheduled.asset_selection is None  # every asset: nothing refuses the day

        # The files fixed: the day alone, once; cleaned, published, and the as-of day back.
        drift.unlink()
        ((name, request),) = tick()
        assert name == LANDING and requested_days(request) == [LEFT]
        fixed = execute_request(job, instance, request, name)
        assert fixed.success
        assert tick() == []
        assert left_out_posts(fixed) == []
        assert not_cleaned_days(instance, [d.isoformat() for d in DAYS]) == {}
        cleaned = {
            (m.materialization.asset_key.to_user_string(), m.materialization.partition): m
            for m in fixed.get_asset_materialization_events()
        }
        assert NOT_CLEANED not in cleaned[("cleaned_orders", LEFT)].materialization.metadata
        automation = dg.evaluate_automation_conditions(
            defs=defs,
            instance=instance,
            evaluation_time=EVALUATION_TIME + dt.timedelta(minutes=5),
            cursor=automation.cursor,
        )
        assert automation.total_requested == 0  # the fix's run built everything on it

    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        facts = conn.execute(
            "select cast(partition_date as varchar), count(*) from warehouse.fct_orders"
            " group by 1 order by 1"
        ).fetchall()
        as_of = conn.execute(
            "select distinct as_of_date from analytics.customer_metrics"
        ).fetchone()
    assert facts == [(d.isoformat(), 10) for d in DAYS]
    assert as_of == (DAYS[-1],)
