"""S3LandingZone reads only plain keys directly under a day of its own prefix."""

from __future__ import annotations

import pytest

from resources.landing import (
    MISNAMED_DAY,
    NOT_A_FILE,
    OUTSIDE_ROOT,
    LandingFileInfo,
    LandingRefusedError,
    LocalLandingZone,
    RefusedFile,
)
from resources.landing_s3 import S3LandingZone, s3_landing_zone
from tests.support.prod_landing import DAYS

pytestmark = pytest.mark.services

CANARY = b"leak.canary@example.invalid"


def _zone(bucket: str, endpoint: str, prefix: str = "landing") -> S3LandingZone:
    return s3_landing_zone(
        f"s3://{bucket}/{prefix}",
        endpoint_url=endpoint,
        region="us-east-1",
        max_attempts=1,
        retry_mode="standard",
    )


def test_keys_outside_the_prefix_are_never_read(landed_bucket, moto_endpoint, s3_client):
    zone = _zone(landed_bucket, moto_endpoint)
    day = f"date={DAYS[1].isoformat()}"
    s3_client.put_object(Bucket=landed_bucket, Key="secret.csv", Body=CANARY)
    s3_client.put_object(Bucket=landed_bucket, Key="landing2/orders/x.csv", Body=CANARY)
    outside = [
        f"s3://{landed_bucket}/secret.csv",
        f"s3://{landed_bucket}/landing2/orders/{day}/x.csv",
        f"s3://{landed_bucket}/landing/orders/{day}/../../../secret.csv",
        f"s3://{landed_bucket}/landing/orders/{day}/sub/x.csv",
        f"s3://{landed_bucket}/landing/orders/x.csv",
        f"s3://other-bucket/landing/orders/{day}/part-a.csv",
    ]
    for uri in outside:
        info = LandingFileInfo(uri=uri, name="x.csv", size=1, version="etag")
        with pytest.raises(LandingRefusedError, match=OUTSIDE_ROOT) as refused:
            zone.read(info)
        assert CANARY.decode() not in str(refused.value)
    [good] = [i for i in zone.list_day(DAYS[1]) if i.name == "part-a.csv"]
    assert zone.read(good)  # a key of the prefix still reads


def test_a_dot_dot_key_in_a_day_is_refused_visibly(landed_bucket, moto_endpoint, s3_client):
    zone = _zone(landed_bucket, moto_endpoint)
    key = f"landing/orders/date={DAYS[1].isoformat()}/.."
    s3_client.put_object(Bucket=landed_bucket, Key=key, Body=CANARY)
    listing = zone.scan_day(DAYS[1])
    assert [(r.name, r.reason) for r in listing.refused] == [("..", OUTSIDE_ROOT)]
    assert [f.name for f in listing.files] == ["part-a.csv", "part-b.jsonl", "part-c.parquet"]


def test_only_plain_names_directly_under_the_day_belong_to_it():
    folder = "landing/orders/date=2025-01-02/"
    assert S3LandingZone._owns(folder + "a.csv", folder)
    for key in (
        folder + "../x.csv",
        folder + "sub/a.csv",
        "landing/orders/a.csv",
        folder,
        folder + "..",
    ):
        assert not S3LandingZone._owns(key, folder)


def test_a_name_with_a_backslash_is_listed_and_read_like_the_local_zone(
    landed_bucket, moto_endpoint, s3_client, tmp_path
):
    name = "orders\\2025.csv"  # a plain name on Linux and in S3
    body = b"order_id,customer_id,order_ts,amount,currency\no1,c1,2025-01-02T10:00:00Z,1,USD\n"
    s3_client.put_object(
        Bucket=landed_bucket, Key=f"landing/orders/date={DAYS[1].isoformat()}/{name}", Body=body
    )
    folder = tmp_path / "orders" / f"date={DAYS[1].isoformat()}"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(body)
    local = LocalLandingZone(root=str(tmp_path)).scan_day(DAYS[1])
    s3 = _zone(landed_bucket, moto_endpoint).scan_day(DAYS[1])
    assert [f.name for f in local.files] == [name]
    assert name in [f.name for f in s3.files]
    assert s3.refused == local.refused == []
    (info,) = [f for f in s3.files if f.name == name]
    assert _zone(landed_bucket, moto_endpoint).read(info) == body


def test_dot_files_are_listed_and_folders_refused_like_the_local_zone(
    landed_bucket, moto_endpoint, s3_client
):
    zone = _zone(landed_bucket, moto_endpoint)
    day = f"landing/orders/date={DAYS[1].isoformat()}/"
    for name in (".DS_Store", "._part-a.csv", "sub/x.csv", "sub/y.csv"):
        s3_client.put_object(Bucket=landed_bucket, Key=day + name, Body=b"x")
    listing = zone.scan_day(DAYS[1])
    assert [f.name for f in listing.files] == [
        ".DS_Store",
        "._part-a.csv",
        "part-a.csv",
        "part-b.jsonl",
        "part-c.parquet",
    ]
    assert [(r.name, r.reason) for r in listing.refused] == [("sub/", NOT_A_FILE)]


def test_a_misnamed_day_prefix_is_listed_once_and_refused(landed_bucket, moto_endpoint, s3_client):
    """As in the local zone: ``date=20250102/`` names a day it is not read for; the day is
    listed (once) and the prefix reported as a refused entry of that day."""
    zone = _zone(landed_bucket, moto_endpoint)
    before = zone.list_days()
    misnamed = f"date={DAYS[1].strftime('%Y%m%d')}"
    s3_client.put_object(
        Bucket=landed_bucket, Key=f"landing/orders/{misnamed}/late.csv", Body=b"order_id\no1\n"
    )
    assert zone.list_days() == before  # DAYS[1] already listed, not twice
    assert zone.misnamed_day_folders(DAYS) == {
        DAYS[1]: [RefusedFile(f"orders/{misnamed}/", MISNAMED_DAY)]
    }
    assert "late.csv" not in [f.name for f in zone.list_day(DAYS[1])]
