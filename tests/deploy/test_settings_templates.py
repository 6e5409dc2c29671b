"""The settings templates a deployment starts from (.env.example, deploy/k8s/env.yaml's
ConfigMap) give the tuning variables the code's own defaults: a value copied from a
template must not change behaviour the docs describe as the default (ORDERS_ANOMALY_THRESHOLD
0.65 there held days the 0.75 default passes)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from resources.settings import PlatformSettings
from tests.support.paths import DEPLOY_DIR

REPO_ROOT = DEPLOY_DIR.parent
DEFAULTS = PlatformSettings()
# variable -> the PlatformSettings field it sets
TUNING = {
    "ORDERS_ANOMALY_THRESHOLD": "anomaly_threshold",
    "ORDERS_ANOMALY_TRAINING_DAYS": "anomaly_training_days",
    "ORDERS_ANOMALY_PROFILE_LIMIT_MB": "anomaly_profile_limit_mb",
    "ORDERS_LANDING_LOOKBACK_DAYS": "landing_lookback_days",
    "ORDERS_LANDING_SWEEP_TICKS": "landing_sweep_ticks",
    "ORDERS_S3_MAX_ATTEMPTS": "s3_max_attempts",
    "ORDERS_S3_RETRY_MODE": "s3_retry_mode",
    "ORDERS_RUN_MAX_RUNTIME_S": "run_max_runtime_s",
    "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S": "snowflake_statement_timeout_s",
    "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S": "snowflake_lock_timeout_s",
    "ORDERS_SNOWFLAKE_SCHEMA": "snowflake_schema",
    "PLATFORM_GIT_BRANCH": "git_branch",
}


def env_example() -> dict[str, str]:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, re.M))


def config_map() -> dict[str, str]:
    docs = yaml.safe_load_all((DEPLOY_DIR / "k8s" / "env.yaml").read_text(encoding="utf-8"))
    [data] = [d["data"] for d in docs if d["kind"] == "ConfigMap"]
    return data


@pytest.mark.parametrize("template", [env_example, config_map], ids=lambda f: f.__name__)
def test_tuning_values_are_the_code_defaults(template) -> None:
    values = template()
    given = {name: values[name] for name in TUNING if values.get(name)}
    assert "ORDERS_ANOMALY_THRESHOLD" in given
    read = PlatformSettings.from_env(given)
    for name, field in TUNING.items():
        if name in given:
            assert getattr(read, field) == getattr(DEFAULTS, field), (name, given[name])


def dagster_instance_info(cwd: Path, dotenv: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`dagster instance info` run in ``cwd`` holding ``dotenv`` as its .env, with
    DAGSTER_HOME exported as the Makefile exports it."""
    (cwd / ".env").write_text(dotenv, encoding="utf-8")
    return subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "instance", "info"],
        cwd=cwd,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_dotenv_copied_from_the_example_lets_dagster_s_cli_load_the_instance(
    tmp_path: Path,
) -> None:
    """.env.example says to copy it to .env, which Dagster's CLI loads over the shell's
    variables: copied verbatim, it stopped `make ui` and every `dg` command with
    '$DAGSTER_HOME "./.dagster_home" must be an absolute path'."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    # The command does read .env from its working directory, over the exported variable.
    refused = dagster_instance_info(tmp_path, "DAGSTER_HOME=./.dagster_home\n", home)
    assert refused.returncode != 0
    assert "must be an absolute path" in refused.stderr

    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    result = dagster_instance_info(tmp_path, example, home)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert f"$DAGSTER_HOME: {home}" in result.stdout


def test_a_dotenv_copied_from_the_example_overrides_no_exported_path() -> None:
    """The README has users export their landing zone, warehouse, instance and first day
    before `make run` and `make ui`; a .env copied from the example must leave them to the
    shell: both read .env over exported values."""
    copied = dotenv_values(REPO_ROOT / ".env.example")
    exported = {"ORDERS_LANDING_URI", "DUCKDB_PATH", "DAGSTER_HOME", "ORDERS_PARTITIONS_START"}
    assert "PLATFORM_ENV" in copied
    assert not exported & copied.keys(), sorted(exported & copied.keys())
