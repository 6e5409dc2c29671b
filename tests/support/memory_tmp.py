"""The tests' temporary files in memory (tmpfs) rather than on disk, where there is room.

Nearly every integration test runs Dagster on a SQLite instance and DuckDB in a temporary
directory, and Dagster commits each event on its own: about 450 commits a run, each an
fsync on disk (2 ms here against 0.06 ms on tmpfs, measured with 300 WAL commits). No test
is about surviving a power cut: the crash tests kill processes, and the page cache
outlives a killed process on either filesystem.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

SHM = Path("/dev/shm")
# The suite writes a few hundred MiB; a container's default /dev/shm (64 MiB) is too small.
MIN_FREE_BYTES = 2 * 2**30


def memory_temp_root(environ: Mapping[str, str], shm: Path = SHM) -> Path | None:
    """A new directory on tmpfs for this session's temporary files, or None to stay where
    ``TMPDIR`` (set by the user: kept) or the system's default put them."""
    if environ.get("TMPDIR"):
        return None
    if not shm.is_dir() or not os.access(shm, os.W_OK | os.X_OK):
        return None
    if shutil.disk_usage(shm).free < MIN_FREE_BYTES:
        return None
    root = Path(tempfile.mkdtemp(prefix="orders-tests-", dir=shm))
    # /tmp's mode, not mkdtemp's 0700: the PostgreSQL tests run the server as the
    # ``postgres`` user, in a directory of its own under the temporary root.
    root.chmod(0o1777)
    return root


def use_temp_root(root: Path) -> None:
    """Put this process's temporary files, and those of every process it starts (pytest's
    workers, run subprocesses, services), under ``root``."""
    os.environ["TMPDIR"] = str(root)
    tempfile.tempdir = str(root)


def remove_at_exit(root: Path) -> None:
    """Remove ``root`` when this process exits, after multiprocessing has removed its own
    temporary directory in it. A fork server or listener of the session makes that
    directory (``pymp-*``) under ``TMPDIR``, which is ``root``, and multiprocessing removes
    it at exit; removed with ``root`` before then, its removal failed with a
    ``FileNotFoundError`` printed at the end of the run. Its finalizer runs at exit
    priority -100, highest first; this one, at -101, after it. ``atexit`` cannot order
    them: its handlers run last registered first, and multiprocessing registered its own
    when it was imported."""
    from multiprocessing import util

    util.Finalize(
        None, shutil.rmtree, args=(str(root),), kwargs={"ignore_errors": True}, exitpriority=-101
    )
