"""Judged days left out every way leave the range run's tables whatever the batching.

Thirty generated days (``tests.support.left_out_landing``): from the twenty-second on, a
volume drop, an unreadable file, a day failing cleaned_orders' suite, a gap, amounts in
cents, a normal day, a spike; an order landed in five versions and a quarantined newer
version of another. Run without the sensors, the late days first, so that
metadata_anomaly judges them on the profiles of the days before them (landed, not
loaded): the drop's hold, decided on its profile, must shape the baselines of the normal
day a week later as in a range run (ignored, that day reads as a spike and is held), and
the spike is judged on a history holding four days left out. A run of only left-out days
fails (Dagster's block), any other succeeds; all seven tables equal the range run's.
"""

from __future__ import annotations

import duckdb
import pytest

from resources.instance_history import failed_partitions
from tests.support.batching import ALL_TABLES, settings_for, tables_after
from tests.support.left_out_landing import (
    CENTS_DAY,
    DAYS,
    DRIFTING,
    EMPTY,
    FAILING,
    FIRST,
    GAP,
    HELD,
    LEFT_OUT,
    SAME_WEEKDAY,
    SPIKE,
    WINNER,
    left_out_landing,
)
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums
from tests.support.quality_cases import fail_order_suite

pytestmark = pytest.mark.slow


def test_late_days_run_first_leave_the_range_runs_tables(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    order, rejected = left_out_landing(landing)
    fail_order_suite(monkeypatch, {DAYS[FAILING].isoformat()})

    settings = settings_for(landing, tmp_path / "range")
    with local_instance() as instance:
        run_range(settings, instance, str(DAYS[0]), str(DAYS[-1]), raise_on_error=False)
        held = failed_partitions(instance)
    assert held == {DAYS[i].isoformat() for i in HELD}
    ranged = table_checksums(settings.duckdb_path, ALL_TABLES)
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        published = dict(
            conn.execute(
                "select order_id, cast(partition_date as varchar) from warehouse.fct_orders"
                " where order_id in (?, ?)",
                [order, rejected],
            ).fetchall()
        )
        quarantined = conn.execute(
            "select reason_code from staging.quarantined_orders where order_id = ?", [rejected]
        ).fetchall()
        days = {
            str(day)
            for (day,) in conn.execute(
                "select distinct partition_date from warehouse.fct_orders"
            ).fetchall()
        }
    assert published == {order: str(DAYS[WINNER]), rejected: str(DAYS[FIRST])}
    assert quarantined == [("negative_amount",)]
    assert days == {str(d) for i, d in enumerate(DAYS) if i not in (*LEFT_OUT, EMPTY)}

    # The spike and the normal day first, on profiles holding every left-out day; then
    # runs of only left-out days (the cents day with the gap, the drift with the failing
    # day); then the rest.
    batches = [
        (SAME_WEEKDAY, SPIKE),
        (GAP, CENTS_DAY),
        (DRIFTING, FAILING),
        (0, DRIFTING - 1),
        (WINNER, SAME_WEEKDAY - 1),
    ]
    assert tables_after(tmp_path / "batched", landing, batches, LEFT_OUT, DAYS) == ranged
