"""Crash consistency on a history: the anomaly hold and customer_clv's fitted table.

tests/integration/test_reliability_crash.py kills runs of two fixture days, too few for
metadata_anomaly to judge a day or for customer_clv to fit a model (its table stays
empty). Here twelve small generated days come first: a run of the first ten (the
history), then a run of the last two, where the eleventh, a volume spike, is held. Each
case copies the warehouse file and Dagster instance of one of those, kills a run of the
last two days in a child process at one hook (tests/support/crash_driver.py) and checks:

- a day held before the kill is still held (or listed as not judged) after it, never
  cleaned; the plain re-run judges every day of the range again (the verdicts of the
  killed run's loads are the re-run's) and holds the same day;
- customer_clv, whose rows change with the new days, is the previous fit or the new one
  after a kill at every phase of its replacement, inside the commit included;
- the re-run's tables equal those of an uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import shutil
import signal
from pathlib import Path

import duckdb
import pytest

from devtools.held import held_partitions, unjudged_partitions
from devtools.simulate import generate
from devtools.simulate_dirt import VOLUME_SPIKE
from resources.instance_history import latest_executions
from tests.support.crash_driver import PHASES, persistent_instance, run_in_child, run_pipeline
from tests.support.pipeline_helpers import TABLES, table_checksums

pytestmark = pytest.mark.slow

START = dt.date(2025, 3, 1)
DAYS = [(START + dt.timedelta(days=i)).isoformat() for i in range(12)]
HISTORY, RANGE = (DAYS[0], DAYS[9]), (DAYS[10], DAYS[11])
SPIKE = DAYS[10]
# metadata_anomaly judges a day once 7 days of its window have run (half of 14).
TRAINING_DAYS = 14
CLV = "analytics.customer_clv"
EVERY_TABLE = (*TABLES, CLV)
# Killed once the table's commit is done: the new table is there.
COMMITTED = ("after_commit", "after_event")


def _run(workdir: Path, landing: Path, days: tuple[str, str]) -> bool:
    return run_pipeline(
        *(str(landing), str(workdir / "orders.duckdb"), str(workdir / "instance"), *days),
        first_day=DAYS[0],
        training_days=TRAINING_DAYS,
    )


def _crash(workdir: Path, landing: Path, point: str) -> None:
    """A run of the last two days that SIGKILLs itself at ``point``."""
    code, output = run_in_child(
        [
            *("--landing", str(landing), "--duckdb", str(workdir / "orders.duckdb")),
            *("--instance", str(workdir / "instance"), "--start", RANGE[0], "--end", RANGE[1]),
            *("--first-day", DAYS[0], "--training-days", str(TRAINING_DAYS)),
            *("--kill-at", point),
        ],
        workdir / "crash-driver.log",
    )
    assert code == -signal.SIGKILL, output[-3000:]
    assert f"KILL-POINT {point}" in output


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("history-landing")
    generate(
        root, START, len(DAYS), 25, seed=71, anomalies={START + dt.timedelta(10): VOLUME_SPIKE}
    )
    return root


@pytest.fixture(scope="module")
def history(tmp_path_factory, landing) -> Path:
    """The first ten days run: the warehouse file and instance every case starts from."""
    workdir = tmp_path_factory.mktemp("history")
    assert _run(workdir, landing, HISTORY)
    return workdir


@pytest.fixture(scope="module")
def judged(tmp_path_factory, landing, history) -> Path:
    """The history, then an uninterrupted run of the last two days: the spike is held."""
    workdir = tmp_path_factory.mktemp("judged") / "run"
    shutil.copytree(history, workdir)
    assert _run(workdir, landing, RANGE)
    with persistent_instance(str(workdir / "instance")) as instance:
        assert [(h.partition, h.verdict) for h in held_partitions(instance)] == [
            (SPIKE, "anomalous")
        ]
    return workdir


def _cleaned_rows(workdir: Path, day: str) -> int:
    with duckdb.connect(str(workdir / "orders.duckdb"), read_only=True) as conn:
        return conn.execute(
            "select count(*) from staging.cleaned_orders where partition_date = ?", [day]
        ).fetchone()[0]


def test_a_held_day_stays_held_through_a_kill_after_its_load(tmp_path, landing, judged):
    """The range runs again and dies once raw_orders' loads are recorded, before
    metadata_anomaly judges them: the held day is still listed (held, or its new load not
    judged) and not cleaned; the re-run judges both days again and holds the spike."""
    crashed = tmp_path / "crashed"
    shutil.copytree(judged, crashed)

    _crash(crashed, landing, "raw_orders:after_event")
    with persistent_instance(str(crashed / "instance")) as instance:
        listed = {h.partition for h in (*held_partitions(instance), *unjudged_partitions(instance))}
    assert SPIKE in listed
    assert _cleaned_rows(crashed, SPIKE) == 0

    assert _run(crashed, landing, RANGE)
    with persistent_instance(str(crashed / "instance")) as instance:
        rerun = instance.get_runs(limit=1)[0].run_id
        verdicts = latest_executions(instance, RANGE, completed_only=True)
        assert {day: record.run_id for day, record in verdicts.items()} == dict.fromkeys(
            RANGE, rerun
        )
        assert [(h.partition, h.verdict) for h in held_partitions(instance)] == [
            (SPIKE, "anomalous")
        ]
        assert unjudged_partitions(instance) == []
    assert table_checksums(str(crashed / "orders.duckdb"), EVERY_TABLE) == table_checksums(
        str(judged / "orders.duckdb"), EVERY_TABLE
    )


@pytest.mark.parametrize("phase", PHASES)
def test_a_killed_customer_clv_replacement_keeps_the_previous_fit(
    phase, tmp_path, landing, history, judged
):
    """customer_clv is replaced in one transaction: killed at any phase of it (inside the
    commit's checkpoint too), the table is the history's fit or the new one, never a mix;
    the re-run converges."""
    crashed = tmp_path / "crashed"
    shutil.copytree(history, crashed)
    previous = table_checksums(str(history / "orders.duckdb"), [CLV])
    replaced = table_checksums(str(judged / "orders.duckdb"), [CLV])
    assert previous != replaced and replaced[CLV][0] > 0, "the new days must change the fit"

    _crash(crashed, landing, f"customer_clv:{phase}")
    after_crash = table_checksums(str(crashed / "orders.duckdb"), [CLV])
    if phase in COMMITTED:
        assert after_crash == replaced
    elif phase == "in_commit":
        assert after_crash in (previous, replaced), "customer_clv torn inside its commit"
    else:
        assert after_crash == previous, f"customer_clv changed by a run killed at {phase}"

    assert _run(crashed, landing, RANGE)
    assert table_checksums(str(crashed / "orders.duckdb"), EVERY_TABLE) == table_checksums(
        str(judged / "orders.duckdb"), EVERY_TABLE
    )
