"""Late, replaced and withdrawn files: re-running the days they change leaves what a
fresh run of the final landing zone leaves, whatever the batching before and the order
of the re-runs.

The days of ``tests.support.hostile_days`` (day 5 in 50 files) run as one range or in a
random batching. After a range, day 5's folder is withdrawn and its day re-run, then
landed again and re-run: the tables are the range's again. Then ``late_changes`` lands
a late file for day 1 (already published) with a newer version of an order day 4 had
won, replaces day 4's Parquet file by an older version of the order it had won (a JSON
Lines file of that day wins again), withdraws day 5's folder and lands a sixth day with
a newer version of an order of day 4. Re-running the changed days, in either order, as
one range or alone, must leave identical tables (all eight) and the same metadata and
verdicts per day as a fresh run of the final landing zone. Eleven runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support.batching import DAYS
from tests.support.hostile_days import (
    BLOCKED,
    batched,
    held_by_dagster,
    hostile_days_landing,
    land_many,
    late_changes,
    withdraw_many,
)

pytestmark = pytest.mark.slow

FILES = 50  # day 5's files, fewer than test_batching_hostile_days' 1,000: the runs are many


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """The one landing zone of every test (``source_file`` is its files' URIs): landed
    afresh by each."""
    return tmp_path_factory.mktemp("late") / "landing"


def _land(root: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    hostile_days_landing(root, many_files=FILES)
    return root


def _land_many_again(root: Path) -> None:
    land_many(root, FILES)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, landing) -> tuple[dict, dict, Path]:
    folder = tmp_path_factory.mktemp("fresh")
    late_changes(_land(landing))
    (tables,), state = batched(folder, landing, [(0, 5)], failing=[BLOCKED])
    return tables, state, folder / "orders.duckdb"


def _same_as_fresh(fresh, tables: dict, state: dict) -> None:
    fresh_tables, fresh_state, _ = fresh
    assert tables == fresh_tables
    blocked = DAYS[BLOCKED]
    assert held_by_dagster(state, blocked) == held_by_dagster(fresh_state, blocked)


def test_the_fresh_run_publishes_the_late_and_replaced_versions(fresh):
    _, _, warehouse = fresh
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        facts = {
            order_id: (str(day), amount, customer)
            for order_id, day, amount, customer in conn.execute(
                "select order_id, partition_date, amount, customer_id from warehouse.fct_orders"
                " where order_id in ('tie', 'mix', 'moves', 'sixth') or order_id like 'many%'"
            ).fetchall()
        }
    d = [str(day) for day in DAYS]
    assert facts == {
        "tie": (d[0], 13.0, "c1"),  # the late file's version is newer than day 4's
        "mix": (d[3], 2.0, "c8"),  # tied with m.csv's: the later file, m.jsonl
        "moves": (d[5], 11.0, "c5"),
        "sixth": (d[5], 4.0, "c11"),
    }


def test_a_day_withdrawn_and_landed_again_then_late_files_rerun_after_a_range(
    tmp_path, landing, fresh
):
    stages = [
        (withdraw_many, [(4, 4)]),
        (_land_many_again, [(4, 4)]),
        (late_changes, [(0, 0), (3, 5)]),
    ]
    _land(landing)
    (ran, withdrawn, again, late), state = batched(
        tmp_path, landing, [(0, 4)], failing=[BLOCKED], stages=stages
    )
    assert withdrawn["warehouse.fct_orders"][0] < ran["warehouse.fct_orders"][0]
    assert again == ran
    _same_as_fresh(fresh, late, state)


def test_reruns_in_another_order_after_a_random_batching_equal_a_fresh_run(
    tmp_path, landing, fresh
):
    _land(landing)
    stages = [(late_changes, [(5, 5), (4, 4), (0, 3)])]
    (_, late), state = batched(tmp_path, landing, [(3, 4), (0, 2)], [BLOCKED], stages=stages)
    _same_as_fresh(fresh, late, state)
