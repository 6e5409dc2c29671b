"""The production instance config (deploy/dagster.yaml) on a real PostgreSQL server.

A partition run, a single-run range backfill and a sensor tick all go through PostgreSQL run,
event log and schedule storage. Toy assets stand in for the platform's assets.
"""

import json

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

pytestmark = pytest.mark.services

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-08")
ROWS_PER_DAY = 10


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def toy_orders(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """One or many days of orders in one run; Dagster records one event per day."""
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": ROWS_PER_DAY,
            "orders/days_in_run": len(context.partition_keys),
        }
    )


@dg.asset(partitions_def=DAYS, deps=[toy_orders])
def toy_fct_orders() -> None:
    """Downstream of toy_orders, requested by the sensor."""


@dg.sensor(asset_selection=[toy_fct_orders])
def toy_orders_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Request the downstream of every newly materialized day, with its row count as a tag."""
    done = set(json.loads(context.cursor)) if context.cursor else set()
    records = context.instance.fetch_materializations(toy_orders.key, limit=1000).records
    new = {
        record.partition_key: record.asset_materialization.metadata["dagster/row_count"].value
        for record in records
        if record.partition_key not in done
    }
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=day, run_key=day, tags={"orders/row_count": str(rows)})
            for day, rows in sorted(new.items())
        ],
        cursor=json.dumps(sorted(done | set(new))),
    )


def materialized_days(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Days of toy_orders materialized by one run, from the event log."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=toy_orders.key), limit=1000
    ).records
    return sorted(record.partition_key for record in records if record.run_id == run_id)


def test_instance_storage_is_postgres(prod_instance: dg.DagsterInstance) -> None:
    assert isinstance(prod_instance.run_storage, PostgresRunStorage)
    assert isinstance(prod_instance.event_log_storage, PostgresEventLogStorage)


def test_partition_run_backfill_and_sensor_tick(prod_instance: dg.DagsterInstance) -> None:
    single = dg.materialize([toy_orders], instance=prod_instance, partition_key="2025-01-01")
    backfill = dg.materialize(
        [toy_orders],
        instance=prod_instance,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: "2025-01-02",
            ASSET_PARTITION_RANGE_END_TAG: "2025-01-04",
        },
    )

    assert single.success and backfill.success
    assert materialized_days(prod_instance, single.run_id) == ["2025-01-01"]
    assert materialized_days(prod_instance, backfill.run_id) == [
        "2025-01-02",
        "2025-01-03",
        "2025-01-04",
    ], "a range backfill is one run with one event per day"
    [record] = prod_instance.get_asset_records([toy_orders.key])
    assert record.asset_entry.last_materialization.dagster_event.partition == "2025-01-04"
    stored = prod_instance.get_run_by_id(backfill.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS

    first = toy_orders_sensor(dg.build_sensor_context(instance=prod_instance))
    second = toy_orders_sensor(dg.build_sensor_context(instance=prod_instance, cursor=first.cursor))

    assert [(r.partition_key, r.tags["orders/row_count"]) for r in first.run_requests] == [
        (day, str(ROWS_PER_DAY)) for day in ("2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04")
    ]
    assert second.run_requests == [], "the cursor remembers the days already requested"
