"""The sensors' listings of the S3 landing zone: the days a tick fingerprints are listed
together, in requests counted here (a ListObjectsV2 request each), and each day's files
are the ones a listing of that day alone gives."""

from __future__ import annotations

import datetime as dt
import itertools

import dagster as dg
import pytest

from orders_platform.definitions import build_definitions
from platform_assets.partitions import daily_partitions
from resources.instance_history import FILES_FINGERPRINT, FINGERPRINT, RAW_ORDERS
from resources.landing import files_fingerprint, fingerprint
from resources.landing_s3 import S3LandingZone, s3_landing_zone
from resources.settings import PlatformSettings
from sensors.batching import JobAssets
from sensors.landing import evaluate_landing
from sensors.orders_anomaly import evaluate_tick
from tests.support.check_history import report_verdict

pytestmark = pytest.mark.services

FIRST = dt.date(2025, 1, 1)
_buckets = itertools.count()


def _zone(bucket: str, endpoint: str, page_size: int = 1000) -> S3LandingZone:
    zone = s3_landing_zone(
        f"s3://{bucket}/landing",
        endpoint_url=endpoint,
        region="us-east-1",
        max_attempts=3,
        retry_mode="standard",
    )
    return S3LandingZone(s3=zone.s3, bucket=zone.bucket, prefix=zone.prefix, page_size=page_size)


def _counted(zone: S3LandingZone) -> list[str]:
    """The Prefix of every ListObjectsV2 request ``zone``'s client sends from now on."""
    requests: list[str] = []
    zone.client.meta.events.register(
        "provide-client-params.s3.ListObjectsV2",
        lambda params, **_: requests.append(params.get("Prefix", "")),
    )
    return requests


def _land(s3_client, bucket: str, days: int) -> list[dt.date]:
    landed = [FIRST + dt.timedelta(days=i) for i in range(days)]
    for day in landed:
        key = f"landing/orders/date={day.isoformat()}/orders.csv"
        s3_client.put_object(Bucket=bucket, Key=key, Body=day.isoformat().encode())
    return landed


@pytest.fixture
def bucket(s3_client) -> str:
    name = f"orders-listing-{next(_buckets)}"
    s3_client.create_bucket(Bucket=name)
    return name


def test_days_listed_together_have_the_files_each_days_own_listing_has(
    bucket, moto_endpoint, s3_client
):
    """Odd keys around and inside the days (a folder marker, a sub-folder, folders whose
    names sort just before or after a day's, names S3 sorts oddly), across page ends."""
    days = _land(s3_client, bucket, 6)
    for key in (
        "orders/date=2025-01-02/",  # a "folder" marker object, not a file
        "orders/date=2025-01-02/sub/deeper.csv",  # refused by the day: not its file
        "orders/date=2025-01-02-old/a.csv",  # sorts before date=2025-01-02/
        "orders/date=2025-01-020/a.csv",  # sorts after it
        "orders/date=2025-01-02/.DS_Store",
        "orders/date=2025-01-02/a#b?.csv",
        "orders/date=2025-01-02/caf\u00e9.csv",
        "orders/date=2025-01-04/b.csv",
        "orders/stray.csv",
        "orders-other/date=2025-01-03/x.csv",
    ):
        s3_client.put_object(Bucket=bucket, Key=f"landing/{key}", Body=b"x")
    unlanded = FIRST - dt.timedelta(days=1)
    for page_size in (1, 2, 3, 1000):
        zone = _zone(bucket, moto_endpoint, page_size)
        for wanted in (days, days[1:2], [days[0], days[3], days[5]], [unlanded, days[1]]):
            assert zone.files_of_days(wanted) == {d: zone.list_day(d) for d in sorted(wanted)}, (
                page_size,
                wanted,
            )
    assert [f.name for f in zone.files_of_days([days[1]])[days[1]]] == [
        ".DS_Store",
        "a#b?.csv",
        "caf\u00e9.csv",
        "orders.csv",
    ]


def test_a_tick_lists_50_held_days_in_one_request_and_a_weeks_days_in_one(
    bucket, moto_endpoint, s3_client
):
    """orders_anomaly_sensor fingerprints every held day each tick: it listed each day's
    prefix, a request a held day (50 with 50 held, 500 with 500, bench/RESULTS.md, hunt
    67); orders_landing_sensor listed each of the lookback's days (1 + 7 requests)."""
    days = _land(s3_client, bucket, 120)
    held = days[::2][:50]
    zone = _zone(bucket, moto_endpoint)
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)
    with dg.instance_for_test() as instance:
        for day in held:
            metadata = {
                "verdict": "anomalous",
                "landing_fingerprint": fingerprint(zone.list_day(day)),
            }
            report_verdict(instance, day.isoformat(), passed=False, metadata=metadata)
        requests = _counted(zone)

        first = evaluate_tick(instance, None, zone, job)
        assert len(first.state.held) == 50 and not first.run_requests
        assert len(requests) == 1, requests
        requests.clear()
        later = evaluate_tick(instance, first.state.to_json(), zone, job)
        assert not later.run_requests, later.decisions
        assert len(requests) == 1, requests

        parts = daily_partitions("2025-01-01")
        cursor = evaluate_landing(instance, None, zone, parts, 7, job).cursor
        requests.clear()
        evaluate_landing(instance, cursor, zone, parts, 7, job)
        # One listing of orders/ (its folders, with the delimiter), one of the week's files.
        assert len(requests) == 2, requests


def test_a_sweep_lists_every_day_in_one_walk_and_tells_a_copied_zone(
    bucket, moto_endpoint, s3_client
):
    """orders_landing_sensor's sweep over 120 days on S3: one listing of orders/'s folders
    and one walk of every day's keys (a request per 1,000 keys), not a request a day. A
    file added to a day 60 days back is loaded; the zone copied under another prefix
    (S3 keeps each object's ETag) is named in an alert and loads nothing."""
    days = _land(s3_client, bucket, 120)
    zone = _zone(bucket, moto_endpoint)
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)
    parts = daily_partitions("2025-01-01")
    with dg.instance_for_test() as instance:
        for day in days:
            files = zone.list_day(day)
            metadata = {
                FINGERPRINT: fingerprint(files),
                FILES_FINGERPRINT: files_fingerprint(files),
            }
            instance.report_runless_asset_event(
                dg.AssetMaterialization(RAW_ORDERS, partition=day.isoformat(), metadata=metadata)
            )
        cursor = evaluate_landing(instance, None, zone, parts, 7, job).cursor
        old = days[-61]
        s3_client.put_object(
            Bucket=bucket, Key=f"landing/orders/date={old.isoformat()}/late.csv", Body=b"late"
        )
        requests = _counted(zone)
        swept = evaluate_landing(instance, cursor, zone, parts, 7, job, sweep_ticks=1)
        assert [r.partition_key for r in swept.run_requests] == [old.isoformat()]
        # orders/'s folders, the week's files, every other day's files
        assert len(requests) == 3, requests

        for item in s3_client.list_objects_v2(Bucket=bucket, Prefix="landing/")["Contents"]:
            s3_client.copy_object(
                Bucket=bucket,
                Key="copy/" + item["Key"].removeprefix("landing/"),
                CopySource={"Bucket": bucket, "Key": item["Key"]},
            )
        copy = s3_landing_zone(
            f"s3://{bucket}/copy",
            endpoint_url=moto_endpoint,
            region="us-east-1",
            max_attempts=3,
            retry_mode="standard",
        )
        moved = evaluate_landing(instance, swept.cursor, copy, parts, 7, job, sweep_ticks=1)
        assert [r.partition_key for r in moved.run_requests] == [old.isoformat()], (
            "the day requested before, its new load not done yet: only it differs for real"
        )
        assert moved.sweep_alert is not None
        assert "ORDERS_LANDING_URI points at a moved or copied landing zone" in moved.sweep_alert
