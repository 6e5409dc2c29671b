"""SIGKILL a process that keeps replacing a small DuckDB table, then open the file: no Dagster.

    python -m bench.torn_checkpoint --trials 300 --mode threshold0 --dir /dev/shm/x
    python -m bench.torn_checkpoint --trials 300 --mode explicit --dir /dev/shm/x
    python -m bench.torn_checkpoint --trials 300 --mode threshold0 --journal --dir /dev/shm/x
    python -m bench.torn_checkpoint --trials 300 --kill tear --dir /dev/shm/x   # needs gcc

A child process replaces table ``t`` (1,000 rows, every row tagged with the generation) in
one transaction again and again: ``threshold0`` commits under ``checkpoint_threshold =
'0B'`` (every commit checkpoints, as the warehouse's connections do), ``explicit`` under
DuckDB's defaults followed by ``CHECKPOINT``. It is killed at a random instant (``--kill
random``: the parent SIGKILLs it), a few microseconds after the database file's first
change in a commit (``--kill write``: a thread in the child; ``TORN_SPINS``, default 40,
bounds the stat() calls it waits), or deterministically (``--kill tear``, gcc needed): a
shim preloaded into the child lets the k-th write of the block at 12288 (a file this small
has its metadata there) write its first ``--torn-pages`` pages (0: 1 to 63 at random) and
SIGKILLs the child, as Linux ends a buffered write whose process is killed inside it. Then
the parent opens the file read only and counts the trials in which it does not open, and
those in which ``t`` is not one whole generation. With ``--journal`` the child's
connection is the platform's (``resources.checkpoint_journal.journaled_connection``) and
the parent runs ``recover``, as the platform's next open does, before opening the file.

DuckDB's checkpoint writes the metadata blocks that already exist in the file in place
(``MetadataManager::Flush``); the header still in force points into them. A kill inside
that 256 KiB write leaves the block's first pages new and the others old: its checksum
fails and the file does not open (``Corrupt database file: computed checksum ... does not
match stored checksum ... in block at location 12288``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb

ROWS = 1_000
BLOCK = 262_144
#: Preloaded into the child by ``--kill tear``: the ``TORN_WRITE``-th write of a whole
#: block at offset 12288 writes its first ``TORN_PAGES`` pages, then the process dies.
TEAR_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static long seen;

static ssize_t maybe_torn(int fd, const void *buf, size_t count, off_t offset,
                          ssize_t (*real)(int, const void *, size_t, off_t)) {
    const char *at = getenv("TORN_WRITE");
    if (at && count == 262144 && offset == 12288 && ++seen == atol(at)) {
        real(fd, buf, 4096 * (size_t)atol(getenv("TORN_PAGES")), offset);
        kill(getpid(), SIGKILL);
    }
    return real(fd, buf, count, offset);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real) real = dlsym(RTLD_NEXT, "pwrite");
    return maybe_torn(fd, buf, count, offset, real);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
    return maybe_torn(fd, buf, count, offset, real);
}
"""
SPINS = int(os.environ.get("TORN_SPINS", "40"))


def _journal_module():
    """resources/checkpoint_journal.py alone: the ``resources`` package imports Dagster,
    seconds of every child's start."""
    path = Path(__file__).resolve().parents[1] / "resources" / "checkpoint_journal.py"
    spec = importlib.util.spec_from_file_location("checkpoint_journal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _connect(path: str, mode: str, journal: bool):
    config = {"checkpoint_threshold": "0B"} if mode == "threshold0" else {}
    if journal:
        return _journal_module().journaled_connection(path, config=config)
    return duckdb.connect(path, config=config)


def _kill_after_first_write(path: str, spins: int) -> None:
    """A thread that kills this process ``spins`` stat() calls after ``path`` changes."""
    file = Path(path)

    def state():
        stat = file.stat()
        return stat.st_size, stat.st_mtime_ns

    before = state()

    def watch() -> None:
        while state() == before:
            pass
        for _ in range(spins):
            state()
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def child(path: str, mode: str, kill: str, journal: bool, seed: int) -> None:
    chance = random.Random(seed)
    generation = 0
    armed_at = 1 + chance.randrange(3)
    with _connect(path, mode, journal) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS t AS SELECT range AS id, 0 AS g FROM range(?)", [ROWS]
        )
        if mode == "explicit":
            conn.execute("CHECKPOINT")
        print("READY", flush=True)
        while True:
            generation += 1
            if kill == "write" and generation == armed_at:
                _kill_after_first_write(path, chance.randrange(SPINS))
            conn.execute("BEGIN")
            conn.execute("DELETE FROM t")
            conn.execute(
                "INSERT INTO t SELECT range AS id, ? AS g FROM range(?)", [generation, ROWS]
            )
            conn.execute("COMMIT")
            if mode == "explicit":
                conn.execute("CHECKPOINT")


def check(path: str, journal: bool) -> str:
    """``ok``, ``torn`` (t not one whole generation) or the error opening the file."""
    if journal:
        _journal_module().recover(path)
    try:
        with duckdb.connect(path, read_only=True) as conn:
            count, generations = conn.execute(
                "SELECT count(*), count(DISTINCT g) FROM t"
            ).fetchone()
    except duckdb.Error as error:
        return f"{type(error).__name__}: {str(error)[:40]}...{str(error)[-30:]}"
    return "ok" if (count, generations) == (ROWS, 1) else "torn"


def build_shim(directory: Path) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        raise SystemExit("--kill tear needs gcc to build its preloaded shim")
    source, shim = directory / "tear.c", directory / "tear.so"
    source.write_text(TEAR_SHIM)
    subprocess.run([gcc, "-shared", "-fPIC", "-O2", "-o", shim, source, "-ldl"], check=True)
    return shim


def trial(path: str, args: argparse.Namespace, seed: int, shim: Path | None) -> str:
    chance = random.Random(seed)
    env = dict(os.environ)
    if shim is not None:
        # The first write at 12288 makes the new file's metadata block; a later one
        # rewrites it in place.
        env |= {"LD_PRELOAD": str(shim), "TORN_WRITE": str(2 + chance.randrange(3))}
        env["TORN_PAGES"] = str(args.torn_pages or 1 + chance.randrange(BLOCK // 4096 - 1))
    command = [sys.executable, "-m", "bench.torn_checkpoint", "--child", "--dir", args.dir]
    command += ["--mode", args.mode, "--kill", args.kill, "--seed", str(seed)]
    command += ["--journal"] * args.journal
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "READY"
    if args.kill == "random":
        time.sleep(chance.uniform(0, args.max_delay_ms) / 1000)
        process.send_signal(signal.SIGKILL)
    code = process.wait()
    assert code == -signal.SIGKILL, code
    return check(path, args.journal)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--mode", choices=("threshold0", "explicit"), default="threshold0")
    parser.add_argument("--kill", choices=("random", "write", "tear"), default="write")
    parser.add_argument("--journal", action="store_true")
    parser.add_argument(
        "--torn-pages", type=int, default=0, help="pages the torn write writes (0: 1 to 63)"
    )
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--max-delay-ms", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=80)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args(argv)
    path = str(Path(args.dir) / f"torn-{args.mode}.duckdb")
    if args.child:
        child(path, args.mode, args.kill, args.journal, args.seed)
        return
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    shim = build_shim(Path(args.dir)) if args.kill == "tear" else None
    outcomes: Counter[str] = Counter()
    started = time.process_time()
    for number in range(args.trials):
        for stale in Path(args.dir).glob(f"torn-{args.mode}.duckdb*"):
            stale.unlink()
        outcome = trial(path, args, args.seed * 100_000 + number, shim)
        outcomes["ok" if outcome == "ok" else "bad"] += 1
        if outcome != "ok":
            outcomes[outcome] += 1
            print(f"trial {number}: {outcome}", flush=True)
    print(
        f"{args.trials} trials, mode {args.mode}, kill {args.kill}, journal {args.journal}: "
        f"{outcomes['bad']} failed to open or torn ({dict(outcomes)}); "
        f"parent CPU {time.process_time() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
