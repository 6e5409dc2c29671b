"""PLATFORM_ENV=prod: settings read once, resources chosen in build_resources, secrets via EnvVar."""

from __future__ import annotations

import dagster as dg
import pytest

from orders_platform.definitions import build_definitions
from resources import build_resources
from resources.landing_s3 import S3LandingZone
from resources.settings import PlatformSettings
from resources.snowflake_warehouse import (
    SnowflakeWarehouse,
    snowflake_resource,
    snowflake_session_parameters,
)

PROD_ENV = {"PLATFORM_ENV": "prod", "ORDERS_LANDING_URI": "s3://orders-bucket/landing/"}


def test_defaults_are_unchanged_and_local():
    settings = PlatformSettings.from_env({})
    assert settings.env == "local"
    assert (settings.s3_max_attempts, settings.s3_retry_mode) == (8, "standard")
    assert settings.s3_endpoint_url is None


def test_prod_settings_from_the_environment():
    settings = PlatformSettings.from_env(
        {
            **PROD_ENV,
            "ORDERS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "ORDERS_S3_REGION": "eu-west-1",
            "ORDERS_S3_MAX_ATTEMPTS": "12",
            "ORDERS_S3_RETRY_MODE": "Adaptive",
            "SNOWFLAKE_PRIVATE_KEY": "a-key",  # pragma: allowlist secret
        }
    )
    assert settings.env == "prod"
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert (settings.s3_region, settings.s3_max_attempts) == ("eu-west-1", 12)
    assert settings.s3_retry_mode == "adaptive"
    assert settings.snowflake_key_pair and not settings.snowflake_key_passphrase
    assert settings.snowflake_schema == "STAGING"
    assert PlatformSettings.from_env(
        {"ORDERS_SNOWFLAKE_SCHEMA": " team_$scratch "}
    ).snowflake_schema == ("TEAM_$SCRATCH")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({**PROD_ENV, "ORDERS_S3_RETRY_MODE": "eager"}, "ORDERS_S3_RETRY_MODE"),
        ({**PROD_ENV, "ORDERS_S3_MAX_ATTEMPTS": "0"}, "ORDERS_S3_MAX_ATTEMPTS"),
        ({**PROD_ENV, "ORDERS_S3_MAX_ATTEMPTS": "many"}, "ORDERS_S3_MAX_ATTEMPTS"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S": "0"}, "STATEMENT_TIMEOUT_S"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S": "604801"}, "STATEMENT_TIMEOUT_S"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S": "0"}, "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S": "1h"}, "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S"),
        ({**PROD_ENV, "ORDERS_RUN_MAX_RUNTIME_S": "-1"}, "ORDERS_RUN_MAX_RUNTIME_S"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_SCHEMA": "orders.scratch"}, "ORDERS_SNOWFLAKE_SCHEMA"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_SCHEMA": '"Scratch"'}, "ORDERS_SNOWFLAKE_SCHEMA"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_SCHEMA": "1scratch"}, "ORDERS_SNOWFLAKE_SCHEMA"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_SCHEMA": "scratch; drop"}, "ORDERS_SNOWFLAKE_SCHEMA"),
        ({**PROD_ENV, "ORDERS_SNOWFLAKE_SCHEMA": "s" * 256}, "ORDERS_SNOWFLAKE_SCHEMA"),
    ],
)
def test_invalid_prod_settings_name_the_variable(environ, message):
    with pytest.raises(ValueError, match=message):
        PlatformSettings.from_env(environ)


def test_prod_needs_an_s3_landing_uri():
    settings = PlatformSettings.from_env({"PLATFORM_ENV": "prod", "ORDERS_LANDING_URI": "/data"})
    with pytest.raises(ValueError, match="ORDERS_LANDING_URI must be s3://"):
        build_resources(settings)


def test_prod_resources_are_s3_and_snowflake():
    settings = PlatformSettings.from_env({**PROD_ENV, "ORDERS_S3_MAX_ATTEMPTS": "4"})
    resources = build_resources(settings)

    landing = resources["landing"]
    assert isinstance(landing, S3LandingZone)
    assert (landing.bucket, landing.prefix) == ("orders-bucket", "landing")
    assert (landing.s3.max_attempts, landing.s3.retry_mode) == (4, "standard")
    assert isinstance(resources["warehouse"], SnowflakeWarehouse)
    assert "warehouse_io_manager" not in resources  # every table is written in SQL
    assert resources["pii"].key == dg.EnvVar("PII_HASH_KEY")


def test_snowflake_credentials_only_come_from_env_vars():
    parameters = snowflake_session_parameters(PlatformSettings())
    password = snowflake_resource(
        key_pair=False, key_passphrase=False, session_parameters=parameters
    )
    key_pair = snowflake_resource(key_pair=True, key_passphrase=True, session_parameters=parameters)

    for name in ("account", "user", "database", "warehouse", "role"):
        assert getattr(password, name) == dg.EnvVar(f"SNOWFLAKE_{name.upper()}")
    assert password.password == dg.EnvVar("SNOWFLAKE_PASSWORD")
    assert password.private_key is None
    assert key_pair.password is None
    assert key_pair.private_key == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY")
    assert key_pair.private_key_password == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    assert password.paramstyle == "qmark"


def test_assets_look_the_same_in_both_environments():
    local = build_definitions(PlatformSettings()).resolve_asset_graph()
    prod = build_definitions(PlatformSettings.from_env(PROD_ENV)).resolve_asset_graph()

    assert local.get_all_asset_keys() == prod.get_all_asset_keys()
    for key in local.get_all_asset_keys():
        assert local.get(key).kinds == prod.get(key).kinds, key
        assert local.get(key).group_name == prod.get(key).group_name, key
        assert local.get(key).parent_keys == prod.get(key).parent_keys, key


def test_every_snowflake_session_is_bounded_in_time(monkeypatch):
    """The settings' statement and lock timeouts reach the connector's login, with
    ABORT_DETACHED_QUERY: Snowflake's defaults (two days, twelve hours, a detached statement
    running on) would let one stuck statement hold the warehouse pool's only run slot."""
    import fakesnow
    import snowflake.connector

    settings = PlatformSettings.from_env(
        {
            **PROD_ENV,
            "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S": "5400",
            "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S": "300",
        }
    )
    logins: list[dict] = []
    for env, value in (("ACCOUNT", "acct"), ("USER", "u"), ("PASSWORD", "p")):
        monkeypatch.setenv(f"SNOWFLAKE_{env}", value)
    for env in ("DATABASE", "WAREHOUSE", "ROLE"):
        monkeypatch.setenv(f"SNOWFLAKE_{env}", env.lower())
    # The spy is undone before fakesnow puts the real connect back.
    with fakesnow.patch(), monkeypatch.context() as patched:
        connect = snowflake.connector.connect

        def recorded(**kwargs):
            logins.append(kwargs)
            return connect(**kwargs)

        patched.setattr(snowflake.connector, "connect", recorded)
        with dg.build_resources({"warehouse": build_resources(settings)["warehouse"]}) as built:
            assert built.warehouse.query("select 1 as one")["one"].tolist() == [1]

    assert [login["session_parameters"] for login in logins] == [
        {
            "STATEMENT_TIMEOUT_IN_SECONDS": 5400,
            "LOCK_TIMEOUT": 300,
            "ABORT_DETACHED_QUERY": True,
            "PYTHON_CONNECTOR_QUERY_RESULT_FORMAT": "ARROW",
            "TIMESTAMP_INPUT_FORMAT": "AUTO",
            "DATE_INPUT_FORMAT": "AUTO",
            "DATE_OUTPUT_FORMAT": "YYYY-MM-DD",
            # A read outside a step (tests/prod/test_snowflake_query_tag.py: in one).
            "QUERY_TAG": '{"platform":"orders-platform"}',
        }
    ]
    # The connector's autocommit=None would honour the account's or user's AUTOCOMMIT
    # parameter; fakesnow turns it on whatever the login says.
    assert [login["autocommit"] for login in logins] == [True]
    defaults = snowflake_session_parameters(PlatformSettings())
    assert defaults["STATEMENT_TIMEOUT_IN_SECONDS"] == 10_800
    assert defaults["LOCK_TIMEOUT"] == 1_800


def test_every_snowflake_session_reads_and_writes_dates_as_the_sql_expects():
    """The cleaning SQL reads ISO-8601 text with TRY_CAST(... AS TIMESTAMP_TZ) and writes a
    DATE as text in reason details; Snowflake takes the formats from parameters an account
    or user can set (https://docs.snowflake.com/en/sql-reference/date-time-input-output),
    so another TIMESTAMP_INPUT_FORMAT would quarantine every order as invalid_order_ts
    with no error. Every session sets Snowflake's defaults, which fakesnow (DuckDB's
    casts) cannot show."""
    parameters = snowflake_session_parameters(PlatformSettings())
    assert {
        name: parameters.get(name)
        for name in ("TIMESTAMP_INPUT_FORMAT", "DATE_INPUT_FORMAT", "DATE_OUTPUT_FORMAT")
    } == {
        "TIMESTAMP_INPUT_FORMAT": "AUTO",
        "DATE_INPUT_FORMAT": "AUTO",
        "DATE_OUTPUT_FORMAT": "YYYY-MM-DD",
    }
    resource = snowflake_resource(
        key_pair=False, key_passphrase=False, session_parameters=parameters
    )
    assert resource.timezone == "UTC"


def test_every_snowflake_session_fetches_arrow_results():
    """Every read goes through fetch_pandas_all, which refuses a result that is not Arrow
    (https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-pandas);
    an account or user may set PYTHON_CONNECTOR_QUERY_RESULT_FORMAT to JSON, and every read
    would then fail with NotSupportedError. fakesnow returns Arrow whatever it is set to."""
    parameters = snowflake_session_parameters(PlatformSettings())
    assert parameters["PYTHON_CONNECTOR_QUERY_RESULT_FORMAT"] == "ARROW"
