"""metadata_anomaly's profiles of landed days not loaded, from the S3 landing zone.

In production the landed days a day's history waits for are profiled from S3 (streamed
to a scratch DuckDB file in the check's step); the numbers the features read are those
of the same files profiled from a local folder (which ``test_landed_profiles`` checks
against what raw_orders records).
"""

from __future__ import annotations

import pytest

from platform_assets.assets.ingestion import landed_day_profiles
from resources.landing import LocalLandingZone
from resources.landing_s3 import s3_landing_zone
from tests.support.metadata_history import scored_numbers
from tests.support.prod_landing import DAYS, write_local

pytestmark = pytest.mark.services


def _numbers(profiles) -> dict[str, dict[str, float]]:
    return {day: scored_numbers(metadata) for day, metadata in profiles.items()}


def test_s3_profiles_are_the_local_folders(landed_bucket, moto_endpoint, fixture_files, tmp_path):
    write_local(tmp_path / "landing", fixture_files)
    local = landed_day_profiles(LocalLandingZone(root=str(tmp_path / "landing")), DAYS, 2**30)
    zone = s3_landing_zone(
        f"s3://{landed_bucket}/landing",
        endpoint_url=moto_endpoint,
        region="us-east-1",
        max_attempts=3,
        retry_mode="standard",
    )
    remote = landed_day_profiles(zone, DAYS, 2**30)
    assert local is not None and remote is not None
    assert _numbers(remote) == _numbers(local)
    assert all(record["raw_orders:dagster/row_count"] > 0 for record in _numbers(remote).values())
    assert landed_day_profiles(zone, DAYS, 0) is None
