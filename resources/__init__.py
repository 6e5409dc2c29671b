"""Resources per environment, resolved in one place: :func:`build_resources`."""

from __future__ import annotations

from typing import Any

import dagster as dg

from resources.alerts import AlertWebhook
from resources.landing import LocalLandingZone
from resources.pii import pii_hasher
from resources.settings import PlatformSettings
from resources.telemetry import TelemetryResource
from resources.warehouse import DuckDBWarehouse


def build_resources(settings: PlatformSettings) -> dict[str, Any]:
    """The resources of one environment; asset code never branches on the environment."""
    alert_webhook = AlertWebhook(
        url=dg.EnvVar("ORDERS_ALERT_WEBHOOK_URL") if settings.alert_webhook_from_env else ""
    )
    if settings.env == "prod":
        # Imported here: dagster-aws and dagster-snowflake (with the Snowflake and boto
        # clients) take seconds to import, which a local code location need not pay.
        from resources.landing_s3 import s3_landing_zone
        from resources.snowflake_warehouse import (
            SnowflakeWarehouse,
            snowflake_resource,
            snowflake_session_parameters,
        )

        snowflake = snowflake_resource(
            key_pair=settings.snowflake_key_pair,
            key_passphrase=settings.snowflake_key_passphrase,
            session_parameters=snowflake_session_parameters(settings),
            schema=settings.snowflake_schema,
        )
        return {
            "landing": s3_landing_zone(
                settings.landing_uri,
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
                max_attempts=settings.s3_max_attempts,
                retry_mode=settings.s3_retry_mode,
            ),
            "warehouse": SnowflakeWarehouse(snowflake=snowflake),
            "pii": pii_hasher(settings),
            "telemetry": TelemetryResource(),
            "alert_webhook": alert_webhook,
        }
    return {
        "landing": LocalLandingZone(root=settings.landing_uri),
        "warehouse": DuckDBWarehouse(database=settings.duckdb_path),
        "pii": pii_hasher(settings),
        "telemetry": TelemetryResource(),
        "alert_webhook": alert_webhook,
    }
