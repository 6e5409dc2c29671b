"""metadata_anomaly's profiles of landed days not loaded are what raw_orders records.

A day run before its history is judged on the profiles of the landed days raw_orders has
not loaded (``landed_day_profiles``): its verdict is the range run's only if every number
the features read is the one raw_orders records on loading them. The batching tests'
hostile landing (three formats, gzip, a byte-order mark, CSV files the engine's strict
scan refuses, an empty day folder) is profiled, then loaded by raw_orders in one range;
so are hunt 82's hostile days (``tests.support.hostile_batchings``).
"""

from __future__ import annotations

from platform_assets.assets.ingestion import landed_day_profiles
from resources.instance_history import RAW_ORDERS, latest_materializations, metadata_values
from resources.landing import LocalLandingZone
from tests.support.batching import DAYS, hostile_landing, settings_for
from tests.support.hostile_batchings import BLOCKED, LAST, hostile_batchings_landing
from tests.support.local_instance import local_instance
from tests.support.metadata_history import scored_numbers
from tests.support.pipeline_helpers import run_range


def _profiled_and_recorded(tmp_path, landing, days) -> tuple[dict, dict]:
    """Each day's profile from its landed files, and what raw_orders records loading the
    days in one range."""
    profiles = landed_day_profiles(LocalLandingZone(root=str(landing)), days, limit_bytes=2**30)
    keys = [d.isoformat() for d in days]
    assert profiles is not None and sorted(profiles) == keys
    with local_instance() as instance:
        result = run_range(
            settings_for(landing, tmp_path),
            instance,
            str(days[0]),
            str(days[-1]),
            asset_selection=[RAW_ORDERS],
        )
        assert result.success
        loaded = latest_materializations(instance, RAW_ORDERS, keys)
    return profiles, {key: metadata_values(loaded[key]) for key in keys}


def test_profiles_are_the_numbers_raw_orders_records(tmp_path):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    profiles, recorded = _profiled_and_recorded(tmp_path, landing, DAYS)
    for key, values in recorded.items():
        assert scored_numbers(profiles[key]) == scored_numbers(values), key
    # Day 3: three Parquet rows, and an order and a ragged record in each of the two CSV
    # files the engine's strict scan refuses (read by the reader).
    assert profiles[DAYS[2].isoformat()]["dagster/row_count"] == 7
    assert profiles[DAYS[3].isoformat()]["dagster/row_count"] == 0  # an empty folder


def test_profiles_of_hunt_82s_hostile_days_are_the_numbers_raw_orders_records(tmp_path):
    """Line ends and byte-order marks mixed in a day, odd amounts, gzip of CR LF, of two
    members and of no text, a JSON array, Parquet typing one column six ways, files of no
    row, byte or text, a day of quarantined rows (``tests.support.hostile_batchings``)."""
    landing = tmp_path / "landing"
    hostile_batchings_landing(landing)
    days = DAYS[: LAST + 1]
    profiles, recorded = _profiled_and_recorded(tmp_path, landing, days)
    for key, values in recorded.items():
        assert scored_numbers(profiles[key]) == scored_numbers(values), key
    assert profiles[days[BLOCKED].isoformat()]["orders/parse_errors"] > 0  # the JSON array


def test_days_whose_files_are_larger_than_the_limit_are_not_profiled(tmp_path):
    landing = tmp_path / "landing"
    hostile_landing(landing)
    zone = LocalLandingZone(root=str(landing))
    size = sum(path.stat().st_size for path in (landing / "orders").rglob("*") if path.is_file())
    assert landed_day_profiles(zone, DAYS, limit_bytes=0) is None
    assert landed_day_profiles(zone, DAYS, limit_bytes=size // 2) is None
    assert landed_day_profiles(zone, DAYS, limit_bytes=size) is not None
    # A day with no file costs nothing: profiled whatever the limit.
    (empty,) = [d for d in DAYS if not any((landing / "orders" / f"date={d}").iterdir())]
    (profile,) = landed_day_profiles(zone, [empty], limit_bytes=0).values()
    assert profile["dagster/row_count"] == 0 and profile["orders/files"] == 0
