"""The held-days alert's release step, as an engineer follows it.

Locally the alert gave a bare ``dg launch ...``: pasted into another shell it stopped
outside the project ("must be run inside a Dagster project directory"), and from the
project it ran on a temporary instance (no DAGSTER_HOME), where the cleaning refuses and
the release is recorded nowhere the sensor reads, and on the default landing zone and
warehouse. On a deployment the docs release from the UI (a terminal run is outside the
run queue, and the image has no checkout to run ``dg`` from).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import dagster as dg

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.instance_history import evaluation_values, latest_evaluation
from resources.settings import PlatformSettings
from sensors.alerting import (
    SECTION_LIMIT,
    HeldNotice,
    ReleaseAdvice,
    held_message,
    release_advice,
    release_config,
)
from sensors.orders_anomaly import SENSOR_NAME
from tests.support.check_history import report_verdict
from tests.support.fixture_data import build_landing
from tests.support.local_platform import sensor_resources
from tests.support.paths import REPO
from tests.support.webhook_server import WebhookServer, slack_shown

HELD = "2025-01-02"
SECRETS = {
    "PII_HASH_KEY": "pii-key-that-must-stay-secret",  # pragma: allowlist secret
    "SNOWFLAKE_PASSWORD": "snowflake-password-never-posted",  # pragma: allowlist secret
    "SNOWFLAKE_PRIVATE_KEY": "private-key-never-posted",  # pragma: allowlist secret
}


def _posted_section(
    settings: PlatformSettings, instance: dg.DagsterInstance, landing: Path | None = None
) -> tuple[str, str]:
    """One tick of the platform's orders_anomaly_sensor over ``instance`` (on ``landing``,
    the settings' landing zone by default): the held day's section of the posted alert,
    as Slack shows it, and the whole posted JSON's text."""
    defs = build_definitions(settings)
    with WebhookServer() as server:
        resources = sensor_resources(landing or Path(settings.landing_uri), server.url)
        with dg.build_sensor_context(
            instance=instance, definitions=defs, resources=resources
        ) as context:
            defs.get_sensor_def(SENSOR_NAME)(context)
    (post,) = server.posts
    (section,) = [
        block["text"]["text"] for block in post["blocks"] if f"*{HELD}*" in block["text"]["text"]
    ]
    return slack_shown(section), repr(post)


def test_the_local_release_command_pasted_in_a_clean_shell_releases_the_day(tmp_path):
    landing, home, elsewhere = tmp_path / "my landing", tmp_path / "home", tmp_path / "elsewhere"
    build_landing(landing)
    home.mkdir()
    elsewhere.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    # Not dg's defaults: a shell without them acts on other data.
    settings = PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start="2024-12-30",
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
        loaded = job.execute_in_process(
            instance=instance, partition_key=HELD, asset_selection=[dg.AssetKey("raw_orders")]
        )
        assert loaded.success
        report_verdict(instance, HELD, passed=False, metadata={"verdict": "anomalous"})
        section, _ = _posted_section(settings, instance)
    (command,) = re.findall(r"`([^`]+)`", section)
    # Pasted as it is shown, reason placeholder and all, into a shell of another folder
    # that has none of the platform's settings: only PATH.
    pasted = subprocess.run(
        ["env", "-i", f"PATH={Path(sys.executable).parent}:/usr/bin:/bin", "bash", "-c", command],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert pasted.returncode == 0, pasted.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        values = evaluation_values(latest_evaluation(instance, HELD))
    assert values["released"] is True and values["verdict"] == "released"
    assert list(elsewhere.iterdir()) == []  # no temporary instance, no warehouse there


def test_the_alert_posts_no_secret_and_names_the_pii_key_it_needs(tmp_path, instance):
    """The command carries the settings the UI runs with, never a secret's value: a key
    set in the environment is named, for the shell to have it too."""
    environ = {
        **SECRETS,
        "ORDERS_ALERT_WEBHOOK_URL": "https://hooks.example/T000/B000/never-posted",
        "ORDERS_LANDING_URI": str(tmp_path / "landing"),
        "DUCKDB_PATH": str(tmp_path / "orders.duckdb"),
    }
    settings = PlatformSettings.from_env(environ)
    report_verdict(instance, HELD, passed=False, metadata={"verdict": "anomalous"})
    section, posted = _posted_section(settings, instance)
    for value in (*SECRETS.values(), environ["ORDERS_ALERT_WEBHOOK_URL"]):
        assert value not in posted
    assert "PII_HASH_KEY (not shown) must be set as for the UI" in section
    assert f"DAGSTER_HOME={instance.root_directory} " in section
    assert f"ORDERS_LANDING_URI={tmp_path / 'landing'} " in section


def test_in_production_the_alert_releases_from_the_ui(tmp_path, instance):
    """PLATFORM_ENV=prod: a release is a queued run of the job launched from the UI (a
    terminal's dg launch runs outside the run queue; the image has no checkout)."""
    settings = PlatformSettings(env="prod", landing_uri="s3://orders-bucket/landing")
    assert release_advice(settings, ALL_ASSETS_JOB) == ReleaseAdvice(ui_job=ALL_ASSETS_JOB)
    report_verdict(instance, HELD, passed=False, metadata={"verdict": "anomalous"})
    # The production definitions' sensor, ticked on a local landing zone (no S3 here).
    section, _ = _posted_section(settings, instance, tmp_path)
    step = section.split("\n", 2)[2]
    assert step == (
        "Release after review from the Dagster UI (a terminal's `dg launch` would run outside"
        f" the run queue): *Jobs > {ALL_ASSETS_JOB} > Materialize all… (arrow) > Open"
        f" launchpad*, partition `{HELD}`, config `{release_config()}` with your reason, then"
        " *Materialize*. Why it is held: *Assets > raw_orders > Checks > metadata_anomaly*."
    )
    assert "DAGSTER_HOME" not in step and "dg launch --" not in step


def test_a_long_explanation_is_shortened_and_the_command_kept_whole():
    """A section is cut at Slack's limit: the cut fell on the command, the last line."""
    advice = release_advice(PlatformSettings(), ALL_ASSETS_JOB)
    step = advice.step(HELD, "/home/dagster")
    _, blocks = held_message(
        [HeldNotice(HELD, "x" * 5000, 0.9)], advice=advice, dagster_home="/home/dagster"
    )
    text = blocks[-1]["text"]["text"]
    assert len(text) <= SECTION_LIMIT and text.endswith(f"\n{step}")
    command = step.split("`")[1]
    assert command.startswith(
        f"cd {REPO} && DAGSTER_HOME=/home/dagster ORDERS_PARTITIONS_START=2025-01-01 "
    )
    assert command.endswith(
        f" launch --assets 'raw_orders*' --partition {HELD} --config-json '{release_config()}'"
    )
