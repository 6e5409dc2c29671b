"""Days old enough to be judged by metadata_anomaly leave the same tables whatever the batching.

From its fifteenth day on, a day is judged against the raw_orders metadata of the days
before it. Run before them (days newest first, a random batching), it was *deferred*:
held until orders_anomaly_sensor ran it again once they were loaded, so without the
sensors (a CLI loop, CI, a daemon that is off) it stayed unpublished where a range run
published it. The check now profiles the landed days raw_orders has not loaded from
their files, as raw_orders would, and judges the day as the range run does.

Twenty-eight simulated days with a volume spike on the twenty-sixth: the range run holds it and
publishes the others; newest-first day-by-day runs and a random batching, with no sensor,
leave identical tables, all seven. The first eight days, too early to be decided, say
the range run's "insufficient history: N of 14" when run newest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pytest

from devtools.run_local import DEMO_ANOMALY
from devtools.simulate import generate
from resources.instance_history import (
    evaluation_of,
    failed_partitions,
    latest_evaluation,
)
from tests.support.batching import (
    ALL_TABLES,
    START,
    random_batches,
    settings_for,
    tables_after,
)
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

pytestmark = pytest.mark.slow

DAYS = [START + dt.timedelta(days=i) for i in range(28)]
SPIKE = 25  # index in DAYS


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("judged") / "landing"
    generate(root, START, len(DAYS), 150, seed=11, anomalies={DAYS[SPIKE]: DEMO_ANOMALY})
    return root


@dataclass(frozen=True)
class RangeRun:
    """One range run over the twenty-eight days on a fresh instance and warehouse."""

    tables: dict
    held: set[str]
    warehouse: str


@pytest.fixture(scope="module")
def range_run(landing, tmp_path_factory) -> RangeRun:
    """Every table after one range run over the twenty-eight days, and the days it held
    (the batchings below compare their tables with it; nothing writes to it)."""
    settings = settings_for(landing, tmp_path_factory.mktemp("range"))
    with local_instance() as instance:
        assert run_range(settings, instance, str(DAYS[0]), str(DAYS[-1])).success
        held = failed_partitions(instance)
    tables = table_checksums(settings.duckdb_path, ALL_TABLES)
    return RangeRun(tables, held, settings.duckdb_path)


def test_the_range_run_holds_the_spike_and_publishes_every_other_day(range_run):
    assert range_run.held == {DAYS[SPIKE].isoformat()}
    with duckdb.connect(range_run.warehouse, read_only=True) as conn:
        published = conn.execute(
            "select distinct cast(partition_date as varchar) from warehouse.fct_orders"
        ).fetchall()
    assert sorted(day for (day,) in published) == [
        d.isoformat() for i, d in enumerate(DAYS) if i != SPIKE
    ]


@pytest.mark.parametrize(
    "batches",
    [
        # The first 14 days (never decided: too little history) as one range, then the
        # others newest first: each of those is run before every day after the 14th.
        pytest.param(
            [(0, 13), *((i, i) for i in reversed(range(14, len(DAYS))))], id="newest-first"
        ),
        pytest.param(random_batches(5, days=len(DAYS), cuts=(4, 8)), id="random"),
    ],
)
def test_judged_days_leave_the_range_runs_tables_without_the_sensors(
    landing, range_run, tmp_path, batches
):
    assert tables_after(tmp_path, landing, batches, (SPIKE,), DAYS) == range_run.tables


def _first_week_verdicts(landing, folder, batches: list[tuple[int, int]]) -> dict:
    """Each of the first eight days' latest metadata_anomaly description and training
    days after running ``batches`` (indexes in DAYS)."""
    settings = settings_for(landing, folder)
    verdicts = {}
    with local_instance() as instance:
        for first, last in batches:
            assert run_range(settings, instance, str(DAYS[first]), str(DAYS[last])).success
        for day in DAYS[:8]:
            evaluation = evaluation_of(latest_evaluation(instance, day.isoformat()))
            training = evaluation.metadata["training_partitions"].value
            verdicts[day] = (evaluation.passed, evaluation.description, training)
    return verdicts


def test_days_too_early_to_decide_say_what_the_range_run_says_run_newest_first(landing, tmp_path):
    # None of the first eight days can be decided; run newest first, the later ones said
    # "insufficient history: 0 of 14" where the range run counts the days before them.
    ranged = _first_week_verdicts(landing, tmp_path / "range", [(0, 7)])
    assert any(training for _, _, training in ranged.values())
    newest_first = _first_week_verdicts(
        landing, tmp_path / "back", [(i, i) for i in range(7, -1, -1)]
    )
    assert newest_first == ranged
