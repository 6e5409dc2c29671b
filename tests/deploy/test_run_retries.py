"""Run retries of both instances (dagster.yaml, deploy/dagster.yaml): lost workers, not held days.

A day held by a blocking check fails the same way on every attempt, so a retry only adds
red runs; a run whose worker was killed or never started deserves another go. The real
pipeline runs on an instance configured with each file's ``run_retries`` section, and Dagster's
own retry decision (the tag it writes on failure, and the daemon's ``should_retry``) is read.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.storage.tags import (
    RETRY_ON_ASSET_OR_OP_FAILURE_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
)
from dagster._daemon.auto_run_reexecution.auto_run_reexecution import should_retry

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from tests.support.order_fixtures import DAY, HEADER, csv_bytes, land, order_rows, settings_for
from tests.support.paths import DEPLOY_DIR

INSTANCE_FILES = {
    "local": DEPLOY_DIR.parent / "dagster.yaml",
    "production": DEPLOY_DIR / "dagster.yaml",
}
NO_AMOUNT = [h for h in HEADER if h != "amount"]


def run_retries(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["run_retries"]


@pytest.fixture(params=sorted(INSTANCE_FILES))
def retrying_instance(request: pytest.FixtureRequest):
    """A test instance with the run_retries section of one of our instance files."""
    settings = run_retries(INSTANCE_FILES[request.param])
    assert settings["enabled"] is True and settings["max_retries"] >= 1
    with dg.instance_for_test(overrides={"run_retries": settings}) as instance:
        yield instance


def test_both_instances_retry_only_infrastructure_failures():
    for path in INSTANCE_FILES.values():
        assert run_retries(path)["retry_on_asset_or_op_failure"] is False, path


def test_a_day_held_by_a_blocking_check_is_not_retried(tmp_path, retrying_instance):
    # A required column missing: schema_drift (blocking, like metadata_anomaly) fails the day.
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(order_rows(10), NO_AMOUNT))
    job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)

    result = job.execute_in_process(
        instance=retrying_instance, partition_key=DAY.isoformat(), raise_on_error=False
    )

    assert not result.success
    run = retrying_instance.get_run_by_id(result.run_id)
    assert run.tags[RUN_FAILURE_REASON_TAG] == RunFailureReason.STEP_FAILURE.value
    assert run.tags[WILL_RETRY_TAG] == "false"
    assert not should_retry(run, retrying_instance)


@pytest.mark.parametrize(
    "reason", [RunFailureReason.UNEXPECTED_TERMINATION, RunFailureReason.START_TIMEOUT]
)
def test_a_run_that_lost_its_worker_is_retried(retrying_instance, reason):
    run = retrying_instance.create_run_for_job(
        dg.GraphDefinition(name="lost", node_defs=[]).to_job(), status=dg.DagsterRunStatus.STARTED
    )

    retrying_instance.report_run_failed(run, job_failure_data=JobFailureData(None, reason))

    run = retrying_instance.get_run_by_id(run.run_id)
    assert run.tags[WILL_RETRY_TAG] == "true"
    assert should_retry(run, retrying_instance)


def test_a_run_can_still_opt_in_to_retries_of_step_failures(retrying_instance):
    run = retrying_instance.create_run_for_job(
        dg.GraphDefinition(name="opted_in", node_defs=[]).to_job(),
        status=dg.DagsterRunStatus.STARTED,
        tags={RETRY_ON_ASSET_OR_OP_FAILURE_TAG: "true"},
    )

    retrying_instance.report_run_failed(
        run, job_failure_data=JobFailureData(None, RunFailureReason.STEP_FAILURE)
    )

    assert retrying_instance.get_run_by_id(run.run_id).tags[WILL_RETRY_TAG] == "true"
