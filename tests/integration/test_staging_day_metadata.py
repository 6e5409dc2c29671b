"""A day's cleaned_orders / quarantined_orders metadata is that day's, whatever the batching.

A range run used to attach the whole run's ``orders/reason_codes`` (quarantined_orders) and
``orders/naive_timestamp_rows`` (cleaned_orders) to every day of the range, so the same day
said different things after a range run and after its own run.
"""

from __future__ import annotations

import dagster as dg
import pytest

from tests.support.batching import DAYS, hostile_landing, run, settings_for
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance

pytestmark = pytest.mark.slow

PER_DAY = {
    "quarantined_orders": (
        "orders/reason_codes",
        "dagster/row_count",
        "orders/quarantined_rows/negative_amount",
        "orders/quarantined_rows/malformed_record",
    ),
    "cleaned_orders": ("orders/naive_timestamp_rows", "dagster/row_count", "anomaly/threshold"),
}


def staging_metadata_after(tmp, landing, batches) -> dict:
    settings = settings_for(landing, tmp)
    found = {}
    with local_instance() as instance:
        for first, last in batches:
            run(settings, instance, DAYS[first], DAYS[last])
        for asset, names in PER_DAY.items():
            for day in DAYS:
                records = instance.fetch_materializations(
                    dg.AssetRecordsFilter(
                        asset_key=dg.AssetKey(asset), asset_partitions=[day.isoformat()]
                    ),
                    limit=1,
                ).records
                metadata = records[0].asset_materialization.metadata
                found[(asset, day)] = {
                    name: metadata[name].value if name in metadata else None for name in names
                }
    return found


def test_staging_day_metadata_does_not_depend_on_the_batching(tmp_path):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    whole = staging_metadata_after(tmp_path / "range", landing, [(0, len(DAYS) - 1)])
    daily = staging_metadata_after(tmp_path / "daily", landing, [(i, i) for i in range(len(DAYS))])
    assert daily == whole
    # Day 1 quarantines one negative amount; day 6 one negative amount too; days 2-5 none.
    assert whole[("quarantined_orders", DAYS[0])]["orders/reason_codes"] == {"negative_amount": 1}
    assert whole[("quarantined_orders", DAYS[1])]["orders/reason_codes"] == {}
    assert whole[("quarantined_orders", DAYS[0])]["orders/quarantined_rows/negative_amount"] == 1
    assert whole[("quarantined_orders", DAYS[1])]["orders/quarantined_rows/negative_amount"] == 0
    # Offset-free values: day 1 "naive", day 2 "j1", day 5 "m1".
    assert whole[("cleaned_orders", DAYS[0])]["orders/naive_timestamp_rows"] == 1
    assert whole[("cleaned_orders", DAYS[2])]["orders/naive_timestamp_rows"] == 0


def test_quarantined_orders_reports_the_revenue_of_its_own_rows(tmp_path):
    # quarantined_orders used to carry cleaned_orders' revenue and customers: a day of
    # 7.00 quarantined next to 5.00 cleaned read "revenue 5.0" on the quarantine too.
    day = DAYS[0]
    write_csv(
        day_dir(tmp_path / "landing", day) / "a.csv",
        [
            order("ok", "c1", f"{day}T09:00:00Z", "5.00"),
            order("neg", "c2", f"{day}T09:00:00Z", "-3.00"),
            order("xyz", "c3", f"{day}T09:00:00Z", "10.00", currency="XYZ"),
            order("text", "c4", f"{day}T09:00:00Z", "ten"),  # no revenue on either side
        ],
    )
    settings = settings_for(tmp_path / "landing", tmp_path)
    with local_instance() as instance:
        run(settings, instance, day, day)
        metadata = {}
        for asset in ("cleaned_orders", "quarantined_orders"):
            [record] = instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=dg.AssetKey(asset), asset_partitions=[day.isoformat()]
                ),
                limit=1,
            ).records
            metadata[asset] = {k: v.value for k, v in record.asset_materialization.metadata.items()}
    assert metadata["cleaned_orders"]["orders/revenue"] == 5.0
    assert metadata["cleaned_orders"]["orders/distinct_customers"] == 1
    assert metadata["quarantined_orders"]["dagster/row_count"] == 3
    assert metadata["quarantined_orders"]["orders/revenue"] == 7.0
    assert "orders/distinct_customers" not in metadata["quarantined_orders"]
