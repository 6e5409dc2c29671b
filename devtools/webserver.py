"""A real Dagster instance with materialized fixtures, served by a real dagster-webserver.

Used by the UI tests and by ``docs/make_screenshots.py``: the fixture days are
materialized in-process with the real definitions into a fresh ``DAGSTER_HOME``, then
``dagster-webserver -m orders_platform.definitions`` is started on a free loopback port
with the same settings in its environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from devtools.ui_fixture import write_landing
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.settings import PlatformSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTANCE_YAML = "telemetry:\n  enabled: false\n"


@dataclass(frozen=True)
class Workspace:
    """Where one materialized fixture lives: its settings, instance and days."""

    settings: PlatformSettings
    dagster_home: Path
    days: tuple[dt.date, ...]

    def environ(self) -> dict[str, str]:
        """Environment for a process that must see the same deployment."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PLATFORM_", "ORDERS_", "DUCKDB_", "DAGSTER_", "OTEL_"))
        }
        env.update(
            DAGSTER_HOME=str(self.dagster_home),
            ORDERS_LANDING_URI=self.settings.landing_uri,
            DUCKDB_PATH=self.settings.duckdb_path,
            ORDERS_PARTITIONS_START=self.settings.partitions_start,
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env


def materialize_fixture(
    root: Path,
    start: dt.date,
    days: int,
    run_days: list[tuple[dt.date, dt.date]] | None = None,
    partitions_start: dt.date | None = None,
) -> Workspace:
    """Write ``days`` fixture days under ``root`` and materialize every asset for them.

    ``run_days`` lists the (first, last) day of each run, in order; by default one run
    covers every day (a single-run backfill). The partitions start on ``partitions_start``
    (default: the first fixture day). The UI plots by partition only the latest 120
    partitions, so fixture days meant to be plotted must be recent.
    """
    written = write_landing(root / "landing", start, days)
    settings = PlatformSettings(
        partitions_start=(partitions_start or start).isoformat(),
        landing_uri=str(root / "landing"),
        # Not "warehouse.duckdb": DuckDB would name the catalog like the "warehouse" schema.
        duckdb_path=str(root / "orders.duckdb"),
    )
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for first, last in run_days or [(written[0], written[-1])]:
            result = job.execute_in_process(
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": first.isoformat(),
                    "dagster/asset_partition_range_end": last.isoformat(),
                },
            )
            if not result.success:
                raise RuntimeError(f"fixture run {first}...{last} failed")
    return Workspace(settings=settings, dagster_home=home, days=tuple(written))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
        return response.read()


def graphql(base_url: str, query: str, variables: dict | None = None) -> dict:
    """POST a query to the webserver's /graphql; return ``data`` (fails on errors)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base_url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        payload = json.loads(response.read())
    if payload.get("errors"):
        raise AssertionError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


@contextmanager
def running_webserver(
    workspace: Workspace, log_path: Path, startup_timeout: float = 180.0, path_prefix: str = ""
) -> Iterator[str]:
    """Start dagster-webserver for the workspace; yield its base URL (``path_prefix``, the
    UI served under a path as behind a proxy, included); stop it after."""
    port = free_port()
    executable = Path(sys.executable).with_name("dagster-webserver")
    command = [str(executable), "-m", "orders_platform.definitions", "-h", "127.0.0.1"]
    if path_prefix:
        command += ["--path-prefix", path_prefix]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [*command, "-p", str(port)],
            cwd=REPO_ROOT,
            env=workspace.environ(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}{path_prefix}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited early; see {log_path}")
            try:
                _get(f"{base_url}/server_info")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dagster-webserver did not start; see {log_path}") from None
                time.sleep(0.5)
        _wait_for_code_location(base_url, deadline)
        # A fresh instance greets the first visitor with a community sign-up dialog that
        # covers the page; record it as seen, as a person clicking "Skip" would.
        graphql(base_url, "mutation { setNuxSeen }")
        yield base_url
    finally:
        # The webserver's own session: it and the code server it spawned, nothing else.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_for_code_location(base_url: str, deadline: float) -> None:
    """/server_info answers before the code server has loaded the definitions."""
    query = "{ assetNodes { id } }"
    while True:
        try:
            if graphql(base_url, query)["assetNodes"]:
                return
        except (AssertionError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the code location did not load in time")
        time.sleep(0.5)
