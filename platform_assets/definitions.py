"""Everything Dagster loads: assets, checks, jobs, schedules, sensors and resources.

``build_definitions`` takes explicit settings so tests can build any environment
without touching the process environment; ``defs`` is the code location that
``dagster dev -m platform_assets.definitions`` loads.
"""

from __future__ import annotations

import functools

import dagster as dg

from platform_assets.assets.analytics import build_analytics_assets
from platform_assets.assets.ingestion import build_ingestion_assets
from platform_assets.assets.staging import build_staging_assets
from platform_assets.assets.warehouse import build_warehouse_assets
from platform_assets.partitions import daily_partitions
from resources import build_resources
from resources.settings import PlatformSettings

ALL_ASSETS_JOB = "orders_pipeline"
# Run tag keyed on by the run queue's tag_concurrency_limits in dagster.yaml: one writer
# of the embedded DuckDB file at a time.
WAREHOUSE_TAG_KEY = "orders/warehouse"


def warehouse_run_tags(settings: PlatformSettings) -> dict[str, str]:
    """Run tags naming the warehouse engine a run writes to."""
    return {WAREHOUSE_TAG_KEY: "duckdb" if settings.env == "local" else "snowflake"}


@functools.cache
def build_definitions(settings: PlatformSettings) -> dg.Definitions:
    """Assemble the code location for one deployment."""
    partitions_def = daily_partitions(settings.partitions_start)
    assets = [
        *build_ingestion_assets(partitions_def),
        *build_staging_assets(partitions_def),
        *build_analytics_assets(dg.AssetKey("cleaned_orders")),
        *build_warehouse_assets(partitions_def),
    ]
    orders_pipeline = dg.define_asset_job(
        ALL_ASSETS_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        tags=warehouse_run_tags(settings),
        description="Every asset, from landing files to the warehouse tables, for a day or a range.",
    )
    return dg.Definitions(
        assets=assets,
        jobs=[orders_pipeline],
        resources=build_resources(settings),
    )


defs = build_definitions(PlatformSettings.from_env())
