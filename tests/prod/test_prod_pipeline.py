"""The whole graph in prod mode (S3 over HTTP + Snowflake SQL) equals the local run."""

from __future__ import annotations

import pytest

from tests.support.prod_pipeline import (
    assert_same_tables,
    prod_settings,
    run_pipeline,
    snowflake_tables,
)
from tests.support.prod_services import FaultInjectingProxy
from tests.support.prod_tables import checksum
from tests.support.snowflake_faults import failing_statement

pytestmark = pytest.mark.services


def test_prod_run_matches_local_run(landed_bucket, moto_endpoint, fake_snowflake, local_tables):
    result = run_pipeline(prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint))

    assert result.success
    prod = snowflake_tables()
    assert_same_tables(prod, local_tables)
    # the rates landed on S3 were read, judged and used on Snowflake
    rates = prod["staging.fx_rates"].rename(columns=str.lower)
    assert sorted(rates["reason_code"].dropna()) == [
        "conflicting_rate",
        "conflicting_rate",
        "unknown_currency",
    ]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["fx_rates_available"] and not checks["fx_rates_valid"]


def test_prod_run_rides_out_s3_faults(landed_bucket, moto_endpoint, fake_snowflake, local_tables):
    with FaultInjectingProxy(moto_endpoint, rate=0.3, seed=7) as proxy:
        settings = prod_settings(f"s3://{landed_bucket}/landing", proxy.url, s3_max_attempts=10)
        result = run_pipeline(settings, checks=False)

    assert result.success
    # 3 day listings, 1 listing of the day folders (misnamed ones are reported), 9
    # reads, 1 listing of fx_rates/ and 1 read succeeded; every injected fault was
    # retried by botocore.
    assert proxy.requests == 15 + len(proxy.faults)
    assert 0.2 <= len(proxy.faults) / proxy.requests <= 0.4, proxy.faults
    assert {fault.split()[1] for fault in proxy.faults} >= {"SlowDown"}, proxy.faults
    assert_same_tables(snowflake_tables(), local_tables)


def test_warehouse_failure_mid_write_leaves_old_rows_and_rerun_converges(
    landed_bucket, moto_endpoint, s3_client, fake_snowflake, local_tables
):
    settings = prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint)
    assert run_pipeline(settings, checks=False).success
    before = snowflake_tables()
    # A late correction lands, then the warehouse fails between delete and insert.
    s3_client.put_object(
        Bucket=landed_bucket,
        Key="landing/orders/date=2025-01-02/part-d.csv",
        Body=b"order_id,customer_id,order_ts,amount,currency\n"
        b"o-late-1,c-99,2025-01-02T12:00:00Z,10.00,USD\n",
    )

    with failing_statement("insert into warehouse.fct_orders") as executed:
        failed = run_pipeline(settings, checks=False)

    assert not failed.success
    assert any(s.lower().startswith("delete from warehouse.fct_orders") for s in executed)
    after_failure = snowflake_tables()
    assert "o-late-1" in set(after_failure["staging.cleaned_orders"]["order_id"])
    assert checksum(after_failure["warehouse.fct_orders"]) == checksum(
        before["warehouse.fct_orders"]
    )

    s3_client.delete_object(Bucket=landed_bucket, Key="landing/orders/date=2025-01-02/part-d.csv")
    assert run_pipeline(settings, checks=False).success
    assert_same_tables(snowflake_tables(), local_tables)
