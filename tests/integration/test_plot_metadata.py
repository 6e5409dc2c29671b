"""Every day of a daily asset records the same numeric metadata, so the UI's per-day plots
(Partitions mode: one point per day's latest materialization) have no gap on a day with
no orders, and quarantined_orders has one plot per reason code.

A day without rows used to record only its totals on raw_orders (row count, files, bytes,
revenue): its rates, means, customers and column counts were missing keys, a gap in 22
plots. quarantined_orders' reasons were one JSON entry, which the UI does not plot.
"""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from orders_core.contract import load_contract
from orders_core.sql.cleaning import reason_codes
from platform_assets.assets.staging import QUARANTINED_BY_REASON
from resources.instance_history import ANOMALY_SCORE, ANOMALY_THRESHOLD
from tests.support.batching import DAYS, hostile_landing, run, settings_for
from tests.support.fixture_data import day_dir
from tests.support.local_instance import local_instance

pytestmark = pytest.mark.slow

PLOTTED_EVERY_DAY = ("raw_orders", "cleaned_orders", "quarantined_orders")
NO_FOLDER = DAYS[2]  # nothing landed at all (hostile_landing's days 3 and 4 hold no rows)


def numbers(metadata: dict) -> dict[str, float]:
    return {
        key: entry.value
        for key, entry in metadata.items()
        if isinstance(entry.value, int | float) and not isinstance(entry.value, bool)
    }


@pytest.fixture(scope="module")
def day_numbers(tmp_path_factory) -> dict[tuple[str, str], dict[str, float]]:
    tmp = tmp_path_factory.mktemp("plots")
    landing = tmp / "landing"
    hostile_landing(landing)
    shutil.rmtree(day_dir(landing, NO_FOLDER))
    found = {}
    with local_instance() as instance:
        run(settings_for(landing, tmp), instance, DAYS[0], DAYS[-1])
        for asset in PLOTTED_EVERY_DAY:
            for day in DAYS:
                [record] = instance.fetch_materializations(
                    dg.AssetRecordsFilter(
                        asset_key=dg.AssetKey(asset), asset_partitions=[day.isoformat()]
                    ),
                    limit=1,
                ).records
                found[(asset, day.isoformat())] = numbers(record.asset_materialization.metadata)
    return found


@pytest.mark.parametrize("asset", PLOTTED_EVERY_DAY)
def test_every_day_records_every_numeric_entry(day_numbers, asset):
    keys = {day: set(day_numbers[(asset, day.isoformat())]) for day in DAYS}
    every = set().union(*keys.values())
    assert {day.isoformat(): sorted(every - found) for day, found in keys.items()} == {
        day.isoformat(): [] for day in DAYS
    }


def test_a_day_without_rows_records_zeros_not_gaps(day_numbers):
    raw = day_numbers[("raw_orders", NO_FOLDER.isoformat())]
    assert raw["dagster/row_count"] == 0 and raw["orders/files"] == 0
    assert raw["orders/null_rate_max"] == 0.0
    assert raw["orders/mean_order_value"] == 0.0
    assert raw["orders/distinct_customers"] == 0


def test_quarantined_orders_has_a_number_per_reason_code_every_day(day_numbers):
    codes = reason_codes(load_contract())
    assert {"malformed_record", "negative_amount", "newer_version_rejected"} <= set(codes)
    for day in DAYS:
        metadata = day_numbers[("quarantined_orders", day.isoformat())]
        per_reason = {
            key.removeprefix(QUARANTINED_BY_REASON): n
            for key, n in metadata.items()
            if key.startswith(QUARANTINED_BY_REASON)
        }
        assert sorted(per_reason) == sorted(codes)
        assert sum(per_reason.values()) == metadata["orders/quarantined_rows"]
    # Day 1 quarantines one negative amount (hostile_landing), day 2 nothing.
    first = day_numbers[("quarantined_orders", DAYS[0].isoformat())]
    assert first[f"{QUARANTINED_BY_REASON}negative_amount"] == 1
    assert first[f"{QUARANTINED_BY_REASON}malformed_record"] == 0


def test_cleaned_orders_carries_each_days_anomaly_threshold(day_numbers):
    # Six days are too few for a verdict: the threshold is there, no score stands in for one.
    for day in DAYS:
        metadata = day_numbers[("cleaned_orders", day.isoformat())]
        assert metadata[ANOMALY_THRESHOLD] == 0.75
        assert ANOMALY_SCORE not in metadata
