"""fx_rates_sensor: a rates file landed or corrected on its own starts a run.

Its tick (``evaluate_rates``) against a real ephemeral instance and a local landing zone,
with fx_rates materializations reported into the instance; then end to end: orders land
with a currency lacking a rate, the landing sensor's run leaves them out of
customer_metrics, only a rates file lands, and the run fx_rates_sensor requests counts them.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from orders_core import tables
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.instance_history import CLEANED_ORDERS, RATES_FINGERPRINT
from resources.landing import LocalLandingZone, listing_fingerprint
from resources.settings import PlatformSettings
from sensors.batching import TRIGGER_TAG
from sensors.fx_rates import FX_RATES, RATES_RUN, SENSOR_NAME, evaluate_rates, pending_run
from sensors.landing import SENSOR_NAME as LANDING_SENSOR
from tests.support.fixture_data import DAY1, DAY2, day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.requests import daemon_tags, execute_request

JOB_DEF = build_definitions(PlatformSettings(partitions_start="2025-01-01")).resolve_job_def(
    ALL_ASSETS_JOB
)
RATES = "rate_date,currency,rate\n2025-01-01,EUR,1.04\n2025-01-02,EUR,1.05\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A landing zone with one rates file and no order."""
    root = tmp_path / "landing"
    (root / "fx_rates").mkdir(parents=True)
    (root / "fx_rates" / "eur.csv").write_text(RATES, encoding="utf-8")
    return root


def tick(instance, root: Path):
    return evaluate_rates(instance, LocalLandingZone(root=str(root)), ALL_ASSETS_JOB)


def loaded(instance, root: Path) -> None:
    """Record an fx_rates materialization of the folder as it is now."""
    listing = LocalLandingZone(root=str(root)).scan_rates()
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            FX_RATES, metadata={RATES_FINGERPRINT: listing_fingerprint(listing)}
        )
    )


def orders_cleaned(instance) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(CLEANED_ORDERS, partition="x"))


ORIGIN = RemoteRepositoryOrigin(
    InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="orders_platform.definitions"),
        location_name="orders_platform",
    ),
    "__repository__",
)


def run_of(instance, request: dg.RunRequest, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    """``request``'s run as the daemon creates it, queued or started."""
    selection = frozenset(request.asset_selection or ())
    job = JOB_DEF.get_subset(asset_selection=selection) if selection else JOB_DEF
    return instance.create_run_for_job(
        job_def=job,
        tags=daemon_tags(request, SENSOR_NAME),
        asset_selection=selection or None,
        status=status,
        remote_job_origin=RemoteJobOrigin(ORIGIN, job.name),
    )


def test_nothing_landed_and_nothing_loaded_requests_nothing(instance, tmp_path):
    (tmp_path / "empty").mkdir()
    result = tick(instance, tmp_path / "empty")
    assert result.run_requests == []
    assert result.decisions == ["nothing requested: no rates under fx_rates/"]


def test_rates_before_any_order_load_fx_rates_alone(instance, root):
    (request,) = tick(instance, root).run_requests
    fingerprint = listing_fingerprint(LocalLandingZone(root=str(root)).scan_rates())
    assert request.run_key == f"fx_rates:{fingerprint}~none:rates-only"
    assert request.asset_selection == [FX_RATES]
    assert request.partition_key is None
    assert request.tags[TRIGGER_TAG] == "fx-rates"
    assert request.tags["dagster/priority"] == "1"


def test_an_unchanged_listing_requests_nothing_and_a_rewritten_file_requests_again(instance, root):
    orders_cleaned(instance)
    (first,) = tick(instance, root).run_requests
    assert first.asset_selection == list(RATES_RUN)
    assert [k.to_user_string() for k in RATES_RUN] == [
        "fx_rates",
        "customer_metrics",
        "customer_clv",
        "warehouse/dim_customers",
    ]
    assert tick(instance, root).run_requests == [first], "the same state, the same run key"
    loaded(instance, root)
    quiet = tick(instance, root)
    assert quiet.run_requests == []
    assert quiet.decisions == ["nothing requested: fx_rates/ (1 file(s)) as fx_rates last read it"]
    # The same file corrected in place (its size changes; its mtime too)
    (root / "fx_rates" / "eur.csv").write_text(RATES.replace("1.04", "1.0412"), "utf-8")
    (again,) = tick(instance, root).run_requests
    assert again.run_key != first.run_key
    loaded(instance, root)
    assert tick(instance, root).run_requests == []


def test_a_folder_going_back_to_an_earlier_state_is_loaded_again(instance, root, tmp_path):
    """The key names the materialization it replaces as well as the listing: a file moved
    out and back keeps its mtime, and a key of the listing alone, used before, would be
    skipped by the daemon, leaving the other state loaded."""
    orders_cleaned(instance)
    late = root / "fx_rates" / "late.csv"
    late.write_text("rate_date,currency,rate\n2025-01-02,GBP,1.27\n", encoding="utf-8")
    used = set()
    for step in ("load", "out", "back"):
        if step == "out":
            late.rename(tmp_path / late.name)
        elif step == "back":
            (tmp_path / late.name).rename(late)
        (request,) = tick(instance, root).run_requests
        assert request.run_key not in used, step
        used.add(request.run_key)
        loaded(instance, root)


def test_refused_entries_count_so_that_fixing_them_is_noticed(instance, root):
    orders_cleaned(instance)
    loaded(instance, root)
    folder = root / "fx_rates" / "2025"
    folder.mkdir()
    (request,) = tick(instance, root).run_requests
    assert "1 file(s), 1 refused" in tick(instance, root).decisions[0]
    loaded(instance, root)
    assert tick(instance, root).run_requests == []
    os.symlink(root / "fx_rates" / "eur.csv", root / "fx_rates" / "link.csv")
    (linked,) = tick(instance, root).run_requests
    loaded(instance, root)
    folder.rmdir()
    (root / "fx_rates" / "link.csv").unlink()
    (fixed,) = tick(instance, root).run_requests
    assert len({request.run_key, linked.run_key, fixed.run_key}) == 3


def test_emptied_rates_are_loaded_as_none(instance, root):
    """Every file removed on purpose: the table follows (a run would load none anyway)."""
    orders_cleaned(instance)
    loaded(instance, root)
    (root / "fx_rates" / "eur.csv").unlink()
    (request,) = tick(instance, root).run_requests
    assert request.asset_selection == list(RATES_RUN)


def test_a_missing_landing_root_requests_nothing(instance, root, tmp_path):
    orders_cleaned(instance)
    loaded(instance, root)
    missing = tmp_path / "no-such-landing"
    result = tick(instance, missing)
    assert result.run_requests == []
    (decision,) = result.decisions
    assert decision.startswith(
        f"nothing requested: the landing zone {missing} is not a directory (ORDERS_LANDING_URI)"
    )


@pytest.mark.parametrize(
    "selection",
    [None, [FX_RATES, *RATES_RUN[1:], dg.AssetKey(tables.RAW_ORDERS.key)]],
    ids=["whole job", "selection holding them"],
)
@pytest.mark.parametrize("status", [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTED])
def test_a_run_that_reloads_the_rates_anyway_is_waited_for(instance, root, selection, status):
    orders_cleaned(instance)
    landing_run = dg.RunRequest(run_key="2025-01-01:abc", asset_selection=selection)
    run = run_of(instance, landing_run, status)
    result = tick(instance, root)
    assert result.run_requests == []
    assert result.decisions == [
        f"fx_rates/ (1 file(s)) never loaded: nothing requested, run {run.run_id[:8]}"
        f" ({status.value.lower()}) reloads the rates"
    ]
    instance.report_run_failed(run)
    assert len(tick(instance, root).run_requests) == 1


def test_runs_that_do_not_reload_the_customer_tables_or_already_read_the_rates_are_not(
    instance, root
):
    orders_cleaned(instance)
    # A run of the days alone (the landing sensor's runs of several ranges in one tick).
    days = dg.RunRequest(run_key="days", asset_selection=[dg.AssetKey(tables.RAW_ORDERS.key)])
    run_of(instance, days, dg.DagsterRunStatus.QUEUED)
    assert pending_run(instance, ALL_ASSETS_JOB, RATES_RUN, None) is None
    assert len(tick(instance, root).run_requests) == 1
    # A run of the whole job that materialized fx_rates already (the latest
    # materialization's run), still running its customer tables: a file landed after its
    # fx_rates step is not read by it.
    started = run_of(instance, dg.RunRequest(run_key="all"), dg.DagsterRunStatus.STARTED)
    assert pending_run(instance, ALL_ASSETS_JOB, RATES_RUN, None) == started
    assert pending_run(instance, ALL_ASSETS_JOB, RATES_RUN, started.run_id) is None
    # Another job's run without a selection is not this job's.
    assert pending_run(instance, "another_job", RATES_RUN, None) is None


def test_a_run_that_ended_without_loading_the_rates_is_not_requested_again(instance, root):
    orders_cleaned(instance)
    (request,) = tick(instance, root).run_requests
    run = run_of(instance, request, dg.DagsterRunStatus.STARTED)
    assert tick(instance, root).run_requests == [], "its run is in progress"
    instance.report_run_failed(run)
    result = tick(instance, root)
    assert result.run_requests == []
    (decision,) = result.decisions
    assert decision.startswith(f"fx_rates/ (1 file(s)) never loaded: run {run.run_id[:8]}")
    assert "ended failure; not requested again: materialize fx_rates with its downstream" in (
        decision
    )
    (root / "fx_rates" / "eur.csv").write_text(RATES + "2025-01-03,EUR,1.06\n", "utf-8")
    assert len(tick(instance, root).run_requests) == 1, "the next file is requested"


def _tick(defs: dg.Definitions, instance, name: str, cursor: str | None = None):
    """A tick of the sensor ``name`` of ``defs``, with its resources, as the daemon runs it."""
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return defs.resolve_sensor_def(name)(context)


def _metrics(path: str) -> dict[str, tuple]:
    with duckdb.connect(path, read_only=True) as conn:
        rows = conn.execute(
            "SELECT customer_id, order_count, round(total_revenue, 6)"
            " FROM analytics.customer_metrics"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _latest(instance, key: dg.AssetKey) -> dict:
    event = instance.get_latest_materialization_event(key)
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_a_rates_file_landed_alone_counts_the_orders_waiting_for_it(tmp_path, root):
    """Orders in GBP land with rates for EUR only: the landing sensor's run leaves them out
    (fx/orders_without_rate). The GBP rates land alone: fx_rates_sensor requests one run,
    and customer_metrics then counts them, at their day's rate."""
    write_csv(
        day_dir(root, DAY1) / "a.csv",
        [
            order("e1", "c1", "2025-01-01T09:00:00Z", "100.00", currency="EUR"),
            order("g1", "c2", "2025-01-01T10:00:00Z", "20.00", currency="GBP"),
        ],
    )
    write_csv(
        day_dir(root, DAY2) / "b.csv",
        [order("g2", "c2", "2025-01-02T10:00:00Z", "10.00", currency="GBP")],
    )
    settings = PlatformSettings(
        landing_uri=str(root),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start="2025-01-01",
    )
    defs = build_definitions(settings)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    metrics = dg.AssetKey(tables.CUSTOMER_METRICS.key)
    with local_instance() as instance:
        landed = _tick(defs, instance, LANDING_SENSOR)
        (request,) = landed.run_requests
        assert execute_request(job, instance, request, LANDING_SENSOR).success
        assert _latest(instance, metrics)["fx/orders_without_rate"] == 2
        assert _metrics(settings.duckdb_path) == {"c1": (1, 104.0)}
        # The landing run read the rates: the sensor sees them as they were read.
        quiet = _tick(defs, instance, SENSOR_NAME)
        assert quiet.run_requests == []
        assert quiet.skip_reason.skip_message == (
            "nothing requested: fx_rates/ (1 file(s)) as fx_rates last read it"
        )

        (root / "fx_rates" / "gbp.csv").write_text(
            "rate_date,currency,rate\n2025-01-01,GBP,1.25\n2025-01-02,GBP,1.30\n", "utf-8"
        )
        assert _tick(defs, instance, LANDING_SENSOR, landed.cursor).run_requests == []
        (rates_run,) = _tick(defs, instance, SENSOR_NAME).run_requests
        assert rates_run.asset_selection == list(RATES_RUN)
        result = execute_request(job, instance, rates_run, SENSOR_NAME)
        assert result.success
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        assert checks["fx_rates_available"] and checks["fx_rates_valid"]
        assert _latest(instance, metrics)["fx/orders_without_rate"] == 0
        assert _metrics(settings.duckdb_path) == {"c1": (1, 104.0), "c2": (2, 38.0)}
        materialized = {
            e.asset_key for e in result.get_asset_materialization_events() if e.asset_key
        }
        assert materialized == set(RATES_RUN)
        assert _tick(defs, instance, SENSOR_NAME).run_requests == []


def test_rates_landed_before_any_order_load_without_the_customer_tables(tmp_path, root):
    """An empty warehouse: fx_rates alone is run (and succeeds); the customer tables wait
    for the first orders, whose run reloads the rates anyway."""
    settings = PlatformSettings(
        landing_uri=str(root),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start="2025-01-01",
    )
    defs = build_definitions(settings)
    with local_instance() as instance:
        (request,) = _tick(defs, instance, SENSOR_NAME).run_requests
        result = execute_request(
            defs.resolve_job_def(ALL_ASSETS_JOB), instance, request, SENSOR_NAME
        )
        assert result.success
        assert [e.asset_key for e in result.get_asset_materialization_events()] == [FX_RATES]
        assert _latest(instance, FX_RATES)["fx/usable_rows"] == 2
        assert _tick(defs, instance, SENSOR_NAME).run_requests == []


def test_a_materialization_from_before_the_listing_was_recorded_is_reloaded_once(instance, root):
    orders_cleaned(instance)
    instance.report_runless_asset_event(dg.AssetMaterialization(FX_RATES))
    result = tick(instance, root)
    (request,) = result.run_requests
    assert result.decisions == [
        "fx_rates/ (1 file(s)): fx_rates' latest materialization recorded no listing: run"
        " fx_rates, customer_metrics, customer_clv, warehouse/dim_customers"
    ]
    loaded(instance, root)
    assert tick(instance, root).run_requests == []
