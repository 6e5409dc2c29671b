"""ORDERS_WEBSERVER_BASE_URL: the alerts link the Dagster UI as Dagster's own alert sensors
do (``webserver_base_url``: link buttons), the run-failure alerts the run, the held-days
alert each held day's partition page and raw_orders' partitions view; unset, no link and
the messages as before. (tests/ui/test_alert_links.py follows the links in Chromium.)"""

from __future__ import annotations

import json

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.alerts import AlertWebhook
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings
from resources.telemetry import TelemetryResource
from sensors.alerting import UiLinks
from sensors.orders_anomaly import SENSOR_NAME as ANOMALY_SENSOR
from sensors.run_failure import SENSOR_NAME as FAILURE_SENSOR
from tests.support.check_history import report_verdict
from tests.support.order_fixtures import DAY, HEADER, csv_bytes, land, order_rows, settings_for
from tests.support.webhook_server import WebhookServer

BASE = "https://ops.example.com/dagster"


@pytest.mark.parametrize(
    ("value", "base"),
    [
        (f"{BASE}/", BASE),  # the trailing slash a pasted address often has
        (f" {BASE} ", BASE),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("", None),
    ],
)
def test_the_base_url_is_read_from_the_environment(value, base):
    environ = {"ORDERS_WEBSERVER_BASE_URL": value}
    assert PlatformSettings.from_env(environ).webserver_base_url == base
    assert PlatformSettings.from_env({}).webserver_base_url is None


@pytest.mark.parametrize(
    "value",
    [
        "ops.example.com/dagster",  # no scheme: every link would be relative to Slack
        "ftp://ops.example.com",
        "https://",
        f"{BASE}?tab=runs",  # would end up in each link's path
        f"{BASE}#top",
        f"{BASE}/my runs",
        f"{BASE}/<b>",
        f"{BASE}/a|b",
        'https://ops.example.com/"',
    ],
)
def test_a_base_url_links_cannot_be_built_on_is_refused_naming_the_setting(value):
    with pytest.raises(ValueError, match="ORDERS_WEBSERVER_BASE_URL"):
        PlatformSettings.from_env({"ORDERS_WEBSERVER_BASE_URL": value})
    with pytest.raises(ValueError, match="ORDERS_WEBSERVER_BASE_URL"):
        PlatformSettings(webserver_base_url=value)


def test_links_follow_the_uis_routes_each_part_encoded_as_the_ui_encodes_it():
    links = UiLinks(f"{BASE}/")
    assert links.run("4e3f-9a") == f"{BASE}/runs/4e3f-9a"
    assert links.partitions(["raw_orders"]) == f"{BASE}/assets/raw_orders?view=partitions"
    assert links.partitions(["raw_orders"], "2025-03-01") == (
        f"{BASE}/assets/raw_orders?view=partitions&partition=2025-03-01"
    )
    # encodeURIComponent's encoding: a key's path parts and a partition key with URL syntax
    assert links.partitions(["warehouse", "a b/c"], "x&y=z?#") == (
        f"{BASE}/assets/warehouse/a%20b%2Fc?view=partitions&partition=x%26y%3Dz%3F%23"
    )
    assert UiLinks().run("4e3f-9a") is None and UiLinks().partitions(["raw_orders"]) is None


def _buttons(post: dict) -> list[dict]:
    """The link buttons of a post: a section's accessory, an actions block's elements."""
    found = [b["accessory"] for b in post["blocks"] if "accessory" in b]
    return found + [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _held_posts(tmp_path, days: list[str], base: str | None) -> list[dict]:
    settings = PlatformSettings(
        landing_uri=str(tmp_path / "landing"),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start="2025-01-01",
        webserver_base_url=base,
    )
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance, WebhookServer() as server:
        for day in days:
            metadata = {"verdict": "anomalous", "anomaly_score": 0.9}
            report_verdict(instance, day, passed=False, metadata=metadata)
        resources = {
            "landing": LocalLandingZone(root=str(tmp_path)),
            "alert_webhook": AlertWebhook(url=server.url),
            "telemetry": TelemetryResource(),
        }
        with dg.build_sensor_context(
            instance=instance, definitions=defs, resources=resources
        ) as context:
            defs.resolve_sensor_def(ANOMALY_SENSOR)(context)
    return server.posts


def test_the_held_days_alert_links_each_days_partition_page(tmp_path):
    days = [f"2025-03-{d:02d}" for d in range(1, 26)]  # two messages (20 days at most each)
    posts = _held_posts(tmp_path, days, f"{BASE}/")
    assert len(posts) == 2
    linked = {}
    for post in posts:
        assert len(post["blocks"]) <= 50  # Slack's limit: a day's link adds no block
        for button in _buttons(post):
            assert button["type"] == "button" and len(button["text"]["text"]) <= 75
            linked[button["text"]["text"]] = button["url"]
        assert f"In the Dagster UI: {BASE}/assets/raw_orders?view=partitions" in post["text"]
    assert linked == {
        "raw_orders partitions in the Dagster UI": f"{BASE}/assets/raw_orders?view=partitions",
        **{
            f"Open {day}": f"{BASE}/assets/raw_orders?view=partitions&partition={day}"
            for day in days
        },
    }


def test_without_a_base_url_the_alerts_have_no_link(tmp_path):
    (post,) = _held_posts(tmp_path, ["2025-03-01"], None)
    assert _buttons(post) == []
    assert "Dagster UI" not in post["text"] and "http" not in json.dumps(post)


def test_a_failed_runs_alert_links_the_run(tmp_path):
    land(
        tmp_path / "landing",
        DAY,
        "a.csv",
        csv_bytes(order_rows(10), [h for h in HEADER if h != "amount"]),
    )
    settings = settings_for(tmp_path)
    defs = build_definitions(PlatformSettings(**{**settings.__dict__, "webserver_base_url": BASE}))
    sensor = defs.resolve_sensor_def(FAILURE_SENSOR)
    with dg.instance_for_test() as instance, WebhookServer() as server:
        webhook = {"alert_webhook": AlertWebhook(url=server.url)}
        context = dg.build_sensor_context(instance=instance, resources=webhook)
        cursor = sensor.evaluate_tick(context).cursor
        result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
            instance=instance, partition_key=DAY.isoformat(), raise_on_error=False
        )
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=webhook)
        sensor.evaluate_tick(context)
    (post,) = server.posts
    url = f"{BASE}/runs/{result.run_id}"
    assert _buttons(post) == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open the run in the Dagster UI"},
            "url": url,
        }
    ]
    assert post["text"].endswith(f"Open {url} in the Dagster UI.")
