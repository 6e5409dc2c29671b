"""A day that failed schema_drift is not cleaned by a later run without the check.

Dagster blocks on a failed check only in the run that evaluated it. After a range run
failed schema_drift on one day (an unreadable `.xlsx` among its files), the runbook's
re-clean (``dg launch --assets cleaned_orders,quarantined_orders --partition-range
A...B``) cleaned that day from the load the check had failed, and ``dg launch --assets
warehouse/fct_orders --partition <day>`` then published it: the orders in the unreadable
file silently missing, published as if the day were complete. Now a range cleans its
other days and leaves that one alone; the day alone is refused.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from tests.support.order_fixtures import HEADER, csv_bytes, order_rows, range_tags
from tests.support.pipeline_helpers import permanent_failure_message

DAYS = ("2025-01-01", "2025-01-02", "2025-01-03")
DRIFTED = DAYS[1]
RANGE = range_tags(dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1]))
RAW = [dg.AssetKey("raw_orders")]
RE_CLEAN = [dg.AssetKey("cleaned_orders"), dg.AssetKey("quarantined_orders")]


def cleaned_days(settings) -> set[str]:
    """Days of staging.cleaned_orders (empty when the table was never created)."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        try:
            rows = conn.execute(
                "select distinct cast(partition_date as varchar) from staging.cleaned_orders"
            ).fetchall()
        except duckdb.CatalogException:
            return set()
    return {day for (day,) in rows}


def test_a_re_clean_refuses_a_day_that_failed_schema_drift(settings, landing, instance):
    root, _ = landing
    unreadable = root / "orders" / f"date={DRIFTED}" / "more_orders.xlsx"
    unreadable.write_bytes(b"PK\x03\x04 not orders we can read")
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    ranged = job.execute_in_process(instance=instance, tags=RANGE, raise_on_error=False)
    assert ranged.success  # the other days went on
    assert DRIFTED not in cleaned_days(settings) and DAYS[0] in cleaned_days(settings)

    # A re-clean of the range leaves the day alone again; of the day alone, refused.
    assert job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RE_CLEAN).success
    assert DRIFTED not in cleaned_days(settings)
    refused = job.execute_in_process(
        instance=instance, partition_key=DRIFTED, asset_selection=RE_CLEAN, raise_on_error=False
    )
    assert not refused.success
    message = permanent_failure_message(refused)
    assert f"{DRIFTED}: schema_drift not passed: fix the day's landing files" in message
    assert DRIFTED not in cleaned_days(settings)

    # The file removed and the days loaded again (their checks with them): cleaned.
    unreadable.unlink()
    assert job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RAW).success
    assert job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RE_CLEAN).success
    assert {DAYS[0], DRIFTED} <= cleaned_days(settings)


def test_a_re_clean_cleans_a_day_whose_drift_is_only_a_warning(settings, landing, instance):
    root, _ = landing
    rows = [{**row, "promo": "winter"} for row in order_rows(3, dt.date.fromisoformat(DRIFTED))]
    extra = root / "orders" / f"date={DRIFTED}" / "promo.csv"
    extra.write_bytes(csv_bytes(rows, header=[*HEADER, "promo"]))
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    loaded = job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RAW)
    assert loaded.success  # an added column is a WARN: carried, blocking nothing
    (warned,) = [
        e
        for e in loaded.get_asset_check_evaluations()
        if e.check_name == "schema_drift" and not e.passed
    ]
    assert warned.partition == DRIFTED and warned.severity == dg.AssetCheckSeverity.WARN

    assert job.execute_in_process(instance=instance, tags=RANGE, asset_selection=RE_CLEAN).success
    assert {DAYS[0], DRIFTED} <= cleaned_days(settings)


def test_a_re_clean_of_a_load_schema_drift_never_judged_says_to_run_the_day_again(
    settings, instance
):
    """A run stopped between raw_orders and its checks (a Ctrl-C) left loads no check
    judged: a re-clean refused them saying "fix the day's landing files", files that
    were right; the day needs its load judged, by running it again with its checks."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    assert job.execute_in_process(instance=instance, partition_key=DAYS[0]).success
    # Loaded again, its checks not run: what a run stopped after raw_orders leaves.
    unchecked = job.get_subset(asset_selection=set(RAW), asset_check_selection=set())
    assert unchecked.execute_in_process(instance=instance, partition_key=DAYS[0]).success
    refused = job.execute_in_process(
        instance=instance, partition_key=DAYS[0], asset_selection=RE_CLEAN, raise_on_error=False
    )
    assert not refused.success
    message = permanent_failure_message(refused)
    never = "metadata_anomaly, schema_drift not passed: metadata_anomaly and schema_drift never"
    assert f"{DAYS[0]}: {never} judged its latest" in message
    assert f"dg launch --assets 'raw_orders*' --partition {DAYS[0]}" in message
    assert "fix the day's landing files" not in message
