"""The rest of ``make ui`` for tests: the local instance file, the pool limit and the daemon.

``make ui`` copies dagster.yaml into DAGSTER_HOME, stores the warehouse pool's limit
(``python -m resources.warehouse_pool``) and starts ``dg dev``, which is the webserver
(:func:`devtools.webserver.running_webserver`) plus ``dagster-daemon run``: the run queue,
the backfill daemon, the sensors and the automation sensor. These helpers do the same steps
with the same commands, for a DAGSTER_HOME and environment of the caller's choosing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_INSTANCE_YAML = REPO_ROOT / "dagster.yaml"


def local_instance(dagster_home: Path) -> Path:
    """A DAGSTER_HOME holding the repository's local dagster.yaml, as ``make install`` makes."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(LOCAL_INSTANCE_YAML, dagster_home / "dagster.yaml"))


def run_module(module: str, env: Mapping[str, str], log_path: Path, timeout: float = 300.0) -> None:
    """``python -m module`` in the repository with ``env``, as a make target runs it."""
    with open(log_path, "ab") as log:
        completed = subprocess.run(  # noqa: S603 (fixed argv)
            [sys.executable, "-m", module],
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"python -m {module} exited with {completed.returncode}; see {log_path}")


def store_pool_limit(env: Mapping[str, str], log_path: Path) -> None:
    """Store the warehouse pool's limit in the instance first, as ``make ui`` does."""
    run_module("resources.warehouse_pool", env, log_path)


@contextmanager
def running_daemon(
    env: Mapping[str, str], log_path: Path, stop_timeout: float = 30.0
) -> Iterator[subprocess.Popen]:
    """Run ``dagster-daemon run`` on the code location; yield the process; stop it after.

    The daemon gets its own session, so stopping it also stops the code server it spawned
    and any run worker still going (both are in its process group).
    """
    executable = Path(sys.executable).with_name("dagster-daemon")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [str(executable), "run", "-m", "orders_platform.definitions"],
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        time.sleep(1.0)
        if process.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited at once; see {log_path}")
        yield process
    finally:
        stop_process_group(process, stop_timeout)


def stop_process_group(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM the process's group, SIGKILL it after ``timeout`` seconds; reap the leader."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break  # the group is gone: leader and every child have exited
        if _group_gone(process, timeout):
            break
    if process.poll() is None:
        process.wait(timeout=timeout)


def _group_gone(process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or its zombie keeps the group alive
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False
