"""deploy/helm/values.yaml uses only keys the official chart has, and agrees with dagster.yaml.

There is no Helm here, so the chart's schema cannot be run. Instead ``CHART_KEY_PATHS`` lists
every key path we use, each checked by hand against the chart's schema models in
dagster-io/dagster (``helm/dagster/schema/schema/charts/...``):

- ``dagster/values.py`` (top level: ``global``, ``generatePostgresqlPasswordSecret``,
  ``serviceAccount``, ``telemetry``, ``postgresql``, ``computeLogManager``,
  ``dagster-user-deployments``, ``runLauncher``, ``dagsterDaemon``);
- ``dagster/subschema/global_.py``, ``service_account.py``, ``telemetry.py``,
  ``postgresql.py`` (and ``templates/helpers/instance/_postgresql.tpl``, which renders
  ``postgresqlScheme`` as the storage ``scheme``), ``compute_log_manager.py`` (``S3ComputeLogManager``);
- ``dagster_user_deployments/subschema/user_deployments.py`` (``UserDeployment``);
- ``dagster/subschema/run_launcher.py`` (``K8sRunLauncherConfig``, ``RunK8sConfig``);
- ``dagster/subschema/concurrency.py`` (``Concurrency``: ``enabled``, ``pools``, ``runs``; rendered
  by ``templates/helpers/instance/_concurrency.tpl``);
- ``dagster/subschema/daemon.py`` (``QueuedRunCoordinatorConfig``, ``TagConcurrencyLimit``,
  ``RunRetries``; ``runMonitoring`` is a free dict, of which the chart's instance template
  renders ``enabled``, ``startTimeoutSeconds``, ``pollIntervalSeconds``).

A path ending in ``*`` is a Kubernetes object or free-form map passed through as is. ``[]``
stands for any list item. A typo in values.yaml fails here instead of being silently ignored
by Helm.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

from dagster_k8s.models import k8s_snake_case_dict
from kubernetes.client import V1JobSpec

from tests.deploy.conftest import DEPLOY_DIR

REPO_ROOT = DEPLOY_DIR.parent

CHART_KEY_PATHS = frozenset(
    {
        "global.postgresqlSecretName",
        "global.dagsterHome",
        "global.serviceAccountName",
        "generatePostgresqlPasswordSecret",
        "serviceAccount.create",
        "serviceAccount.name",
        "serviceAccount.annotations*",
        "telemetry.enabled",
        "postgresql.enabled",
        "postgresql.postgresqlHost",
        "postgresql.postgresqlUsername",
        "postgresql.postgresqlDatabase",
        "postgresql.postgresqlParams*",
        "postgresql.postgresqlScheme",
        "postgresql.service.port",
        "computeLogManager.type",
        "computeLogManager.config.s3ComputeLogManager.bucket",
        "computeLogManager.config.s3ComputeLogManager.prefix",
        "dagster-user-deployments.enabled",
        "dagster-user-deployments.enableSubchart",
        "dagster-user-deployments.deployments[].name",
        "dagster-user-deployments.deployments[].image.repository",
        "dagster-user-deployments.deployments[].image.tag",
        "dagster-user-deployments.deployments[].image.pullPolicy",
        "dagster-user-deployments.deployments[].codeServerArgs[]",
        "dagster-user-deployments.deployments[].port",
        "dagster-user-deployments.deployments[].includeConfigInLaunchedRuns.enabled",
        "dagster-user-deployments.deployments[].env*",
        "dagster-user-deployments.deployments[].envSecrets[].name",
        "dagster-user-deployments.deployments[].labels*",
        "dagster-user-deployments.deployments[].securityContext*",
        "dagster-user-deployments.deployments[].resources*",
        "runLauncher.type",
        "runLauncher.config.k8sRunLauncher.jobNamespace",
        "runLauncher.config.k8sRunLauncher.imagePullPolicy",
        "runLauncher.config.k8sRunLauncher.loadInclusterConfig",
        "runLauncher.config.k8sRunLauncher.failPodOnRunFailure",
        "runLauncher.config.k8sRunLauncher.envSecrets[].name",
        "runLauncher.config.k8sRunLauncher.envVars[]",
        "runLauncher.config.k8sRunLauncher.labels*",
        "runLauncher.config.k8sRunLauncher.resources*",
        "runLauncher.config.k8sRunLauncher.securityContext*",
        "runLauncher.config.k8sRunLauncher.runK8sConfig.jobSpecConfig*",
        "dagsterDaemon.enabled",
        "dagsterDaemon.runCoordinator.enabled",
        "dagsterDaemon.runCoordinator.type",
        "dagsterDaemon.runCoordinator.config.queuedRunCoordinator",
        "concurrency.enabled",
        "concurrency.runs.maxConcurrentRuns",
        "concurrency.runs.tagConcurrencyLimits[].key",
        "concurrency.runs.tagConcurrencyLimits[].value*",
        "concurrency.runs.tagConcurrencyLimits[].limit",
        "concurrency.pools.granularity",
        "concurrency.pools.defaultLimit",
        "dagsterDaemon.runMonitoring.enabled",
        "dagsterDaemon.runMonitoring.startTimeoutSeconds",
        "dagsterDaemon.runMonitoring.pollIntervalSeconds",
        "dagsterDaemon.runRetries.enabled",
        "dagsterDaemon.runRetries.maxRetries",
        "dagsterDaemon.runRetries.retryOnAssetOrOpFailure",
    }
)
OPAQUE_PREFIXES = tuple(path[:-1] for path in CHART_KEY_PATHS if path.endswith("*"))


def key_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Every leaf key path of a values tree, stopping at free-form (``*``) subtrees."""
    if prefix.startswith(OPAQUE_PREFIXES):
        yield next(p for p in OPAQUE_PREFIXES if prefix.startswith(p)) + "*"
    elif isinstance(value, dict) and value:
        for key, child in value.items():
            yield from key_paths(child, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value:
        for child in value:
            yield from key_paths(child, f"{prefix}[]")
    else:
        yield prefix


def test_values_use_only_chart_keys(helm_values: dict[str, Any]) -> None:
    unknown = sorted(set(key_paths(helm_values)) - CHART_KEY_PATHS)

    assert not unknown, f"keys not verified against the dagster chart: {unknown}"


def test_user_deployment_serves_the_code_location(helm_values: dict[str, Any]) -> None:
    [deployment] = helm_values["dagster-user-deployments"]["deployments"]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    exposed = re.findall(r"^EXPOSE (\d+)$", (DEPLOY_DIR / "Dockerfile").read_text(), re.M)

    assert deployment["codeServerArgs"] == ["-m", pyproject["tool"]["dagster"]["module_name"]]
    assert [str(deployment["port"])] == exposed
    assert {"name": "PLATFORM_ENV", "value": "prod"} in deployment["env"]
    assert deployment["securityContext"]["runAsNonRoot"] is True
    # The chart's container context would copy the code server's resources onto every run pod.
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": False}


def test_external_postgres_from_an_existing_secret(
    helm_values: dict[str, Any], instance_yaml: dict[str, Any]
) -> None:
    launcher = instance_yaml["run_launcher"]["config"]

    assert helm_values["postgresql"]["enabled"] is False
    assert helm_values["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in helm_values["postgresql"]
    assert helm_values["global"]["postgresqlSecretName"] == launcher["postgres_password_secret"]
    db = instance_yaml["storage"]["postgres"]["postgres_db"]
    assert helm_values["postgresql"]["postgresqlParams"] == db["params"]
    assert helm_values["postgresql"]["postgresqlScheme"] == db["scheme"]


def test_helm_instance_matches_dagster_yaml(
    helm_values: dict[str, Any], instance_yaml: dict[str, Any]
) -> None:
    daemon = helm_values["dagsterDaemon"]
    concurrency = helm_values["concurrency"]
    queue = concurrency["runs"]
    coordinator = instance_yaml["concurrency"]["runs"]
    retries = instance_yaml["run_retries"]
    monitoring = instance_yaml["run_monitoring"]

    assert daemon["runCoordinator"]["type"] == instance_yaml["run_coordinator"]["class"]
    assert queue["maxConcurrentRuns"] == coordinator["max_concurrent_runs"]
    assert queue["tagConcurrencyLimits"] == coordinator["tag_concurrency_limits"]
    assert daemon["runCoordinator"]["config"] == {"queuedRunCoordinator": {}}
    assert "config" not in instance_yaml["run_coordinator"]
    assert concurrency["enabled"] is True
    assert concurrency["pools"] == {
        "granularity": instance_yaml["concurrency"]["pools"]["granularity"],
        "defaultLimit": instance_yaml["concurrency"]["pools"]["default_limit"],
    }
    assert daemon["runRetries"] == {
        "enabled": retries["enabled"],
        "maxRetries": retries["max_retries"],
        "retryOnAssetOrOpFailure": retries["retry_on_asset_or_op_failure"],
    }
    assert daemon["runMonitoring"] == {
        "enabled": monitoring["enabled"],
        "startTimeoutSeconds": monitoring["start_timeout_seconds"],
        "pollIntervalSeconds": monitoring["poll_interval_seconds"],
    }
    assert helm_values["telemetry"] == instance_yaml["telemetry"]
    assert (
        helm_values["computeLogManager"]["config"]["s3ComputeLogManager"]["prefix"]
        == instance_yaml["compute_logs"]["config"]["prefix"]
    )


def test_helm_run_launcher_matches_dagster_yaml(
    helm_values: dict[str, Any], instance_yaml: dict[str, Any]
) -> None:
    chart = helm_values["runLauncher"]["config"]["k8sRunLauncher"]
    ours = instance_yaml["run_launcher"]["config"]
    [deployment] = helm_values["dagster-user-deployments"]["deployments"]

    assert helm_values["runLauncher"]["type"] == instance_yaml["run_launcher"]["class"]
    assert chart["jobNamespace"] == ours["job_namespace"]
    assert chart["imagePullPolicy"] == ours["image_pull_policy"]
    assert chart["failPodOnRunFailure"] == ours["fail_pod_on_run_failure"]
    assert [s["name"] for s in chart["envSecrets"]] == ours["env_secrets"]
    assert deployment["envSecrets"] == chart["envSecrets"]
    assert chart["envVars"] == ours["env_vars"]
    assert chart["labels"] == ours["labels"]
    assert chart["resources"] == ours["resources"]
    assert chart["securityContext"] == ours["security_context"]
    assert (
        k8s_snake_case_dict(V1JobSpec, chart["runK8sConfig"]["jobSpecConfig"])
        == (ours["run_k8s_config"]["job_spec_config"])
    )
    # The chart names the instance ConfigMap "<release>-dagster-instance" and uses its own
    # service account; with release "orders-platform" both match dagster.yaml.
    assert ours["instance_config_map"] == "orders-platform-dagster-instance"
    assert ours["service_account_name"] == helm_values["global"]["serviceAccountName"]
    assert ours["dagster_home"] == helm_values["global"]["dagsterHome"]
