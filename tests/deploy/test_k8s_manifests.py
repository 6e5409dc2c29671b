"""The Kubernetes Jobs that production runs and steps become, rendered by dagster-k8s itself.

The run worker Job comes from a real ``K8sRunLauncher`` built from deploy/dagster.yaml whose
Kubernetes API is a recorder; step Jobs are built as the ``k8s_job_executor`` builds them (run
launcher settings, then the executor's ``step_k8s_config``, then the step's op tags).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._config import process_config
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.storage.dagster_run import DagsterRun
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import (
    USER_DEFINED_K8S_CONFIG_KEY,
    UserDefinedDagsterK8sConfig,
    construct_dagster_k8s_job,
    get_user_defined_k8s_config,
)
from kubernetes.client import ApiClient, V1Job

from resources import k8s
from resources.k8s import DEFAULT_STEP_RESOURCES, k8s_op_tags, run_executor
from resources.settings import PlatformSettings

IMAGE = "ghcr.io/orders-platform/orders-platform:0123abc"
CODE_MODULE = "orders_platform.definitions"
# The code server reports its own interpreter: the image's virtualenv (deploy/Dockerfile).
IMAGE_PYTHON = "/opt/dagster/venv/bin/python"


class RecordingBatchApi:
    """Stands in for ``kubernetes.client.BatchV1Api``: keeps the Jobs instead of creating them."""

    def __init__(self) -> None:
        self.created: list[tuple[str, V1Job]] = []

    def create_namespaced_job(self, body: V1Job, namespace: str, **_: Any) -> V1Job:
        self.created.append((namespace, body))
        return body


def manifest(job: V1Job) -> dict[str, Any]:
    """The Job as the Kubernetes API would receive it (camelCase JSON)."""
    return ApiClient().sanitize_for_serialization(job)


def job_origin() -> JobPythonOrigin:
    """Where the code server says the job lives: our module, in our image."""
    return JobPythonOrigin(
        job_name="__ASSET_JOB",
        repository_origin=RepositoryPythonOrigin(
            executable_path=IMAGE_PYTHON,
            code_pointer=ModuleCodePointer(CODE_MODULE, "defs", "/opt/dagster/app"),
            container_image=IMAGE,
        ),
    )


@pytest.fixture(scope="module")
def launcher_config(instance_yaml: dict[str, Any], fake_kubeconfig: Path) -> dict[str, Any]:
    """deploy/dagster.yaml's run launcher config, validated, with an offline kubeconfig."""
    raw = {
        **instance_yaml["run_launcher"]["config"],
        "load_incluster_config": False,
        "kubeconfig_file": str(fake_kubeconfig),
    }
    result = process_config(K8sRunLauncher.config_type(), raw)
    assert result.success, result.errors
    return dict(result.value)


@pytest.fixture(scope="module")
def launched(launcher_config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Launch one run through the production run launcher; return (namespace, Job manifest)."""
    batch_api = RecordingBatchApi()
    launcher = K8sRunLauncher(**launcher_config, k8s_client_batch_api=batch_api)
    with dg.instance_for_test() as instance:
        launcher.register_instance(instance)
        run = DagsterRun(
            job_name="__ASSET_JOB",
            tags={"dagster/partition": "2025-01-02"},
            job_code_origin=job_origin(),
        )
        instance.add_run(run)
        launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    [(namespace, job)] = batch_api.created
    return namespace, manifest(job)


def test_run_worker_job_runs_our_code_with_our_image(launched: tuple[str, dict]) -> None:
    namespace, job = launched
    [container] = job["spec"]["template"]["spec"]["containers"]

    assert namespace == "orders-platform"
    assert container["image"] == IMAGE
    assert container["imagePullPolicy"] == "IfNotPresent"
    # Only args are set: the image's CMD is replaced, so the image must have no ENTRYPOINT.
    assert "command" not in container
    assert container["args"][:5] == [IMAGE_PYTHON, "-m", "dagster", "api", "execute_run"]
    assert CODE_MODULE in container["args"][5]


def test_run_worker_job_gets_secrets_only_by_reference(launched: tuple[str, dict]) -> None:
    _, job = launched
    [container] = job["spec"]["template"]["spec"]["containers"]
    env = {var["name"]: var for var in container["env"]}

    secret_refs = [
        source["secretRef"]["name"] for source in container["envFrom"] if "secretRef" in source
    ]
    assert secret_refs == [
        "orders-platform-snowflake",
        "orders-platform-aws",
        "orders-platform-pii",
        "orders-platform-alerts",
    ]
    assert {"configMapRef": {"name": "orders-platform-env"}} in container["envFrom"]
    assert env["PLATFORM_ENV"]["value"] == "prod"
    assert env["DAGSTER_HOME"]["value"] == "/opt/dagster/dagster_home"
    assert env["DAGSTER_PG_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "orders-platform-dagster-postgresql",
        "key": "postgresql-password",
    }
    assert all("value" not in var or "PASSWORD" not in var["name"] for var in container["env"])


def test_run_worker_job_shape(launched: tuple[str, dict]) -> None:
    _, job = launched
    pod = job["spec"]["template"]
    [container] = pod["spec"]["containers"]

    assert pod["spec"]["serviceAccountName"] == "orders-platform-dagster"
    assert pod["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }
    assert container["securityContext"] == {"runAsNonRoot": True, "allowPrivilegeEscalation": False}
    for labels in (job["metadata"]["labels"], pod["metadata"]["labels"]):
        assert labels["app.kubernetes.io/part-of"] == "orders-platform"
        assert labels["orders-platform/component"] == "run-worker"
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "run_worker"


def step_job(launcher_config: dict[str, Any], op_tags: dict[str, str]) -> dict[str, Any]:
    """The Job the k8s_job_executor of run_executor() would create for a step with these tags."""
    launcher = K8sRunLauncher(**launcher_config, k8s_client_batch_api=RecordingBatchApi())
    executor_def = run_executor(
        PlatformSettings(env="prod", landing_uri="s3://bucket/orders", step_executor="k8s_job")
    )
    resolved = executor_def.config_schema.resolve_config({})
    assert resolved.success, resolved.errors
    executor_config = resolved.value["config"]
    run = DagsterRun(job_name="__ASSET_JOB", job_code_origin=job_origin())

    context = (
        K8sContainerContext.create_for_run(run, launcher, include_run_tags=False)
        .merge(
            K8sContainerContext(
                run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(
                    executor_config["step_k8s_config"]
                )
            )
        )
        .merge(K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(op_tags)))
    )
    job = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(job_image=IMAGE, run_launcher=launcher),
        args=["dagster", "api", "execute_step"],
        job_name="dagster-step-test",
        component="step_worker",
        user_defined_k8s_config=context.run_k8s_config,
    )
    return manifest(job)


def test_steps_get_default_resources(launcher_config: dict[str, Any]) -> None:
    [container] = step_job(launcher_config, {})["spec"]["template"]["spec"]["containers"]

    assert container["resources"] == {k: dict(v) for k, v in DEFAULT_STEP_RESOURCES.items()}
    assert [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s] == [
        "orders-platform-snowflake",
        "orders-platform-aws",
        "orders-platform-pii",
        "orders-platform-alerts",
    ]


def test_asset_op_tags_override_step_resources(launcher_config: dict[str, Any]) -> None:
    @dg.asset(op_tags=k8s_op_tags("2", "6Gi", memory_limit="12Gi"))
    def heavy() -> None:
        """A stand-in for raw_orders."""

    job = step_job(launcher_config, dict(heavy.op.tags))
    [container] = job["spec"]["template"]["spec"]["containers"]

    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "6Gi"},
        # Deep merge: the CPU limit the asset did not set keeps the executor's default.
        "limits": {"cpu": DEFAULT_STEP_RESOURCES["limits"]["cpu"], "memory": "12Gi"},
    }
    assert job["spec"]["backoffLimit"] == 0


def test_k8s_op_tags_shape() -> None:
    tags = k8s_op_tags("500m", "1Gi")

    assert json.loads(json.dumps(tags)) == {
        "dagster-k8s/config": {
            "container_config": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}
        }
    }


def test_executor_choice() -> None:
    assert run_executor(PlatformSettings()) is dg.in_process_executor
    assert (
        run_executor(PlatformSettings(env="prod", landing_uri="s3://bucket/orders"))
        is dg.multiprocess_executor
    )
    assert run_executor(
        PlatformSettings(env="prod", landing_uri="s3://bucket/orders", step_executor="k8s_job")
    ).name == ("k8s_step_executor")
    with pytest.raises(ValueError, match="PLATFORM_ENV=prod"):
        PlatformSettings(env="local", step_executor="k8s_job")
    settings = PlatformSettings.from_env(
        {
            "PLATFORM_ENV": "prod",
            "ORDERS_LANDING_URI": "s3://bucket/orders",
            "PLATFORM_STEP_EXECUTOR": "K8s_Job",
        }
    )
    assert settings.step_executor == "k8s_job"


def test_the_op_tag_key_is_the_one_dagster_k8s_reads():
    assert k8s.USER_DEFINED_K8S_CONFIG_KEY == USER_DEFINED_K8S_CONFIG_KEY
