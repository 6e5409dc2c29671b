"""A day a range run leaves out whose facts the run's other days move: its figures.

fct_orders leaves out a day whose cleaning was left alone (its files drift), but the
run's other days can still move orders to or from it: a later day of the range lands a
newer version of one of its orders, which leaves the day. Its facts change, as they do
when the later day is run alone, and the day's latest fct_orders materialization must
give its new figures. It said "not published in this run, left as it was", without
figures, over the materialization that had them (Dagster records the run's own one for
every day of the range after the events the step logs).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.assets.warehouse import NOT_PUBLISHED
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.order_fixtures import range_tags, settings_for

DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(3)]
FCT = dg.AssetKey(["warehouse", "fct_orders"])
FIGURES = ("dagster/row_count", "orders/revenue/USD", "orders/distinct_customers")


def _land(root) -> None:
    write_csv(
        day_dir(root, DAYS[0]) / "a.csv",
        [
            order(
                "twice", "c1", f"{DAYS[0]}T09:00:00Z", "10.00", updated_at=f"{DAYS[0]}T10:00:00Z"
            ),
            order("a2", "c2", f"{DAYS[0]}T09:00:00Z", "5.00"),
        ],
    )
    write_csv(day_dir(root, DAYS[1]) / "b.csv", [order("b1", "c1", f"{DAYS[1]}T09:00:00Z", "3.00")])
    write_csv(day_dir(root, DAYS[2]) / "c.csv", [order("c1", "c3", f"{DAYS[2]}T09:00:00Z", "4.00")])


def _change(root) -> None:
    """The first day drifts (a file without amount); the last lands "twice" again, newer."""
    row = order("no-amount", "c1", f"{DAYS[0]}T10:00:00Z", "1.00")
    del row["amount"]
    write_csv(day_dir(root, DAYS[0]) / "z.csv", [row], header=list(row))
    newer = order("twice", "c1", f"{DAYS[2]}T09:00:00Z", "11.00", updated_at=f"{DAYS[2]}T10:00:00Z")
    write_csv(day_dir(root, DAYS[2]) / "d.csv", [newer])


def _first_day_facts(tmp_path, batches: list[tuple[int, int]]) -> dict:
    _land(tmp_path / "landing")
    job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)
    with local_instance() as instance:
        first = job.execute_in_process(instance=instance, tags=range_tags(DAYS[0], DAYS[-1]))
        assert first.success
        _change(tmp_path / "landing")
        for a, b in batches:
            job.execute_in_process(
                instance=instance, tags=range_tags(DAYS[a], DAYS[b]), raise_on_error=False
            )
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=FCT, asset_partitions=[DAYS[0].isoformat()]),
            limit=1,
            ascending=False,
        ).records
        return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def test_a_left_out_day_whose_facts_moved_gets_its_new_figures(tmp_path):
    by_day = _first_day_facts(tmp_path / "days", [(0, 0), (1, 1), (2, 2)])
    ranged = _first_day_facts(tmp_path / "range", [(0, 2)])

    # "twice" left the day for the last one: a2 alone remains, in both.
    assert by_day["dagster/row_count"] == 1 and by_day["orders/revenue/USD"] == 5.0
    assert {k: ranged.get(k) for k in FIGURES} == {k: by_day[k] for k in FIGURES}
    assert "moved orders to or from it" in ranged[NOT_PUBLISHED]
    assert "left as it was" not in ranged[NOT_PUBLISHED]
