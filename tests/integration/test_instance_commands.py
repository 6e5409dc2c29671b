"""The repository's commands that read the Dagster instance (the held-day report, the
lost-run finder, the warehouse pool's limit), as the README and runbooks give them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from devtools import held, lost_runs
from resources import warehouse_pool
from tests.support.paths import REPO

COMMANDS: dict[str, Callable[[], int]] = {
    "python -m devtools.held": lambda: held.main([]),
    "python -m devtools.lost_runs": lambda: lost_runs.main([]),
    "python -m resources.warehouse_pool": warehouse_pool.main,
}


@pytest.mark.parametrize("command", COMMANDS)
def test_without_dagster_home_the_command_names_the_project_s_instance(command, monkeypatch):
    """Dagster's own error suggests `export DAGSTER_HOME=~/dagster_home`: a new, empty
    instance, on which devtools.held said "No partition is held" after `make run` held one."""
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
