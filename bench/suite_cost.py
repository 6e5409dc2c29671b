"""What tests cost in two checkouts: each test alone, the checkouts alternating, in pairs.

    python -m bench.suite_cost --base /tmp/base --new . --pairs 2 tests/a.py::test_x ...

Each run is ``python -m pytest -q -p no:cacheprovider <test>`` in the checkout (its
directory first on ``PYTHONPATH``), one after the other, never together; it prints the
wall time and the CPU seconds of the pytest process and its children (user + system,
from ``getrusage``), so that a loaded, shared machine's noise shows: the wall time moves
with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run_once(checkout: Path, test: str) -> tuple[float, float]:
    """(wall s, CPU s) of one pytest run of ``test`` in ``checkout``; it must pass."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": ""}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{test} failed in {checkout}:\n{done.stdout[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("tests", nargs="+")
    args = parser.parse_args(argv)
    for test in args.tests:
        figures: dict[str, list[tuple[float, float]]] = {"base": [], "new": []}
        for pair in range(args.pairs):
            for name in ("base", "new") if pair % 2 == 0 else ("new", "base"):
                wall, cpu = run_once(getattr(args, name).resolve(), test)
                figures[name].append((wall, cpu))
                load = os.getloadavg()[0]
                print(f"{test} {name}: wall {wall:.1f} s, CPU {cpu:.1f} s (load {load:.1f})")
        for name, runs in figures.items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(
                f"{test} {name} median: wall {statistics.median(walls):.1f} s,"
                f" CPU {statistics.median(cpus):.1f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
