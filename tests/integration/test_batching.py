"""Results never depend on how days are batched: a range run, day-by-day runs and random
batchings in random order (with re-runs) leave byte-identical warehouse tables.

The landing zone is hostile on purpose: an order landed on two days (the newest
``updated_at`` must win in fct_orders whichever day runs last), a later day carrying an
*older* version, offset-free timestamps next to offset ones in the same file and range,
duplicates inside a day, quarantined rows, three formats and gzip files (one the
engine loads, one with a byte-order mark that the reader reads), and files the engine
refuses inside the run's transaction, enough of them that a range run stages every CSV
file where a run of one day loads them directly (one named in Latin-1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.support.batching import (
    ALL_TABLES,
    DAYS,
    ORDER_TABLES,
    hostile_landing,
    lone_cr_landing,
    random_batches,
    run,
    settings_for,
    withdraw_and_shrink,
)
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

pytestmark = pytest.mark.slow


FIGURES = (
    "dagster/row_count",
    "orders/currencies",
    "orders/distinct_customers",
)
# fct_orders' per-currency day figures (orders/revenue/EUR, orders/net_revenue/USD, ...).
CURRENCY_FIGURES = ("orders/revenue/", "orders/net_revenue/")


@dataclass(frozen=True)
class OrderRuns:
    """The order assets run over some batches: the tables' checksums, the figures of each
    fct_orders partition's latest materialization, and the warehouse file (read only)."""

    checksums: dict
    figures: dict
    warehouse: str


def order_runs(
    tmp: Path, landing: Path, batches: list[tuple[int, int]], every_asset: bool = False
) -> OrderRuns:
    """The order assets run over ``batches``; ``every_asset``: the whole graph, the
    customer tables too (their checksums with the order tables')."""
    settings = settings_for(landing, tmp)
    key = dg.AssetKey(["warehouse", "fct_orders"])
    with local_instance() as instance:
        for first, last in batches:
            if every_asset:
                assert run_range(settings, instance, str(DAYS[first]), str(DAYS[last])).success
            else:
                run(settings, instance, DAYS[first], DAYS[last])
        figures = {}
        for day in DAYS:
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day.isoformat()]), limit=1
            ).records
            if records:
                metadata = records[0].asset_materialization.metadata
                figures[day] = {
                    name: value.value
                    for name, value in metadata.items()
                    if name in FIGURES or name.startswith(CURRENCY_FIGURES)
                }
    tables = ALL_TABLES if every_asset else ORDER_TABLES
    return OrderRuns(table_checksums(settings.duckdb_path, tables), figures, settings.duckdb_path)


def warehouse_after(tmp: Path, landing: Path, batches: list[tuple[int, int]]) -> dict:
    return order_runs(tmp, landing, batches).checksums


# The range run and the backwards day-by-day runs of the hostile landing zone, of the whole
# graph, which four tests compare or read, are run once for the module: nothing writes to
# them. The other batchings of the order tables run the order assets alone.
@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("hostile") / "landing"
    hostile_landing(landing)
    return landing


@pytest.fixture(scope="module")
def range_run(tmp_path_factory, hostile) -> OrderRuns:
    batches = [(0, len(DAYS) - 1)]
    return order_runs(tmp_path_factory.mktemp("range"), hostile, batches, every_asset=True)


@pytest.fixture(scope="module")
def backwards_run(tmp_path_factory, hostile) -> OrderRuns:
    batches = [(i, i) for i in reversed(range(len(DAYS)))]
    return order_runs(tmp_path_factory.mktemp("back"), hostile, batches, every_asset=True)


def test_range_day_by_day_and_random_batchings_publish_identical_tables(
    tmp_path, hostile, range_run, backwards_run
):
    assert backwards_run.checksums == range_run.checksums
    whole = {table: range_run.checksums[table] for table in ORDER_TABLES}
    for seed in (1, 2):
        batches = random_batches(seed, again=True)
        assert warehouse_after(tmp_path / f"rand{seed}", hostile, batches) == whole, batches


def every_table_after(
    tmp: Path, landing: Path, batches: list[tuple[int, int]], then=None, reruns=()
) -> dict:
    """Every table after running the whole graph (customer tables too) over ``batches``,
    then, when given, changing the landing zone with ``then`` and running ``reruns``."""
    settings = settings_for(landing, tmp)
    with local_instance() as instance:
        for first, last in batches:
            result = run_range(settings, instance, str(DAYS[first]), str(DAYS[last]))
            assert result.success
        if then is not None:
            then(landing)
            for first, last in reruns:
                result = run_range(settings, instance, str(DAYS[first]), str(DAYS[last]))
                assert result.success
    return table_checksums(settings.duckdb_path, ALL_TABLES)


def test_customer_tables_do_not_depend_on_the_batching_either(
    tmp_path, hostile, range_run, backwards_run
):
    # The order tables are compared above; customer_metrics, customer_clv and
    # dim_customers read every day's current versions ("twice" counts once, as its day-3
    # version, for customer c1), whichever runs built them last.
    whole = range_run.checksums
    assert set(whole) == set(ALL_TABLES)
    assert backwards_run.checksums == whole
    batches = random_batches(3, again=True)
    assert every_table_after(tmp_path / "rand", hostile, batches) == whole, batches
    assert whole["analytics.customer_metrics"][0] == 9  # c1..c10 but c5 (quarantined only)


def test_rerunning_days_whose_files_went_or_shrank_equals_a_fresh_run_of_what_is_left(tmp_path):
    # Day 3's folder is withdrawn and day 1's file replaced by a smaller one after the
    # days ran: re-running those two days (in either order, after a range run or
    # day-by-day runs) must leave what a fresh run of the final landing zone leaves: day
    # 3's facts withdrawn, "twice" back to day 1's version (day 6's is quarantined), and
    # customers c4 and c7, who had only those orders, gone from the customer tables.
    landing = tmp_path / "landing"
    hostile_landing(landing)
    changed = {"then": withdraw_and_shrink}
    after_range = every_table_after(
        tmp_path / "range", landing, [(0, len(DAYS) - 1)], **changed, reruns=[(2, 2), (0, 0)]
    )
    hostile_landing(landing)  # the first sequence changed it: land it again as it was
    day_by_day = every_table_after(
        tmp_path / "days", landing, [(i, i) for i in range(6)], **changed, reruns=[(0, 0), (2, 2)]
    )
    fresh_folder = tmp_path / "fresh"
    fresh = every_table_after(fresh_folder, landing, [(0, len(DAYS) - 1)])
    assert after_range == fresh
    assert day_by_day == fresh
    with duckdb.connect(str(fresh_folder / "orders.duckdb"), read_only=True) as conn:
        facts = dict(conn.execute("select order_id, amount from warehouse.fct_orders").fetchall())
        customers = conn.execute(
            "select customer_id from warehouse.dim_customers order by customer_id"
        ).fetchall()
    assert facts["twice"] == 10.0 and "p1" not in facts and "dup" not in facts
    assert [c for (c,) in customers] == ["c1", "c10", "c2", "c3", "c6", "c8", "c9"]


def test_a_lone_cr_inside_a_csv_line_is_one_quarantined_record_whatever_the_batching(tmp_path):
    landing = tmp_path / "landing"
    lone_cr_landing(landing)
    # the range run failed on the original reader: reconciliation held the second day
    whole = warehouse_after(tmp_path / "range", landing, [(0, 1)])
    assert warehouse_after(tmp_path / "back", landing, [(1, 1), (0, 0)]) == whole
    with duckdb.connect(str(tmp_path / "range" / "orders.duckdb"), read_only=True) as conn:
        repeated = conn.execute(
            "select count(*) from (select 1 from raw.raw_orders"
            " group by partition_date, source_file, source_line having count(*) > 1)"
        ).fetchone()
        cleaned = conn.execute(
            "select order_id from staging.cleaned_orders order by order_id"
        ).fetchall()
        quarantined = conn.execute(
            "select source_line, reason_code, raw_record from staging.quarantined_orders"
            " order by source_line"
        ).fetchall()
    assert repeated == (0,)
    assert cleaned == [("a",), ("f",), ("x",)]
    assert [(line, code) for line, code, _ in quarantined] == [
        (3, "malformed_record"),
        (4, "malformed_record"),
    ]
    assert "\r" in quarantined[0][2] and quarantined[0][2].count("b,c1") == 2  # kept whole


def test_the_newest_version_of_an_order_wins_across_days(backwards_run):
    # every day run alone, the last first
    with duckdb.connect(backwards_run.warehouse, read_only=True) as conn:
        facts = dict(
            conn.execute(
                "select order_id, amount from warehouse.fct_orders where order_id in"
                " ('twice', 'older-later', 'dup', 'rejected-later')"
            ).fetchall()
        )
        rejected = conn.execute(
            "select reason_code from staging.quarantined_orders where order_id = 'rejected-later'"
        ).fetchall()
        naive = conn.execute(
            "select order_ts from warehouse.fct_orders where order_id in ('naive', 'm1', 'j1')"
            " order by order_id"
        ).fetchall()
        counts = conn.execute(
            "select count(*), count(distinct order_id) from warehouse.fct_orders"
        ).fetchone()
    assert facts == {"twice": 11.0, "older-later": 20.0, "dup": 2.0, "rejected-later": 30.0}
    assert rejected == [("negative_amount",)]  # kept with its reason, not published
    assert counts[0] == counts[1]  # one row per order
    hours = sorted(ts.astimezone(dt.UTC).hour for (ts,) in naive)
    assert hours == [1, 6, 8]  # offset-free values read as UTC, never another row's offset


def test_a_days_fct_figures_are_those_of_its_rows_whatever_the_batching(
    tmp_path, hostile, range_run, backwards_run
):
    # "twice" lands on days 1, 3 and 6 and its day-3 version wins: run day by day, day 1's
    # figures were those of day 1's own run (its fact then still in day 1), as were day
    # 3's after day 6's run took "twice" there and gave it back.
    whole = range_run.figures
    forward = order_runs(tmp_path / "fwd", hostile, [(i, i) for i in range(6)]).figures
    backwards = backwards_run.figures
    assert (
        whole[DAYS[0]]["dagster/row_count"] == 5
    )  # older-later, naive, offset, dup, rejected-later
    assert forward == whole
    assert backwards == whole
