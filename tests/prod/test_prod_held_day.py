"""Days metadata_anomaly holds on the production path (S3 on moto, Snowflake SQL on
fakesnow, the instance of deploy/dagster.yaml on PostgreSQL), held, explained, corrected
and released, leave every table as the embedded default does.

Eighteen generated days (100 orders a day). The history (days 1-15) runs as one range,
then the new days 16-18 as another: day 16 is a volume spike and day 17 in cents, both
held; day 18 is published around them. The engineer lists the held days with
``devtools.held`` and releases day 16 (a real promotion) with the command it prints; day
17's corrected files land and orders_anomaly_sensor's run publishes it. The same story on
the embedded default (a local folder, DuckDB, a SQLite instance) is the reference: every
table equal at the hold and at the end, the same verdicts, the same runs requested.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shlex
import shutil
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field, replace
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import fakesnow
import pandas as pd
import pytest

from devtools import held as held_cli
from devtools.simulate import generate
from orders_core import tables
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.instance_history import CHECK_KEY, CLEANED_ORDERS, NOT_CLEANED
from resources.settings import PlatformSettings
from sensors.orders_anomaly import SENSOR_NAME
from tests.support.fixture_data import day_dir
from tests.support.local_instance import local_instance
from tests.support.order_fixtures import range_tags
from tests.support.prod_pipeline import PII_KEY, SNOWFLAKE_ENV, prod_settings, snowflake_tables
from tests.support.prod_services import deploy_instance
from tests.support.prod_tables import canonical_rows, checksum
from tests.support.requests import execute_request, requested_days
from tests.support.snowflake_bindings import real_connector_bindings

pytestmark = [pytest.mark.services, pytest.mark.slow]

START = dt.date(2025, 1, 6)
DAYS = [START + dt.timedelta(days=i) for i in range(18)]
RELEASED, CORRECTED = DAYS[15], DAYS[16]
HELD = {RELEASED.isoformat(), CORRECTED.isoformat()}
ANOMALIES = {RELEASED: "volume_spike", CORRECTED: "cents"}
ORDERS_PER_DAY = 100
TABLES = tuple(table.qualified for table in tables.TABLES)
FCT_ORDERS = dg.AssetKey(tables.FCT_ORDERS.key)


@dataclass
class Story:
    """What one engine's platform did and held, at the hold and at the end."""

    held_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    final_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    verdicts: dict[str, dg.AssetCheckEvaluation] = field(default_factory=dict)
    cleaned: dict[str, dict] = field(default_factory=dict)
    published: dict[str, dict] = field(default_factory=dict)
    listing: str = ""
    requested: list[tuple[str, list[str]]] = field(default_factory=list)
    release_ok: bool = False
    held_at_end: list[str] = field(default_factory=list)
    final_verdicts: dict[str, tuple[bool, str]] = field(default_factory=dict)


@dataclass
class Engine:
    """One engine's platform: its settings, how files land, how its tables are read."""

    settings: PlatformSettings
    land: Callable[[Path], None]  # the landing folder's files, all of them
    replace_day: Callable[[Path, dt.date], None]  # one day's files from another folder
    read_tables: Callable[[], dict[str, pd.DataFrame]]
    home: str = ""  # DAGSTER_HOME for devtools.held ("" : not listed)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path]:
    """The landed days with the two anomalies, and the same days without them."""
    folder = tmp_path_factory.mktemp("held-sources")
    generate(folder / "landed", START, len(DAYS), ORDERS_PER_DAY, seed=7, anomalies=ANOMALIES)
    generate(folder / "normal", START, len(DAYS), ORDERS_PER_DAY, seed=7)
    return folder / "landed", folder / "normal"


def _tick(defs: dg.Definitions, instance, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return defs.get_sensor_def(SENSOR_NAME)(context)


def _release_as_listed(listing: str, day: str) -> tuple[str, str, dict]:
    """The assets, partition and run config of the release command devtools.held prints."""
    (line,) = [
        line for line in listing.splitlines() if "release:" in line and f"--partition {day}" in line
    ]
    words = shlex.split(line.split("release:", 1)[1])
    option = {words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("--")}
    return option["--assets"], option["--partition"], json.loads(option["--config-json"])


def _verdicts(instance: dg.DagsterInstance) -> dict[str, tuple[bool, str]]:
    """The latest metadata_anomaly verdict of every day: passed, and its verdict text."""
    latest: dict[str, tuple[bool, str]] = {}
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        ascending=True,
    )
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.asset_check_key == CHECK_KEY:
            verdict = evaluation.metadata["verdict"].value
            latest[evaluation.partition] = (evaluation.passed, str(verdict))
    return latest


def tell(engine: Engine, instance: dg.DagsterInstance, sources: tuple[Path, Path]) -> Story:
    """The story on one engine: history, the new days held, listed, corrected, released."""
    landed, normal = sources
    story = Story()
    defs = build_definitions(engine.settings)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    engine.land(landed)
    cursor = _tick(defs, instance, None).cursor

    def until_quiet() -> None:
        nonlocal cursor
        for _ in range(4):
            result = _tick(defs, instance, cursor)
            cursor = result.cursor
            if not result.run_requests:
                return
            for request in result.run_requests:
                story.requested.append((str(request.run_key), requested_days(request)))
                assert execute_request(job, instance, request, SENSOR_NAME).success
        pytest.fail(f"orders_anomaly_sensor still requests runs: {story.requested}")

    for first, last in ((DAYS[0], DAYS[14]), (DAYS[15], DAYS[-1])):
        result = job.execute_in_process(
            instance=instance, tags=range_tags(first, last), raise_on_error=False
        )
        assert result.success
        until_quiet()
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.asset_check_key == CHECK_KEY:
            story.verdicts[evaluation.partition] = evaluation
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        values = {key: value.value for key, value in mat.metadata.items()}
        if mat.asset_key == CLEANED_ORDERS:
            story.cleaned[mat.partition] = values
        elif mat.asset_key == FCT_ORDERS:
            story.published[mat.partition] = values
    story.held_tables = engine.read_tables()

    listing = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(listing):
        patch.setenv("DAGSTER_HOME", engine.home or instance.root_directory)
        patch.setenv("ORDERS_PARTITIONS_START", START.isoformat())
        assert held_cli.main([]) == 0
    story.listing = listing.getvalue()

    engine.replace_day(normal, CORRECTED)
    until_quiet()

    assets, day, config = _release_as_listed(story.listing, RELEASED.isoformat())
    graph = job.asset_layer.asset_graph
    release = job.execute_in_process(
        instance=instance,
        asset_selection=sorted(dg.AssetSelection.from_string(assets).resolve(graph)),
        partition_key=day,
        run_config=config,
        raise_on_error=False,
    )
    story.release_ok = release.success
    until_quiet()

    story.final_tables = engine.read_tables()
    story.held_at_end = [held.partition for held in held_cli.held_partitions(instance)]
    story.final_verdicts = _verdicts(instance)
    return story


@pytest.fixture(scope="module")
def prod(sources, tmp_path_factory, moto_endpoint, postgres_server) -> Story:
    client = boto3.client("s3", endpoint_url=moto_endpoint)
    bucket = "orders-held-days"
    client.create_bucket(Bucket=bucket)

    def put(folder: Path, prefix: str) -> None:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = f"landing/{prefix}{path.relative_to(folder).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    def replace_day(folder: Path, day: dt.date) -> None:
        prefix = f"orders/date={day.isoformat()}/"
        listed = client.list_objects_v2(Bucket=bucket, Prefix=f"landing/{prefix}")["Contents"]
        client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": item["Key"]} for item in listed]}
        )
        put(day_dir(folder, day), prefix)

    home = tmp_path_factory.mktemp("held-prod") / "dagster_home"
    url = postgres_server.create_database("held_day_story")
    engine = Engine(
        settings=replace(
            prod_settings(f"s3://{bucket}/landing", moto_endpoint),
            partitions_start=START.isoformat(),
        ),
        land=lambda folder: put(folder, ""),
        replace_day=replace_day,
        read_tables=lambda: snowflake_tables(TABLES),
        home=str(home),
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**SNOWFLAKE_ENV, "PII_HASH_KEY": PII_KEY}.items():
            patch.setenv(name, value)
        with (
            fakesnow.patch(),
            real_connector_bindings() as refused,
            deploy_instance(url, home, patch) as instance,
        ):
            story = tell(engine, instance, sources)
        assert refused == [], refused
    return story


@pytest.fixture(scope="module")
def local(sources, tmp_path_factory) -> Story:
    folder = tmp_path_factory.mktemp("held-local")
    landing = folder / "landing"
    settings = PlatformSettings(
        partitions_start=START.isoformat(),
        landing_uri=str(landing),
        duckdb_path=str(folder / "orders.duckdb"),
        pii_key_from_env=True,
    )

    def replace_day(source: Path, day: dt.date) -> None:
        shutil.rmtree(day_dir(landing, day))
        shutil.copytree(day_dir(source, day), day_dir(landing, day))

    def read_tables() -> dict[str, pd.DataFrame]:
        with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
            return {t: conn.sql(f"select * from {t}").to_arrow_table().to_pandas() for t in TABLES}

    engine = Engine(
        settings=settings,
        land=lambda source: shutil.copytree(source, landing),
        replace_day=replace_day,
        read_tables=read_tables,
    )
    with pytest.MonkeyPatch.context() as patch, local_instance() as instance:
        patch.setenv("PII_HASH_KEY", PII_KEY)
        return tell(engine, instance, sources)


def _days(frame: pd.DataFrame) -> set[str]:
    return {str(day)[:10] for day in frame.rename(columns=str.lower)["partition_date"]}


def test_the_anomalous_days_are_held_out_of_snowflake_and_the_others_published(prod: Story):
    for table in ("staging.cleaned_orders", "warehouse.fct_orders"):
        days = _days(prod.held_tables[table])
        assert days.isdisjoint(HELD), table
        assert days == {day.isoformat() for day in DAYS} - HELD, table
    assert _days(prod.held_tables["staging.quarantined_orders"]).isdisjoint(HELD)
    # raw_orders holds the held days' landed rows: the check judged them there
    assert HELD <= _days(prod.held_tables["raw.raw_orders"])
    # the customer tables count the held days' orders only once they are published
    for table in ("analytics.customer_metrics", "warehouse.dim_customers"):
        assert checksum(prod.held_tables[table]) != checksum(prod.final_tables[table]), table
    for day in HELD:
        assert "metadata_anomaly" in str(prod.cleaned[day][NOT_CLEANED])
        assert "orders/not_published" in prod.published[day]
    assert prod.published[DAYS[-1].isoformat()]["dagster/row_count"] > 0


def test_the_check_says_why_each_day_is_held(prod: Story):
    for day in HELD:
        evaluation = prod.verdicts[day]
        assert not evaluation.passed
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR
        metadata = {key: value.value for key, value in evaluation.metadata.items()}
        assert metadata["verdict"] == "anomalous"
        assert evaluation.description.startswith("anomalous:")
        assert "| feature | value | baseline |" in metadata["drivers"]
    assert prod.verdicts[DAYS[-1].isoformat()].passed
    # the spike's drivers name volume features, the cents day's amounts
    assert "customers_per_row" in prod.verdicts[RELEASED.isoformat()].metadata["drivers"].value
    assert "median_amount" in prod.verdicts[CORRECTED.isoformat()].metadata["drivers"].value


def test_devtools_held_lists_both_days_on_postgres_with_why_and_the_release(prod: Story):
    assert prod.listing.startswith("2 held partition(s):")
    for day in sorted(HELD):
        assert f"- {day}  score " in prod.listing
        assert f"--partition {day} --config-json" in prod.listing
    assert prod.listing.count("anomalous:") == 2


def test_the_corrected_day_is_backfilled_by_the_sensor_and_the_release_publishes(prod: Story):
    assert [days for _, days in prod.requested] == [[CORRECTED.isoformat()]]
    assert prod.release_ok
    assert prod.held_at_end == []
    assert prod.final_verdicts[CORRECTED.isoformat()] == (True, "normal")
    assert prod.final_verdicts[RELEASED.isoformat()] == (True, "released")
    for table in ("staging.cleaned_orders", "warehouse.fct_orders"):
        assert _days(prod.final_tables[table]) == {day.isoformat() for day in DAYS}, table


def test_snowflake_holds_what_the_embedded_default_holds_at_the_hold_and_after(
    prod: Story, local: Story
):
    for stage in ("held_tables", "final_tables"):
        ours, theirs = getattr(prod, stage), getattr(local, stage)
        for table in TABLES:
            assert len(ours[table]) > 0, (stage, table)
            assert sorted(ours[table].columns.str.lower()) == sorted(theirs[table].columns)
            assert canonical_rows(ours[table]) == canonical_rows(theirs[table]), (stage, table)
            assert checksum(ours[table]) == checksum(theirs[table]), (stage, table)
    assert prod.final_verdicts == local.final_verdicts
    assert [days for _, days in prod.requested] == [days for _, days in local.requested]
    assert {day: e.passed for day, e in prod.verdicts.items()} == {
        day: e.passed for day, e in local.verdicts.items()
    }
