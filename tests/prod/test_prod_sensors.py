"""The sensors on the production path: the landing sensor lists the S3 landing zone, the
runs it requests write Snowflake, and the tables equal those of one local range run."""

from __future__ import annotations

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from sensors.fx_rates import SENSOR_NAME as RATES_SENSOR
from sensors.landing import SENSOR_NAME as LANDING_SENSOR
from sensors.orders_anomaly import SENSOR_NAME as ANOMALY_SENSOR
from tests.support.prod_landing import DAYS
from tests.support.prod_pipeline import assert_same_tables, prod_settings, snowflake_tables
from tests.support.requests import execute_request, requested_days

pytestmark = pytest.mark.services


def _tick(defs: dg.Definitions, instance, name: str, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return defs.get_sensor_def(name)(context)


def test_the_landing_sensor_on_s3_publishes_into_snowflake_what_a_range_run_does(
    landed_bucket, moto_endpoint, fake_snowflake, local_tables
):
    defs = build_definitions(prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    cursors: dict[str, str | None] = {LANDING_SENSOR: None, ANOMALY_SENSOR: None}
    requested = []
    with dg.DagsterInstance.ephemeral() as instance:
        for _ in range(4):  # tick both sensors, as the daemon does, until they are quiet
            requests = []
            for name in cursors:
                result = _tick(defs, instance, name, cursors[name])
                cursors[name] = result.cursor
                requests += [(name, request) for request in result.run_requests or []]
            if not requests:
                break
            for name, request in requests:
                assert execute_request(job, instance, request, name).success, request.run_key
            requested += [request for _, request in requests]
        else:
            pytest.fail(f"the sensors still request runs: {[r.run_key for r in requested]}")

        # The runs read fx_rates/ on S3 as fx_rates_sensor lists it: nothing to reload.
        rates = _tick(defs, instance, RATES_SENSOR, None)
        assert rates.run_requests == [], rates.skip_reason

    days = sorted(day for request in requested for day in requested_days(request))
    assert days == [day.isoformat() for day in DAYS], "every landed day loaded once"
    assert_same_tables(snowflake_tables(), local_tables)
