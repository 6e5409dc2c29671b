"""A per-day check evaluation points at that day's latest materialization (what makes it
current in the UI and for blocking), looked up for a whole range at once."""

import dagster as dg

from asset_checks.partitioned import check_target
from resources.instance_history import latest_materializations

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01")


@dg.asset(partitions_def=DAYS)
def orders() -> None:
    return None


def test_each_day_gets_its_latest_materialization_and_an_unmaterialized_day_none():
    instance = dg.DagsterInstance.ephemeral()
    runs = {}
    for day in ("2025-01-01", "2025-01-02", "2025-01-01"):
        runs[day] = dg.materialize([orders], partition_key=day, instance=instance).run_id
    # Another asset's materialization of the same day is not a target.
    other = dg.AssetKey("other")
    instance.report_runless_asset_event(dg.AssetMaterialization(other, partition="2025-01-03"))

    latest = latest_materializations(
        instance, orders.key, ["2025-01-01", "2025-01-02", "2025-01-03"]
    )
    targets = {day: check_target(record) for day, record in latest.items()}

    assert sorted(targets) == ["2025-01-01", "2025-01-02"]
    for day, target in targets.items():
        [record] = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=orders.key, asset_partitions=[day]), limit=1
        ).records
        assert (target.storage_id, target.run_id, target.timestamp) == (
            record.storage_id,
            record.run_id,
            record.timestamp,
        )
        assert target.run_id == runs[day]
    assert latest_materializations(instance, orders.key, ["2025-01-03"]) == {}
    assert latest_materializations(instance, orders.key, []) == {}
    assert check_target(None) is None
