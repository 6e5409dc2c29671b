"""Fixtures for the production engines: moto S3 on loopback, fakesnow, and a reference local run."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import fakesnow
import pandas as pd
import pytest

from platform_assets.definitions import ALL_ASSETS_JOB, build_definitions
from resources.settings import PlatformSettings
from resources.snowflake_warehouse import SnowflakeWarehouse, snowflake_resource
from tests.prod.landing_fixture import DAYS, landing_files, upload, write_local
from tests.prod.services import moto_s3

pytestmark = pytest.mark.services

TABLES = (
    "raw.raw_orders",
    "staging.cleaned_orders",
    "staging.quarantined_orders",
    "analytics.customer_metrics",
    "analytics.customer_clv",
    "warehouse.fct_orders",
    "warehouse.dim_customers",
)
RANGE_TAGS = {
    "dagster/asset_partition_range_start": DAYS[0].isoformat(),
    "dagster/asset_partition_range_end": DAYS[-1].isoformat(),
}
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
_buckets = itertools.count()


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


def snowflake_tables() -> dict[str, pd.DataFrame]:
    """Every platform table as stored in (fake) Snowflake."""
    warehouse = SnowflakeWarehouse(
        snowflake=snowflake_resource(key_pair=False, key_passphrase=False)
    )
    with dg.build_resources({"warehouse": warehouse}) as resources:
        return {table: resources.warehouse.query(f"select * from {table}") for table in TABLES}


@pytest.fixture(scope="session")
def fixture_files() -> dict[str, bytes]:
    return landing_files()


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Dummy credentials, no instance metadata lookups, no endpoint from the outer environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            patch.delenv(name, raising=False)
        for name, value in AWS_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def moto_endpoint(aws_env) -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def s3_client(moto_endpoint):
    return boto3.client("s3", endpoint_url=moto_endpoint)


@pytest.fixture
def landed_bucket(s3_client, fixture_files) -> str:
    """A fresh bucket holding the fixture files under ``landing/``; yields its name."""
    bucket = f"orders-landing-{next(_buckets)}"
    s3_client.create_bucket(Bucket=bucket)
    upload(s3_client, bucket, "landing", fixture_files)
    return bucket


@pytest.fixture
def snowflake_env(monkeypatch) -> None:
    for name, value in {**SNOWFLAKE_ENV, "PII_HASH_KEY": PII_KEY}.items():
        monkeypatch.setenv(name, value)
    for name in ("SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_PRIVATE_KEY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_snowflake(snowflake_env) -> Iterator[None]:
    """An empty in-memory Snowflake emulation (fakesnow) for the test."""
    with fakesnow.patch():
        yield


@pytest.fixture(scope="session")
def local_tables(tmp_path_factory, fixture_files) -> dict[str, pd.DataFrame]:
    """The reference: the same files through the local engines (directory + DuckDB)."""
    base: Path = tmp_path_factory.mktemp("local")
    write_local(base / "landing", fixture_files)
    settings = PlatformSettings(
        partitions_start=DAYS[0].isoformat(),
        landing_uri=str(base / "landing"),
        duckdb_path=str(base / "orders.duckdb"),
        pii_key_from_env=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_HASH_KEY", PII_KEY)
        assert run_pipeline(settings, checks=False).success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        return {
            table: conn.sql(f"select * from {table}").to_arrow_table().to_pandas()
            for table in TABLES
        }
