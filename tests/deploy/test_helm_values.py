"""deploy/helm/values.yaml uses only keys the official chart has, agrees with dagster.yaml, and
hands every pod that runs platform code each variable the code reads, from objects whose names
match deploy/k8s/env.yaml.

The chart is not rendered here: Debian has no helm package, no package registry ships the
dagster chart, and it cannot be vendored. Instead ``CHART_KEY_PATHS`` lists every key path we
use, each checked by hand against the chart's schema models in dagster-io/dagster
(``helm/dagster/schema/schema/charts/...``):

- ``dagster/values.py`` (top level: ``global``, ``generatePostgresqlPasswordSecret``,
  ``serviceAccount``, ``telemetry``, ``postgresql``, ``computeLogManager``,
  ``dagster-user-deployments``, ``runLauncher``, ``dagsterDaemon``);
- ``dagster/subschema/global_.py``, ``service_account.py``, ``telemetry.py``,
  ``postgresql.py`` (and ``templates/helpers/instance/_postgresql.tpl``, which renders
  ``postgresqlScheme`` as the storage ``scheme``), ``compute_log_manager.py`` (``S3ComputeLogManager``);
- ``dagster_user_deployments/subschema/user_deployments.py`` (``UserDeployment``, including
  ``envConfigMaps`` and ``envSecrets``); ``dagster/subschema/webserver.py`` (``env``, ``envSecrets``);
- ``dagster/subschema/run_launcher.py`` (``K8sRunLauncherConfig``, ``RunK8sConfig``);
- ``dagster/subschema/concurrency.py`` (``Concurrency``: ``enabled``, ``pools``, ``runs``; rendered
  by ``templates/helpers/instance/_concurrency.tpl``);
- ``dagster/subschema/daemon.py`` (``QueuedRunCoordinatorConfig``, ``TagConcurrencyLimit``,
  ``RunRetries``, ``env`` as a list of ``EnvVar``; ``runMonitoring`` is a free dict, of which the chart's instance template
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

import dagster as dg
import yaml
from dagster_k8s.models import k8s_snake_case_dict
from kubernetes.client import V1JobSpec

from resources import build_resources
from resources.pii import pii_hasher
from resources.settings import PlatformSettings
from tests.support.paths import DEPLOY_DIR

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
        "dagster-user-deployments.deployments[].envConfigMaps[].name",
        "dagster-user-deployments.deployments[].envSecrets[].name",
        "dagster-user-deployments.deployments[].labels*",
        "dagster-user-deployments.deployments[].securityContext*",
        "dagster-user-deployments.deployments[].resources*",
        "runLauncher.type",
        "runLauncher.config.k8sRunLauncher.jobNamespace",
        "runLauncher.config.k8sRunLauncher.imagePullPolicy",
        "runLauncher.config.k8sRunLauncher.loadInclusterConfig",
        "runLauncher.config.k8sRunLauncher.failPodOnRunFailure",
        "runLauncher.config.k8sRunLauncher.envConfigMaps[].name",
        "runLauncher.config.k8sRunLauncher.envSecrets[].name",
        "dagsterWebserver.envSecrets[].name",
        "runLauncher.config.k8sRunLauncher.envVars[]",
        "runLauncher.config.k8sRunLauncher.labels*",
        "runLauncher.config.k8sRunLauncher.resources*",
        "runLauncher.config.k8sRunLauncher.securityContext*",
        "runLauncher.config.k8sRunLauncher.runK8sConfig.jobSpecConfig*",
        "dagsterDaemon.enabled",
        "dagsterDaemon.env[].name",
        "dagsterDaemon.env[].value",
        "dagsterWebserver.env[].name",
        "dagsterWebserver.env[].value",
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
    assert [c["name"] for c in chart["envConfigMaps"]] == ours["env_config_maps"]
    assert deployment["envConfigMaps"] == chart["envConfigMaps"]
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


# Variables that are not read in production: the DuckDB file is the local warehouse.
LOCAL_ONLY = frozenset({"DUCKDB_PATH"})
# Set in the pods by the chart and by the run launcher, not by our objects.
SET_BY_DAGSTER = frozenset({"DAGSTER_HOME", "DAGSTER_PG_PASSWORD"})
# Read by boto3's credential chain rather than by our code.
READ_BY_BOTO3 = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})


class RecordingEnviron(dict):
    """An environment that remembers every variable looked up in it."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def env_var_names(value: Any) -> set[str]:
    """Names of every dg.EnvVar in a resource tree (resources nest other resources)."""
    if isinstance(value, dg.EnvVar):
        return {value.env_var_name}
    if isinstance(value, dict):
        return set().union(*(env_var_names(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(env_var_names(v) for v in value))
    fields = getattr(type(value), "model_fields", None)
    if fields is None:
        return set()
    return set().union(*(env_var_names(getattr(value, name, None)) for name in fields))


def variables_read_in_production() -> set[str]:
    """Every variable the code reads with PLATFORM_ENV=prod: the settings (recorded while they
    are read), the dg.EnvVars of the resources for both Snowflake authentications, the
    variables deploy/dagster.yaml reads, and the OpenTelemetry variables of .env.example."""
    environ = RecordingEnviron({"PLATFORM_ENV": "prod", "ORDERS_LANDING_URI": "s3://b/orders"})
    PlatformSettings.from_env(environ)
    names = environ.read - LOCAL_ONLY
    for key_pair in (False, True):
        settings = PlatformSettings(
            env="prod",
            landing_uri="s3://b/orders",
            snowflake_key_pair=key_pair,
            snowflake_key_passphrase=key_pair,
            alert_webhook_from_env=True,
        )
        names |= env_var_names(build_resources(settings))
    instance = (DEPLOY_DIR / "dagster.yaml").read_text(encoding="utf-8")
    names |= set(re.findall(r"env: (\w+)", instance))
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    names |= set(re.findall(r"^#? ?(OTEL_\w+)=", example, re.M))
    return names - SET_BY_DAGSTER


def env_objects() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """(ConfigMaps, Secrets) of deploy/k8s/env.yaml: name -> keys and values."""
    docs = list(yaml.safe_load_all((DEPLOY_DIR / "k8s" / "env.yaml").read_text(encoding="utf-8")))
    config_maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    secrets = {d["metadata"]["name"]: d["stringData"] for d in docs if d["kind"] == "Secret"}
    assert len(config_maps) + len(secrets) == len(docs)
    for data in (*config_maps.values(), *secrets.values()):
        # Kubernetes takes only strings here: an unquoted number or boolean is rejected.
        assert all(isinstance(value, str) for value in data.values()), data
    return config_maps, secrets


def test_every_variable_the_code_reads_comes_from_the_config_map_or_a_secret(
    helm_values: dict[str, Any],
) -> None:
    config_maps, secrets = env_objects()
    [deployment] = helm_values["dagster-user-deployments"]["deployments"]
    provided = {
        *(key for data in config_maps.values() for key in data),
        *(key for data in secrets.values() for key in data),
        *(var["name"] for var in deployment["env"]),
    }
    read = variables_read_in_production()

    assert {"PII_HASH_KEY", "SNOWFLAKE_PASSWORD", "ORDERS_LANDING_URI", "PLATFORM_ENV"} <= read
    assert not read - provided, f"read but given to no pod: {sorted(read - provided)}"
    assert not provided - read - READ_BY_BOTO3, f"never read: {sorted(provided - read)}"
    # Secrets hold the credentials only; everything else is a setting in the ConfigMap.
    secret_keys = {key for data in secrets.values() for key in data}
    assert secret_keys - READ_BY_BOTO3 == {
        "SNOWFLAKE_PASSWORD",
        "SNOWFLAKE_PRIVATE_KEY",
        "SNOWFLAKE_PRIVATE_KEY_PASSWORD",
        "PII_HASH_KEY",
        "ORDERS_ALERT_WEBHOOK_URL",
    }
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert not read - listed, f"missing from .env.example: {sorted(read - listed)}"


def test_pods_that_run_code_get_the_config_map_and_every_secret_by_name(
    helm_values: dict[str, Any], instance_yaml: dict[str, Any]
) -> None:
    config_maps, secrets = env_objects()
    [deployment] = helm_values["dagster-user-deployments"]["deployments"]
    launcher = helm_values["runLauncher"]["config"]["k8sRunLauncher"]
    ours = instance_yaml["run_launcher"]["config"]

    for pod in (deployment, launcher):
        assert [c["name"] for c in pod["envConfigMaps"]] == list(config_maps)
        assert [s["name"] for s in pod["envSecrets"]] == list(secrets)
    assert ours["env_config_maps"] == list(config_maps)
    assert ours["env_secrets"] == list(secrets)
    # The code server runs the sensors (landing zone, alerts) and reads the settings at load;
    # it must not hand its own environment to runs, which get the run launcher's.
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": False}
    # The UI reads compute logs from S3.
    assert helm_values["dagsterWebserver"]["envSecrets"] == [{"name": "orders-platform-aws"}]


def test_the_pii_secret_holds_the_variable_the_code_reads(helm_values: dict[str, Any]) -> None:
    _, secrets = env_objects()
    key = pii_hasher(PlatformSettings(env="prod", landing_uri="s3://b/orders")).key
    assert isinstance(key, dg.EnvVar)

    assert list(secrets["orders-platform-pii"]) == [key.env_var_name] == ["PII_HASH_KEY"]
    # The header of values.yaml names each object with the variables it holds.
    header = (DEPLOY_DIR / "helm" / "values.yaml").read_text(encoding="utf-8").split("\n\n")[0]
    for name, data in secrets.items():
        [line] = [line for line in header.splitlines() if f"#   {name} " in line]
        assert sorted(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", line)) == sorted(data), name


def test_every_process_that_stores_events_hands_them_over_in_batches(
    helm_values: dict[str, Any], instance_yaml: dict[str, Any]
) -> None:
    """The daemon and the UI create runs (their planned events), run pods store steps'
    materializations: each sets the batch size the local storage turns on itself."""
    from resources.instance_storage import EVENT_BATCH_SIZE, EVENT_BATCH_SIZE_VARIABLE

    variable = {"name": EVENT_BATCH_SIZE_VARIABLE, "value": str(EVENT_BATCH_SIZE)}
    assert variable in helm_values["dagsterDaemon"]["env"]
    assert variable in helm_values["dagsterWebserver"]["env"]
    setting = f"{EVENT_BATCH_SIZE_VARIABLE}={EVENT_BATCH_SIZE}"
    assert setting in helm_values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"]
    assert setting in instance_yaml["run_launcher"]["config"]["env_vars"]
