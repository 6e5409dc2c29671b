"""A day a range left alone keeps its older cleaned rows, and they are published as a run
of the day alone would publish them.

Day 2 is cleaned (its checks pass) in a run whose fct_orders never ran (a transient
failure: its step failed, or the run stopped there). Then a file the platform cannot read
lands on day 2 and a range of the three days runs: schema_drift fails day 2 alone, so
the cleaning leaves it as it was (its cleaned rows are the first run's, its latest
cleaned_orders materialization an ``orders/not_cleaned`` marker) and fct_orders leaves it
out. A run of fct_orders alone for day 2 then left it out again, for the marker, where
after runs of each day alone (day 2's stopped by Dagster before its cleaning) it
publishes those rows: their cleaning passed its checks. The marker now leaves the day out
of the run that wrote it only, as Dagster stops a run of the day alone; in a later run
the day's rows are what its last cleaning left, judged by cleaned_orders' checks as any
day's.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from platform_assets.assets.warehouse import NOT_PUBLISHED
from tests.support.batching import ALL_TABLES, DAYS, settings_for
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import materializations, run_range, table_checksums

pytestmark = pytest.mark.slow

DAY = DAYS[1].isoformat()
CLEANING = [
    dg.AssetKey("raw_orders"),
    dg.AssetKey("cleaned_orders"),
    dg.AssetKey("quarantined_orders"),
]
FACTS = [dg.AssetKey(["warehouse", "fct_orders"])]


def _landing(root) -> None:
    for i, day in enumerate(DAYS[:3]):
        write_csv(
            day_dir(root, day) / "a.csv",
            [
                order(f"o{i}", "c1", f"{day}T09:00:00Z", f"{10 + i}.00"),
                order(f"p{i}", f"c{i + 2}", f"{day}T10:00:00Z", "5.00"),
            ],
        )


def _facts(path: str) -> list[tuple]:
    with duckdb.connect(path, read_only=True) as conn:
        return conn.execute(
            "select order_id, cast(partition_date as varchar) from warehouse.fct_orders"
            " order by order_id"
        ).fetchall()


def _after(tmp, landing, batches) -> tuple[dict, dg.ExecuteInProcessResult, list[tuple]]:
    """Day 2 cleaned without its facts, its files made to drift, ``batches`` (pairs of
    indexes in DAYS) run, then fct_orders alone for day 2: every table, that last run and
    the facts."""
    settings = settings_for(landing, tmp)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    with local_instance() as instance:
        cleaned = job.execute_in_process(
            instance=instance, partition_key=DAY, asset_selection=CLEANING
        )
        assert cleaned.success
        (day_dir(landing, DAYS[1]) / "notes.txt").write_text("not orders\n")
        try:
            for first, last in batches:
                result = run_range(
                    settings, instance, str(DAYS[first]), str(DAYS[last]), raise_on_error=False
                )
                assert result.success != (first == last == 1), (first, last)
        finally:
            (day_dir(landing, DAYS[1]) / "notes.txt").unlink()
        alone = job.execute_in_process(
            instance=instance, partition_key=DAY, asset_selection=FACTS, raise_on_error=False
        )
    return table_checksums(settings.duckdb_path, ALL_TABLES), alone, _facts(settings.duckdb_path)


def test_a_day_left_alone_earlier_publishes_its_older_rows_as_day_by_day_runs_do(tmp_path):
    landing = tmp_path / "landing"
    _landing(landing)
    days, alone_days, facts_days = _after(tmp_path / "days", landing, [(0, 0), (1, 1), (2, 2)])
    ranged, alone, facts = _after(tmp_path / "range", landing, [(0, 2)])
    assert alone_days.success and alone.success
    assert (
        facts
        == facts_days
        == [
            ("o0", str(DAYS[0])),
            ("o1", DAY),
            ("o2", str(DAYS[2])),
            ("p0", str(DAYS[0])),
            ("p1", DAY),
            ("p2", str(DAYS[2])),
        ]
    )
    published = materializations(alone)[("warehouse/fct_orders", DAY)]
    assert NOT_PUBLISHED not in published and published["dagster/row_count"] == 2
    assert ranged == days
