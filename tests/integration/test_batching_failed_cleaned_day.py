"""A day failing cleaned_orders' checks lends no order version to the days that pass.

Day 2 holds a newer version of an order that day 1 holds too, and fails cleaned_orders'
gx_quality (the suite is made stricter than the cleaning here: amounts above 500 are
refused, and day 2's version is 999). fct_orders leaves day 2 out, but publishing day 1
took every cleaned version of its orders as candidates: a range run and a reverse
day-by-day run (day 2 cleaned before day 1 is published) published day 2's refused
version through day 1, a forward run (day 1 published before day 2 was cleaned) kept day
1's. Now the rows of a day whose checks have not passed compete for no order's current
version, in fct_orders and in the facts' expected counts: every batching leaves the
same tables, and day 2's version is published once its day passes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.batching import DAYS, ORDER_TABLES, settings_for
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums
from tests.support.quality_cases import refuse_amounts_above

pytestmark = pytest.mark.slow


def _ts(i: int) -> str:
    return f"{DAYS[i].isoformat()}T09:00:00Z"


def _day_2(root: Path, amount: str) -> None:
    write_csv(
        day_dir(root, DAYS[1]) / "b.csv",
        [
            order("x", "c1", _ts(1), amount, updated_at=_ts(1)),
            order("l", "c3", _ts(1), "6.00"),
        ],
    )


def _landing(root: Path) -> None:
    write_csv(
        day_dir(root, DAYS[0]) / "a.csv",
        [order("x", "c1", _ts(0), "10.00", updated_at=_ts(0)), order("s", "c2", _ts(0), "5.00")],
    )
    _day_2(root, "999.00")
    write_csv(day_dir(root, DAYS[2]) / "c.csv", [order("t", "c4", _ts(2), "7.00")])


@pytest.fixture
def strict_suite(monkeypatch):
    """cleaned_orders' suite refusing amounts above 500, which the cleaning keeps."""
    refuse_amounts_above(monkeypatch, 500)


def _facts(path: str) -> list[tuple]:
    with duckdb.connect(path, read_only=True) as conn:
        return conn.execute(
            "select order_id, cast(partition_date as varchar), amount"
            " from warehouse.fct_orders order by order_id"
        ).fetchall()


def _run(settings, instance, batches) -> None:
    for first, last in batches:
        run_range(settings, instance, str(DAYS[first]), str(DAYS[last]), raise_on_error=False)


def test_a_day_failing_cleaned_checks_lends_no_version_whatever_the_batching(
    tmp_path, strict_suite
):
    landing = tmp_path / "landing"
    _landing(landing)
    tables = {}
    for name, batches in (
        ("range", [(0, 2)]),
        ("forward", [(0, 0), (1, 1), (2, 2)]),
        ("reverse", [(2, 2), (1, 1), (0, 0)]),
    ):
        settings = settings_for(landing, tmp_path / name)
        with local_instance() as instance:
            _run(settings, instance, batches)
            tables[name] = table_checksums(settings.duckdb_path, ORDER_TABLES)
            # day 1's version stands; day 2's refused one is published nowhere
            assert _facts(settings.duckdb_path) == [
                ("s", str(DAYS[0]), 5.0),
                ("t", str(DAYS[2]), 7.0),
                ("x", str(DAYS[0]), 10.0),
            ], name
            if name == "reverse":
                # Day 2 corrected and run alone: its version is the current one now.
                _day_2(landing, "99.00")
                _run(settings, instance, [(1, 1)])
                assert _facts(settings.duckdb_path) == [
                    ("l", str(DAYS[1]), 6.0),
                    ("s", str(DAYS[0]), 5.0),
                    ("t", str(DAYS[2]), 7.0),
                    ("x", str(DAYS[1]), 99.0),
                ]
    assert tables["forward"] == tables["range"]
    assert tables["reverse"] == tables["range"]
