"""One materialized fixture and one real dagster-webserver, shared by the UI tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from devtools.browser import CHROMIUM, chromium
from devtools.webserver import Workspace, materialize_fixture, running_webserver
from tests.support.paths import ARTIFACTS
from tests.support.ui import FIXTURE_DAYS, FIXTURE_START, PARTITIONS_START, under_ci


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """tests/artifacts/ (git-ignored): screenshots and server logs for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def ui_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Every asset materialized for the fixture days, with the real definitions."""
    return materialize_fixture(
        tmp_path_factory.mktemp("ui"),
        FIXTURE_START,
        FIXTURE_DAYS,
        partitions_start=PARTITIONS_START,
    )


@pytest.fixture(scope="session")
def ui_url(ui_workspace: Workspace, artifacts_dir: Path) -> Iterator[str]:
    """Base URL of a dagster-webserver serving the materialized workspace."""
    log = artifacts_dir / f"webserver-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    with running_webserver(ui_workspace, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium; missing, it skips the test (fails it under CI)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium"
        if under_ci():
            pytest.fail(message)
        pytest.skip(message)
    with chromium() as browser:
        yield browser
