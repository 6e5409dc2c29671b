"""The whole graph in prod mode (S3 over HTTP + Snowflake SQL) equals the local run."""

from __future__ import annotations

import pytest

from tests.prod.conftest import TABLES, prod_settings, run_pipeline, snowflake_tables
from tests.prod.tables import canonical_rows, checksum

pytestmark = pytest.mark.services


def test_prod_run_matches_local_run(landed_bucket, moto_endpoint, fake_snowflake, local_tables):
    result = run_pipeline(prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint))

    assert result.success
    prod = snowflake_tables()
    for table in TABLES:
        assert len(prod[table]) > 0, table
        assert sorted(prod[table].columns) == sorted(local_tables[table].columns), table
        assert canonical_rows(prod[table]) == canonical_rows(local_tables[table]), table
        assert checksum(prod[table]) == checksum(local_tables[table]), table
