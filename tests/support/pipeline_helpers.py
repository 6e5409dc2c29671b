"""Helpers to run the real definitions and read back the warehouse."""

from __future__ import annotations

import hashlib

import dagster as dg
import duckdb

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.settings import PlatformSettings

TABLES = (
    "raw.raw_orders",
    "staging.cleaned_orders",
    "staging.quarantined_orders",
    "analytics.customer_metrics",
    "warehouse.fct_orders",
    "warehouse.dim_customers",
)


def run_range(settings: PlatformSettings, instance, start: str, end: str, **kwargs):
    """Materialize every asset for a partition range in one run."""
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    tags = {
        "dagster/asset_partition_range_start": start,
        "dagster/asset_partition_range_end": end,
    }
    return job.execute_in_process(instance=instance, tags=tags, **kwargs)


def permanent_failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The description of a run's one step failure, which was not retried."""
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    retried = dg.DagsterEventType.STEP_UP_FOR_RETRY
    assert not any(e.event_type == retried for e in result.all_events)
    return failure.step_failure_data.user_failure_data.description


def table_checksums(duckdb_path: str, tables=TABLES) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of each table's content."""
    sums = {}
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        for table in tables:
            rows = conn.execute(f"select * from {table}").fetchall()  # noqa: S608
            digest = hashlib.sha256()
            for line in sorted(repr(r) for r in rows):
                digest.update(line.encode())
            sums[table] = (len(rows), digest.hexdigest())
    return sums


def materializations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], dict]:
    """Metadata values of each (asset key, partition) materialized by a run."""
    found = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        found[(mat.asset_key.to_user_string(), mat.partition)] = {
            key: value.value for key, value in mat.metadata.items()
        }
    return found
