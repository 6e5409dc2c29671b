"""Resources per environment, resolved in one place: :func:`build_resources`."""

from __future__ import annotations

from typing import Any

from resources.landing import LocalLandingZone
from resources.pii import pii_hasher
from resources.settings import PlatformSettings
from resources.warehouse import DuckDBWarehouse, DuckDBWarehouseIOManager


def build_resources(settings: PlatformSettings) -> dict[str, Any]:
    """The resources of one environment; asset code never branches on the environment."""
    if settings.env == "prod":
        raise NotImplementedError("PLATFORM_ENV=prod resources are not available yet")
    return {
        "landing": LocalLandingZone(root=settings.landing_uri),
        "warehouse": DuckDBWarehouse(database=settings.duckdb_path),
        "warehouse_io_manager": DuckDBWarehouseIOManager(database=settings.duckdb_path),
        "pii": pii_hasher(settings),
    }
