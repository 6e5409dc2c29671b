"""Shared fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services.postgres import (
    PostgresServer,
    PostgresUnavailable,
    running_postgres,
    services_required,
)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server on loopback for the whole session (one per xdist worker).

    Skipped when PostgreSQL is not installed, except under CI (``CI`` set), where a missing
    server must fail the build rather than silently drop the tests that need it.
    """
    try:
        with running_postgres(db_names=("dagster",)) as server:
            yield server
    except PostgresUnavailable as exc:
        if services_required(os.environ):
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL (``postgresql+psycopg2://``) of the session server's ``dagster`` database."""
    return postgres_server.url("dagster")


@pytest.fixture
def postgres_db_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """URL of a new, empty database for one test, on the session's PostgreSQL server."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    return postgres_server.create_database(f"{name}_{os.getpid()}")
