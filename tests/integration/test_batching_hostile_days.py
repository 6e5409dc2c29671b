"""Hostile landing days the other corpora do not hold leave the same tables, per-day
metadata and check verdicts whatever the batching.

The days of ``tests.support.hostile_days``: a file landed twice under two names,
versions tied on ``updated_at`` across days and across formats inside a day (down to a
difference of 100 ns, which the engines do not see), a newer version quarantined on a
later day, one tied within its day with a rejected version, an order moving to another
customer, an e-mail changed and an order cancelled by a later day's version, midnight
UTC and offsets moving ``order_ts`` across it, orders in a neighbouring day's folder, a
day of nothing but unparseable lines (schema_drift blocks it: a run of it alone fails),
a day of a header-only file, files of no byte and a CSV file of broken records only
(which passes, its records quarantined), and a day of 1,000 files.

A range run, day-by-day runs backwards and a random batching (days 2 and 3 in one run,
then days 4, 1 and 5 alone, then day 4 again) must leave identical tables (raw, cleaned,
quarantined, fct_orders, customer_metrics, customer_clv, dim_customers, fx_rates) and
the same metadata and verdicts per day, but those of the blocked day's downstream, which
a run of that day alone never reaches.
Eleven runs: about 45 s of CPU (two minutes on a loaded two-core machine).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.batching import DAYS, random_batches
from tests.support.hostile_days import (
    BLOCKED,
    MANY_FILES,
    batched,
    held_by_dagster,
    hostile_days_landing,
)

pytestmark = pytest.mark.slow

LAST = 4  # the five days are DAYS[0..4]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile-days") / "landing"
    hostile_days_landing(root)
    return root


@pytest.fixture(scope="module")
def whole(tmp_path_factory, landing) -> tuple[dict, dict, Path]:
    folder = tmp_path_factory.mktemp("range")
    (tables,), state = batched(folder, landing, [(0, LAST)], failing=[BLOCKED])
    return tables, state, folder / "orders.duckdb"


def _same_as_range(whole, tables: list[dict], state: dict) -> None:
    range_tables, range_state, _ = whole
    assert tables == [range_tables]
    blocked = DAYS[BLOCKED]
    assert held_by_dagster(state, blocked) == held_by_dagster(range_state, blocked)


def test_the_range_publishes_every_case_by_the_documented_rules(whole):
    _, state, warehouse = whole
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        facts = {
            order_id: (str(day), amount, customer, status)
            for order_id, day, amount, customer, status in conn.execute(
                "select order_id, partition_date, amount, customer_id, status"
                " from warehouse.fct_orders where order_id not like 'many%'"
            ).fetchall()
        }
        many = conn.execute(
            "select count(*), min(source_file) from warehouse.fct_orders f join"
            " staging.cleaned_orders c using (order_id, partition_date)"
            " where order_id = 'many0'"
        ).fetchone()
        reasons = dict(
            conn.execute(
                "select order_id, list(reason_code order by reason_code)"
                " from staging.quarantined_orders where order_id not like 'many%' group by 1"
            ).fetchall()
        )
        emails = conn.execute(
            "select count(distinct customer_email_hash) from staging.cleaned_orders"
            " where order_id = 'email'"
        ).fetchone()
        broken = conn.execute(
            "select list(distinct reason_code), count(*) from staging.quarantined_orders"
            " where partition_date = ?",
            [DAYS[2]],
        ).fetchone()
        counts = conn.execute(
            "select (select count(*) from raw.raw_orders), (select count(*) from"
            " warehouse.fct_orders where order_id like 'many%'),"
            " (select count(*) from analytics.customer_metrics where customer_id = 'c4')"
        ).fetchone()
    d = [str(day) for day in DAYS]
    assert facts == {
        "tie": (d[3], 12.0, "c1", None),  # tied across days: the later day
        "email": (d[3], 5.0, "c2", None),
        "rejected-later": (d[0], 7.0, "c3", None),  # the newer is quarantined
        "tied-rejected-later": (d[0], 8.0, "c3", None),  # day 4's is held by its tie
        "cancelled-later": (d[3], 9.0, "c4", "cancelled"),
        "moves": (d[3], 11.0, "c9", None),
        "nanos": (d[3], 3.0, "c7", None),  # 100 ns newer on day 1: a tie, to the microsecond
        "midnight": (d[0], 1.0, "c6", None),
        "last-second": (d[0], 1.0, "c6", None),
        "mix": (d[3], 3.0, "c8", None),  # three formats tied: the later file, m.parquet
        "crossed-in": (d[3], 1.0, "c10", None),
    }
    assert reasons == {
        "next-midnight": ["order_ts_outside_partition"] * 2,  # landed twice on day 1
        "rejected-later": ["negative_amount"],
        "tied-rejected-later": ["invalid_amount", "newer_version_rejected"],
        "previous-day": ["order_ts_outside_partition"],
        "next-day": ["order_ts_outside_partition"],
        "crossed-out": ["order_ts_outside_partition"],
    }
    assert emails == (2,)  # the e-mail of each version, the current one published
    assert broken == (["malformed_record"], 3)
    # 20 + 4 unparseable + 3 broken + 15 + 1,000 rows; 700 orders of day 5 (later files win)
    assert counts == (20 + 4 + 3 + 15 + MANY_FILES, 700, 0)
    assert many[0] == 1 and many[1].endswith("/p00001.csv")
    blocked = DAYS[BLOCKED].isoformat()
    assert state[("raw_orders", "schema_drift", blocked)] == (False, "ERROR")
    assert state[("raw_orders", "schema_drift", DAYS[2].isoformat())] == (True, "ERROR")
    assert state[("warehouse/fct_orders", DAYS[2])]["dagster/row_count"] == 0


def test_day_by_day_backwards_equals_the_range(tmp_path, landing, whole):
    batches = [(i, i) for i in reversed(range(LAST + 1))]
    _same_as_range(whole, *batched(tmp_path, landing, batches, failing=[BLOCKED]))


def test_a_random_batching_with_a_rerun_equals_the_range(tmp_path, landing, whole):
    batches = random_batches(5, again=True, days=LAST + 1)
    _same_as_range(whole, *batched(tmp_path, landing, batches, failing=[BLOCKED]))
