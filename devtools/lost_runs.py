"""Runs left in progress on the local instance by a process that is gone, and ending them.

    python -m devtools.lost_runs          # list them (instance in $DAGSTER_HOME)
    python -m devtools.lost_runs --end    # mark each canceled, as the UI's force termination

A run launched from a terminal (``dg launch``, ``dagster asset materialize``, ``make run``)
runs in that terminal's process. Killed (SIGKILL, out of memory, a closed terminal), it
records no end: the instance shows it **Started** for ever. Locally nothing notices: the
daemon's run monitoring asks the run launcher about run workers, and the default run
launcher cannot tell (in production the Kubernetes run launcher can). Under ``make ui`` the
queue counts such a run in the ``warehouse`` pool, so every queued run waits behind it,
and the sensors wait for its days.

A run is listed when it is STARTED or CANCELING and no process that started it or one of
its steps (the pid Dagster records on every event) is alive on this machine: gone, or its
pid now belongs to a process that started after the run did. Ending it marks it
CANCELED, as **Terminate > Force termination immediately** in the UI does:
orders_run_canceled_sensor posts it, nothing runs it again, and *Re-execute from failure*
finishes it (a killed run wrote nothing half: every table write is one transaction).

Only for the local instance: a run started on another machine (a production run pod) has
a pid that means nothing here, and there run monitoring ends lost runs itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from devtools.typed_paths import as_typed
from resources.dagster_internals import DagsterEventType
from resources.settings import PlatformSettings, read_dotenv, require_dagster_home

IN_PROGRESS = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# The events whose process runs the run (RUN_START) or one of its steps (STEP_START: the
# multiprocess executor runs each step in a child process).
PROCESS_EVENTS = (DagsterEventType.RUN_START, DagsterEventType.STEP_START)
RUNS_LOOKED_AT = 100


@dataclass(frozen=True)
class LostRun:
    """A run in progress whose processes are all gone."""

    run_id: str
    job_name: str
    status: str
    started: float  # its RUN_START, seconds since the epoch
    pids: tuple[int, ...]


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where the system says
    (Linux's /proc); None elsewhere or when it is gone."""
    boot = _boot_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if boot is None:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count after it.
    fields = stat.rsplit(")", 1)[1].split()
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def alive_since(pid: int, since: float) -> bool:
    """Whether the process ``pid`` that existed at ``since`` is still running: a process
    of that pid exists and did not start after ``since`` (a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    started = process_start(pid)
    # A second of slack: the run's first event comes after its process started, and the
    # two clocks are read differently.
    return started is None or started <= since + 1.0


def _process_ids(instance: dg.DagsterInstance, run_id: str) -> tuple[float | None, set[int]]:
    """The run's start time and the pids of the processes that started it and its steps."""
    started, pids = None, set()
    for event_type in PROCESS_EVENTS:
        records = instance.get_records_for_run(run_id, of_type=event_type).records
        for record in records:
            entry = record.event_log_entry
            if entry.dagster_event is not None and entry.dagster_event.pid is not None:
                pids.add(entry.dagster_event.pid)
            if event_type == DagsterEventType.RUN_START:
                started = entry.timestamp if started is None else min(started, entry.timestamp)
    return started, pids


def lost_runs(instance: dg.DagsterInstance, limit: int = RUNS_LOOKED_AT) -> list[LostRun]:
    """The runs in progress (the latest ``limit``) none of whose processes is alive,
    oldest first. A run that has not recorded its start is left to the daemon (its start
    timeout) or to the UI."""
    found = []
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS), limit=limit)
    for run in runs:
        started, pids = _process_ids(instance, run.run_id)
        if started is None or not pids:
            continue
        if any(alive_since(pid, started) for pid in pids):
            continue
        found.append(
            LostRun(run.run_id, run.job_name, run.status.value, started, tuple(sorted(pids)))
        )
    return sorted(found, key=lambda lost: lost.started)


def end_runs(instance: dg.DagsterInstance, lost: Iterable[LostRun]) -> list[str]:
    """Mark each of ``lost`` canceled (read again first: one that ended meanwhile is left
    as it is); the ids of those marked."""
    ended = []
    for item in lost:
        run = instance.get_run_by_id(item.run_id)
        if run is None or run.is_finished:
            continue
        pids = ", ".join(str(pid) for pid in item.pids)
        instance.report_run_canceled(
            run,
            f"Marked canceled by devtools.lost_runs: its process (pid {pids}) is gone, killed"
            " before it recorded an end. Re-execute it from failure to finish it.",
        )
        ended.append(item.run_id)
    return ended


def format_lost(lost: Sequence[LostRun]) -> str:
    if not lost:
        return "No run is left in progress by a process that is gone."
    lines = [f"{len(lost)} run(s) in progress whose process is gone:"]
    for item in lost:
        pids = ", ".join(str(pid) for pid in item.pids)
        lines.append(
            f"- {item.run_id}  {item.job_name}  {item.status}  (pid {pids})  /runs/{item.run_id}"
        )
    lines.append(
        f"End them: {as_typed(Path(sys.executable))} -m devtools.lost_runs --end (then re-execute from failure)."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--end", action="store_true", help="mark each listed run canceled (as a UI force stop)"
    )
    args = parser.parse_args(argv)
    read_dotenv()  # as dg dev and dg launch read it
    if PlatformSettings.from_env().env != "local":
        parser.error("for the local instance only: in production run monitoring ends lost runs")
    require_dagster_home("python -m devtools.lost_runs")
    with dg.DagsterInstance.get() as instance:
        lost = lost_runs(instance)
        print(format_lost(lost))
        if args.end and lost:
            ended = end_runs(instance, lost)
            print(f"Marked {len(ended)} run(s) canceled.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
