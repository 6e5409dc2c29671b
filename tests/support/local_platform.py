"""The local platform over a landing folder, and the resources its sensors tick with."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import dagster as dg

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.alerts import AlertWebhook
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings
from resources.telemetry import TelemetryResource


def local_platform(
    landing: Path, folder: Path, start: dt.date, profile_limit_mb: int | None = None
) -> tuple[dg.Definitions, dg.JobDefinition]:
    """The definitions over ``landing`` (partitions from ``start``, the warehouse file in
    ``folder``) and their job of every asset; ``profile_limit_mb`` (0: metadata_anomaly
    defers a day run before its history instead of profiling it) as
    ORDERS_ANOMALY_PROFILE_LIMIT_MB, the default when None."""
    settings = PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(folder / "orders.duckdb"),
        partitions_start=start.isoformat(),
    )
    if profile_limit_mb is not None:
        settings = replace(settings, anomaly_profile_limit_mb=profile_limit_mb)
    defs = build_definitions(settings)
    return defs, defs.resolve_job_def(ALL_ASSETS_JOB)


def sensor_resources(landing: Path, webhook_url: str = "") -> dict[str, object]:
    """What the sensors tick with: the landing zone, the alert webhook (none posted to
    when ``webhook_url`` is empty) and telemetry."""
    return {
        "landing": LocalLandingZone(root=str(landing)),
        "alert_webhook": AlertWebhook(url=webhook_url),
        "telemetry": TelemetryResource(),
    }
