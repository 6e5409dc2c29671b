"""A CLI run killed with SIGKILL stays STARTED on the local instance; devtools.lost_runs
finds it (its process is gone) and ends it as the UI's force termination does, leaving
runs whose process is alive alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEvent
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id

from devtools.lost_runs import (
    LostRun,
    alive_since,
    end_runs,
    format_lost,
    lost_runs,
    process_start,
)
from resources.dagster_internals import DagsterEventType
from tests.support.fixture_data import build_landing
from tests.support.paths import REPO

POINT = "cleaned_orders:after_delete"


def _started_run(instance: dg.DagsterInstance, pid: int, at: float | None = None) -> DagsterRun:
    """A STARTED run whose RUN_START came from process ``pid`` (at ``at``: now)."""
    run = instance.add_run(
        DagsterRun(
            job_name="orders_pipeline", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED
        )
    )
    event = DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name, pid=pid)
    instance.store_event(
        EventLogEntry(
            error_info=None,
            level="DEBUG",
            user_message="",
            run_id=run.run_id,
            timestamp=time.time() if at is None else at,
            dagster_event=event,
        )
    )
    return run


def test_a_sigkilled_cli_run_is_found_and_ended(tmp_path):
    build_landing(tmp_path / "landing")
    home = tmp_path / "instance"
    env = {**os.environ, "DAGSTER_HOME": str(home), "PLATFORM_ENV": "local"}
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.crash_driver",
            *("--landing", str(tmp_path / "landing"), "--duckdb", str(tmp_path / "o.duckdb")),
            *("--instance", str(home), "--start", "2025-01-01", "--end", "2025-01-02"),
            *("--kill-at", POINT),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.STARTED, "what the engineer finds"
        (lost,) = lost_runs(instance)
        assert lost.run_id == run.run_id

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "devtools.lost_runs", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    listed = cli()
    assert f"- {run.run_id}  orders_pipeline  STARTED" in listed
    assert "python -m devtools.lost_runs --end" in listed
    assert "Marked 1 run(s) canceled." in cli("--end")
    assert cli() == "No run is left in progress by a process that is gone.\n"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        ended = instance.get_run_by_id(run.run_id)
        assert ended.status == dg.DagsterRunStatus.CANCELED
        (canceled,) = instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.RUN_CANCELED
        ).records
        assert "devtools.lost_runs" in canceled.event_log_entry.dagster_event.message


def test_a_run_whose_process_is_alive_is_left_alone(instance):
    alive = _started_run(instance, os.getpid())
    assert lost_runs(instance) == []
    assert end_runs(instance, []) == []
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED


def test_a_pid_reused_by_a_later_process_does_not_keep_a_run_in_progress(instance):
    """The run's process died and its pid went to a process started after the run did."""
    started = process_start(os.getpid())
    assert started is not None, "Linux: /proc gives a process's start"
    run = _started_run(instance, os.getpid(), at=started - 3600)
    assert not alive_since(os.getpid(), started - 3600)
    assert [lost.run_id for lost in lost_runs(instance)] == [run.run_id]


def test_a_finished_run_is_not_ended_again(instance):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    run = _started_run(instance, int(gone.stdout))
    (lost,) = lost_runs(instance)
    instance.report_run_failed(instance.get_run_by_id(run.run_id), "ended meanwhile")
    assert end_runs(instance, [lost]) == []
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE


def test_the_cli_refuses_a_production_instance(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PLATFORM_ENV": "prod"}
    done = subprocess.run(
        [sys.executable, "-m", "devtools.lost_runs"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "run monitoring ends lost runs" in done.stderr
    assert not any(Path(tmp_path).iterdir()), "nothing opened"


def test_the_listing_gives_a_command_that_runs_outside_an_activated_virtualenv(monkeypatch):
    """`make ui` prints the listing; its "End them" command named a bare `python`, which on
    a machine whose .venv is not activated is an interpreter without Dagster."""
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "executable", str(REPO / ".venv" / "bin" / "python"))
    listing = format_lost([LostRun("r1", "orders_pipeline", "STARTED", 0.0, (4242,))])
    assert listing.splitlines()[-1] == (
        "End them: .venv/bin/python -m devtools.lost_runs --end (then re-execute from failure)."
    )
