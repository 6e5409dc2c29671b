"""A range mixing every way a day is left out gives the tables day-by-day runs give.

Fourteen generated days are published first. Then four: day 15 is normal, day 16 lands
a newer version of one of day 15's orders that is quarantined (a negative amount: day
15's version stays published), day 17 lands a file the platform cannot read
(schema_drift fails it with ERROR) and day 18 is a volume spike metadata_anomaly holds.
The four days run as one range, as runs of each day alone in order, and in reverse
order: there metadata_anomaly judges each day whose earlier days are not loaded yet on
their profiles, from their files; with profiling off (ORDERS_ANOMALY_PROFILE_LIMIT_MB=0)
it defers them and orders_anomaly_sensor runs the deferred days again once they are
loaded (as one range, as it does). Every table, the customer tables included, is the
same each way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from devtools.simulate import generate
from sensors.orders_anomaly import SENSOR_NAME as ANOMALY_SENSOR
from tests.support.batching import ALL_TABLES
from tests.support.fixture_data import day_dir
from tests.support.local_instance import local_instance, restore
from tests.support.local_platform import local_platform, sensor_resources
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import table_checksums
from tests.support.requests import execute_request, requested_days

pytestmark = pytest.mark.slow

START = dt.date(2025, 1, 6)
DAYS = [START + dt.timedelta(days=i) for i in range(18)]
NORMAL, REJECTED, DRIFTING, HELD = DAYS[14:]


def _landing(root: Path) -> str:
    """The generated days, the drift and a quarantined newer version of a day-15 order
    on day 16; returns that order's id."""
    generate(root, START, len(DAYS), 200, seed=7, anomalies={HELD: "volume_spike"})
    (day_dir(root, DRIFTING) / "notes.txt").write_text("not orders\n")
    with (day_dir(root, NORMAL) / "part-000.csv").open(newline="") as handle:
        first = next(csv.DictReader(handle))
    newer = dict(first, amount="-5.00", updated_at=f"{REJECTED}T12:00:00+00:00")
    newer["order_ts"] = f"{REJECTED}T11:00:00+00:00"
    text = io.StringIO()
    csv.DictWriter(
        text, fieldnames=list(first), quoting=csv.QUOTE_ALL, lineterminator="\n"
    ).writerow(newer)
    with (day_dir(root, REJECTED) / "part-000.csv").open("a", newline="") as handle:
        handle.write(text.getvalue())
    return first["order_id"]


def _history(tmp: Path, landing: Path) -> tuple[Path, str]:
    """The fourteen days published as one range on a new instance and warehouse, saved in
    ``tmp / "history"`` (instance home and warehouse file, closed); and
    orders_anomaly_sensor's cursor after it. Every batching starts from this state: the
    history was run once per batching before, each time on an empty instance to the same
    tables and events. The profile limit does not enter it: the history has no day
    whose earlier days landed unloaded, the only days metadata_anomaly profiles."""
    folder = tmp / "platform"
    defs, job = local_platform(landing, folder, START)
    with local_instance(home=folder / "home") as instance:
        history = job.execute_in_process(instance=instance, tags=range_tags(DAYS[0], DAYS[13]))
        assert history.success
        cursor = _tick(defs, instance, landing, None).cursor
    shutil.copytree(folder, tmp / "history")
    return tmp / "history", cursor


def _tick(defs: dg.Definitions, instance, landing: Path, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=sensor_resources(landing, "")
    ) as context:
        return defs.get_sensor_def(ANOMALY_SENSOR)(context)


def _tables(
    tmp: Path,
    history: tuple[Path, str],
    landing: Path,
    batches: list[tuple[dt.date, dt.date]],
    profile_limit_mb: int | None = None,
) -> tuple[dict, list[str]]:
    """Every table after the history and ``batches``, then the runs orders_anomaly_sensor
    requests, until it requests none; and the days it requested."""
    folder = tmp / "platform"
    saved, cursor = history
    restore(saved, folder)
    defs, job = local_platform(landing, folder, START, profile_limit_mb)
    with local_instance(home=folder / "home") as instance:
        for first, last in batches:
            # a run of a held, deferred or drifting day alone fails: Dagster's block
            job.execute_in_process(
                instance=instance, tags=range_tags(first, last), raise_on_error=False
            )
        rerun = []
        for _ in range(3):
            requested = _tick(defs, instance, landing, cursor)
            cursor = requested.cursor
            for request in requested.run_requests or []:
                rerun += requested_days(request)
                execute_request(job, instance, request, ANOMALY_SENSOR)
        assert not _tick(defs, instance, landing, cursor).run_requests
    return table_checksums(str(folder / "orders.duckdb"), ALL_TABLES), rerun


def test_a_range_of_held_drifting_and_rejected_days_equals_day_by_day_runs(tmp_path):
    landing = tmp_path / "landing"
    again = _landing(landing)
    history = _history(tmp_path, landing)
    ranged, rerun = _tables(tmp_path, history, landing, [(NORMAL, HELD)])
    assert rerun == []
    with duckdb.connect(str(tmp_path / "platform" / "orders.duckdb"), read_only=True) as conn:
        published = dict(
            conn.execute(
                "select cast(partition_date as varchar), count(*) from warehouse.fct_orders"
                " where partition_date >= ? group by 1",
                [NORMAL],
            ).fetchall()
        )
        (quarantined,) = conn.execute(
            "select reason_code from staging.quarantined_orders where order_id = ?", [again]
        ).fetchall()
        (fact,) = conn.execute(
            "select cast(partition_date as varchar) from warehouse.fct_orders where order_id = ?",
            [again],
        ).fetchall()
    assert set(published) == {str(NORMAL), str(REJECTED)}
    assert quarantined == ("negative_amount",) and fact == (str(NORMAL),)
    forward, rerun = _tables(tmp_path, history, landing, [(d, d) for d in DAYS[14:]])
    assert rerun == [] and forward == ranged
    newest_first = [(d, d) for d in reversed(DAYS[14:])]
    reverse, rerun = _tables(tmp_path, history, landing, newest_first)
    assert rerun == [] and reverse == ranged
    deferring, rerun = _tables(tmp_path, history, landing, newest_first, profile_limit_mb=0)
    # the days deferred until the days before them were loaded, run again by the sensor
    assert rerun == [str(d) for d in (REJECTED, DRIFTING, HELD)], rerun
    assert deferring == ranged
