"""The `dg` CLI loads the project and launches runs, as the README and runbooks say."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
from pathlib import Path

import dagster
import duckdb
import pytest

from devtools.demo_env import write_start
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


def readme_backfill_commands() -> list[str]:
    """The CLI commands of the README's Backfills section, continuation lines joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Backfills\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = block.replace("\\\n", " ").splitlines()
    return [c for c in commands if c.startswith(".venv/bin/")]


README_RANGE, FIXTURE_RANGE = "2025-01-01...2025-01-31", "2025-01-01...2025-01-03"


def readme_backfill_exports() -> list[str]:
    """The `export` lines of the README's Backfills section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Backfills\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("export ")]


def partitions_start_after(exports: list[str], times: int, env: dict[str, str]) -> str:
    """ORDERS_PARTITIONS_START after a shell has run the README's exports ``times`` times."""
    script = "\n".join(exports * times) + '\nprintf %s "$ORDERS_PARTITIONS_START"'
    result = subprocess.run(
        ["bash", "-ec", script], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_the_readme_exports_give_the_demo_s_first_day_and_keep_the_user_s(dg_env, tmp_path):
    """Run once or twice, the Backfills section's exports give the CLI the demo's first day
    when the user set none, and keep the day a user exported (the demo's day finder prints
    nothing when the variable is set, which a bare `$(...)` turned into the default)."""
    exports = readme_backfill_exports()
    assert any("ORDERS_PARTITIONS_START" in line for line in exports), exports
    write_start(tmp_path / "landing", dt.date(2024, 12, 20))
    unset = {k: v for k, v in dg_env.items() if k != "ORDERS_PARTITIONS_START"}
    for times in (1, 2):
        assert partitions_start_after(exports, times, unset) == "2024-12-20"
        assert partitions_start_after(exports, times, dg_env) == "2025-01-01"
        mine = {**dg_env, "ORDERS_PARTITIONS_START": "2024-06-01"}
        assert partitions_start_after(exports, times, mine) == "2024-06-01"


def test_the_readme_backfill_commands_run(dg_env):
    """Every command the README's Backfills section shows succeeds (on the fixture days:
    the README's range lies outside them), each as one run."""
    commands = readme_backfill_commands()
    assert len(commands) == 3, commands
    for command in commands:
        assert README_RANGE in command, command
        args = shlex.split(command.replace(README_RANGE, FIXTURE_RANGE))
        result = subprocess.run(
            [str(REPO / args[0]), *args[1:]],
            cwd=REPO,
            env=dg_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, command + result.stdout[-3000:] + result.stderr[-3000:]
        assert result.stderr.count("RUN_SUCCESS") == 1, command


def test_the_runbook_s_cli_backfill_runs_every_asset_in_one_run(dg_env, tmp_path):
    """The runbook's "From the command line" command (`dg launch --assets '*'
    --partition-range ...`, continuation lines joined), on the fixture days: one run that
    publishes the days and builds the customer tables too."""
    text = (REPO / "docs" / "backfill-runbook.md").read_text(encoding="utf-8")
    section = text.split("\n## From the command line\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    (command,) = [line for line in block.splitlines() if "dg launch" in line]
    args = shlex.split(command.replace(README_RANGE, FIXTURE_RANGE))
    assert args[:4] == [".venv/bin/dg", "launch", "--assets", "*"], command
    result = subprocess.run(
        [str(REPO / args[0]), *args[1:]], cwd=REPO, env=dg_env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stderr.count("RUN_SUCCESS") == 1
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as con:
        days = con.execute("select count(distinct partition_date) from warehouse.fct_orders")
        assert days.fetchone() == (2,)  # the fixture's third day has no order
        (customers,) = con.execute("select count(*) from warehouse.dim_customers").fetchone()
    assert customers > 0


def test_half_of_the_cleaning_step_is_refused_before_any_run(dg_env):
    """What the README says of `--assets 'cleaned_orders*'` alone: cleaned_orders and
    quarantined_orders are written together, so the CLI refuses the selection (Dagster's
    error naming both) and no run is recorded."""
    result = dg("launch", "--assets", "cleaned_orders*", "--partition", "2025-01-01", env=dg_env)
    assert result.returncode != 0
    assert "DagsterInvalidSubsetError" in result.stderr
    # The error as the README and the runbook quote it.
    assert (
        "AssetsDefinition 'clean_orders' contains asset keys"
        " [AssetKey(['cleaned_orders']), AssetKey(['quarantined_orders'])]"
    ) in result.stderr
    assert "does not support subsetting" in result.stderr
    with dagster.DagsterInstance.from_config(dg_env["DAGSTER_HOME"]) as instance:
        assert instance.get_runs_count() == 0


def test_days_outside_the_partitions_are_refused_as_the_runbook_quotes(dg_env):
    """The runbook's "A day outside the partitions" messages: a day before
    ORDERS_PARTITIONS_START is named; for a range whose last day is outside, the final error
    names its first day and the traceback above it the day outside. No run starts."""
    before = dg("launch", "--assets", "raw_orders", "--partition", "2024-12-31", env=dg_env)
    assert before.returncode != 0
    assert (
        "DagsterInvalidSubsetError: All selected assets must have a PartitionsDefinition"
        " containing the passed partition key `2024-12-31`"
    ) in before.stderr
    beyond = dg(
        "launch", "--assets", "raw_orders", "--partition-range", "2025-01-02...2999-01-01",
        env=dg_env,
    )  # fmt: skip
    assert beyond.returncode != 0
    assert (
        "DagsterUnknownPartitionError: Could not find a partition with key `2999-01-01`"
    ) in beyond.stderr
    assert "containing the passed partition key `2025-01-02`" in beyond.stderr
    runbook = " ".join((REPO / "docs" / "backfill-runbook.md").read_text(encoding="utf-8").split())
    for quoted in (
        "`DagsterInvalidSubsetError: All selected assets must have a PartitionsDefinition"
        " containing the passed partition key ...`",
        "`DagsterUnknownPartitionError: Could not find a partition with key ...`",
    ):
        assert quoted in runbook
    with dagster.DagsterInstance.from_config(dg_env["DAGSTER_HOME"]) as instance:
        assert instance.get_runs_count() == 0
