"""fx_rates_sensor: reloads the FX rates, and the customer tables, when a rates file lands
or changes on its own.

Order files start runs (orders_landing_sensor), and every such run reloads every rates
file first; a rates file landed alone (the weekend's rates, a correction, the rate a day's
orders were waiting for) started none, so the orders waiting for it stayed out of the
customer tables until the next order files landed.

Each tick lists `fx_rates/` once and compares the digest of that listing (its files,
and the entries it refuses, a link or a folder: a run loads those as rows saying why) with
the one the latest fx_rates materialization recorded of the listing it read
(`fx/landing_fingerprint`). When they differ, or rates landed and fx_rates never
materialized, it requests one run of fx_rates, customer_metrics, customer_clv and
warehouse/dim_customers (and their checks); fx_rates alone while no order was ever cleaned
(the customer tables would be empty: the first order run builds them, rates included).
The run key names the listing and the fx_rates materialization the run replaces, so a
tick never asks twice for the same state, and a folder that goes back to an earlier state
is loaded again.

Nothing is requested while a run that will materialize these assets anyway is queued or
in progress (the landing sensor's runs, a run launched by hand, one requested here): it
reads the listing when its fx_rates step starts, and a file that lands after that step
is seen by the tick after the run's fx_rates materialization. Nor when the landing root is
missing (a mistyped ORDERS_LANDING_URI): the rates are never replaced with none. A run
requested here that ended without materializing fx_rates (failed, canceled) is not asked
for again: the run-failure alert names it; materialize `fx_rates*` once the cause is
fixed, or land the next file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg

from orders_core import tables
from resources.instance_history import CLEANED_ORDERS, RATES_FINGERPRINT, metadata_values
from resources.landing import LandingZone, listing_fingerprint
from resources.telemetry import TelemetryResource
from resources.warehouse_pool import PLATFORM_RUN_TAGS
from sensors.batching import TRIGGER_TAG, sensor_runs

SENSOR_NAME = "fx_rates_sensor"
TRIGGER = "fx-rates"
FX_RATES = dg.AssetKey(tables.FX_RATES.key)
# fx_rates and what converts with it, in the order they run.
RATES_RUN = tuple(
    dg.AssetKey(t.key)
    for t in (tables.FX_RATES, tables.CUSTOMER_METRICS, tables.CUSTOMER_CLV, tables.DIM_CUSTOMERS)
)
# A run in one of these will run its steps; a suspended or canceling one may not, and one
# left not started (created, never launched: a daemon that died in between) never does.
WILL_RUN = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
BY_HAND = "materialize fx_rates with its downstream (`dg launch --assets 'fx_rates*'`)"


@dataclass
class RatesTick:
    """What one tick requests, and what it tells the operator."""

    run_requests: list[dg.RunRequest] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def pending_run(
    instance: dg.DagsterInstance,
    job_name: str,
    assets: Sequence[dg.AssetKey],
    done: str | None,
) -> dg.DagsterRun | None:
    """A queued or in-progress run that will materialize every one of `assets` (its
    selection holds them; no selection: a run of the whole job `job_name`), other than
    run `done`, which already materialized fx_rates (its later files are not read)."""
    for record in instance.get_run_records(dg.RunsFilter(statuses=WILL_RUN)):
        run = record.dagster_run
        if run.run_id == done:
            continue
        if run.asset_selection is None:
            if run.job_name == job_name:
                return run
        elif set(assets) <= set(run.asset_selection):
            return run
    return None


def run_of_key(instance: dg.DagsterInstance, run_key: str) -> dg.DagsterRun | None:
    """The newest run this sensor started under `run_key` (a retry keeps the key)."""
    records = sensor_runs(instance, SENSOR_NAME, run_key)
    return records[0].dagster_run if records else None


def evaluate_rates(instance: dg.DagsterInstance, landing: LandingZone, job_name: str) -> RatesTick:
    """One tick of fx_rates_sensor, without Dagster's sensor context: one listing of
    `fx_rates/`, the latest fx_rates materialization, and the runs in flight."""
    if missing := landing.missing_root():
        # fx_rates would fail on it (never replacing the rates with none); said every tick.
        return RatesTick(decisions=[f"nothing requested: {missing}"])
    listing = landing.scan_rates()
    now = listing_fingerprint(listing)
    landed = f"{len(listing.files)} file(s)" + (
        f", {len(listing.refused)} refused" if listing.refused else ""
    )
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=FX_RATES), limit=1
    ).records
    latest = records[0] if records else None
    if latest is None and not (listing.files or listing.refused):
        return RatesTick(decisions=["nothing requested: no rates under fx_rates/"])
    recorded = metadata_values(latest).get(RATES_FINGERPRINT) if latest else None
    if recorded == now:
        return RatesTick(
            decisions=[f"nothing requested: fx_rates/ ({landed}) as fx_rates last read it"]
        )
    why = (
        f"fx_rates/ ({landed}) never loaded"
        if latest is None
        else f"fx_rates/ ({landed}) changed since fx_rates last read it"
        if recorded
        else f"fx_rates/ ({landed}): fx_rates' latest materialization recorded no listing"
    )
    orders = instance.get_latest_materialization_event(CLEANED_ORDERS) is not None
    assets = RATES_RUN if orders else RATES_RUN[:1]
    run_key = f"fx_rates:{now}~{latest.storage_id if latest else 'none'}" + (
        "" if orders else ":rates-only"
    )
    if pending := pending_run(instance, job_name, assets, latest.run_id if latest else None):
        return RatesTick(
            decisions=[
                f"{why}: nothing requested, run {pending.run_id[:8]}"
                f" ({pending.status.value.lower()}) reloads the rates"
            ]
        )
    if (earlier := run_of_key(instance, run_key)) is not None:
        status = earlier.status.value.lower()
        said = (
            f"is {status}"
            if not earlier.is_finished
            else f"ended {status} and waits for its retry"
            if earlier.is_complete_and_waiting_to_retry
            else f"ended {status}; not requested again: {BY_HAND} once fixed, or land the next file"
        )
        return RatesTick(decisions=[f"{why}: run {earlier.run_id[:8]} for this listing {said}"])
    names = ", ".join(key.to_user_string() for key in assets)
    tail = "" if orders else " (no order cleaned yet: the customer tables wait for orders)"
    return RatesTick(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                asset_selection=list(assets),
                tags={**PLATFORM_RUN_TAGS, TRIGGER_TAG: TRIGGER},
            )
        ],
        decisions=[f"{why}: run {names}{tail}"],
    )


# The sensor's page shows this as plain text (the module's docstring above is for the code).
DESCRIPTION = (
    "Reloads the FX rates, and the customer tables (customer_metrics, customer_clv,"
    " warehouse/dim_customers), when a file under fx_rates/ lands, changes or goes on its"
    " own, so orders waiting for a rate are counted without waiting for the next order"
    " files. Requests nothing while a run that reloads them anyway is queued or in"
    " progress. Details: README, Money in several currencies."
)


def build_fx_rates_sensor(job_name: str) -> dg.SensorDefinition:
    """fx_rates_sensor, requesting runs of `job_name` (the job of every asset)."""

    @dg.sensor(
        name=SENSOR_NAME,
        job_name=job_name,
        minimum_interval_seconds=60,
        description=DESCRIPTION,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def fx_rates_sensor(
        context: dg.SensorEvaluationContext, landing: LandingZone, telemetry: TelemetryResource
    ) -> dg.SensorResult:
        with telemetry.sensor_span(context, SENSOR_NAME) as span:
            tick = evaluate_rates(context.instance, landing, job_name)
            span.record_decisions(tick.decisions, tick.run_requests)
        for decision in tick.decisions:
            context.log.info(decision)
        return dg.SensorResult(
            run_requests=tick.run_requests,
            skip_reason=None if tick.run_requests else "; ".join(tick.decisions),
        )

    return fx_rates_sensor
