"""The `dg` CLI loads the project and launches runs, as the README and runbooks say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.fixture_data import build_landing
from tests.support.paths import REPO

DG = str(Path(sys.executable).with_name("dg"))


def dg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DG, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def dg_env(tmp_path: Path) -> dict[str, str]:
    """A private instance, landing zone and warehouse for one dg invocation."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    build_landing(tmp_path / "landing")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ORDERS_LANDING_URI": str(tmp_path / "landing"),
        "ORDERS_PARTITIONS_START": "2025-01-01",
        "DUCKDB_PATH": str(tmp_path / "orders.duckdb"),
    }


def test_dg_check_defs_loads_the_code_location(dg_env):
    result = dg("check", "defs", env=dg_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_dg_list_defs_shows_the_public_asset_keys(dg_env):
    result = dg("list", "defs", "--json", env=dg_env)
    assert result.returncode == 0, result.stderr
    for key in ("raw_orders", "cleaned_orders", "warehouse/fct_orders", "warehouse/dim_customers"):
        assert f'"{key}"' in result.stdout


def test_dg_launch_materializes_a_partition_range_in_one_run(dg_env, tmp_path):
    result = dg(
        "launch",
        "--assets",
        "raw_orders,cleaned_orders,quarantined_orders,warehouse/fct_orders",
        "--partition-range",
        "2025-01-01...2025-01-02",
        env=dg_env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as con:
        days = con.sql(
            "select distinct partition_date from warehouse.fct_orders order by 1"
        ).fetchall()
    assert [str(d) for (d,) in days] == ["2025-01-01", "2025-01-02"]
