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

from resources.settings import PlatformSettings
from tests.support.prod_landing import DAYS, landing_files, upload, write_local
from tests.support.prod_pipeline import (
    AWS_ENV,
    PII_KEY,
    SNOWFLAKE_ENV,
    TABLES,
    run_pipeline,
)
from tests.support.prod_services import deploy_instance, moto_s3
from tests.support.snowflake_bindings import real_connector_bindings

pytestmark = pytest.mark.services
_buckets = itertools.count()


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
    """An empty in-memory Snowflake emulation (fakesnow) for the test, which fails when a
    statement bound a value the real connector would refuse (fakesnow binds it)."""
    with fakesnow.patch(), real_connector_bindings() as refused:
        yield
    assert refused == [], refused


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


@pytest.fixture
def prod_instance(
    postgres_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    """deploy/dagster.yaml on a new database of the test server (prod_services.deploy_instance)."""
    with deploy_instance(postgres_db_url, tmp_path / "dagster_home", monkeypatch) as instance:
        yield instance
