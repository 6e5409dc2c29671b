"""A cancelled or returned order is no purchase, judged on its current version, whatever
the batching.

customer_metrics counted every order as a purchase, whatever its status: an order placed
on day 1 and cancelled on day 3 stayed a purchase day and revenue, and a customer whose
every order was cancelled had a row (and a CLV). Now only purchases count (the contract's
``status.not_purchase``: cancelled, returned; no status is a purchase), judged on the
order's current version (newest ``updated_at`` across days, not the latest landing day),
and a customer without a purchase has no row but is counted in the asset's metadata. A
range run, day-by-day runs in either order and a random batching leave the same tables.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from orders_core.metrics import CLV_HISTORIES_SQL
from tests.support.batching import (
    ALL_TABLES,
    DAYS,
    random_batches,
    settings_for,
    tables_after,
)
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

pytestmark = pytest.mark.slow

d = DAYS


def _ts(day, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def _landing(root) -> None:
    # c1: "a1" placed on day 1, sent again cancelled on day 3 (the newer version); "a2"
    # and "a3" delivered on days 2 and 5: two purchases, 25.00.
    # c2: "b1" cancelled on day 1; "b2" placed on day 2, returned on day 4: no purchase.
    # c3: no status on days 1 and 6 (a purchase each).
    # c4: "d1" placed on day 2 with an updated_at of day 5; a copy cancelled on day 3 with
    # an older updated_at: day 2's version stays current, a purchase.
    days = {
        0: [
            order("a1", "c1", _ts(d[0], 9), "10.00", status="placed"),
            order("b1", "c2", _ts(d[0], 9), "7.00", status="Cancelled"),
            order("n1", "c3", _ts(d[0], 9), "1.50"),
        ],
        1: [
            order("a2", "c1", _ts(d[1], 9), "20.00", status="delivered"),
            order("b2", "c2", _ts(d[1], 9), "3.00", status="placed"),
            order("d1", "c4", _ts(d[1], 9), "4.00", status="placed", updated_at=_ts(d[4], 1)),
        ],
        2: [
            order("a1", "c1", _ts(d[2], 9), "10.00", status="cancelled"),
            order("d1", "c4", _ts(d[2], 9), "4.00", status="cancelled", updated_at=_ts(d[2], 9)),
        ],
        3: [order("b2", "c2", _ts(d[3], 9), "3.00", status="returned")],
        4: [order("a3", "c1", _ts(d[4], 9), "5.00", status="shipped")],
        5: [order("n2", "c3", _ts(d[5], 9), "2.50")],
    }
    for index, rows in days.items():
        write_csv(day_dir(root, d[index]) / "orders.csv", rows)


def _day_metadata(instance: dg.DagsterInstance, day: str) -> dict:
    """fct_orders' latest metadata of a day."""
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(["warehouse", "fct_orders"]), asset_partitions=[day]
        ),
        limit=1,
    ).records
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def _read(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_cancelled_and_returned_orders_are_no_purchase_whatever_the_batching(tmp_path):
    landing = tmp_path / "landing"
    _landing(landing)
    settings = settings_for(landing, tmp_path / "range")
    with local_instance() as instance:
        assert run_range(settings, instance, str(d[0]), str(d[-1])).success
        event = instance.get_latest_materialization_event(dg.AssetKey("customer_metrics"))
        metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
        facts = {day: _day_metadata(instance, str(d[day])) for day in (0, 2)}
    # fct_orders' revenue is gross, its net revenue counts purchases: day 1 holds b1
    # (7.00, cancelled) and n1 (1.50, no status); day 3 a1's cancelled version (10.00).
    assert [(f["orders/revenue/USD"], f["orders/net_revenue/USD"]) for f in facts.values()] == [
        (8.5, 1.5),
        (10.0, 0.0),
    ]
    path = settings.duckdb_path
    metrics = {
        row[0]: row[1:]
        for row in _read(
            path,
            "SELECT customer_id, order_count, frequency, recency_days, tenure_days,"
            " monetary_value, total_revenue, CAST(first_order_date AS VARCHAR),"
            " CAST(last_order_date AS VARCHAR) FROM analytics.customer_metrics",
        )
    }
    assert metrics == {
        # days 2 and 5 (a1's current version is cancelled); as of day 6
        "c1": (2, 1, 3, 4, 5.0, 25.0, str(d[1]), str(d[4])),
        "c3": (2, 1, 5, 5, 2.5, 4.0, str(d[0]), str(d[5])),
        "c4": (1, 0, 0, 4, 0.0, 4.0, str(d[1]), str(d[1])),
    }
    # c2 bought nothing that stayed a purchase: not a customer of the metrics, counted.
    assert (metadata["customers"], metadata["customers_without_purchase"]) == (3, 1)
    assert metadata["not_purchase_orders"] == 3  # a1, b1, b2
    assert metadata["total_revenue"] == 33.0
    # What customer_clv fits on: the three purchasing customers' histories, c2 nowhere.
    histories = _read(path, CLV_HISTORIES_SQL)
    assert [(f, r, t, n) for f, r, t, _, n in histories] == [
        (0, 0, 4, 1),
        (1, 3, 4, 1),
        (1, 5, 5, 1),
    ]
    for table in ("analytics.customer_clv", "warehouse.dim_customers"):
        found = _read(path, f"SELECT count(*) FROM {table} WHERE customer_id = 'c2'")  # noqa: S608
        assert found == [(0,)], table
    assert _read(path, "SELECT count(*) FROM warehouse.dim_customers") == [(3,)]
    # fct_orders keeps every order with its status
    assert _read(
        path,
        "SELECT order_id, status FROM warehouse.fct_orders"
        " WHERE order_id IN ('a1', 'b1', 'b2', 'd1') ORDER BY order_id",
    ) == [("a1", "cancelled"), ("b1", "cancelled"), ("b2", "returned"), ("d1", "placed")]

    whole = table_checksums(path, ALL_TABLES)
    for name, batches in (
        ("fwd", [(i, i) for i in range(len(DAYS))]),
        ("back", [(i, i) for i in reversed(range(len(DAYS)))]),
        ("rand", random_batches(5)),
    ):
        assert tables_after(tmp_path / name, landing, batches) == whole, batches


def test_an_order_cancelled_on_a_later_day_stops_counting_once_that_day_is_run(tmp_path):
    landing = tmp_path / "landing"
    _landing(landing)
    settings = settings_for(landing, tmp_path / "wh")
    sql = "SELECT customer_id, order_count, total_revenue FROM analytics.customer_metrics"
    with local_instance() as instance:
        assert run_range(settings, instance, str(d[0]), str(d[1])).success
        # as of day 2: a1 still placed, b2 not yet returned
        assert set(_read(settings.duckdb_path, sql)) == {
            ("c1", 2, 30.0),
            ("c2", 1, 3.0),
            ("c3", 1, 1.5),
            ("c4", 1, 4.0),
        }
        assert run_range(settings, instance, str(d[2]), str(d[3])).success
        assert set(_read(settings.duckdb_path, sql)) == {
            ("c1", 1, 20.0),
            ("c3", 1, 1.5),
            ("c4", 1, 4.0),
        }
