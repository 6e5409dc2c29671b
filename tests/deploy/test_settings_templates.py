"""The settings templates a deployment starts from (.env.example, deploy/k8s/env.yaml's
ConfigMap) give the tuning variables the code's own defaults: a value copied from a
template must not change behaviour the docs describe as the default (ORDERS_ANOMALY_THRESHOLD
0.65 there held days the 0.75 default passes)."""

from __future__ import annotations

import re

import pytest
import yaml

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
    "ORDERS_S3_MAX_ATTEMPTS": "s3_max_attempts",
    "ORDERS_S3_RETRY_MODE": "s3_retry_mode",
    "ORDERS_RUN_MAX_RUNTIME_S": "run_max_runtime_s",
    "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S": "snowflake_statement_timeout_s",
    "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S": "snowflake_lock_timeout_s",
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
