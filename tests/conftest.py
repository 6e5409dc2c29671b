"""Shared fixtures: a landing zone of known orders, settings pointing at temp paths."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from resources.instance_storage import EVENT_BATCH_SIZE, EVENT_BATCH_SIZE_VARIABLE
from resources.settings import PlatformSettings
from tests.support.fixture_data import build_landing
from tests.support.local_instance import local_instance
from tests.support.memory_tmp import memory_temp_root, remove_at_exit, use_temp_root
from tests.support.postgres import (
    PostgresServer,
    PostgresUnavailable,
    running_postgres,
    services_required,
)

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

# Events reach every test's storage in batches, as in production (deploy/ sets the
# variable) and under the embedded default's storage, which sets it for its process the
# first time it is used: set here, a test sees the same whichever test its worker ran first.
os.environ.setdefault(EVENT_BATCH_SIZE_VARIABLE, str(EVENT_BATCH_SIZE))

MEMORY_TMP = pytest.StashKey[Path]()
FAILED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files on tmpfs when the user set no TMPDIR (tests/support/memory_tmp.py).
    xdist's workers start later and inherit TMPDIR, as their basetemp is the controller's."""
    if hasattr(config, "workerinput"):
        return
    root = memory_temp_root(os.environ)
    if root is not None:
        use_temp_root(root)
        config.stash[MEMORY_TMP] = root


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[FAILED] = exitstatus != 0


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    root = config.stash.get(MEMORY_TMP, None)
    if root is not None and exitstatus != 0:
        terminalreporter.write_line(
            f"temporary files kept for the failures, in memory: {root} (remove when done)"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session's tmpfs directory goes when the session passed (it holds memory), at
    the process's exit, once multiprocessing has removed its own directory in it."""
    root = config.stash.get(MEMORY_TMP, None)
    if root is not None and not config.stash.get(FAILED, True):
        remove_at_exit(root)


RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2025-01-01",
    "dagster/asset_partition_range_end": "2025-01-03",
}


@pytest.fixture
def landing(tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / "landing"
    expected = build_landing(root)
    return root, expected


@pytest.fixture
def settings(tmp_path: Path, landing) -> PlatformSettings:
    root, _ = landing
    return PlatformSettings(
        landing_uri=str(root),
        duckdb_path=str(tmp_path / "orders.duckdb"),
        partitions_start="2025-01-01",
    )


@pytest.fixture
def instance():
    with local_instance() as test_instance:
        yield test_instance


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
