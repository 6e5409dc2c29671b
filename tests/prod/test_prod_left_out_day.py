"""A range run with a drifting day on the production engines (S3 landing over HTTP,
Snowflake SQL): the day is left out alone and the range publishes what day-by-day runs do.

A blocking check failing some days of a run leaves those days out
(``asset_checks.partitioned.stops_the_run``): the cleaning and the publication run the
other days in stretches of consecutive days, each its own set of statements and
transaction on the warehouse. On Snowflake, as on DuckDB, the range's tables and each
cleaned day's metadata equal those of day-by-day runs, the left-out day's materializations
say why, and once its files are fixed a run of the day publishes it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import fakesnow
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.assets.warehouse import NOT_PUBLISHED
from resources.instance_history import LAST_CLEANED_RUN, NOT_CLEANED
from resources.settings import PlatformSettings
from tests.support.order_fixtures import range_tags
from tests.support.prod_landing import DAYS
from tests.support.prod_pipeline import assert_same_tables, prod_settings, snowflake_tables
from tests.support.prod_tables import checksum

pytestmark = pytest.mark.services

DRIFTING = DAYS[1].isoformat()
# The required amount column is missing: schema_drift fails the day with ERROR.
NO_AMOUNT = (
    b"order_id,customer_id,order_ts,currency\n"
    b"o-drift-1,c-01," + DRIFTING.encode() + b"T10:00:00Z,USD\n"
)
DRIFT_KEY = f"landing/orders/date={DRIFTING}/part-z.csv"
# Run-specific metadata: how long a step took.
VARYING = ("orders/duration_s",)


def _run(settings: PlatformSettings, instance, first: dt.date, last: dt.date):
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    return job.execute_in_process(
        instance=instance, tags=range_tags(first, last), raise_on_error=False
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], dict]:
    found = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        found[(mat.asset_key.to_user_string(), mat.partition)] = {
            key: value.value for key, value in mat.metadata.items() if key not in VARYING
        }
    return found


def test_a_range_with_a_drifting_day_on_s3_and_snowflake_equals_day_by_day_runs(
    landed_bucket, moto_endpoint, s3_client, snowflake_env, local_tables
):
    s3_client.put_object(Bucket=landed_bucket, Key=DRIFT_KEY, Body=NO_AMOUNT)
    settings = prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint)

    with fakesnow.patch(), dg.instance_for_test() as instance:
        for day in DAYS:
            result = _run(settings, instance, day, day)
            assert result.success == (day.isoformat() != DRIFTING), day
        by_day = {table: checksum(frame) for table, frame in snowflake_tables().items()}
        day_metadata = {
            key: values
            for run in instance.get_runs()
            for key, values in _metadata_of_run(instance, run.run_id).items()
        }

    with fakesnow.patch(), dg.instance_for_test() as instance:
        ranged = _run(settings, instance, DAYS[0], DAYS[-1])
        assert ranged.success
        tables = snowflake_tables()
        assert {table: checksum(frame) for table, frame in tables.items()} == by_day
        facts = tables["warehouse.fct_orders"].rename(columns=str.lower)
        published = {str(day)[:10] for day in facts["partition_date"]}
        assert published == {DAYS[0].isoformat(), DAYS[2].isoformat()}
        metadata = _metadata(ranged)
        for asset in ("cleaned_orders", "quarantined_orders"):
            left = metadata[(asset, DRIFTING)]
            assert left[NOT_CLEANED].endswith("schema_drift not passed"), left
            assert LAST_CLEANED_RUN not in left  # never cleaned: no rows of its own
        assert NOT_PUBLISHED in metadata[("warehouse/fct_orders", DRIFTING)]
        for key, values in metadata.items():
            if key[1] not in (None, DRIFTING) and key[0] != "raw_orders":
                assert values == day_metadata[key], key

        # The day's files fixed, a run of the day cleans and publishes it.
        s3_client.delete_object(Bucket=landed_bucket, Key=DRIFT_KEY)
        fixed = _run(settings, instance, DAYS[1], DAYS[1])
        assert fixed.success
        assert NOT_CLEANED not in _metadata(fixed)[("cleaned_orders", DRIFTING)]
        assert_same_tables(snowflake_tables(), local_tables)


def _metadata_of_run(instance, run_id: str) -> dict[tuple[str, str | None], dict]:
    found = {}
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records:
        mat = record.asset_materialization
        found[(mat.asset_key.to_user_string(), mat.partition)] = {
            key: value.value for key, value in mat.metadata.items() if key not in VARYING
        }
    return found
