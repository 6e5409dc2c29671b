"""Blocking across runs: automation holds a day whose blocking check failed, until fixed."""

import datetime as dt

import dagster as dg

from orders_platform.definitions import build_definitions
from tests.support.order_fixtures import (
    DAY,
    HEADER,
    csv_bytes,
    land,
    order_rows,
    range_tags,
    settings_for,
)

# Evaluated an hour into the next day, so DAY is the latest partition (what eager() targets).
EVALUATION_TIME = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(1), tzinfo=dt.UTC)
CLEANED = dg.AssetKey("cleaned_orders")


def _materialize_raw(defs: dg.Definitions, instance) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=instance,
        partition_key=DAY.isoformat(),
        asset_selection=[dg.AssetKey("raw_orders")],
        raise_on_error=False,
    )


def _tick(defs: dg.Definitions, instance, cursor=None):
    """One evaluation of the automation conditions (a daemon tick)."""
    return dg.evaluate_automation_conditions(
        defs=defs, instance=instance, evaluation_time=EVALUATION_TIME, cursor=cursor
    )


def test_failed_blocking_check_holds_downstream_until_the_data_is_fixed(tmp_path, instance):
    defs = build_definitions(settings_for(tmp_path))
    landing = tmp_path / "landing"
    broken = land(
        landing, DAY, "a.csv", csv_bytes(order_rows(10), [h for h in HEADER if h != "amount"])
    )

    baseline = _tick(defs, instance)

    failed = _materialize_raw(defs, instance)
    [drift] = [e for e in failed.get_asset_check_evaluations() if e.check_name == "schema_drift"]
    assert not drift.passed and drift.partition == DAY.isoformat()

    held = _tick(defs, instance, baseline.cursor)
    assert held.get_num_requested(CLEANED) == 0

    broken.write_bytes(csv_bytes(order_rows(10)))
    fixed = _materialize_raw(defs, instance)
    assert fixed.success and all(e.passed for e in fixed.get_asset_check_evaluations())

    released = _tick(defs, instance, held.cursor)
    assert released.get_num_requested(CLEANED) == 1
    assert DAY.isoformat() in released.get_requested_partitions(CLEANED)


def test_a_passing_check_lets_automation_through_at_once(tmp_path, instance):
    defs = build_definitions(settings_for(tmp_path))
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(order_rows(10)))
    baseline = _tick(defs, instance)
    assert _materialize_raw(defs, instance).success
    assert _tick(defs, instance, baseline.cursor).get_num_requested(CLEANED) == 1


def test_customer_clv_not_fitted_does_not_hold_dim_customers(tmp_path, instance):
    """Too few customers to fit CLV is a normal state of a young deployment: customer_clv
    is written empty and says why, and dim_customers is published with empty CLV columns,
    as it is in a run. Automation held it: a blocking model check failed (as a warning,
    which stops nothing in a run, but Dagster's automation does not read severities)."""
    from orders_platform.definitions import ALL_ASSETS_JOB

    defs = build_definitions(settings_for(tmp_path))
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(order_rows(10)))
    dim = dg.AssetKey(["warehouse", "dim_customers"])
    baseline = _tick(defs, instance)
    upstream = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
        instance=instance,
        partition_key=DAY.isoformat(),
        asset_selection=[
            key for key in defs.resolve_asset_graph().get_all_asset_keys() if key != dim
        ],
    )
    clv = [
        m.materialization
        for m in upstream.get_asset_materialization_events()
        if m.materialization.asset_key == dg.AssetKey("customer_clv")
    ]
    assert [m.metadata["clv/status"].value for m in clv] == ["not fitted"]
    assert _tick(defs, instance, baseline.cursor).get_num_requested(dim) == 1
    published = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=[dim]
    )
    (event,) = published.get_asset_materialization_events()
    status = event.materialization.metadata["clv/status"].value
    assert status.startswith("not fitted: ") and "needs >= 20 customers" in status, status


def test_a_day_failing_cleaned_checks_does_not_hold_customer_metrics(
    tmp_path, instance, monkeypatch
):
    """customer_metrics leaves out a day whose cleaning has not passed its checks (as
    fct_orders does), so automation refreshes it when cleaned_orders changes instead of
    holding the whole table until the day is fixed; fct_orders' day stays held."""
    from orders_platform.definitions import ALL_ASSETS_JOB
    from tests.support.quality_cases import fail_order_suite

    defs = build_definitions(settings_for(tmp_path))
    land(tmp_path / "landing", DAY, "a.csv", csv_bytes(order_rows(10)))
    metrics, facts = dg.AssetKey("customer_metrics"), dg.AssetKey(["warehouse", "fct_orders"])
    baseline = _tick(defs, instance)
    fail_order_suite(monkeypatch, {DAY.isoformat()})
    # Every day since the first partition (eager waits for all of them), DAY failing.
    cleaned = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
        instance=instance,
        tags=range_tags(DAY - dt.timedelta(days=1), DAY),
        asset_selection=[dg.AssetKey("raw_orders"), CLEANED, dg.AssetKey("quarantined_orders")],
    )
    gx = {
        e.partition: e.passed
        for e in cleaned.get_asset_check_evaluations()
        if e.check_name == "gx_quality"
    }
    assert gx == {(DAY - dt.timedelta(days=1)).isoformat(): True, DAY.isoformat(): False}
    tick = _tick(defs, instance, baseline.cursor)
    assert tick.get_num_requested(metrics) == 1
    assert DAY.isoformat() not in tick.get_requested_partitions(facts)
