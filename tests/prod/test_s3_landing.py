"""S3LandingZone against moto's S3 server over HTTP, with and without injected faults."""

from __future__ import annotations

import dataclasses
import os

import dagster as dg
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from orders_core.contract import load_contract
from orders_core.ingest import read_landed_files
from orders_core.raw_frame import LandedFile
from resources import landing_s3
from resources.instance_history import CLEANED_ORDERS, RATES_FINGERPRINT
from resources.landing import (
    NOT_A_DAY,
    NOT_A_FILE,
    OUTSIDE_DAYS,
    LandedFileChangedError,
    listing_fingerprint,
)
from resources.landing_s3 import (
    S3LandingZone,
    parse_s3_uri,
    s3_file_key,
    s3_file_uri,
    s3_landing_zone,
)
from sensors.fx_rates import FX_RATES, evaluate_rates
from tests.support.prod_landing import DAYS
from tests.support.prod_services import FaultInjectingProxy

pytestmark = pytest.mark.services


def _zone(
    bucket: str,
    endpoint: str,
    prefix: str = "landing",
    max_attempts: int = 3,
    retry_mode: str = "standard",
    page_size: int = 1000,
) -> S3LandingZone:
    zone = s3_landing_zone(
        f"s3://{bucket}/{prefix}",
        endpoint_url=endpoint,
        region="us-east-1",
        max_attempts=max_attempts,
        retry_mode=retry_mode,
    )
    return S3LandingZone(s3=zone.s3, bucket=zone.bucket, prefix=zone.prefix, page_size=page_size)


def test_parse_s3_uri():
    assert parse_s3_uri("s3://bucket/a/b/") == ("bucket", "a/b")
    assert parse_s3_uri("s3://bucket") == ("bucket", "")
    with pytest.raises(ValueError, match="s3://"):
        parse_s3_uri("/local/dir")
    for no_bucket in ("s3://", "s3:///prefix", "s3:/bucket/prefix"):
        with pytest.raises(ValueError, match="s3://"):
            parse_s3_uri(no_bucket)


def test_a_prefix_or_name_holding_hash_or_question_mark_is_kept_whole():
    # A URL parser reads '#' and '?' as a fragment and a query: the prefix was cut there.
    assert parse_s3_uri("s3://bucket/land#ing/a?b/") == ("bucket", "land#ing/a?b")
    folder = "land#ing/orders/date=2025-01-01/"
    uri = s3_file_uri("bucket", folder, "a#b?.csv")
    assert s3_file_key(uri) == ("bucket", f"{folder}a#b?.csv")


def test_lists_and_reads_the_same_layout_as_locally(landed_bucket, moto_endpoint, fixture_files):
    zone = _zone(landed_bucket, moto_endpoint)

    assert zone.list_days() == DAYS
    listed = zone.list_day(DAYS[1])
    assert [f.name for f in listed] == ["part-a.csv", "part-b.jsonl", "part-c.parquet"]
    for info in listed:
        relative = f"orders/date={DAYS[1].isoformat()}/{info.name}"
        assert info.uri == f"s3://{landed_bucket}/landing/{relative}"
        assert info.size == len(fixture_files[relative])
        assert zone.read(info) == fixture_files[relative]
    assert zone.list_day(DAYS[0].replace(year=2030)) == []


def test_reads_all_three_formats_into_raw_rows(landed_bucket, moto_endpoint):
    zone = _zone(landed_bucket, moto_endpoint)
    files = [
        LandedFile(uri=i.uri, name=i.name, size=i.size, data=zone.read(i))
        for i in zone.list_day(DAYS[0])
    ]

    raw = read_landed_files(load_contract(), files)

    assert raw.groupby("source_format").size().to_dict() == {"csv": 10, "jsonl": 7, "parquet": 6}
    assert raw["parse_error"].isna().all()


def test_paginates_listings(landed_bucket, moto_endpoint, s3_client):
    for n in range(5):
        s3_client.put_object(
            Bucket=landed_bucket, Key=f"landing/orders/date=2025-01-01/extra-{n}.csv", Body=b"x"
        )
    zone = _zone(landed_bucket, moto_endpoint, page_size=2)

    assert len(zone.list_day(DAYS[0])) == 8
    assert zone.list_days() == DAYS


def test_entries_outside_the_days_are_named_from_the_listing_of_orders(
    landed_bucket, moto_endpoint, s3_client
):
    """What the local zone names (tests/integration/test_landing_outside_days.py), from the
    one listing of ``orders/`` that lists the days, across its pages."""
    for key in (
        "orders/stray.csv",
        "orders/date=2026-13-45/a.csv",
        "orders/Date=2025-01-02/a.csv",
        "orders/dt=2025-01-02/a.csv",
        "orders/",  # a "folder" marker object, not a file
    ):
        s3_client.put_object(Bucket=landed_bucket, Key=f"landing/{key}", Body=b"x")
    zone = _zone(landed_bucket, moto_endpoint, page_size=2)

    listing = zone.scan_orders()
    assert {(e.name, e.reason) for e in listing.outside_days} == {
        ("orders/stray.csv", OUTSIDE_DAYS),
        ("orders/date=2026-13-45/", NOT_A_DAY),
        ("orders/Date=2025-01-02/", NOT_A_DAY),
        ("orders/dt=2025-01-02/", NOT_A_DAY),
    }
    assert zone.list_days() == DAYS


def test_bucket_root_without_prefix(moto_endpoint, s3_client):
    s3_client.create_bucket(Bucket="orders-root-only")
    s3_client.put_object(Bucket="orders-root-only", Key="orders/date=2025-01-02/a.csv", Body=b"x")
    zone = _zone("orders-root-only", moto_endpoint, prefix="")

    assert [f.uri for f in zone.list_day(DAYS[1])] == [
        "s3://orders-root-only/orders/date=2025-01-02/a.csv"
    ]


def test_version_is_the_etag_and_a_rewritten_file_is_not_read_stale(
    landed_bucket, moto_endpoint, s3_client
):
    zone = _zone(landed_bucket, moto_endpoint)
    before = zone.list_day(DAYS[2])[0]
    key = parse_s3_uri(before.uri)[1]
    s3_client.put_object(Bucket=landed_bucket, Key=key, Body=b"order_id\nrewritten\n")
    after = zone.list_day(DAYS[2])[0]

    assert after.version != before.version
    assert after.version == s3_client.head_object(Bucket=landed_bucket, Key=key)["ETag"].strip('"')
    assert zone.read(after) == b"order_id\nrewritten\n"
    with pytest.raises(LandedFileChangedError, match="changed while being read") as changed:
        zone.read(before)
    assert changed.value.uri == before.uri and before.uri in str(changed.value)
    assert changed.value.__cause__.response["Error"]["Code"] == "PreconditionFailed"


def test_a_rewritten_file_named_with_an_address_is_named_masked(
    landed_bucket, moto_endpoint, s3_client
):
    # The error is stored with the step's retry or failure and quoted by the alert.
    key = f"landing/orders/date={DAYS[0].isoformat()}/from ann.lee@example.org.csv"
    s3_client.put_object(Bucket=landed_bucket, Key=key, Body=b"order_id\no-1\n")
    zone = _zone(landed_bucket, moto_endpoint)
    [listed] = [f for f in zone.list_day(DAYS[0]) if "example.org" in f.uri]
    s3_client.put_object(Bucket=landed_bucket, Key=key, Body=b"order_id\nrewritten\n")

    with pytest.raises(LandedFileChangedError, match="changed while being read") as changed:
        zone.read(listed)
    assert changed.value.uri == listed.uri  # the code still reads the file by it
    assert "ann.lee" not in str(changed.value) and "ann.lee" not in changed.value.shown
    assert changed.value.shown.startswith(f"s3://{landed_bucket}/landing/orders/date=")


def test_a_landed_object_is_streamed_from_a_temporary_file_downloaded_a_chunk_at_a_time(
    moto_endpoint, s3_client, monkeypatch
):
    # Read whole, a CSV file of 4M orders (626 MB) was 626 MB of the step's memory.
    s3_client.create_bucket(Bucket="orders-streamed")
    data = b"order_id,amount\n" + b"".join(f"o{i},{i}.50\n".encode() for i in range(20_000))
    key = "landing/orders/date=2025-01-01/big.csv"
    s3_client.put_object(Bucket="orders-streamed", Key=key, Body=data)
    zone = _zone("orders-streamed", moto_endpoint)
    (info,) = zone.list_day(DAYS[0])
    reads: list[int | None] = []
    read = StreamingBody.read

    def spied(body, amt=None):
        reads.append(amt)
        return read(body, amt)

    monkeypatch.setattr(landing_s3, "DOWNLOAD_CHUNK_BYTES", 16_384)
    monkeypatch.setattr(StreamingBody, "read", spied)
    with zone.stream(info) as stream:
        assert os.fstat(stream.fileno()).st_size == len(data)  # a file, not bytes in memory
        assert stream.read() == data

    assert None not in reads and max(reads) == 16_384 and len(reads) > len(data) // 16_384
    s3_client.put_object(Bucket="orders-streamed", Key=key, Body=b"order_id\nrewritten\n")
    with pytest.raises(LandedFileChangedError, match=info.uri), zone.stream(info):
        pass  # the version listed, or nothing


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_botocore_retries_ride_out_throttling_and_5xx(landed_bucket, moto_endpoint, mode):
    expected = _zone(landed_bucket, moto_endpoint)
    with FaultInjectingProxy(moto_endpoint, rate=0.3, seed=3) as proxy:
        zone = _zone(landed_bucket, proxy.url, max_attempts=10, retry_mode=mode)
        listed = [zone.list_day(day) for day in DAYS]
        contents = [zone.read(info) for files in listed for info in files]

    assert listed == [expected.list_day(day) for day in DAYS]
    assert contents == [expected.read(info) for files in listed for info in files]
    assert proxy.faults, "no fault was injected"
    assert proxy.requests == len(contents) + len(DAYS) + len(proxy.faults)


def test_without_retries_a_fault_surfaces(landed_bucket, moto_endpoint):
    with FaultInjectingProxy(moto_endpoint, rate=1.0) as proxy:
        zone = _zone(landed_bucket, proxy.url, max_attempts=1)
        with pytest.raises(ClientError) as failure:
            zone.list_day(DAYS[0])

    assert failure.value.response["Error"]["Code"] in {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
    }
    assert proxy.requests == 1


def test_read_of_a_missing_file_fails_clearly(landed_bucket, moto_endpoint):
    zone = _zone(landed_bucket, moto_endpoint)
    info = zone.list_day(DAYS[0])[0]
    with pytest.raises(ClientError):
        zone.read(dataclasses.replace(info, uri=info.uri + ".gone"))


def test_a_csv_file_on_s3_is_loaded_by_duckdb_as_the_reader_reads_it(landed_bucket, moto_endpoint):
    """With the DuckDB warehouse, raw_orders copies a CSV file from S3 to a temporary
    plain file for the engine's scan: the rows are the reader's."""
    contract = load_contract()
    zone = _zone(landed_bucket, moto_endpoint)
    (info,) = [i for i in zone.list_day(DAYS[0]) if i.name.endswith(".csv")]

    engine, reader = _engine_and_reader_rows(zone, info, contract)
    assert engine is not None
    assert len(engine) == 10
    assert engine == reader


def _engine_and_reader_rows(zone, info, contract) -> tuple[list | None, list]:
    """raw.raw_orders after raw_orders' engine load of one landed file (None when the
    engine does not load it) and after the reader's."""
    import duckdb

    from orders_core.cleaning import raw_table
    from orders_core.raw_frame import with_partition_date
    from orders_core.sql.tables import create_statements
    from orders_core.tables import RAW_ORDERS
    from platform_assets.assets.ingestion import _engine_loaded
    from resources.warehouse import SqlSession

    def session() -> SqlSession:
        conn = duckdb.connect()
        conn.execute("SET TimeZone = 'UTC'")
        for statement in create_statements(contract, RAW_ORDERS):
            conn.execute(statement)
        return SqlSession(conn)

    engine, reader = session(), session()
    loaded = _engine_loaded(engine, zone, info, contract, DAYS[0], "raw.raw_orders")
    source = LandedFile(uri=info.uri, name=info.name, size=info.size, data=zone.read(info))
    frame = with_partition_date(read_landed_files(contract, [source]), DAYS[0])
    reader.append("raw.raw_orders", raw_table(frame, contract))
    query = "SELECT * FROM raw.raw_orders ORDER BY source_line"
    rows = engine.conn.execute(query).fetchall()
    return (rows if loaded else None), reader.conn.execute(query).fetchall()


def test_a_typed_parquet_file_on_s3_is_loaded_by_duckdb_as_the_reader_reads_it(
    landed_bucket, moto_endpoint, s3_client
):
    """A typed Parquet file on S3: its temporary download is copied as text (the reader's
    rendering) for the engine's read_parquet; the rows are the reader's."""
    import datetime as dt
    import io
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    stamps = [dt.datetime(2025, 1, 1, 5, i, tzinfo=dt.UTC) for i in range(5)]
    table = pa.table(
        {
            "order_id": [f"t{i}" for i in range(5)],
            "order_ts": pa.array(stamps, pa.timestamp("ms", tz="America/New_York")),
            "amount": pa.array([Decimal("10.50")] * 5, pa.decimal128(10, 2)),
            "quantity": pa.array(range(1, 6), pa.int32()),
            "tags": pa.array([["a", "b"]] * 5),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=2)
    key = f"landing/orders/date={DAYS[0].isoformat()}/typed.parquet"
    s3_client.put_object(Bucket=landed_bucket, Key=key, Body=sink.getvalue())
    zone = _zone(landed_bucket, moto_endpoint)
    (info,) = [i for i in zone.list_day(DAYS[0]) if i.name == "typed.parquet"]

    engine, reader = _engine_and_reader_rows(zone, info, load_contract())
    assert engine is not None
    assert len(engine) == 5
    assert engine == reader


def test_a_gzip_jsonl_file_leaving_out_keys_on_s3_is_loaded_by_duckdb_as_the_reader_reads_it(
    landed_bucket, moto_endpoint, s3_client
):
    """JSON Lines leaving out null values (Spark's), gzip, on S3: the engine scans its
    temporary plain copy, finds the key the first line lacks in that copy, and loads the
    reader's rows under the reader's header."""
    import gzip
    import json

    records = [
        {"order_id": "s0", "amount": "1.00"},
        {"order_id": "s1", "region": "emea", "amount": 2},
        {"status": "placed", "order_id": "s2"},
    ]
    body = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode(), mtime=0)
    key = f"landing/orders/date={DAYS[0].isoformat()}/sparse.jsonl.gz"
    s3_client.put_object(Bucket=landed_bucket, Key=key, Body=body)
    zone = _zone(landed_bucket, moto_endpoint)
    (info,) = [i for i in zone.list_day(DAYS[0]) if i.name == "sparse.jsonl.gz"]

    engine, reader = _engine_and_reader_rows(zone, info, load_contract())
    assert engine is not None
    assert engine == reader
    assert json.loads(engine[0][-2]) == ["order_id", "amount", "region", "status"]


def test_a_file_name_is_percent_encoded_in_its_uri_as_a_local_files_is(
    landed_bucket, moto_endpoint, s3_client, tmp_path
):
    # A raw key in the URI made "x#y.csv" a fragment (the read asked for "x": NoSuchKey,
    # and raw_orders failed) and ordered "é.csv" after "z.csv" where the local zone's
    # "%C3%A9.csv" comes before it: a tie between the two resolved otherwise in prod.
    from resources.landing import LocalLandingZone

    day = DAYS[0]
    names = ["x#y.csv", "q?r.csv", "é.csv", "z.csv", "50%.csv", "a b+c.csv"]
    for name in names:
        key = f"landing/orders/date={day.isoformat()}/{name}"
        s3_client.put_object(Bucket=landed_bucket, Key=key, Body=name.encode())
        local = tmp_path / "orders" / f"date={day.isoformat()}" / name
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(name.encode())
    zone = _zone(landed_bucket, moto_endpoint)
    remote = {info.name: info for info in zone.list_day(day) if info.name in names}
    here = {info.name: info for info in LocalLandingZone(root=str(tmp_path)).list_day(day)}

    assert sorted(remote) == sorted(names)
    for name in names:
        assert zone.read(remote[name]) == name.encode()
        assert remote[name].uri.rpartition("/")[2] == here[name].uri.rpartition("/")[2]
    by_uri = sorted(names, key=lambda name: remote[name].uri)
    assert by_uri == sorted(names, key=lambda name: here[name].uri)
    assert by_uri.index("é.csv") < by_uri.index("z.csv")


def test_fx_rates_sensor_follows_the_s3_listing_of_fx_rates(
    landed_bucket, moto_endpoint, s3_client
):
    """The sensor's one listing of fx_rates/ on S3: a rewritten object (a new ETag, the
    same size) and a key in a "folder" under it (refused, read as a row saying why) each
    request a run; the listing as fx_rates last read it requests none."""
    zone = _zone(landed_bucket, moto_endpoint, page_size=2)
    key = "landing/fx_rates/rates.csv"
    body = s3_client.get_object(Bucket=landed_bucket, Key=key)["Body"].read()

    def tick():
        return evaluate_rates(instance, zone, "orders_pipeline")

    def loaded():
        fingerprint = listing_fingerprint(zone.scan_rates())
        instance.report_runless_asset_event(
            dg.AssetMaterialization(FX_RATES, metadata={RATES_FINGERPRINT: fingerprint})
        )

    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(CLEANED_ORDERS, partition="x"))
        (first,) = tick().run_requests
        loaded()
        assert tick().run_requests == []
        s3_client.put_object(Bucket=landed_bucket, Key=key, Body=body.replace(b"1.", b"2."))
        (rewritten,) = tick().run_requests
        loaded()
        s3_client.put_object(Bucket=landed_bucket, Key="landing/fx_rates/2025/a.csv", Body=b"x")
        assert zone.scan_rates().refused[0].reason == NOT_A_FILE
        (refused,) = tick().run_requests
        assert len({first.run_key, rewritten.run_key, refused.run_key}) == 3
