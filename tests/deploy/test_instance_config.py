"""deploy/dagster.yaml is a valid production instance, and its run queue limits do what we say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import (
    ConcurrencyConfig,
    PoolGranularity,
    dagster_instance_config,
)
from dagster._core.instance.ref import InstanceRef
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from dagster._serdes import ConfigurableClassData
from dagster._utils.tags import TagConcurrencyLimitsCounter
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_k8s import K8sRunLauncher
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config
from sqlalchemy.engine import make_url

from tests.support.paths import DEPLOY_DIR


@pytest.fixture
def instance_ref(instance_env: dict[str, str], tmp_path: Path) -> InstanceRef:
    """The instance reference Dagster builds from deploy/dagster.yaml (schema-validated)."""
    return InstanceRef.from_dir(str(tmp_path), config_dir=str(DEPLOY_DIR))


def offline_launcher_data(data: ConfigurableClassData, kubeconfig: Path) -> ConfigurableClassData:
    """The same run launcher, told to read a local kubeconfig instead of the in-cluster one."""
    config = {
        **data.config_dict,
        "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig),
    }
    return ConfigurableClassData(data.module_name, data.class_name, yaml.safe_dump(config))


def test_instance_yaml_matches_dagster_instance_schema(instance_env: dict[str, str]) -> None:
    config, custom_class = dagster_instance_config(str(DEPLOY_DIR))

    assert custom_class is None
    assert config["telemetry"] == {"enabled": False}
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_retries"]["enabled"] is True
    assert config["run_retries"]["max_retries"] >= 1
    assert config["run_retries"]["retry_on_asset_or_op_failure"] is False


def test_storage_is_postgres_with_credentials_from_environment(
    instance_ref: InstanceRef, instance_yaml: dict[str, Any], instance_env: dict[str, str]
) -> None:
    storage_data = instance_ref.storage_data
    assert (storage_data.module_name, storage_data.class_name) == (
        "dagster_postgres",
        "DagsterPostgresStorage",
    )
    db = instance_yaml["storage"]["postgres"]["postgres_db"]
    for field in ("hostname", "username", "password", "db_name", "port"):
        assert set(db[field]) == {"env"}, f"{field} must come from the environment"
    # Building the storage would connect: resolve its config into the URL it would use instead.
    resolved = process_config(DagsterPostgresStorage.config_type(), storage_data.config_dict)
    assert resolved.success, resolved.errors
    url = make_url(pg_url_from_config(resolved.value))
    assert (url.host, url.port, url.database) == ("postgres.invalid", 5432, "dagster")
    assert (url.username, url.password) == ("dagster", instance_env["DAGSTER_PG_PASSWORD"])
    assert url.query["sslmode"] == "require"
    assert url.drivername == "postgresql+psycopg2", "the driver dagster-postgres installs"


def test_compute_logs_go_to_s3(instance_ref: InstanceRef, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    manager = instance_ref.compute_log_manager

    assert isinstance(manager, S3ComputeLogManager)
    assert manager._s3_bucket == "orders-platform-dagster-logs"  # noqa: SLF001


def test_run_launcher_config_builds_a_k8s_run_launcher(
    instance_ref: InstanceRef, fake_kubeconfig: Path
) -> None:
    launcher = offline_launcher_data(instance_ref.run_launcher_data, fake_kubeconfig).rehydrate(
        as_type=K8sRunLauncher
    )

    assert launcher.job_namespace == "orders-platform"
    assert launcher.service_account_name == "orders-platform-dagster"
    assert launcher.image_pull_policy == "IfNotPresent"
    assert launcher.dagster_home == "/opt/dagster/dagster_home"
    assert launcher.postgres_password_secret == "orders-platform-dagster-postgresql"
    assert set(launcher.env_secrets) == {
        "orders-platform-snowflake",
        "orders-platform-aws",
        "orders-platform-pii",
        "orders-platform-alerts",
    }
    assert launcher.fail_pod_on_run_failure is True
    assert launcher.job_image is None, "the image must come from the code location"


def concurrency_config(instance_ref: InstanceRef) -> ConcurrencyConfig:
    """The queue limits and pools as the instance combines them (its get_concurrency_config)."""
    coordinator = instance_ref.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    return ConcurrencyConfig.from_concurrency_settings(
        instance_ref.settings["concurrency"], coordinator.get_run_queue_config()
    )


def test_run_queue_limits(instance_ref: InstanceRef) -> None:
    queue = concurrency_config(instance_ref).run_queue_config
    assert queue is not None
    assert queue.max_concurrent_runs == 8

    def blocked(candidate: dict[str, str], running: list[dict[str, str]]) -> bool:
        counter = TagConcurrencyLimitsCounter(
            list(queue.tag_concurrency_limits),
            [DagsterRun(job_name="__ASSET_JOB", tags=tags) for tags in running],
        )
        return counter.is_blocked(DagsterRun(job_name="__ASSET_JOB", tags=candidate))

    day = {PARTITION_NAME_TAG: "2025-01-02"}
    other_day = {PARTITION_NAME_TAG: "2025-01-03"}
    assert blocked(day, [day]), "a partition must never have two runs at once"
    assert not blocked(day, [other_day]), "different partitions run in parallel"

    def range_run(start: str, end: str) -> dict[str, str]:
        return {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}

    assert blocked(range_run("2025-01-02", "2025-01-09"), [range_run("2025-01-05", "2025-01-20")])


def test_warehouse_pool_is_limited_per_run(instance_ref: InstanceRef) -> None:
    pools = concurrency_config(instance_ref).pool_config
    assert pools.pool_granularity == PoolGranularity.RUN
    assert pools.default_pool_limit == 1, "one run writing the warehouse at a time"
