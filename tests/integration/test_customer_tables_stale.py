"""One day failing cleaned_orders' blocking checks in a range run: one alert, not two.

The real definitions and sensors. The range run publishes the other days' facts, leaves
the day out, and fails at customer_metrics, which refuses to build on the day: its one
alert names the day, the check, that the customer tables are not refreshed until the day
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
from resources.landing import LocalLandingZone
from resources.telemetry import TelemetryResource
from sensors.orders_anomaly import SENSOR_NAME
from tests.support.order_fixtures import csv_bytes, land, order_rows, range_tags, settings_for
from tests.support.quality_cases import fail_order_suite
from tests.support.sensor_reruns import failure_alerts
from tests.support.webhook_server import WebhookServer

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(5)]


def _facts_days(tmp_path) -> set[str]:
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "select distinct cast(partition_date as varchar) from warehouse.fct_orders"
        )
        return {day for (day,) in rows.fetchall()}


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


def test_a_day_failing_cleaned_checks_gives_one_alert_and_no_refused_customer_run(
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
        # fct_orders publishes the other days; customer_metrics refuses to build on the day.
        assert not ranged.success
        failed = {e.step_key for e in ranged.all_events if e.is_step_failure}
        assert failed == {"customer_metrics"}
        assert tick() == []  # nothing to re-run: the run published the other days
        published = instance.get_materialized_partitions(dg.AssetKey(["warehouse", "fct_orders"]))
        assert published == {d.isoformat() for d in DAYS}  # a range materializes every day
        assert _facts_days(tmp_path) == {d.isoformat() for d in DAYS} - {bad}
        alerts = failure_alerts(instance, server, alerts)
        (post,) = server.posts
        assert ranged.run_id[:8] in post["text"] and f"left out {bad} (gx_quality)" in post["text"]
        details = json.dumps(post["blocks"])
        assert "gx_quality" in details and "expect_column_values_to_be_unique" in details
        assert "customer_metrics, customer_clv and warehouse/dim_customers" in details
        assert f"--partition {bad}" in details
        assert "devtools.held" not in details  # it lists metadata_anomaly's days only

        # The fix: the day passes, and its run refreshes the customer tables.
        failing.clear()
        fixed = job.execute_in_process(instance=instance, partition_key=bad)
        materialized = {e.asset_key for e in fixed.get_asset_materialization_events()}
        assert CUSTOMER_TABLES <= materialized
        assert tick() == []
        failure_alerts(instance, server, alerts)
        assert len(server.posts) == 1
