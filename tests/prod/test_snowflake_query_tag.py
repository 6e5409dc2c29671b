"""Every Snowflake session the platform opens names itself in QUERY_TAG, so that an operator
finds a run's statements in QUERY_HISTORY: the platform, the run, the step, its assets or
checks and its days. fakesnow ignores session parameters: the logins are recorded."""

from __future__ import annotations

import json
from types import SimpleNamespace

import dagster as dg
import fakesnow
import pytest
import snowflake.connector

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.snowflake_warehouse import QUERY_TAG_MAX_CHARS, query_tag
from tests.support.prod_pipeline import RANGE_TAGS, prod_settings
from tests.support.snowflake_bindings import real_connector_bindings

pytestmark = pytest.mark.services


def test_every_session_of_a_run_is_tagged_with_its_step_assets_and_days(
    landed_bucket, moto_endpoint, snowflake_env, monkeypatch
):
    settings = prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    job = job.get_subset(
        asset_selection={dg.AssetKey("raw_orders")},
        asset_check_selection={dg.AssetCheckKey(dg.AssetKey("raw_orders"), "schema_drift")},
    )
    logins: list[dict] = []
    with fakesnow.patch(), real_connector_bindings() as refused, monkeypatch.context() as patch:
        connect = snowflake.connector.connect

        def recorded(**kwargs):
            logins.append(kwargs)
            return connect(**kwargs)

        patch.setattr(snowflake.connector, "connect", recorded)
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, tags=RANGE_TAGS)
    assert refused == []

    tags = [login["session_parameters"]["QUERY_TAG"] for login in logins]
    assert all(type(tag) is str and len(tag) <= QUERY_TAG_MAX_CHARS for tag in tags), tags
    run = {"platform": "orders-platform", "run_id": result.run_id}
    days = {"partitions": "2025-01-01...2025-01-03"}
    assert sorted(map(json.loads, set(tags)), key=lambda tag: tag["step"]) == [
        {**run, "step": "raw_orders", **days, "assets": ["raw_orders"]},
        {**run, "step": "raw_orders_schema_drift", **days, "checks": ["raw_orders:schema_drift"]},
    ]
    # Every other session parameter is kept.
    assert {login["session_parameters"]["LOCK_TIMEOUT"] for login in logins} == {1800}


def _step(assets=(), checks=(), days=None, partitioned=True) -> SimpleNamespace:
    """What query_tag reads of a step's context."""
    return SimpleNamespace(
        run_id="5c7d6376-0000-4000-8000-000000000000",
        op_def=SimpleNamespace(name="clean_orders"),
        has_assets_def=True,
        assets_def=SimpleNamespace(partitions_def=object() if partitioned else None),
        has_partition_key_range=days is not None,
        partition_key_range=days and dg.PartitionKeyRange(*days),
        selected_asset_keys={dg.AssetKey(key.split("/")) for key in assets},
        selected_asset_check_keys={
            dg.AssetCheckKey(dg.AssetKey(asset), name)
            for asset, name in (check.split(":") for check in checks)
        },
    )


def test_a_session_outside_a_step_names_the_platform_only():
    assert query_tag(None) == '{"platform":"orders-platform"}'


def test_one_day_is_named_as_the_day():
    tag = json.loads(query_tag(_step(assets=["cleaned_orders"], days=("2025-01-02",) * 2)))
    assert tag["partitions"] == "2025-01-02"


def test_an_unpartitioned_step_of_a_range_run_names_no_days():
    """customer_metrics runs in a range run, with its range tags, and reads every day."""
    step = _step(assets=["customer_metrics"], days=("2025-01-01", "2025-01-31"), partitioned=False)
    assert "partitions" not in json.loads(query_tag(step))


def test_a_tag_too_long_for_snowflake_counts_the_names_it_leaves_out():
    """Snowflake refuses a QUERY_TAG over 2,000 characters; a step of many long keys keeps
    the run, step and days and names as many assets and checks as fit."""
    assets = [f"warehouse/{'a' * 60}_{i:03d}" for i in range(40)]
    checks = [f"raw_orders:{'c' * 60}_{i:03d}" for i in range(40)]
    text = query_tag(_step(assets, checks, ("2025-01-01", "2025-01-31")))

    tag = json.loads(text)
    assert len(text) <= QUERY_TAG_MAX_CHARS and text.isascii()
    assert tag["run_id"].startswith("5c7d6376") and tag["partitions"] == "2025-01-01...2025-01-31"
    assert "checks" not in tag and tag["checks_left_out"] == 40
    assert len(tag["assets"]) + tag["assets_left_out"] == 40
    assert tag["assets"] == sorted(assets)[: len(tag["assets"])]
    assert len(text) > QUERY_TAG_MAX_CHARS - 80  # as many as fit, not fewer
