"""Days failing cleaned_orders' checks leave the same customer tables whatever the batching.

customer_metrics refused to build while any day had not passed cleaned_orders' blocking
checks (gx_quality, reconciliation). A run of such a day alone stops before it (Dagster's
block), so day-by-day runs left the customer tables of the last run before the day, and
a range holding the day failed at customer_metrics: the customer tables depended on the
batching. customer_metrics now leaves those days' rows out, as fct_orders does (not even
as another day's order's newest version), and is computed as of the latest cleaned day
that passed: the range run, day-by-day runs in either order and random batchings leave
identical tables, all seven.

The hostile landing of ``test_batching``; cleaned_orders' order suite is made to fail
day 3 (it holds the winning version of an order landed on three days) and day 6, the
last (the as-of day of a run that passed would be it).
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from resources.instance_history import WITHHELD_DAYS
from tests.support.batching import (
    DAYS,
    hostile_landing,
    random_batches,
    settings_for,
    tables_after,
)
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range
from tests.support.quality_cases import fail_order_suite

pytestmark = pytest.mark.slow

FAILING = (2, 5)  # indexes in DAYS


@pytest.fixture
def failing(monkeypatch) -> set[str]:
    return fail_order_suite(monkeypatch, {DAYS[i].isoformat() for i in FAILING})


def _customers(path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "select customer_id, order_count, cast(total_revenue as double),"
            " cast(as_of_date as varchar) from analytics.customer_metrics"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_days_failing_cleaned_checks_leave_the_same_customer_tables_whatever_the_batching(
    tmp_path, failing
):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    whole = tables_after(tmp_path / "range", landing, [(0, len(DAYS) - 1)], FAILING)
    customers = _customers(tmp_path / "range" / "orders.duckdb")
    as_of = str(DAYS[4])  # day 6 failed: the latest cleaned day that passed
    # c1's orders: "twice" (day 1's version: day 3's and day 6's are left out), "j1"
    # (not day 3's "r1").
    assert customers["c1"] == (2, 17.5, as_of)
    # c7's only order is on day 3: no customer row.
    assert "c7" not in customers
    forwards = tables_after(tmp_path / "fwd", landing, [(i, i) for i in range(len(DAYS))], FAILING)
    assert forwards == whole
    backwards = tables_after(
        tmp_path / "back", landing, [(i, i) for i in reversed(range(len(DAYS)))], FAILING
    )
    assert backwards == whole
    for seed in (6, 7):
        batches = random_batches(seed)
        assert tables_after(tmp_path / f"rand{seed}", landing, batches, FAILING) == whole, batches


def test_the_days_count_again_once_they_pass(tmp_path, failing):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    settings = settings_for(landing, tmp_path / "wh")
    with local_instance() as instance:
        assert run_range(settings, instance, str(DAYS[0]), str(DAYS[-1])).success
        event = instance.get_latest_materialization_event(dg.AssetKey("customer_metrics"))
        metadata = event.asset_materialization.metadata
        assert metadata[WITHHELD_DAYS].value == f"{DAYS[2]}, {DAYS[5]}"
        assert metadata["as_of"].value == str(DAYS[4])

        failing.clear()  # the cleaning fixed: the days run again and pass
        assert run_range(settings, instance, str(DAYS[2]), str(DAYS[2])).success
        assert run_range(settings, instance, str(DAYS[5]), str(DAYS[5])).success
        event = instance.get_latest_materialization_event(dg.AssetKey("customer_metrics"))
        metadata = event.asset_materialization.metadata
        assert metadata[WITHHELD_DAYS].value == "none"
        customers = _customers(settings.duckdb_path)
        # "twice" is day 3's version now (the newest updated_at), with day 3's "r1"
        assert customers["c1"] == (3, 19.5, str(DAYS[5]))
        assert customers["c7"] == (1, 3.0, str(DAYS[5]))
