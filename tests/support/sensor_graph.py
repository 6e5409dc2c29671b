"""The pipeline's shape with trivial bodies, and a daemon that ticks the anomaly sensor.

The graph has the real asset keys and shapes (daily raw_orders, cleaned_orders,
quarantined_orders, warehouse/fct_orders; unpartitioned customer_metrics, customer_clv,
warehouse/dim_customers) and a blocking, partitioned metadata_anomaly check whose verdict
the test sets, so what the sensor requests does not depend on the detector's tuning. The
sensor is the real one, ticked like the daemon would, and its requests are executed.
"""

import datetime as dt
from pathlib import Path

import dagster as dg

from resources.alerts import AlertWebhook
from resources.instance_history import CHECK_NAME, CLEANED_ORDERS, LANDING_FILES, RAW_ORDERS
from resources.landing import LocalLandingZone, files_fingerprint, fingerprint
from resources.telemetry import TelemetryResource
from sensors.batching import JobAssets
from sensors.orders_anomaly import SENSOR_NAME, build_anomaly_sensor
from tests.support.requests import execute_request

START = dt.date(2025, 3, 1)
DAYS = [(START + dt.timedelta(days=i)).isoformat() for i in range(30)]
JOB_NAME = "orders_pipeline"
QUARANTINED = dg.AssetKey("quarantined_orders")
FCT_ORDERS = dg.AssetKey(["warehouse", "fct_orders"])
CUSTOMER_METRICS = dg.AssetKey("customer_metrics")
CUSTOMER_CLV = dg.AssetKey("customer_clv")
DIM_CUSTOMERS = dg.AssetKey(["warehouse", "dim_customers"])
UNPARTITIONED = {CUSTOMER_METRICS, CUSTOMER_CLV, DIM_CUSTOMERS}


def build_graph(
    held: set[str],
    landing_root: str,
    after_check=None,
    waits: dict[str, list[str]] | None = None,
    outage_flag: str | None = None,
) -> dg.Definitions:
    """The pipeline's shape with trivial bodies; metadata_anomaly fails the ``held`` days
    (then calls ``after_check``, if any, while its run is still going) and defers a day
    of ``waits`` while a day it waits for has no raw_orders materialization; raw_orders
    fails while the file ``outage_flag`` exists (an outage outlasting the step's retries)."""
    daily = dg.DailyPartitionsDefinition(start_date=START.isoformat())
    single_run = dg.BackfillPolicy.single_run()
    zone = LocalLandingZone(root=landing_root)
    waits = waits or {}

    @dg.asset(key=RAW_ORDERS, partitions_def=daily, backfill_policy=single_run)
    def raw_orders() -> dg.MaterializeResult:
        if outage_flag is not None and Path(outage_flag).exists():
            raise OSError("landing zone unreachable")
        return dg.MaterializeResult()

    def partitioned(key: dg.AssetKey, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
        @dg.asset(key=key, deps=deps, partitions_def=daily, backfill_policy=single_run)
        def _asset() -> dg.MaterializeResult:
            return dg.MaterializeResult()

        return _asset

    def unpartitioned(key: dg.AssetKey, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
        @dg.asset(key=key, deps=deps)
        def _asset() -> dg.MaterializeResult:
            return dg.MaterializeResult()

        return _asset

    @dg.asset_check(asset=RAW_ORDERS, name=CHECK_NAME, blocking=True, partitions_def=daily)
    def metadata_anomaly(context: dg.AssetCheckExecutionContext):
        loaded = context.instance.get_materialized_partitions(RAW_ORDERS) if waits else set()
        for day in context.op_execution_context.partition_keys:
            missing = [d for d in waits.get(day, []) if d not in loaded]
            verdict = "deferred" if missing else "anomalous" if day in held else "normal"
            files = zone.list_day(dt.date.fromisoformat(day))
            metadata = {
                "verdict": verdict,
                "landing_fingerprint": fingerprint(files),
                LANDING_FILES: files_fingerprint(files),
            }
            if missing:
                metadata["waiting_for"] = dg.MetadataValue.json(missing)
            yield dg.AssetCheckEvaluation(
                asset_key=RAW_ORDERS,
                check_name=CHECK_NAME,
                passed=verdict == "normal",
                partition=day,
                blocking=True,
                metadata=metadata,
            )
        if after_check is not None:
            after_check()
        yield dg.Output(None)

    assets = [
        raw_orders,
        partitioned(CLEANED_ORDERS, [RAW_ORDERS]),
        partitioned(QUARANTINED, [RAW_ORDERS]),
        partitioned(FCT_ORDERS, [CLEANED_ORDERS]),
        unpartitioned(CUSTOMER_METRICS, [CLEANED_ORDERS]),
        unpartitioned(CUSTOMER_CLV, [CUSTOMER_METRICS]),
        unpartitioned(DIM_CUSTOMERS, [CUSTOMER_METRICS, CUSTOMER_CLV]),
    ]
    job = dg.define_asset_job(JOB_NAME, selection=dg.AssetSelection.all(), partitions_def=daily)
    return dg.Definitions(
        assets=assets,
        asset_checks=[metadata_anomaly],
        jobs=[job],
        sensors=[build_anomaly_sensor(JOB_NAME, JobAssets.of(assets))],
        resources={
            "landing": zone,
            "alert_webhook": AlertWebhook(url=""),
            "telemetry": TelemetryResource(),
        },
    )


class Daemon:
    """Ticks the sensor with its cursor and executes what it requests, like the daemon."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.defs, self.instance = defs, instance
        self.job = defs.resolve_job_def(JOB_NAME)
        self.cursor: str | None = None
        self.requests: list[dg.RunRequest] = []

    def tick(self) -> list[dg.RunRequest]:
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=self.defs,
            resources=self.defs.resources,
        ) as context:
            result = self.defs.get_sensor_def(SENSOR_NAME)(context)
        self.cursor = result.cursor
        requests = list(result.run_requests or [])
        self.requests += requests
        return requests

    def execute(self, requests: list[dg.RunRequest]) -> list[dg.ExecuteInProcessResult]:
        return [execute_request(self.job, self.instance, r, SENSOR_NAME) for r in requests]

    def run_range(self, days: list[str]) -> dg.ExecuteInProcessResult:
        """One run of the job over ``days`` (first to last), as a backfill launches it."""
        return self.job.execute_in_process(
            instance=self.instance,
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
            },
            raise_on_error=False,
        )

    def run_day(self, day: str) -> dg.ExecuteInProcessResult:
        return self.job.execute_in_process(
            instance=self.instance, partition_key=day, raise_on_error=False
        )

    def until_quiet(self, max_ticks: int = 5) -> None:
        """Tick and run every request until a tick requests nothing."""
        for _ in range(max_ticks):
            requests = self.tick()
            if not requests:
                return
            self.execute(requests)
        raise AssertionError(f"still requesting after {max_ticks} ticks: {self.requests}")
