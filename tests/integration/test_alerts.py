"""The alert webhook (against a local server) and the held-partition listing."""

import dagster as dg
import pytest

from devtools.held import dg_beside_interpreter, format_table, held_partitions
from resources.alerts import AlertWebhook
from resources.instance_history import CHECK_NAME, RAW_ORDERS
from resources.settings import PlatformSettings
from sensors.alerting import HeldNotice, held_message, release_command
from tests.support.webhook_server import WebhookServer

NOTICE = HeldNotice(
    "2025-03-01", "anomalous: |z| 92.1 >= guard 8.0 (trained on 56 partitions)", 0.71
)


def test_posts_slack_compatible_json():
    text, blocks = held_message([NOTICE])
    with WebhookServer() as server:
        assert AlertWebhook(url=server.url).post(text, blocks)
    (post,) = server.posts
    assert post["text"].startswith("orders: 1 partition(s) held by metadata_anomaly: 2025-03-01")
    section = post["blocks"][-1]["text"]["text"]
    assert "*2025-03-01* (anomaly score 0.710)" in section
    assert "--partition 2025-03-01" in section


def test_failures_are_reported_not_raised():
    with WebhookServer(status=500) as server:
        assert not AlertWebhook(url=server.url).post("x")
    with WebhookServer() as server:
        closed = server.url
    assert not AlertWebhook(url=closed, timeout_s=1).post("x")
    assert not AlertWebhook(url="file:///etc/passwd").post("x")
    assert not AlertWebhook().post("x")


def test_webhook_url_comes_from_the_environment():
    assert PlatformSettings.from_env(
        {"ORDERS_ALERT_WEBHOOK_URL": "https://h"}
    ).alert_webhook_from_env
    assert not PlatformSettings.from_env({}).alert_webhook_from_env
    settings = PlatformSettings.from_env(
        {"ORDERS_ANOMALY_THRESHOLD": "0.7", "ORDERS_ANOMALY_TRAINING_DAYS": "42"}
    )
    assert (settings.anomaly_threshold, settings.anomaly_training_days) == (0.7, 42)
    assert PlatformSettings.from_env({"ORDERS_ANOMALY_THRESHOLD": " "}).anomaly_threshold == 0.75
    assert PlatformSettings.from_env({}).anomaly_profile_limit_mb == 1024
    off = PlatformSettings.from_env({"ORDERS_ANOMALY_PROFILE_LIMIT_MB": "0"})
    assert off.anomaly_profile_limit_mb == 0
    # `export ORDERS_PARTITIONS_START=$(python -m devtools.demo_env)` without a demo (README)
    assert PlatformSettings.from_env({"ORDERS_PARTITIONS_START": ""}).partitions_start == (
        "2025-01-01"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "ORDERS_ANOMALY_THRESHOLD",
            "high",
            "ORDERS_ANOMALY_THRESHOLD must be a number, got 'high'",
        ),
        ("ORDERS_ANOMALY_THRESHOLD", "nan", r"ORDERS_ANOMALY_THRESHOLD must be in \(0, 1\]"),
        (
            "ORDERS_ANOMALY_TRAINING_DAYS",
            "8 weeks",
            "ORDERS_ANOMALY_TRAINING_DAYS must be an integer",
        ),
        ("ORDERS_LANDING_LOOKBACK_DAYS", "7.5", "ORDERS_LANDING_LOOKBACK_DAYS must be an integer"),
        ("ORDERS_ANOMALY_PROFILE_LIMIT_MB", "1GiB", "ORDERS_ANOMALY_PROFILE_LIMIT_MB must be an"),
        ("ORDERS_ANOMALY_PROFILE_LIMIT_MB", "-1", r"ORDERS_ANOMALY_PROFILE_LIMIT_MB must be >= 0"),
        ("ORDERS_LANDING_SWEEP_TICKS", "hourly", "ORDERS_LANDING_SWEEP_TICKS must be an integer"),
        ("ORDERS_LANDING_SWEEP_TICKS", "-1", r"ORDERS_LANDING_SWEEP_TICKS must be >= 0"),
    ],
)
def test_a_tuning_value_that_is_not_a_number_names_its_variable(name, value, message):
    """A value a template or a typo gives (it failed with Python's own 'could not convert
    string to float', naming no variable)."""
    with pytest.raises(ValueError, match=message):
        PlatformSettings.from_env({name: value})


def test_release_command_names_the_check_op():
    command = release_command("2025-01-10")
    assert '"raw_orders_metadata_anomaly": {"config": {"release": true' in command
    assert command.startswith("dg launch --assets 'raw_orders*' --partition 2025-01-10 ")
    assert release_command("2025-01-10", ".venv/bin/dg") == f".venv/bin/{command}"


def test_the_listing_names_the_dg_beside_its_interpreter(tmp_path, monkeypatch):
    """``.venv/bin/python -m devtools.held`` prints ``.venv/bin/dg`` commands, as ``make
    run`` does: a checkout's ``dg`` is not on PATH."""
    python = tmp_path / "checkout" / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    monkeypatch.setattr("sys.executable", str(python))
    monkeypatch.chdir(tmp_path / "checkout")
    assert dg_beside_interpreter() == "dg"  # none installed there: the one on PATH
    (python.parent / "dg").touch()
    assert dg_beside_interpreter() == ".venv/bin/dg"
    monkeypatch.chdir(tmp_path)
    assert dg_beside_interpreter() == "checkout/.venv/bin/dg"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # outside the checkout: the whole path
    assert dg_beside_interpreter() == str(python.parent / "dg")


def test_held_listing_shows_days_whose_latest_evaluation_failed(instance):
    def evaluation(day: str, passed: bool) -> dg.AssetCheckEvaluation:
        return dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS,
            check_name=CHECK_NAME,
            passed=passed,
            partition=day,
            description="anomalous: test" if not passed else "normal",
            metadata={"anomaly_score": 0.7 if not passed else 0.5, "verdict": "anomalous"},
        )

    for day, passed in (("2025-01-05", False), ("2025-01-06", True)):
        instance.report_runless_asset_event(evaluation(day, passed))
    (held,) = held_partitions(instance)
    assert (held.partition, held.score, held.reason) == ("2025-01-05", 0.7, "anomalous: test")
    assert "1 held partition(s)" in format_table([held]) and "release:" in format_table([held])
    release = f"    release: {release_command('2025-01-05', '.venv/bin/dg')}"
    assert release in format_table([held], ".venv/bin/dg").splitlines()
    assert format_table([]) == "No partition is held."


def _report_held(instance, days) -> None:
    from tests.support.check_history import report_verdict

    for day in days:
        metadata = {"verdict": "anomalous", "anomaly_score": 0.9}
        report_verdict(instance, day, passed=False, metadata=metadata)


def _anomaly_tick(tmp_path, instance, url: str, cursor: str | None = None) -> str:
    """One tick of orders_anomaly_sensor posting to ``url``; its new cursor."""
    from resources.landing import LocalLandingZone
    from resources.telemetry import TelemetryResource
    from sensors.orders_anomaly import SENSOR_NAME
    from tests.support.sensor_graph import build_graph

    defs = build_graph(set(), str(tmp_path))
    resources = {
        "landing": LocalLandingZone(root=str(tmp_path)),
        "alert_webhook": AlertWebhook(url=url),
        "telemetry": TelemetryResource(),
    }
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=resources
    ) as context:
        return defs.get_sensor_def(SENSOR_NAME)(context).cursor


def test_a_held_days_alert_the_webhook_refused_is_posted_on_a_later_tick(tmp_path, instance):
    """The held-days alert is the one message that names a held day with its reasons (the
    run-failure alert leaves it out): a post the webhook refused (down, 5xx) was never
    made again, the day remembered as announced."""
    held = "2025-03-01"
    _report_held(instance, [held])
    with WebhookServer(status=503) as server:
        cursor = _anomaly_tick(tmp_path, instance, server.url)
        assert len(server.posts) == 1  # tried, refused
        server.status = 200
        cursor = _anomaly_tick(tmp_path, instance, server.url, cursor)
        assert len(server.posts) == 2 and held in server.posts[1]["text"]
        _anomaly_tick(tmp_path, instance, server.url, cursor)
        assert len(server.posts) == 2, "posted once it was accepted"


def test_many_held_days_are_posted_in_messages_slack_accepts(tmp_path, instance):
    """Slack refuses a message of more than 50 blocks (invalid_blocks) or a section over
    3,000 characters: 60 days held at once (a sensor's first tick on a long history, a
    range with a systematic fault) were one message of 62 blocks, refused, none of the
    days announced. Each message now holds at most MAX_HELD_PER_POST days, each day with
    its release command."""
    from sensors.alerting import MAX_HELD_PER_POST

    days = [f"2025-03-{d:02d}" for d in range(1, 31)] + [f"2025-04-{d:02d}" for d in range(1, 31)]
    _report_held(instance, days)
    with WebhookServer() as server:
        _anomaly_tick(tmp_path, instance, server.url)
    assert len(server.posts) == -(-len(days) // MAX_HELD_PER_POST)
    released = set()
    for post in server.posts:
        assert len(post["blocks"]) <= 50
        for block in post["blocks"]:
            assert len(block["text"]["text"]) <= 3000
            released |= {day for day in days if f"--partition {day} " in block["text"]["text"]}
    assert released == set(days)
