"""The production pipeline under test: settings, a one-run materialization, the tables."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.settings import PlatformSettings
from resources.snowflake_warehouse import (
    SnowflakeWarehouse,
    snowflake_resource,
    snowflake_session_parameters,
)
from tests.support.order_fixtures import range_tags
from tests.support.prod_landing import DAYS
from tests.support.prod_tables import canonical_rows, checksum

TABLES = (
    "raw.raw_orders",
    "staging.cleaned_orders",
    "staging.quarantined_orders",
    "analytics.customer_metrics",
    "analytics.customer_clv",
    "warehouse.fct_orders",
    "warehouse.dim_customers",
    "staging.fx_rates",
)
RANGE_TAGS = range_tags(DAYS[0], DAYS[-1])
PII_KEY = "test-key-for-hashing-emails"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
SNOWFLAKE_ENV = {
    "SNOWFLAKE_ACCOUNT": "fake-account",
    "SNOWFLAKE_USER": "fake-user",
    "SNOWFLAKE_PASSWORD": "fake-password",  # pragma: allowlist secret
    "SNOWFLAKE_DATABASE": "ORDERS",
    "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
    "SNOWFLAKE_ROLE": "TRANSFORMER",
}


def without_standalone_checks(job: dg.JobDefinition) -> dg.JobDefinition:
    """The job without the checks that run as steps of their own (GX, drift, ...);
    checks computed inside an asset's step stay, as they cannot be split off."""
    graph = job.asset_layer.asset_graph
    kept = {
        key
        for key in graph.asset_check_keys
        if graph.get_execution_set_asset_and_check_keys(key) != {key}
    }
    return job.get_subset(
        asset_selection=job.asset_layer.executable_asset_keys, asset_check_selection=kept
    )


def run_pipeline(settings: PlatformSettings, checks: bool = True) -> dg.ExecuteInProcessResult:
    """Materialize every asset for the fixture days in one run (``checks=False`` leaves out
    the standalone checks: tests about storage need not pay for GX on every run)."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    if not checks:
        job = without_standalone_checks(job)
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, tags=RANGE_TAGS, raise_on_error=False)


def prod_settings(landing_uri: str, endpoint_url: str, **overrides) -> PlatformSettings:
    """Production settings pointing at a loopback S3 endpoint."""
    return PlatformSettings(
        env="prod",
        partitions_start=DAYS[0].isoformat(),
        landing_uri=landing_uri,
        s3_endpoint_url=endpoint_url,
        **overrides,
    )


def snowflake_warehouse() -> SnowflakeWarehouse:
    """The Snowflake warehouse resource of the test environment (fakesnow, password
    authentication), initialized."""
    warehouse = SnowflakeWarehouse(
        snowflake=snowflake_resource(
            key_pair=False,
            key_passphrase=False,
            session_parameters=snowflake_session_parameters(PlatformSettings()),
        )
    )
    with dg.build_resources({"warehouse": warehouse}) as resources:
        return resources.warehouse


def snowflake_tables(tables: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """Every platform table (or those of ``tables``) as stored in (fake) Snowflake."""
    warehouse = snowflake_warehouse()
    return {table: warehouse.query(f"select * from {table}") for table in tables}


def assert_same_tables(prod: dict[str, pd.DataFrame], local: dict[str, pd.DataFrame]) -> None:
    for table in TABLES:
        # Three days of twelve customers are too few to fit the CLV model: empty in both.
        assert len(prod[table]) > 0 or table == "analytics.customer_clv", table
        assert sorted(prod[table].columns) == sorted(local[table].columns), table
        assert canonical_rows(prod[table]) == canonical_rows(local[table]), table
        assert checksum(prod[table]) == checksum(local[table]), table
