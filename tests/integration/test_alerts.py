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
