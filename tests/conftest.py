"""Shared fixtures: a landing zone of known orders, settings pointing at temp paths."""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg
import pytest

from resources.settings import PlatformSettings
from tests.fixture_data import build_landing

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2025-01-01",
    "dagster/asset_partition_range_end": "2025-01-03",
}


@pytest.fixture
def landing(tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / "landing"
    expected = build_landing(root)
    return root, expected


@pytest.fixture
def settings(tmp_path: Path, landing) -> PlatformSettings:
    root, _ = landing
    return PlatformSettings(
        landing_uri=str(root),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start="2025-01-01",
    )


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance
