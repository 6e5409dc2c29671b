"""One day failing cleaned_orders' blocking checks in a range run: one alert, and the
customer tables refreshed without the day.

The real definitions and sensors. The range run publishes the other days' facts, leaves
the day out of fct_orders and of the customer tables (customer_metrics leaves it out as
fct_orders does, instead of refusing), and succeeds: orders_run_left_out_sensor's one
alert names the day, the check, that the customer tables leave its orders out until it
passes, and how to fix it. orders_anomaly_sensor has nothing to re-run. Once the day is
run again and passes, the customer tables are refreshed with it.
"""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.alerts import AlertWebhook
from resources.instance_history import WITHHELD_DAYS
from resources.landing import LocalLandingZone
from resources.telemetry import TelemetryResource
from sensors.orders_anomaly import SENSOR_NAME
from tests.support.order_fixtures import csv_bytes, land, order_rows, range_tags, settings_for
from tests.support.quality_cases import fail_order_suite
from tests.support.sensor_reruns import failure_alerts, left_out_tick
from tests.support.webhook_server import WebhookServer

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(5)]


def _facts_days(tmp_path) -> set[str]:
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "select distinct cast(partition_date as varchar) from warehouse.fct_orders"
        )
        return {day for (day,) in rows.fetchall()}


def _customer_orders(tmp_path) -> int:
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        ((orders,),) = conn.execute(
            "select sum(order_count) from analytics.customer_metrics"
        ).fetchall()
        return int(orders)


def _withheld(instance) -> str:
    event = instance.get_latest_materialization_event(dg.AssetKey("customer_metrics"))
    return event.asset_materialization.metadata[WITHHELD_DAYS].value


CUSTOMER_TABLES = {
    dg.AssetKey("customer_metrics"),
    dg.AssetKey("customer_clv"),
    dg.AssetKey(["warehouse", "dim_customers"]),
}


@pytest.fixture(params=[2, 4], ids=["middle day", "last day"])
def bad(request) -> str:
    """The failing day: in the middle (two re-runs, the customer tables awaited after
    them) or the last (one re-run, which would carry the customer tables)."""
    return DAYS[request.param].isoformat()


@pytest.fixture
def failing(monkeypatch, bad):
    """cleaned_orders' order suite fails ``bad`` while the returned set holds it."""
    return fail_order_suite(monkeypatch, {bad})


def test_a_day_failing_cleaned_checks_gives_one_alert_and_customer_tables_without_it(
    tmp_path, instance, failing, bad
):
    for index, day in enumerate(DAYS):
        land(tmp_path / "landing", day, "a.csv", csv_bytes(order_rows(20, day, f"d{index}")))
    defs = build_definitions(settings_for(tmp_path))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    sensor = defs.get_sensor_def(SENSOR_NAME)
    with WebhookServer() as server:
        resources = {
            "landing": LocalLandingZone(root=str(tmp_path / "landing")),
            "alert_webhook": AlertWebhook(url=server.url),
            "telemetry": TelemetryResource(),
        }
        cursor, alerts = None, failure_alerts(instance, server)

        def tick() -> list[dg.RunRequest]:
            nonlocal cursor
            with dg.build_sensor_context(
                instance=instance, cursor=cursor, definitions=defs, resources=resources
            ) as context:
                result = sensor(context)
            cursor = result.cursor
            return list(result.run_requests or [])

        tick()
        ranged = job.execute_in_process(
            instance=instance, tags=range_tags(DAYS[0], DAYS[-1]), raise_on_error=False
        )
        # fct_orders publishes the other days; customer_metrics leaves the day out too.
        assert ranged.success
        materialized = {e.asset_key for e in ranged.get_asset_materialization_events()}
        assert CUSTOMER_TABLES <= materialized
        assert _withheld(instance) == bad
        assert tick() == []  # nothing to re-run: the run published the other days
        published = instance.get_materialized_partitions(dg.AssetKey(["warehouse", "fct_orders"]))
        assert published == {d.isoformat() for d in DAYS}  # a range materializes every day
        assert _facts_days(tmp_path) == {d.isoformat() for d in DAYS} - {bad}
        assert _customer_orders(tmp_path) == 20 * (len(DAYS) - 1)
        alerts = failure_alerts(instance, server, alerts)
        assert server.posts == []  # the run succeeded: no failure alert
        left_out_tick(defs, instance, ranged, server.url)
        (post,) = server.posts
        assert ranged.run_id[:8] in post["text"] and f"{bad} (gx_quality)" in post["text"]
        details = json.dumps(post["blocks"])
        assert "gx_quality" in details and "expect_column_values_to_be_unique" in details
        assert "customer_metrics, customer_clv and warehouse/dim_customers leave" in details
        assert f"--partition {bad}" in details
        assert "devtools.held" not in details  # it lists metadata_anomaly's days only

        # The fix: the day passes, and its run refreshes the customer tables.
        failing.clear()
        fixed = job.execute_in_process(instance=instance, partition_key=bad)
        materialized = {e.asset_key for e in fixed.get_asset_materialization_events()}
        assert CUSTOMER_TABLES <= materialized
        assert _withheld(instance) == "none"
        assert _customer_orders(tmp_path) == 20 * len(DAYS)
        assert tick() == []
        failure_alerts(instance, server, alerts)
        assert len(server.posts) == 1
