"""Every Snowflake session works in the schema ORDERS_SNOWFLAKE_SCHEMA names, set at login
and made current when a session opens, not in whichever schema a step happened to create
last: the session's unqualified temporary tables go there."""

from __future__ import annotations

import dagster as dg
import pytest

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import ensure_tables
from resources import build_resources
from resources.settings import PlatformSettings
from resources.snowflake_warehouse import SnowflakeWarehouse

pytestmark = pytest.mark.services


def _warehouse(schema: str | None) -> SnowflakeWarehouse:
    environ = {"PLATFORM_ENV": "prod", "ORDERS_LANDING_URI": "s3://orders/landing"}
    if schema is not None:
        environ["ORDERS_SNOWFLAKE_SCHEMA"] = schema
    resource = build_resources(PlatformSettings.from_env(environ))["warehouse"]
    with dg.build_resources({"warehouse": resource}) as built:
        return built.warehouse


def _current(session) -> str:
    [(schema,)] = session.execute("SELECT current_schema()")
    return schema


def test_a_session_works_in_the_configured_schema_before_and_after_creating_tables(
    fake_snowflake,
):
    warehouse = _warehouse("orders_scratch")
    assert warehouse.snowflake.schema_ == "ORDERS_SCRATCH"  # the login's schema

    with warehouse.session() as session:
        assert _current(session) == "ORDERS_SCRATCH"
        # CREATE SCHEMA makes the new schema current: raw_orders' first run on a new
        # database left its session (and temporary tables) in RAW.
        ensure_tables(
            session.execute,
            load_contract(),
            tables.RAW_ORDERS,
            tables.CLEANED_ORDERS,
            dialect=session.dialect,
        )
        assert _current(session) == "ORDERS_SCRATCH"
        session.execute("CREATE OR REPLACE TEMPORARY TABLE orders_probe (n INTEGER)")
        session.execute("INSERT INTO orders_probe VALUES (?)", [1])
        assert session.execute("SELECT n FROM orders_probe") == [(1,)]
    assert warehouse.query("SELECT count(*) AS n FROM raw.raw_orders")["n"].tolist() == [0]


def test_the_default_schema_is_staging(fake_snowflake):
    with _warehouse(None).session() as session:
        assert _current(session) == "STAGING"
