"""A landed file rewritten on S3 between the day's listing and its read, through raw_orders:
one clear message naming the file, and the step's retry loads the new version."""

from __future__ import annotations

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.assets.common import IO_RETRY_POLICY
from resources.landing import fingerprint
from resources.landing_s3 import S3LandingZone, s3_file_key
from sensors.run_failure import describe_failure
from tests.support.prod_landing import DAYS
from tests.support.prod_pipeline import RANGE_TAGS, prod_settings, snowflake_tables

pytestmark = pytest.mark.services

REWRITTEN = (
    b"order_id,customer_id,order_ts,amount,currency\n"
    b"o-rewritten,c-1,2025-01-01T10:00:00Z,5.00,USD\n"
)


def _raw_orders_reading(
    get, settings, monkeypatch
) -> tuple[dg.ExecuteInProcessResult, dg.DagsterRun]:
    """A range run of raw_orders alone whose S3 reads go through ``get``. The backoff's
    length is not what is tested: the retries follow each other at once."""
    monkeypatch.setattr(S3LandingZone, "_get", get)
    monkeypatch.setattr(dg.RetryPolicy, "calculate_delay", lambda policy, attempt_num: 0)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    job = job.get_subset(asset_selection={dg.AssetKey("raw_orders")}, asset_check_selection=set())
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, tags=RANGE_TAGS, raise_on_error=False)
        return result, instance.get_run_by_id(result.run_id)


def test_a_file_rewritten_while_raw_orders_reads_it_is_named_and_the_retry_loads_it(
    landed_bucket, moto_endpoint, s3_client, fake_snowflake, monkeypatch
):
    get = S3LandingZone._get
    rewritten: list[str] = []

    def rewritten_once(zone, info):
        """The first read finds its file rewritten since the day was listed."""
        if not rewritten:
            bucket, key = s3_file_key(info.uri)
            s3_client.put_object(Bucket=bucket, Key=key, Body=REWRITTEN)
            rewritten.append(info.uri)
        return get(zone, info)

    settings = prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint)
    result, _ = _raw_orders_reading(rewritten_once, settings, monkeypatch)

    [uri] = rewritten
    [retry] = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    shown = retry.event_specific_data.error.to_string()
    assert f"landed file {uri} changed while being read" in shown, shown
    assert "Retried: the days are listed again and the new version read." in shown, shown
    assert result.success  # the retry listed the day again and read the new version
    day = next(d for d in DAYS if f"date={d.isoformat()}/" in uri)
    raw = snowflake_tables(("raw.raw_orders",))["raw.raw_orders"]
    assert raw.loc[raw["source_file"] == uri, "order_id"].tolist() == ["o-rewritten"]
    [materialization] = [
        m
        for m in result.asset_materializations_for_node("raw_orders")
        if m.partition == day.isoformat()
    ]
    zone = S3LandingZone(
        s3=build_definitions(settings).resources["landing"].s3,
        bucket=landed_bucket,
        prefix="landing",
    )
    assert materialization.metadata["orders/landing_fingerprint"].value == fingerprint(
        zone.list_day(day)
    )


def test_a_file_that_keeps_changing_fails_the_step_saying_it_is_not_retried_again(
    landed_bucket, moto_endpoint, s3_client, fake_snowflake, monkeypatch
):
    """Every read finds its file rewritten: retried with the step's backoff, then a
    failure that names the file and what happens next, which the run failure alert
    quotes (it said "Exceeded max_retries of 3" with the bare botocore error below it)."""
    get = S3LandingZone._get
    versions = iter(range(1, 100))

    def rewritten_every_time(zone, info):
        bucket, key = s3_file_key(info.uri)
        s3_client.put_object(Bucket=bucket, Key=key, Body=REWRITTEN + b"%d" % next(versions))
        return get(zone, info)

    settings = prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint)
    result, run = _raw_orders_reading(rewritten_every_time, settings, monkeypatch)

    assert not result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == IO_RETRY_POLICY.max_retries
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    attempts = IO_RETRY_POLICY.max_retries + 1
    message = failure.step_failure_data.user_failure_data.description
    assert "changed while being read" in message and "s3://" in message
    assert f"It is not retried again ({attempts} attempts: the file kept changing)" in message
    assert "orders_landing_sensor loads the day again when it sees the new version" in message
    [step] = describe_failure(run, [failure], None).steps
    assert step.summary.startswith("landed file s3://"), step.summary
    # The transaction that replaces the days never ran to its end: no row written.
    assert snowflake_tables(("raw.raw_orders",))["raw.raw_orders"].empty
