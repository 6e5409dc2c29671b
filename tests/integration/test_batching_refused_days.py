"""Days failing schema_drift in other ways than test_batching_held_days leave the same
tables whatever the batching.

On the hostile landing of ``test_batching``: the first day also lands a truncated gzip
file, day 3 (the winning version of "twice") a symlink to a file outside the landing
root and a 0-byte ``.csv.gz``, day 5 a sub-folder; day 4 has no folder at all, between
two failing days. Each fails schema_drift with ERROR; a range run, a reverse day-by-day
run and a random batching with a re-run leave identical tables, and re-landing a day
that was cleaned with refused files leaves its cleaned and published rows as they were,
whether the day is run alone or inside the range.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support.batching import ALL_TABLES, DAYS, hostile_landing, settings_for, tables_after
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

pytestmark = pytest.mark.slow

FAILING = (0, 2, 4)  # indexes in DAYS; 3 has no folder


def _ts(i: int, hour: int) -> str:
    return f"{DAYS[i].isoformat()}T{hour:02d}:00:00Z"


def refused_landing(root: Path) -> None:
    hostile_landing(root)
    rows = [order(f"t{k}", "c1", _ts(0, 3), "1.00") for k in range(50)]
    write_csv(root / "plain.csv", rows)
    truncated = gzip.compress((root / "plain.csv").read_bytes(), mtime=0)[:60]
    (day_dir(root, DAYS[0]) / "t.csv.gz").write_bytes(truncated)
    (root / "plain.csv").unlink()
    outside = root.parent / "outside"
    write_csv(outside / "secret.csv", [order("secret", "c1", _ts(2, 3), "1.00")])
    (day_dir(root, DAYS[2]) / "evil.csv").symlink_to(outside / "secret.csv")
    (day_dir(root, DAYS[2]) / "e.csv.gz").write_bytes(b"")
    write_csv(day_dir(root, DAYS[4]) / "sub" / "x.csv", [order("sub", "c1", _ts(4, 3), "1.00")])
    shutil.rmtree(day_dir(root, DAYS[3]))


def _published(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(
            "select order_id, cast(partition_date as varchar) from warehouse.fct_orders"
            " order by all"
        ).fetchall()


def test_refused_and_unreadable_days_leave_the_same_tables_whatever_the_batching(tmp_path):
    landing = tmp_path / "landing"
    refused_landing(landing)
    whole = tables_after(tmp_path / "range", landing, [(0, len(DAYS) - 1)], FAILING)
    # day 2 only: day 6's rows are quarantined, day 4 has no folder
    assert {day for _, day in _published(tmp_path / "range" / "orders.duckdb")} == {str(DAYS[1])}
    backwards = [(i, i) for i in reversed(range(len(DAYS)))]
    assert tables_after(tmp_path / "back", landing, backwards, FAILING) == whole
    shuffled = [(3, 5), (0, 0), (1, 2), (3, 5)]  # (3, 5) run again
    assert tables_after(tmp_path / "mixed", landing, shuffled, FAILING) == whole


@pytest.mark.parametrize("batches", [[(0, 5)], [(2, 2)]], ids=["range", "day alone"])
def test_a_cleaned_day_relanded_with_refused_files_keeps_its_rows(tmp_path, batches):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    settings = settings_for(landing, tmp_path)
    kept = ALL_TABLES[1:]  # every table but raw.raw_orders
    with local_instance() as instance:
        assert run_range(settings, instance, str(DAYS[0]), str(DAYS[-1])).success
        before = table_checksums(settings.duckdb_path, ALL_TABLES)
        facts = _published(tmp_path / "orders.duckdb")
        assert ("twice", str(DAYS[2])) in facts  # day 3's version won
        shutil.rmtree(day_dir(landing, DAYS[2]))
        (day_dir(landing, DAYS[2]) / "sub").mkdir(parents=True)
        write_csv(
            day_dir(landing, DAYS[2]) / "ok.csv",
            [order("twice", "c1", _ts(2, 9), "77.00", updated_at=_ts(5, 23))],
        )
        for first, last in batches:
            run_range(settings, instance, str(DAYS[first]), str(DAYS[last]), raise_on_error=False)
        after = table_checksums(settings.duckdb_path, ALL_TABLES)
    assert after["raw.raw_orders"] != before["raw.raw_orders"]  # the new files were loaded
    assert {t: after[t] for t in kept} == {t: before[t] for t in kept}
    assert _published(tmp_path / "orders.duckdb") == facts
