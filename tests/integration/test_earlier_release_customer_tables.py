"""customer_clv or dim_customers run alone on customer tables an earlier release wrote.

After an upgrade from a release before the reporting currency, `dg launch --assets
warehouse/dim_customers` (or customer_clv) succeeded and published the earlier release's
figures as this release's: on a demo warehouse of session 33, 1,148 customers whose only
purchases were in EUR or GBP, 42,200.89 of them stated as USD. On a warehouse without the
customer tables it failed with DuckDB's "Catalog Error", retried three times. Now both
refuse at once, naming each table and the command that rebuilds them, and write nothing.
"""

import datetime as dt

import dagster as dg

from orders_core import tables
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.instance_history import metadata_values
from tests.support.earlier_release import (
    CUSTOMER_CLV,
    CUSTOMER_METRICS,
    customer_rows,
    earlier_release_customer_tables,
)
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import permanent_failure_message

DIM = dg.AssetKey(["warehouse", "dim_customers"])
REBUILD = [dg.AssetKey("fx_rates"), CUSTOMER_METRICS, CUSTOMER_CLV, DIM]
RANGE = range_tags(dt.date(2025, 1, 1), dt.date(2025, 1, 3))
REBUILD_COMMAND = "`dg launch --assets 'fx_rates*'`"


def _job(settings):
    return build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)


def _refused_alone(settings, instance, key: dg.AssetKey) -> str:
    """The message of a run of ``key`` alone, which must fail."""
    refused = _job(settings).execute_in_process(
        instance=instance, asset_selection=[key], raise_on_error=False
    )
    assert not refused.success
    return permanent_failure_message(refused)


def _earlier(table: tables.Table) -> str:
    return (
        f"{table.qualified}: written by an earlier release (no version; this release writes"
        f" version {tables.TABLE_VERSIONS[table]} of its rows)"
    )


def test_dim_customers_alone_refuses_an_earlier_release_s_customer_tables(settings, instance):
    earlier_release_customer_tables(settings.duckdb_path, instance)
    published = customer_rows(settings.duckdb_path, "warehouse.dim_customers")
    message = _refused_alone(settings, instance, DIM)
    assert message.startswith("warehouse/dim_customers is built only on customer tables")
    assert f"{_earlier(tables.CUSTOMER_METRICS)}; {_earlier(tables.CUSTOMER_CLV)}." in message
    assert "Nothing was written" in message and REBUILD_COMMAND in message
    assert customer_rows(settings.duckdb_path, "warehouse.dim_customers") == published


def test_customer_clv_alone_refuses_an_earlier_release_s_customer_metrics(settings, instance):
    earlier_release_customer_tables(settings.duckdb_path, instance)
    scored = customer_rows(settings.duckdb_path, "analytics.customer_clv")
    message = _refused_alone(settings, instance, CUSTOMER_CLV)
    assert message.startswith(
        f"customer_clv is built only on customer tables this release wrote: {_earlier(tables.CUSTOMER_METRICS)}."
    )
    assert REBUILD_COMMAND in message
    assert customer_rows(settings.duckdb_path, "analytics.customer_clv") == scored


def test_on_a_warehouse_without_customer_tables_dim_customers_names_what_to_run(settings, instance):
    message = _refused_alone(settings, instance, DIM)
    assert (
        "analytics.customer_metrics: not materialized on this instance yet;"
        " analytics.customer_clv: not materialized on this instance yet." in message
    )
    assert REBUILD_COMMAND in message


def test_the_rebuild_command_publishes_this_release_s_figures(settings, instance):
    job = _job(settings)
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    for key, table in (
        (CUSTOMER_METRICS, tables.CUSTOMER_METRICS),
        (CUSTOMER_CLV, tables.CUSTOMER_CLV),
    ):
        latest = instance.get_latest_materialization_event(key)
        assert (
            metadata_values(latest)[tables.TABLE_VERSION_METADATA] == tables.TABLE_VERSIONS[table]
        )
    today = customer_rows(settings.duckdb_path, "warehouse.dim_customers")
    assert today  # the fixture landing has customers

    earlier_release_customer_tables(settings.duckdb_path, instance)
    assert not job.execute_in_process(
        instance=instance, asset_selection=[DIM], raise_on_error=False
    ).success
    assert job.execute_in_process(instance=instance, asset_selection=REBUILD).success
    assert customer_rows(settings.duckdb_path, "warehouse.dim_customers") == today
    assert job.execute_in_process(instance=instance, asset_selection=[DIM]).success
    assert customer_rows(settings.duckdb_path, "warehouse.dim_customers") == today
