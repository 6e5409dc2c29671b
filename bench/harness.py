"""Plumbing shared by the benchmarks: child processes, peak memory, medians, the machine.

Every contender runs in its own child process (``python -m bench.<module> ...``)
that prints one JSON object as its last line of output; the child reports its own
peak resident set (``VmHWM``), so the parent's memory never leaks into the figure.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (VmHWM on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


class Timer:
    """Wall and CPU seconds (all threads of this process) of a ``with`` block."""

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_s = round(time.perf_counter() - self._wall, 3)
        self.cpu_s = round(time.process_time() - self._cpu, 3)


def emit(figures: dict) -> None:
    """Print a child's figures (with its peak RSS) as the last line of its output."""
    print(json.dumps({**figures, "peak_rss_mb": peak_rss_mb()}), flush=True)


def instance_overrides() -> dict:
    """Instance settings of a benchmark's temporary DAGSTER_HOME: the event log storage of
    the repository's local ``dagster.yaml`` (what ``make run`` and ``make ui`` use) and no
    telemetry. The rest of that file (run queue, retries) does not apply to runs executed
    in the benchmark's own process."""
    import yaml

    local = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    return {"telemetry": {"enabled": False}, "event_log_storage": local["event_log_storage"]}


def _address_space_cap(gib: float):
    def cap() -> None:
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def run_child(
    module: str,
    args: Sequence[str],
    address_space_gib: float | None = None,
    tree: Path | None = None,
) -> dict:
    """Run ``python -m bench.<module> args`` and return its figures plus process wall time.

    ``address_space_gib`` caps the child's virtual memory (RLIMIT_AS), so a step that
    would take the shared machine's memory fails instead (with MemoryError or an
    allocation failure in its output). ``tree``: run that checkout's code (a worktree of
    another commit, to compare with) instead of this one's.
    """
    started = time.perf_counter()
    root = REPO_ROOT if tree is None else Path(tree).resolve()
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *map(str, args)],
        cwd=root,
        env=None if tree is None else {**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_address_space_cap(address_space_gib) if address_space_gib else None,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(
            f"bench.{module} failed ({completed.returncode}):\n{completed.stderr[-4000:]}"
        )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return {**figures, "process_wall_s": round(wall, 3)}


def median_of(samples: Sequence[float]) -> float:
    return round(statistics.median(samples), 4)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages * size / 2**30, 1)


def machine() -> dict:
    """What the figures were measured on."""
    versions = {}
    for package in ("dagster", "pandas", "pyarrow", "duckdb", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **{f"{name}_version": version for name, version in versions.items()},
    }
