"""A day metadata_anomaly held, corrected by late files: once orders_anomaly_sensor has
re-run it, the warehouse and the per-day metadata and verdicts are those of a run of the
corrected landing zone, whether the held day ran in a range or alone, newest day first.

Seventeen generated days; the sixteenth is a volume spike, held. Its files are then
replaced by a normal day's, with a late file holding a newer version of an order of the
day before it (that order's fact moves to the corrected day). The history (fourteen
days) runs as one range, then the last three days as one range or alone in reverse;
then the files change and the sensor's runs follow. A fresh instance that runs the same
batches on the corrected files from the start is the reference: every table, and each
day's metadata and check verdicts, must be equal.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from devtools.simulate import generate
from sensors.orders_anomaly import SENSOR_NAME as ANOMALY_SENSOR
from tests.support.batching import ALL_TABLES
from tests.support.fixture_data import day_dir, write_csv
from tests.support.hostile_days import day_state
from tests.support.local_instance import local_instance
from tests.support.local_platform import local_platform, sensor_resources
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import table_checksums
from tests.support.requests import execute_request, requested_days

pytestmark = pytest.mark.slow

START = dt.date(2025, 1, 6)
DAYS = [START + dt.timedelta(days=i) for i in range(17)]
HELD = DAYS[15]
LATE = DAYS[14:]


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The generated days with the spike, the same days without it, and the late row: a
    newer version, on the held day, of the day before's first order."""
    folder = tmp_path_factory.mktemp("held-sources")
    spiked, normal = folder / "spiked", folder / "normal"
    generate(spiked, START, len(DAYS), 200, seed=7, anomalies={HELD: "volume_spike"})
    generate(normal, START, len(DAYS), 200, seed=7)
    with (day_dir(spiked, DAYS[14]) / "part-000.csv").open(newline="") as handle:
        first = next(csv.DictReader(handle))
    moved = dict(first, amount="77.00", quantity="", unit_price="")
    moved["order_ts"] = f"{HELD}T11:00:00+00:00"
    moved["updated_at"] = f"{HELD}T12:00:00+00:00"
    return spiked, normal, moved


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """The one landing zone of every run (``source_file`` is its files' URIs)."""
    return tmp_path_factory.mktemp("held") / "landing"


def _correct(landing: Path, normal: Path, moved: dict) -> None:
    shutil.rmtree(day_dir(landing, HELD))
    shutil.copytree(day_dir(normal, HELD), day_dir(landing, HELD))
    write_csv(day_dir(landing, HELD) / "zz-late.csv", [moved], header=list(moved))


def _after(
    folder: Path, landing: Path, sources, batches, corrected_first: bool
) -> tuple[dict, dict, list[str]]:
    """Every table, the day state and the days the sensor re-ran, after the history, the
    batches, and the correction (before the batches when ``corrected_first``)."""
    spiked, normal, moved = sources
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(spiked, landing)
    if corrected_first:
        _correct(landing, normal, moved)
    defs, job = local_platform(landing, folder, START)
    resources = sensor_resources(landing)
    rerun: list[str] = []
    with local_instance() as instance:

        def tick(cursor: str | None) -> dg.SensorResult:
            with dg.build_sensor_context(
                instance=instance, cursor=cursor, definitions=defs, resources=resources
            ) as context:
                return defs.get_sensor_def(ANOMALY_SENSOR)(context)

        assert job.execute_in_process(instance=instance, tags=range_tags(DAYS[0], DAYS[13])).success
        cursor = tick(None).cursor
        for first, last in batches:
            # the held day alone fails (Dagster's block)
            result = job.execute_in_process(
                instance=instance, tags=range_tags(first, last), raise_on_error=False
            )
            assert result.success == (corrected_first or (first, last) != (HELD, HELD))
        if not corrected_first:
            _correct(landing, normal, moved)
        for _ in range(3):
            requested = tick(cursor)
            cursor = requested.cursor
            for request in requested.run_requests or []:
                rerun += requested_days(request)
                assert execute_request(job, instance, request, ANOMALY_SENSOR).success
        state = day_state(instance, DAYS)
    return table_checksums(str(folder / "orders.duckdb"), ALL_TABLES), state, rerun


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, landing, sources) -> tuple[dict, dict]:
    folder = tmp_path_factory.mktemp("fresh")
    tables, state, rerun = _after(folder, landing, sources, [(LATE[0], LATE[-1])], True)
    assert rerun == []
    _, _, moved = sources
    with duckdb.connect(str(folder / "orders.duckdb"), read_only=True) as conn:
        fact = conn.execute(
            "select cast(partition_date as varchar), amount from warehouse.fct_orders"
            " where order_id = ?",
            [moved["order_id"]],
        ).fetchall()
    assert fact == [(str(HELD), 77.0)]
    assert state[("raw_orders", "metadata_anomaly", str(HELD))] == (True, "ERROR")
    return tables, state


def test_a_held_day_in_a_range_corrected_and_rerun_equals_a_run_of_the_correction(
    tmp_path, landing, sources, fresh
):
    tables, state, rerun = _after(tmp_path, landing, sources, [(LATE[0], LATE[-1])], False)
    assert rerun == [str(HELD)]
    assert (tables, state) == fresh


def test_a_held_day_run_alone_newest_first_corrected_and_rerun_equals_it_too(
    tmp_path, landing, sources, fresh
):
    batches = [(day, day) for day in reversed(LATE)]
    tables, state, rerun = _after(tmp_path, landing, sources, batches, False)
    assert rerun == [str(HELD)]
    assert (tables, state) == fresh
