"""A day failing cleaned_orders' checks on the production engines (S3 landing over HTTP,
Snowflake SQL): withheld, its newer version of an earlier day's order competes for
nothing, in fct_orders and in the publication suite's expected counts, as on DuckDB.

Day 2 re-sends one of day 1's orders with a newer version whose amount the suite (made
stricter than the cleaning here, as in test_batching_failed_cleaned_day) refuses. A range
run of the three days leaves day 2 out and publishes days 1 and 3 with fct_orders'
statements and the suite's counts for one withheld day, which no other prod test runs.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import fakesnow
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.settings import PlatformSettings
from tests.support.order_fixtures import range_tags
from tests.support.prod_landing import DAYS, upload, write_local
from tests.support.prod_pipeline import PII_KEY, prod_settings, snowflake_tables
from tests.support.prod_tables import canonical_rows
from tests.support.quality_cases import refuse_amounts_above

pytestmark = pytest.mark.services

ORDER = f"o-{DAYS[0]:%m%d}-005"
WITHHELD = DAYS[1].isoformat()
RESENT = (
    "order_id,customer_id,order_ts,amount,currency,quantity,unit_price,updated_at\n"
    f"{ORDER},c-01,{WITHHELD}T10:00:00Z,999.00,USD,1,999.00,{WITHHELD}T10:00:00Z\n"
).encode()
# Every table: the customer tables leave the withheld day out as fct_orders does.
ORDER_TABLES = (
    "raw.raw_orders",
    "staging.cleaned_orders",
    "staging.quarantined_orders",
    "warehouse.fct_orders",
    "analytics.customer_metrics",
    "analytics.customer_clv",
    "warehouse.dim_customers",
)


@pytest.fixture
def strict_suite(monkeypatch):
    """cleaned_orders' suite refusing amounts above 500, which the cleaning keeps."""
    refuse_amounts_above(monkeypatch, 500)


def _range(settings: PlatformSettings, instance) -> dg.ExecuteInProcessResult:
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    return job.execute_in_process(
        instance=instance, tags=range_tags(DAYS[0], DAYS[-1]), raise_on_error=False
    )


def _verdicts(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str, str], bool]:
    return {
        (e.asset_key.to_user_string(), e.check_name, e.partition): e.passed
        for e in result.get_asset_check_evaluations()
        if e.check_name == "gx_quality"
    }


def test_a_withheld_day_on_s3_and_snowflake_publishes_what_duckdb_does(
    tmp_path,
    monkeypatch,
    fixture_files,
    landed_bucket,
    moto_endpoint,
    s3_client,
    snowflake_env,
    strict_suite,
):
    files = {**fixture_files, f"orders/date={WITHHELD}/part-w.csv": RESENT}
    upload(s3_client, landed_bucket, "landing", {f"orders/date={WITHHELD}/part-w.csv": RESENT})
    with fakesnow.patch(), dg.instance_for_test() as instance:
        prod = _range(prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint), instance)
        tables = snowflake_tables(ORDER_TABLES)
    prod_tables = {table: canonical_rows(tables[table]) for table in ORDER_TABLES}

    write_local(tmp_path / "landing", files)
    local_settings = PlatformSettings(
        partitions_start=DAYS[0].isoformat(),
        landing_uri=str(tmp_path / "landing"),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        pii_key_from_env=True,
    )
    monkeypatch.setenv("PII_HASH_KEY", PII_KEY)
    with dg.instance_for_test() as instance:
        local = _range(local_settings, instance)
    with duckdb.connect(local_settings.duckdb_path, read_only=True) as conn:
        local_tables = {
            table: canonical_rows(conn.sql(f"select * from {table}").to_arrow_table().to_pandas())
            for table in ORDER_TABLES
        }

    assert prod.success and local.success
    verdicts = _verdicts(prod)
    assert verdicts == _verdicts(local)
    assert verdicts[("cleaned_orders", "gx_quality", WITHHELD)] is False
    # the facts of every day hold as many rows as its current versions: none on day 2,
    # left out and withheld (its materialization says not published), day 1's version of
    # the order on day 1
    assert {
        day: passed
        for (asset, _, day), passed in verdicts.items()
        if asset == "warehouse/fct_orders"
    } == {day.isoformat(): True for day in DAYS}
    assert prod_tables == local_tables
    facts = tables["warehouse.fct_orders"].rename(columns=str.lower)
    (row,) = facts[facts["order_id"] == ORDER].itertuples()
    assert str(row.partition_date)[:10] == DAYS[0].isoformat() and float(row.amount) != 999.0
    assert WITHHELD not in {str(day)[:10] for day in facts["partition_date"]}
