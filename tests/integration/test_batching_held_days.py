"""Days a blocking check fails do not make the results depend on the batching.

The hostile landing of ``test_batching`` with two days that fail ``schema_drift`` with
ERROR: day 3 also lands a file the platform cannot read (it holds the winning version of
an order landed on three days), and day 6, the last, a file without the required
``amount`` column. Dagster stops every step after a failed blocking check, so a range run
holding such a day published none of its days where day-by-day runs published the
others. A check failing some days of a run and not others now leaves those days out
alone (``asset_checks.partitioned.stops_the_run``): the range run, day-by-day runs in
either order and random batchings leave identical tables, customer tables included.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.batching import DAYS, hostile_landing, random_batches, tables_after
from tests.support.fixture_data import day_dir, order, write_csv

pytestmark = pytest.mark.slow

DRIFTING = (2, 5)  # indexes in DAYS


def held_landing(root: Path) -> None:
    hostile_landing(root)
    (day_dir(root, DAYS[2]) / "notes.txt").write_text("not orders\n")
    row = order("no-amount", "c1", f"{DAYS[5]}T10:00:00Z", "1.00")
    del row["amount"]
    write_csv(day_dir(root, DAYS[5]) / "z.csv", [row], header=list(row))


def published_days(tmp: Path) -> set[str]:
    with duckdb.connect(str(tmp / "orders.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "select distinct cast(partition_date as varchar) from warehouse.fct_orders"
        ).fetchall()
    return {day for (day,) in rows}


def test_days_failing_schema_drift_leave_the_same_tables_whatever_the_batching(tmp_path):
    landing = tmp_path / "landing"
    held_landing(landing)
    whole = tables_after(tmp_path / "range", landing, [(0, len(DAYS) - 1)], DRIFTING)
    assert published_days(tmp_path / "range") == {
        str(day)
        for i, day in enumerate(DAYS)
        if i not in DRIFTING and i != 3  # 3: no file
    }
    with duckdb.connect(str(tmp_path / "range" / "orders.duckdb"), read_only=True) as conn:
        # day 3's winning version of "twice" is not published: day 6's is held too, so
        # day 1's stands
        (twice,) = conn.execute(
            "select cast(partition_date as varchar) from warehouse.fct_orders"
            " where order_id = 'twice'"
        ).fetchall()
        assert twice == (str(DAYS[0]),)
        assert conn.execute("select count(*) from warehouse.dim_customers").fetchone()[0] > 0
    forwards = tables_after(tmp_path / "fwd", landing, [(i, i) for i in range(len(DAYS))], DRIFTING)
    assert forwards == whole
    backwards = tables_after(
        tmp_path / "back", landing, [(i, i) for i in reversed(range(6))], DRIFTING
    )
    assert backwards == whole
    for seed in (4, 5):
        batches = random_batches(seed)
        assert tables_after(tmp_path / f"rand{seed}", landing, batches, DRIFTING) == whole, batches
