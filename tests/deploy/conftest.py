"""Fixtures for the deployment files under deploy/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import DEPLOY_DIR

# Dummy values for every variable deploy/dagster.yaml reads: validation needs them set.
INSTANCE_ENV = {
    "DAGSTER_PG_HOST": "postgres.invalid",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-secret",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_COMPUTE_LOGS_BUCKET": "orders-platform-dagster-logs",
}


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML file of deploy/."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def instance_yaml() -> dict[str, Any]:
    """deploy/dagster.yaml, parsed."""
    return load_yaml(DEPLOY_DIR / "dagster.yaml")


@pytest.fixture(scope="session")
def helm_values() -> dict[str, Any]:
    """deploy/helm/values.yaml, parsed."""
    return load_yaml(DEPLOY_DIR / "helm" / "values.yaml")


@pytest.fixture
def instance_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set the instance's environment variables to dummy values."""
    for name, value in INSTANCE_ENV.items():
        monkeypatch.setenv(name, value)
    return INSTANCE_ENV


@pytest.fixture(scope="session")
def fake_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig naming an unreachable cluster: lets dagster-k8s build clients offline."""
    path = tmp_path_factory.mktemp("kube") / "kubeconfig"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "test", "user": {"token": "test"}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        "current-context": "test",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
