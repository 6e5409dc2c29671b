"""Resources per environment, resolved in one place: :func:`build_resources`."""

from __future__ import annotations

from typing import Any

import dagster as dg

from resources.alerts import AlertWebhook
from resources.landing import LocalLandingZone
from resources.pii import LOCAL_DEVELOPMENT_KEY, PiiHasher
from resources.settings import PlatformSettings
from resources.telemetry import TelemetryResource
from resources.warehouse import DuckDBWarehouse, DuckDBWarehouseIOManager


def build_resources(settings: PlatformSettings) -> dict[str, Any]:
    """The resources of one environment; asset code never branches on the environment."""
    if settings.env == "prod":
        raise NotImplementedError("PLATFORM_ENV=prod resources are not available yet")
    pii_key = dg.EnvVar("PII_HASH_KEY") if settings.pii_key_from_env else LOCAL_DEVELOPMENT_KEY
    return {
        "landing": LocalLandingZone(root=settings.landing_uri),
        "warehouse": DuckDBWarehouse(database=settings.duckdb_path),
        "warehouse_io_manager": DuckDBWarehouseIOManager(database=settings.duckdb_path),
        "pii": PiiHasher(key=pii_key),
        "telemetry": TelemetryResource(),
        "alert_webhook": AlertWebhook(
            url=dg.EnvVar("ORDERS_ALERT_WEBHOOK_URL") if settings.alert_webhook_from_env else ""
        ),
    }
