"""A fct_orders day whose facts a later run moves is checked again in that run.

An order landed again on a later day leaves its older day: the run of the later day
re-materializes the older day's fct_orders partition (its new figures). The publication
suite must then judge that materialization in the same run, or the day's latest gx_quality
result describes rows it no longer has, and what a day's check says depends on how its
days were batched.
"""

from __future__ import annotations

import dagster as dg
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from tests.support.batching import DAYS, hostile_landing, settings_for
from tests.support.local_instance import local_instance

pytestmark = pytest.mark.slow

FCT = dg.AssetKey(["warehouse", "fct_orders"])


def _latest_check_of_each_day(instance) -> dict[str, dg.AssetCheckEvaluation]:
    latest = {}
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        ascending=True,
    )
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.asset_key == FCT and evaluation.check_name == "gx_quality":
            latest[evaluation.partition] = evaluation
    return latest


def test_days_whose_facts_moved_are_checked_in_the_run_that_moved_them(tmp_path):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    settings = settings_for(landing, tmp_path)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    with local_instance() as instance:
        for day in DAYS:
            tags = {
                "dagster/asset_partition_range_start": day.isoformat(),
                "dagster/asset_partition_range_end": day.isoformat(),
            }
            assert job.execute_in_process(instance=instance, tags=tags).success
        checks = _latest_check_of_each_day(instance)
        moved = 0
        for day in DAYS:
            # newest first: the day's latest materialization, then older ones
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=FCT, asset_partitions=[day.isoformat()]), limit=10
            ).records
            record = records[0]
            moved += len({r.run_id for r in records}) > 1
            evaluation = checks[day.isoformat()]
            assert evaluation.target_materialization_data.storage_id == record.storage_id, day
            rows = record.asset_materialization.metadata["dagster/row_count"].value
            assert evaluation.metadata["rows"].value == rows, day
        # The landing moves facts off at least one earlier day (e.g. "twice": days 1 -> 3).
        assert moved >= 1
