"""Everything Dagster loads: assets, checks, jobs, schedules, sensors and resources.

``build_definitions`` takes explicit settings so tests can build any environment
without touching the process environment; ``defs`` is the code location that
``dagster dev -m orders_platform.definitions`` loads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from asset_checks.anomaly import anomaly_config, build_anomaly_checks
from asset_checks.clv import clv_check_results, clv_check_specs
from asset_checks.documented_columns import build_documented_columns_checks
from asset_checks.drift import build_drift_checks, build_published_schema_checks
from asset_checks.fx import (
    fx_available_check_result,
    fx_available_check_spec,
    fx_rates_check_result,
    fx_rates_check_spec,
)
from asset_checks.quality import build_quality_checks
from asset_checks.reconciliation import reconciliation_check_specs, reconciliation_events
from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import require_contract_fits
from orders_platform.automation import apply_blocking_automation
from orders_platform.freshness import apply_published_freshness
from orders_platform.schedule import DAILY_SCHEDULE, build_daily_schedule
from platform_assets.assets.analytics import build_analytics_assets
from platform_assets.assets.clv import build_clv_assets
from platform_assets.assets.common import InStepCheck
from platform_assets.assets.fx import build_fx_assets
from platform_assets.assets.ingestion import build_ingestion_assets, landed_day_profiles
from platform_assets.assets.staging import build_staging_assets
from platform_assets.assets.warehouse import build_warehouse_assets
from platform_assets.partitions import daily_partitions
from resources import build_resources
from resources.k8s import run_executor
from resources.settings import PlatformSettings
from resources.warehouse import MIB
from resources.warehouse_pool import PLATFORM_RUN_TAGS, max_runtime_tags
from sensors.alerting import UiLinks, release_advice
from sensors.batching import JobAssets
from sensors.fx_rates import build_fx_rates_sensor
from sensors.landing import build_landing_sensor
from sensors.orders_anomaly import build_anomaly_sensor
from sensors.run_failure import (
    build_run_canceled_sensor,
    build_run_failure_sensor,
    build_run_left_out_sensor,
)
from sensors.run_telemetry import build_run_telemetry_sensors

ALL_ASSETS_JOB = "orders_pipeline"
__all__ = ["ALL_ASSETS_JOB", "DAILY_SCHEDULE", "build_definitions", "defs"]


def with_code_links(
    assets: list[dg.AssetsDefinition], settings: PlatformSettings
) -> list[dg.AssetsDefinition]:
    """Attach "source code" links to each asset: to the git host when one is configured."""
    linked = dg.with_source_code_references(assets)
    if not settings.git_url:
        return list(linked)
    return list(
        dg.link_code_references_to_git(
            linked,
            git_url=settings.git_url,
            git_branch=settings.git_branch,
            file_path_mapping=dg.AnchorBasedFilePathMapping(
                local_file_anchor=Path(__file__),
                file_anchor_path_in_repository="orders_platform/definitions.py",
            ),
        )
    )


def blocking_check_keys(
    asset_key: dg.AssetKey, specs: Iterable[dg.AssetCheckSpec]
) -> list[dg.AssetCheckKey]:
    """The keys of the blocking checks among ``specs`` on ``asset_key``."""
    return sorted(spec.key for spec in specs if spec.asset_key == asset_key and spec.blocking)


@functools.cache
def build_definitions(settings: PlatformSettings) -> dg.Definitions:
    """Assemble the code location for one deployment."""
    # A contract the typed tables cannot hold fails here, naming each column, rather
    # than every cleaning run with an engine error.
    require_contract_fits(load_contract())
    partitions_def = daily_partitions(settings.partitions_start)
    reconciliation = InStepCheck(
        reconciliation_check_specs(partitions_def)[0], reconciliation_events
    )
    asset_checks = [
        *build_drift_checks(partitions_def),
        *build_quality_checks(partitions_def, [reconciliation.spec.key]),
        *build_published_schema_checks(),
    ]
    # The days customer_metrics and fct_orders leave out, in any run, until these pass
    # (dim_customers refuses to build on customer_clv until its checks pass).
    cleaned_key = dg.AssetKey(tables.CLEANED_ORDERS.key)
    cleaned_blocking = blocking_check_keys(
        cleaned_key, [reconciliation.spec, *(s for c in asset_checks for s in c.check_specs)]
    )
    # What the cleaning refuses to clean a day on until it passes (schema_drift; the
    # anomaly hold has its own refusal).
    raw_blocking = blocking_check_keys(
        dg.AssetKey(tables.RAW_ORDERS.key), [s for c in asset_checks for s in c.check_specs]
    )
    clv_key = dg.AssetKey(tables.CUSTOMER_CLV.key)
    fx_key = dg.AssetKey(tables.FX_RATES.key)
    clv_specs = clv_check_specs(clv_key)
    assets = [
        *build_ingestion_assets(partitions_def),
        *build_staging_assets(
            partitions_def, reconciliation=reconciliation, raw_blocking=raw_blocking
        ),
        *build_fx_assets(fx_rates_check_spec(fx_key), fx_rates_check_result),
        *build_analytics_assets(
            cleaned_key,
            cleaned_blocking,
            fx_key,
            fx_available_check_spec(dg.AssetKey(tables.CUSTOMER_METRICS.key)),
            fx_available_check_result,
        ),
        *build_clv_assets(
            dg.AssetKey(tables.CUSTOMER_METRICS.key),
            check_specs=clv_specs,
            check_results=clv_check_results,
        ),
        *build_warehouse_assets(
            partitions_def, cleaned_blocking, blocking_check_keys(clv_key, clv_specs)
        ),
    ]
    assets = apply_blocking_automation(
        apply_published_freshness(assets),
        leaves_out=[dg.AssetKey(tables.CUSTOMER_METRICS.key)],
        not_awaited=[fx_key],
    )
    run_limit = max_runtime_tags(settings.run_max_runtime_s)
    orders_pipeline = dg.define_asset_job(
        ALL_ASSETS_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        # As the job's tags, which Dagster also puts on its runs: the sensors' and the
        # schedule's, and a run launched from the UI (the webserver adds the job's tags, not
        # run_tags). A UI backfill is an asset backfill: its runs get none of the job's tags.
        tags=run_limit,
        description=(
            "Every asset, from the landing files to the warehouse tables, for one day or a "
            "range of days (a range runs as one run). Launch it from the Materialize dialog "
            "or from a terminal with `dg launch --job orders_pipeline --partition-range "
            "A...B` (see docs/backfill-runbook.md)."
        ),
    )
    scoring = anomaly_config(settings.anomaly_threshold, settings.anomaly_training_days)
    job_assets = JobAssets.of(assets)
    # The alerts' links into the UI (ORDERS_WEBSERVER_BASE_URL; unset, none).
    links = UiLinks(settings.webserver_base_url)
    daily = build_daily_schedule(
        orders_pipeline,
        settings.partitions_start,
        tags=PLATFORM_RUN_TAGS,
        # On in production; on a laptop it would start runs whenever `dagster dev` is up.
        default_status=dg.DefaultScheduleStatus.RUNNING
        if settings.env == "prod"
        else dg.DefaultScheduleStatus.STOPPED,
    )
    # Named like Dagster's implicit one, so the UI explains what it does.
    automation = dg.AutomationConditionSensorDefinition(
        "default_automation_condition_sensor",
        target=dg.AssetSelection.all(),
        run_tags={**PLATFORM_RUN_TAGS, **run_limit},
        description=(
            "Evaluates the assets' automation conditions: materializes an asset when its "
            "upstream data is updated, and holds it while an upstream blocking check has not "
            "passed. On by default."
        ),
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    return dg.Definitions(
        assets=with_code_links(assets, settings),
        asset_checks=[
            *asset_checks,
            *build_documented_columns_checks(assets),
            *build_anomaly_checks(
                partitions_def,
                scoring,
                functools.partial(
                    landed_day_profiles, limit_bytes=settings.anomaly_profile_limit_mb * MIB
                ),
            ),
        ],
        jobs=[orders_pipeline],
        schedules=[daily],
        sensors=[
            automation,
            *build_run_telemetry_sensors(),
            build_run_failure_sensor(links),
            build_run_canceled_sensor(links),
            build_run_left_out_sensor(links),
            build_anomaly_sensor(
                ALL_ASSETS_JOB, job_assets, release_advice(settings, ALL_ASSETS_JOB), links
            ),
            build_landing_sensor(
                ALL_ASSETS_JOB,
                partitions_def,
                settings.landing_lookback_days,
                job_assets,
                settings.landing_sweep_ticks,
            ),
            build_fx_rates_sensor(ALL_ASSETS_JOB),
        ],
        resources=build_resources(settings),
        executor=run_executor(settings),
    )


defs = build_definitions(PlatformSettings.from_env())
