"""A day metadata_anomaly holds is not cleaned by a later run without the check.

A range holding it cleans its other days and leaves it alone; the day alone is refused.

Dagster blocks on a failed check only in the run that evaluated it. The runbook's re-clean
(``dg launch --assets cleaned_orders,quarantined_orders --partition-range A...B``) over a
range holding a held day cleaned that day, and customer_metrics (over cleaned_orders),
CLV, dim_customers and the automation sensor's fct_orders then published it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.instance_history import NOT_CLEANED
from tests.support.check_history import report_verdict
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import permanent_failure_message

DAYS = ("2025-01-01", "2025-01-02", "2025-01-03")
HELD = DAYS[1]
RANGE = range_tags(dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1]))
RE_CLEAN = [dg.AssetKey("cleaned_orders"), dg.AssetKey("quarantined_orders")]


def cleaned_days(settings) -> dict[str, int]:
    """Rows of staging.cleaned_orders per day ({} when the table was never created)."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        try:
            rows = conn.execute(
                "select cast(partition_date as varchar), count(*) from staging.cleaned_orders"
                " group by 1"
            ).fetchall()
        except duckdb.CatalogException:
            return {}
    return dict(rows)


def test_a_re_clean_refuses_a_held_day_and_cleans_it_once_released(settings, instance):
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    loaded = job.execute_in_process(
        instance=instance, tags=RANGE, asset_selection=[dg.AssetKey("raw_orders")]
    )
    assert loaded.success
    report_verdict(instance, HELD, passed=False, metadata={"verdict": "anomalous"})

    # The range: its other days are cleaned, the held one is left alone (as a run of
    # the others alone would), and its materialization says so.
    ranged = job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RE_CLEAN)
    assert ranged.success
    assert set(cleaned_days(settings)) == {DAYS[0]}  # DAYS[2] has no order
    marked = {
        m.materialization.partition: m.materialization.metadata
        for m in ranged.get_asset_materialization_events()
        if m.materialization.asset_key == RE_CLEAN[0]
    }
    assert "metadata_anomaly" in marked[HELD][NOT_CLEANED].value
    assert NOT_CLEANED not in marked[DAYS[0]]
    # The held day alone: refused, with why and what to do.
    refused = job.execute_in_process(
        instance=instance, partition_key=HELD, asset_selection=RE_CLEAN, raise_on_error=False
    )
    assert not refused.success
    message = permanent_failure_message(refused)
    assert (
        f"{HELD}: held or deferred by metadata_anomaly: release it" in message
        and "devtools.held" in message
    )
    assert HELD not in cleaned_days(settings)

    report_verdict(instance, HELD, passed=True, metadata={"verdict": "released"})
    assert job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RE_CLEAN).success
    assert {DAYS[0], HELD} <= set(cleaned_days(settings))


def test_a_load_metadata_anomaly_never_judged_is_not_cleaned_and_is_listed(
    settings, landing, instance, monkeypatch
):
    """The check's step failed after raw_orders loaded new files of a day (an error while
    it read the history): no verdict on that load. The runbook's re-clean cleaned it, and
    fct_orders published it, unjudged (in the on-call walk of hunt 61, a day of amounts in
    cents), and ``devtools.held`` said "No partition is held.". The cleaning leaves such a
    day alone, saying to run it again with its checks, and the listing names it with the
    stopped run."""
    import asset_checks.anomaly
    from tests.support.fixture_data import day_dir, order, write_csv

    root, _ = landing
    day = DAYS[0]
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    before = cleaned_days(settings)[day]
    write_csv(
        day_dir(root, dt.date.fromisoformat(day)) / "late.csv",
        [order(f"L{i}", "zoe", f"{day}T20:00:00Z", "1999.00") for i in range(5)],
    )

    def unreachable(*args, **kwargs):
        raise OSError("warehouse connection reset")

    with monkeypatch.context() as patch:
        patch.setattr(asset_checks.anomaly, "evaluate_days", unreachable)
        stopped = job.execute_in_process(instance=instance, partition_key=day, raise_on_error=False)
    assert not stopped.success

    ranged = job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RE_CLEAN)
    assert ranged.success
    assert cleaned_days(settings)[day] == before, "the unjudged load was not cleaned"
    marked = {
        m.materialization.partition: m.materialization.metadata
        for m in ranged.get_asset_materialization_events()
        if m.materialization.asset_key == RE_CLEAN[0]
    }
    assert "metadata_anomaly not passed" in marked[day][NOT_CLEANED].value
    refused = job.execute_in_process(
        instance=instance, partition_key=day, asset_selection=RE_CLEAN, raise_on_error=False
    )
    assert not refused.success
    message = permanent_failure_message(refused)
    assert (
        f"{day}: metadata_anomaly not passed: metadata_anomaly never judged its latest" in message
    )
    assert f"dg launch --assets 'raw_orders*' --partition {day}" in message

    from devtools.held import format_table, held_partitions, unjudged_partitions

    assert held_partitions(instance) == []
    (listed,) = unjudged_partitions(instance)
    assert (listed.partition, listed.stopped_run) == (day, stopped.run_id)
    table = format_table([listed])
    assert "No partition is held." in table
    assert "1 day(s) loaded but not judged by metadata_anomaly" in table
    assert f"re-execute it from failure (/runs/{stopped.run_id})" in table
    assert f"dg launch --assets 'raw_orders*' --partition {day}" in table

    # Run again with its checks: judged (too little history to decide: a pass), cleaned.
    assert job.execute_in_process(instance=instance, partition_key=day).success
    assert cleaned_days(settings)[day] == before + 5
    assert unjudged_partitions(instance) == []
