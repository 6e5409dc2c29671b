"""orders_run_failure_sensor: real failed runs of the real pipeline, posted to a local webhook."""

from __future__ import annotations

import json

import dagster as dg
import pytest
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.storage.tags import WILL_RETRY_TAG
from dagster._utils.error import SerializableErrorInfo

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.alerts import AlertWebhook
from sensors.run_failure import (
    CANCELED_SENSOR_NAME,
    SENSOR_NAME,
    BlockedCheck,
    FailedStep,
    RunFailure,
    describe_failure,
    failure_message,
    partitions_of,
    stopped_by_left_out_days,
    summarize_error,
)
from tests.support.order_fixtures import DAY, HEADER, csv_bytes, land, order_rows, settings_for
from tests.support.webhook_server import WebhookServer

NO_AMOUNT = [h for h in HEADER if h != "amount"]


def held_day_run(tmp_path, instance: dg.DagsterInstance, tags=None) -> dg.DagsterRun:
    """A run of the real job that fails: the day's file lacks a required column (held)."""
    rows = order_rows(10)
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(rows, NO_AMOUNT))
    defs = build_definitions(settings_for(tmp_path))
    result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
        instance=instance, partition_key=DAY.isoformat(), tags=tags, raise_on_error=False
    )
    assert not result.success
    return instance.get_run_by_id(result.run_id)


def tick(sensor: dg.SensorDefinition, instance, webhook: AlertWebhook, cursor=None):
    """One evaluation of the sensor, as the daemon runs it."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"alert_webhook": webhook}
    )
    return sensor.evaluate_tick(context)


@pytest.fixture
def sensor(tmp_path) -> dg.SensorDefinition:
    return build_definitions(settings_for(tmp_path)).resolve_sensor_def(SENSOR_NAME)


def test_a_failed_run_is_posted_with_what_an_engineer_needs(tmp_path, sensor, instance):
    with WebhookServer() as server:
        webhook = AlertWebhook(url=server.url)
        first = tick(sensor, instance, webhook)  # sets the cursor at the end of the event log
        run = held_day_run(tmp_path, instance)
        second = tick(sensor, instance, webhook, first.cursor)

    assert second.run_requests == []
    [post] = server.posts
    body = json.dumps(post)
    assert post["text"] == (
        f"orders: run {run.run_id[:8]} of {ALL_ASSETS_JOB} for {DAY.isoformat()} stopped by "
        f"failed blocking checks: {DAY.isoformat()} (schema_drift). Open /runs/{run.run_id} in"
        " the Dagster UI."
    )
    facts, details = (block["text"]["text"] for block in post["blocks"][2:])
    assert f"`{run.run_id}` (/runs/{run.run_id})" in facts
    assert f"*Partitions*: {DAY.isoformat()}" in facts
    assert "*Reason*: STEP_FAILURE" in facts
    assert "`raw_orders_schema_drift`: 1 blocking asset check failed" in details
    assert "raw_orders: schema_drift" in details
    # The day, the finding and what to do; not devtools.held, which lists held days only.
    assert (
        f"• *{DAY.isoformat()}* `raw_orders` schema_drift: Schema drift: missing_required amount"
        in details
    )
    assert "→ fix the day's landing files: orders_landing_sensor loads the day again" in details
    assert "devtools.held" not in details
    # No row values: no order id, customer id or e-mail of the landed rows. The run id is
    # random hex, in which a customer id such as c004 appears by chance (1 run in ~200).
    scrubbed = body.replace(run.run_id, "<run id>").replace(run.run_id[:8], "<run>")
    for row in order_rows(10):
        for column in ("order_id", "customer_id", "customer_email"):
            assert row[column] not in scrubbed


def test_each_failed_run_is_posted_once(tmp_path, sensor, instance):
    with WebhookServer() as server:
        webhook = AlertWebhook(url=server.url)
        cursor = tick(sensor, instance, webhook).cursor
        held_day_run(tmp_path, instance)
        cursor = tick(sensor, instance, webhook, cursor).cursor
        tick(sensor, instance, webhook, cursor)
    assert len(server.posts) == 1


def test_a_run_that_will_be_retried_is_not_announced(tmp_path, sensor, instance):
    with WebhookServer() as server:
        webhook = AlertWebhook(url=server.url)
        cursor = tick(sensor, instance, webhook).cursor
        held_day_run(tmp_path, instance, tags={WILL_RETRY_TAG: "true"})
        result = tick(sensor, instance, webhook, cursor)
    assert server.posts == []
    assert "will be retried" in (result.skip_message or "")


def test_a_webhook_that_is_down_does_not_fail_the_tick(tmp_path, sensor, instance):
    with WebhookServer(status=500) as server:
        webhook = AlertWebhook(url=server.url)
        cursor = tick(sensor, instance, webhook).cursor
        held_day_run(tmp_path, instance)
        tick(sensor, instance, webhook, cursor)
    assert len(server.posts) == 1


def test_a_run_failure_without_failed_steps_reports_the_run_error(instance):
    """A run whose worker was lost: no step failed, the run's own error is reported."""

    @dg.job
    def lost():
        pass

    run = instance.create_run_for_job(lost, status=dg.DagsterRunStatus.STARTED)
    instance.report_run_failed(
        run,
        "Run worker for ops@example.com was evicted",
        JobFailureData(None, RunFailureReason.UNEXPECTED_TERMINATION),
    )
    [record] = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
    ).records
    failure = describe_failure(
        instance.get_run_by_id(run.run_id), [], record.event_log_entry.dagster_event
    )
    text, blocks = failure_message(failure)
    assert failure.partitions is None and not failure.held_by_checks
    assert "lost failed" in text
    assert "*Error*: Run worker for <email> was evicted" in blocks[-1]["text"]["text"]
    assert "*Reason*: UNEXPECTED_TERMINATION" in blocks[2]["text"]["text"]


def test_a_step_whose_retries_ran_out_is_reported_with_its_last_error(instance):
    """Dagster fails such a step with RetryRequestedFromPolicy ("Exceeded max_retries of
    1"): the alert named that and not the Snowflake timeout that caused it."""

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
    def fct():
        raise TimeoutError("000630 (57014): Statement reached its statement timeout")

    result = dg.materialize([fct], instance=instance, raise_on_error=False)
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]

    [step] = describe_failure(instance.get_run_by_id(result.run_id), failures, None).steps
    assert step.error_class == "TimeoutError"
    assert step.summary == (
        "000630 (57014): Statement reached its statement timeout (Exceeded max_retries of 1)"
    )


def test_partitions_are_the_day_or_the_range():
    assert partitions_of({"dagster/partition": "2025-01-02"}) == "2025-01-02"
    assert (
        partitions_of(
            {
                "dagster/asset_partition_range_start": "2025-01-01",
                "dagster/asset_partition_range_end": "2025-01-31",
            }
        )
        == "2025-01-01...2025-01-31"
    )
    assert partitions_of({}) is None


def test_error_summaries_drop_the_class_mask_emails_and_stay_short():
    error = SerializableErrorInfo(
        "pandas.errors.ParserError: bad row for Jane.Doe@example.com\n  at line 3\n",
        [],
        "ParserError",
    )
    assert summarize_error(error) == "bad row for <email>; at line 3"
    assert len(summarize_error(SerializableErrorInfo("x" * 1000, [], "E"))) == 300
    assert summarize_error(None) == ""


def test_the_sensor_is_on_by_default_and_reads_the_alert_webhook(sensor):
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "alert_webhook" in sensor.required_resource_keys


def test_a_canceled_run_is_posted_with_how_to_finish_it(tmp_path, instance):
    """Nothing requests a canceled run again (a sensor's run key is used once)."""
    defs = build_definitions(settings_for(tmp_path))
    sensor = defs.resolve_sensor_def(CANCELED_SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    with WebhookServer() as server:
        webhook = AlertWebhook(url=server.url)
        cursor = tick(sensor, instance, webhook).cursor
        run = instance.create_run_for_job(job, tags={"dagster/partition": DAY.isoformat()})
        instance.report_run_canceled(run)
        cursor = tick(sensor, instance, webhook, cursor).cursor
        tick(sensor, instance, webhook, cursor)
    [post] = server.posts
    assert post["text"] == (
        f"orders: run {run.run_id[:8]} of {ALL_ASSETS_JOB} for {DAY.isoformat()} was canceled. "
        f"Open /runs/{run.run_id} in the Dagster UI."
    )
    assert post["blocks"][0]["text"]["text"] == "Orders run canceled"
    assert "*Re-execute from failure*" in post["blocks"][-1]["text"]["text"]


def test_a_force_terminated_run_is_posted_once(tmp_path, instance):
    """The UI's "Force termination" marks the run canceled, then its process, stopping,
    reports its cancellation too: two RUN_CANCELED events, which posted the run twice."""
    defs = build_definitions(settings_for(tmp_path))
    sensor = defs.resolve_sensor_def(CANCELED_SENSOR_NAME)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    with WebhookServer() as server:
        webhook = AlertWebhook(url=server.url)
        cursor = tick(sensor, instance, webhook).cursor
        run = instance.create_run_for_job(job, tags={"dagster/partition": DAY.isoformat()})
        instance.report_run_canceled(run, message="forcibly marked as canceled")
        instance.report_run_canceled(run, message=f'Execution of run for "{job.name}" canceled.')
        cursor = tick(sensor, instance, webhook, cursor).cursor
        tick(sensor, instance, webhook, cursor)
    assert [post["text"][:20] for post in server.posts] == [f"orders: run {run.run_id[:8]}"]


def _blocked_run(*blocked: BlockedCheck) -> RunFailure:
    step = FailedStep("raw_orders_checks", "DagsterAssetCheckFailedError", "blocking check failed")
    return RunFailure(
        "r" * 36,
        ALL_ASSETS_JOB,
        "2025-03-01...2025-03-05",
        None,
        None,
        (step,),
        None,
        blocked=blocked,
        days_in_run=5,
    )


HELD = BlockedCheck("2025-03-02", "raw_orders", "metadata_anomaly", "anomalous: test")
HELD_DRIFT = BlockedCheck("2025-03-02", "raw_orders", "schema_drift", "Schema drift: x")
DRIFT = BlockedCheck("2025-03-04", "raw_orders", "schema_drift", "Schema drift: y")
DEFERRED_DAY = BlockedCheck("2025-03-05", "raw_orders", "metadata_anomaly", "deferred", True)


def test_a_run_stopped_by_held_days_only_is_left_to_the_held_alert():
    """orders_anomaly_sensor posts the held day, every reason (its drift too) and what to
    do: a post of the run would be a second message about the same day."""
    assert _blocked_run(HELD, HELD_DRIFT).only_held
    assert not _blocked_run(DEFERRED_DAY).only_held  # the held alert says nothing of it


def test_a_run_with_held_and_other_blocked_days_details_the_others_only():
    failure = _blocked_run(HELD, HELD_DRIFT, DRIFT)
    assert not failure.only_held and failure.held_days == ["2025-03-02"]
    text, blocks = failure_message(failure)
    assert "failed blocking checks: 2025-03-04 (schema_drift); held: 2025-03-02 (the" in text
    details = blocks[-1]["text"]["text"]
    assert "• *2025-03-04* `raw_orders` schema_drift: Schema drift: y" in details
    assert "*2025-03-02*" not in details and "Schema drift: x" not in details
    assert "*Held by metadata_anomaly*: 2025-03-02: the held-days alert" in details


def _refused_run(left_out_days: tuple[str, ...]) -> RunFailure:
    """A range whose cleaning had no day left (each failed a check, none all of them)."""
    step = FailedStep(
        "clean_orders",
        "Failure",
        "No day of this run can be cleaned. 2025-03-02: held or deferred by metadata_anomaly:"
        " release it or land corrected files",
        left_out_days=left_out_days,
    )
    return RunFailure(
        "r" * 36,
        ALL_ASSETS_JOB,
        "2025-03-02...2025-03-04",
        None,
        None,
        (step,),
        None,
        days_in_run=3,
    )


def test_a_step_with_no_day_left_is_stopped_by_the_checks_that_left_its_days_out():
    """Every day left out by this run's checks: the alert of a run those checks blocked,
    the held day left to its own alert; a day the run's checks do not explain (held by
    an earlier run) keeps the step's own words, every day named there."""
    failure = stopped_by_left_out_days(_refused_run(("2025-03-02", "2025-03-04")), (HELD, DRIFT))
    assert failure.held_by_checks and failure.left_out == ()
    text, blocks = failure_message(failure)
    assert "stopped by failed blocking checks: 2025-03-04 (schema_drift); held: 2025-03-02" in text
    assert "release it" not in str(blocks) and "left out" not in text
    assert "No day of this run can be cleaned: each day failed a blocking check" in str(blocks)

    earlier = stopped_by_left_out_days(_refused_run(("2025-03-02", "2025-03-03")), (DRIFT,))
    assert not earlier.held_by_checks and earlier.blocked == () and earlier.left_out == (DRIFT,)
    text, blocks = failure_message(earlier)
    assert "release it or land corrected files" in str(blocks)


def test_landed_names_cannot_ping_the_channel_or_plant_a_link_in_the_alert(
    tmp_path, sensor, instance
):
    # The finding quotes the landed header's cells; Slack read them as its own markup:
    # <!channel> notified everyone, <url|words> was a link under the sender's words.
    hostile = ["<!channel>", "<https://evil.example/login|Open the run in Dagster>", "a&b"]
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(order_rows(3), [*NO_AMOUNT, *hostile]))
    job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)
    with WebhookServer() as server:
        webhook = AlertWebhook(url=server.url)
        cursor = tick(sensor, instance, webhook).cursor
        result = job.execute_in_process(
            instance=instance, partition_key=DAY.isoformat(), raise_on_error=False
        )
        assert not result.success
        tick(sensor, instance, webhook, cursor)
    [post] = server.posts
    texts = [post["text"], *(block["text"]["text"] for block in post["blocks"])]
    assert not [text for text in texts if "<" in text or ">" in text]
    details = texts[-1]
    assert "added &lt;!channel&gt;" in details
    assert "added &lt;https://evil.example/login|" in details
    assert "added a&amp;b" in details
