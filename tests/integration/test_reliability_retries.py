"""Retries: transient I/O failures are retried with backoff; permanent errors fail at once."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
import pytest

from orders_platform.definitions import build_definitions
from platform_assets.assets.analytics import build_analytics_assets
from platform_assets.assets.common import IO_RETRY_POLICY
from platform_assets.assets.ingestion import build_ingestion_assets
from platform_assets.assets.staging import build_staging_assets
from platform_assets.partitions import daily_partitions
from resources.landing import LandingFileInfo, LocalLandingZone
from resources.pii import LOCAL_DEVELOPMENT_KEY, PiiHasher
from resources.telemetry import TelemetryResource
from resources.warehouse import DuckDBWarehouse
from tests.support.fx import FX

WAREHOUSE_WRITERS = {
    "raw_orders",
    "cleaned_orders",
    "quarantined_orders",
    "customer_metrics",
    "customer_clv",
    "warehouse/fct_orders",
    "warehouse/dim_customers",
    "fx_rates",
}


class FlakyLanding(LocalLandingZone):
    """A landing zone whose first read fails like a file caught mid-upload."""

    reads: ClassVar[list[str]] = []

    @contextmanager
    def _open(self, info: LandingFileInfo):
        """Every read of a landed file (by the reader or the engine) opens it here."""
        FlakyLanding.reads.append(info.name)
        if len(FlakyLanding.reads) == 1:
            raise OSError(f"{info.name}: connection reset while reading")
        with super()._open(info) as handle:
            yield handle


def step_events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list:
    return [event for event in result.all_events if event.event_type == kind]


def warehouse_resources(tmp_path: Path) -> dict:
    path = str(tmp_path / "orders.duckdb")
    return {
        "warehouse": DuckDBWarehouse(database=path),
        "telemetry": TelemetryResource(),
    }


def test_every_warehouse_writing_step_retries_with_exponential_jittered_backoff(settings):
    defs = build_definitions(settings)
    policies = {}
    for assets_def in defs.resolve_all_asset_specs():
        key = assets_def.key.to_user_string()
        node = defs.resolve_assets_def(assets_def.key).node_def
        policies[key] = node.retry_policy
    assert set(policies) == WAREHOUSE_WRITERS
    for key, policy in policies.items():
        assert policy == IO_RETRY_POLICY, key
    assert IO_RETRY_POLICY.backoff == dg.Backoff.EXPONENTIAL
    assert IO_RETRY_POLICY.jitter == dg.Jitter.PLUS_MINUS
    assert IO_RETRY_POLICY.max_retries >= 1


def test_a_flaky_landing_read_succeeds_on_the_second_attempt(settings, tmp_path):
    FlakyLanding.reads.clear()
    (raw_orders,) = build_ingestion_assets(daily_partitions("2025-01-01"))

    result = dg.materialize(
        [raw_orders],
        partition_key="2025-01-01",
        resources={
            "landing": FlakyLanding(root=settings.landing_uri),
            **warehouse_resources(tmp_path),
        },
    )

    assert result.success
    assert len(step_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    assert len(step_events(result, dg.DagsterEventType.STEP_RESTARTED)) == 1
    assert FlakyLanding.reads[0] == FlakyLanding.reads[1] == "part-000.csv"
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        landed = conn.execute("select count(order_id) from raw.raw_orders").fetchone()[0]
    assert landed == 7


@pytest.mark.parametrize("as_of", ["2025-13-45", "yesterday", "2025-01-01'; drop table x; --"])
def test_an_invalid_as_of_fails_once_without_retries(as_of, tmp_path):
    (customer_metrics,) = build_analytics_assets(dg.AssetKey("cleaned_orders"), (), *FX)

    result = dg.materialize(
        [customer_metrics],
        resources=warehouse_resources(tmp_path),
        run_config={"ops": {"customer_metrics": {"config": {"as_of": as_of}}}},
        raise_on_error=False,
    )

    assert not result.success
    assert step_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    (failure,) = step_events(result, dg.DagsterEventType.STEP_FAILURE)
    assert (
        "as_of must be a date in YYYY-MM-DD form"
        in failure.step_failure_data.user_failure_data.description
    )
    assert not (tmp_path / "orders.duckdb").exists(), "nothing may reach the warehouse"


def test_the_public_development_pii_key_is_a_permanent_failure_in_prod(settings, tmp_path):
    partitions = daily_partitions("2025-01-01")
    (raw_orders,) = build_ingestion_assets(partitions)
    (clean_step,) = build_staging_assets(partitions)
    resources = {
        "landing": LocalLandingZone(root=settings.landing_uri),
        "pii": PiiHasher(key=LOCAL_DEVELOPMENT_KEY, allow_development_key=False),
        **warehouse_resources(tmp_path),
    }

    result = dg.materialize(
        [raw_orders, clean_step],
        partition_key="2025-01-01",
        resources=resources,
        raise_on_error=False,
    )

    assert not result.success
    assert step_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    (failure,) = step_events(result, dg.DagsterEventType.STEP_FAILURE)
    assert failure.step_key == "clean_orders"
    assert "public development key" in failure.step_failure_data.user_failure_data.description
