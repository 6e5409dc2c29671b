"""The local platform over a landing folder, and the resources its sensors tick with."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.alerts import AlertWebhook
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings
from resources.telemetry import TelemetryResource


def local_platform(
    landing: Path, folder: Path, start: dt.date
) -> tuple[dg.Definitions, dg.JobDefinition]:
    """The definitions over ``landing`` (partitions from ``start``, the warehouse file in
    ``folder``) and their job of every asset."""
    settings = PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(folder / "orders.duckdb"),
        partitions_start=start.isoformat(),
    )
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
