"""The repository's commands that read the Dagster instance (the held-day report, the
lost-run finder, the warehouse pool's limit) or the demo's first day, as the README and
runbooks give them, with or without a .env."""

from __future__ import annotations

import datetime as dt
import os
import shlex
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from devtools import demo_env, held, lost_runs
from devtools.demo_env import write_start
from resources import warehouse_pool
from tests.support.paths import REPO

COMMANDS: dict[str, Callable[[], int]] = {
    "python -m devtools.held": lambda: held.main([]),
    "python -m devtools.lost_runs": lambda: lost_runs.main([]),
    "python -m resources.warehouse_pool": warehouse_pool.main,
}


@pytest.mark.parametrize("command", COMMANDS)
def test_without_dagster_home_the_command_names_the_project_s_instance(
    command, monkeypatch, tmp_path: Path
):
    """Dagster's own error suggests `export DAGSTER_HOME=~/dagster_home`: a new, empty
    instance, on which devtools.held said "No partition is held" after `make run` held one."""
    monkeypatch.chdir(tmp_path)  # no .env there to set it
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(SystemExit) as stopped:
        COMMANDS[command]()
    message = str(stopped.value.code)
    assert message.startswith(f"{command}: DAGSTER_HOME is not set")
    assert "export DAGSTER_HOME=$PWD/.dagster_home" in message


@pytest.mark.parametrize("command", COMMANDS)
def test_with_dagster_home_the_command_reads_that_instance(
    command, monkeypatch, tmp_path: Path, capsys
):
    # The instance `make install` makes: the repository's dagster.yaml in DAGSTER_HOME.
    (tmp_path / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert COMMANDS[command]() == 0
    assert "DAGSTER_HOME is not set" not in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_the_command_reads_dagster_home_from_dotenv_as_dg_does(
    command, monkeypatch, tmp_path: Path, capsys
):
    """`dg dev` and `dg launch` take DAGSTER_HOME from the working directory's .env; these
    commands, run from the same directory, must read the same instance."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    (tmp_path / ".env").write_text(f"DAGSTER_HOME={home}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # set, then removed: monkeypatch restores what was there before, whatever .env sets
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "not-this-one"))
    monkeypatch.delenv("DAGSTER_HOME")
    assert COMMANDS[command]() == 0
    assert "DAGSTER_HOME is not set" not in capsys.readouterr().out
    assert os.environ["DAGSTER_HOME"] == str(home)


def test_the_demo_s_first_day_is_that_of_the_landing_zone_dotenv_names(
    monkeypatch, tmp_path: Path, capsys
):
    """`make ui` exports the demo's first day before `dg dev` reads .env: with .env naming
    the user's own landing zone, the demo's day (of the exported zone) must not be paired
    with it."""
    demo, own = tmp_path / "demo", tmp_path / "own"
    demo.mkdir()
    own.mkdir()
    write_start(demo, dt.date(2025, 3, 1))
    (tmp_path / ".env").write_text(f"ORDERS_LANDING_URI={own}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORDERS_LANDING_URI", str(demo))
    monkeypatch.delenv("ORDERS_PARTITIONS_START", raising=False)
    assert demo_env.main() == 0
    assert capsys.readouterr().out == ""
    (tmp_path / ".env").unlink()
    monkeypatch.setenv("ORDERS_LANDING_URI", str(demo))
    assert demo_env.main() == 0
    assert capsys.readouterr().out.strip() == "2025-03-01"


def test_the_held_listing_s_commands_name_the_instance_and_the_demo_s_partitions(
    monkeypatch, tmp_path: Path, capsys
):
    """`DAGSTER_HOME=... python -m devtools.held` (as `make run` prints it) lists a release
    command to paste in another shell: it names the instance, the demo's first day (which
    `dg` does not read from demo.env) and the landing zone and warehouse not the defaults."""
    home, landing = tmp_path / "home", tmp_path / "my landing"
    home.mkdir()
    landing.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    write_start(landing, dt.date(2025, 3, 1))
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("ORDERS_PARTITIONS_START", raising=False)
    monkeypatch.delenv("DUCKDB_PATH", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("ORDERS_LANDING_URI", str(landing))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("raw_orders"),
                check_name="metadata_anomaly",
                passed=False,
                partition="2025-03-10",
                description="anomalous: test",
                metadata={"anomaly_score": 0.9, "verdict": "anomalous"},
            )
        )
    assert held.main([]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "release:" in line]
    words = shlex.split(line.split("release:", 1)[1])
    dg_at = next(i for i, word in enumerate(words) if word.endswith("dg"))
    assert dict(word.split("=", 1) for word in words[:dg_at]) == {
        "DAGSTER_HOME": str(home),
        "ORDERS_PARTITIONS_START": "2025-03-01",
        "ORDERS_LANDING_URI": str(landing),
    }
    assert words[dg_at + 1 :][:5] == [
        "launch",
        "--assets",
        "raw_orders*",
        "--partition",
        "2025-03-10",
    ]
