"""How production runs use Kubernetes: the step executor and per-asset pod resources.

In production every run is a Kubernetes Job started by the ``K8sRunLauncher`` configured in
``deploy/dagster.yaml``. Inside that run pod, steps execute either in subprocesses (the default
``multiprocess`` executor) or each in its own Job through dagster-k8s's ``k8s_job_executor``
(``PLATFORM_STEP_EXECUTOR=k8s_job``), which is what lets a heavy step such as ``raw_orders`` get
a bigger pod than the rest.

Per-asset pod sizes are op tags (:func:`k8s_op_tags`). They apply to step pods only, so they take
effect with the ``k8s_job`` executor; the run pod itself is sized by the run launcher (or by a
``dagster-k8s/config`` *run* tag on a job).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from resources.settings import PlatformSettings

# dagster-k8s reads per-op pod config from this tag (dagster_k8s.job.USER_DEFINED_K8S_CONFIG_KEY,
# asserted equal in tests). dagster-k8s itself is imported only when the k8s executor is
# chosen: importing it (and the kubernetes client) costs over a second at every code load.
USER_DEFINED_K8S_CONFIG_KEY = "dagster-k8s/config"

# Most steps transform one day of orders; this is their pod unless an asset asks for more.
DEFAULT_STEP_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "250m", "memory": "512Mi"},
    "limits": {"cpu": "1", "memory": "2Gi"},
}
# Step pods running at once within one run (a range backfill is one run).
MAX_CONCURRENT_STEP_PODS = 4


def k8s_container_resources(
    cpu_request: str,
    memory_request: str,
    cpu_limit: str | None = None,
    memory_limit: str | None = None,
) -> dict[str, dict[str, str]]:
    """Kubernetes ``resources`` for a container, in Kubernetes quantities (``"500m"``, ``"2Gi"``).

    Limits are optional: without a CPU limit the pod may burst on idle nodes, which suits
    short batch steps.
    """
    resources: dict[str, dict[str, str]] = {
        "requests": {"cpu": cpu_request, "memory": memory_request}
    }
    limits = {
        name: value
        for name, value in (("cpu", cpu_limit), ("memory", memory_limit))
        if value is not None
    }
    if limits:
        resources["limits"] = limits
    return resources


def k8s_op_tags(
    cpu_request: str,
    memory_request: str,
    cpu_limit: str | None = None,
    memory_limit: str | None = None,
) -> dict[str, Any]:
    """Op tags that size an asset's step pod under the ``k8s_job`` executor.

    Use as ``@dg.asset(op_tags=k8s_op_tags("1", "4Gi", memory_limit="8Gi"))``. dagster-k8s
    deep-merges the tag over the executor's defaults, so unset limits keep the default ones.
    """
    resources = k8s_container_resources(cpu_request, memory_request, cpu_limit, memory_limit)
    return {USER_DEFINED_K8S_CONFIG_KEY: {"container_config": {"resources": resources}}}


def k8s_step_executor_config() -> dict[str, Any]:
    """Run config of the ``k8s_job_executor``: step pod defaults on top of the run launcher's.

    Namespace, image, service account, env secrets and labels are inherited from the
    ``K8sRunLauncher`` of the instance, so they are not repeated here.
    """
    return {
        "max_concurrent": MAX_CONCURRENT_STEP_PODS,
        "step_k8s_config": {"container_config": {"resources": dict(DEFAULT_STEP_RESOURCES)}},
    }


def run_executor(settings: PlatformSettings) -> dg.ExecutorDefinition:
    """The executor of every job: one pod per step in production when settings ask for it.

    Locally every step runs in the run's own process: DuckDB allows one writing
    process per file, and a day of orders is small enough not to need more.
    """
    if settings.step_executor == "k8s_job":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(k8s_step_executor_config(), name="k8s_step_executor")
    if settings.env == "local":
        return dg.in_process_executor
    return dg.multiprocess_executor
