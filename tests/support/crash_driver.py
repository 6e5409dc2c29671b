"""Run the orders pipeline in this process and SIGKILL it at a chosen point (tests only).

    python -m tests.support.crash_driver --landing DIR --duckdb FILE --instance DIR \\
        --start 2025-01-01 --end 2025-01-02 [--assets raw_orders,...] [--kill-at TABLE:PHASE]

Kill points are deterministic hooks patched around the warehouse session, through which
every SQL step writes its table, never timers. TABLE is the table an asset writes
(raw_orders, cleaned_orders, quarantined_orders, fct_orders, customer_metrics,
dim_customers); PHASE is one of

- ``before_connect``: nothing of the table is written yet (its CREATE IF NOT EXISTS);
- ``after_delete``: inside the transaction, the old rows deleted, new ones not inserted;
- ``after_insert``: inside the transaction, new rows inserted (a statement, or a landed
  file loaded into the table), not committed;
- ``after_commit``: committed, but Dagster has not recorded the materialization;
- ``in_commit``: inside the commit: a thread started as the commit begins waits until it
  writes to disk (the write-ahead log, then the checkpoint every commit makes,
  ``resources.warehouse.CHECKPOINT_THRESHOLD``) and kills the process there: mostly with
  the log written and the checkpoint unfinished (the log is left for the next open to
  replay), sometimes just after, and rarely inside the checkpoint's in-place write of the
  file's metadata blocks, which the warehouse's next open puts back from their journal
  (resources/checkpoint_journal.py); either way the table must be the old one or the new one
  (what it means on Snowflake, whose commit is the server's: tests.support.snowflake_crash);
- ``after_event``: the materialization of the table's asset is stored in the event log
  (the warehouse committed, Dagster recorded it), but the step has not ended and its
  checks have not run.

``raw_orders:between_partitions`` kills while raw_orders lists the second day of the range.
The process prints ``KILL-POINT <point>`` and kills itself with SIGKILL: no ``finally``,
no rollback, no atexit; exactly what an OOM kill or a lost node does.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import multiprocessing
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources import warehouse
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings
from tests.support.local_instance import local_event_log_storage

PHASES = (
    "before_connect",
    "after_delete",
    "after_insert",
    "after_commit",
    "in_commit",
    "after_event",
)


def die(point: str) -> None:
    print(f"KILL-POINT {point}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _touches(sql: str, verb: str, table: str) -> bool:
    """Whether a statement (DuckDB-dialect source) is ``verb`` on the table named ``table``."""
    pattern = rf"^\s*{verb}\s+(?:{'FROM' if verb == 'DELETE' else 'INTO'}\s+)?\w+\.{table}\b"
    return re.match(pattern, sql, flags=re.IGNORECASE) is not None


def install_kill_point(point: str) -> None:
    """Patch the warehouse session (and the landing listing) so the process dies at
    ``point``. Every SQL step writes its table through ``SqlSession``, the whole-table
    ones (customer_metrics, dim_customers) included."""
    table, _, phase = point.partition(":")
    session = warehouse.SqlSession
    original_execute = session.execute
    original_transaction = session.transaction
    touched: list[str] = []

    def execute(self, sql, params=()):
        if phase == "before_connect" and _touches(sql, "CREATE TABLE IF NOT EXISTS", table):
            die(point)
        result = original_execute(self, sql, params)
        for verb in ("DELETE", "INSERT"):
            if _touches(sql, verb, table):
                touched.append(table)
                if phase == f"after_{verb.lower()}":
                    die(point)
        return result

    original_load = session.load_plain_csv

    def load_plain_csv(self, target, *args, **kwargs):
        """Inserts rows too: raw_orders loads plain files straight into its table inside
        the replacing transaction."""
        loaded = original_load(self, target, *args, **kwargs)
        if loaded and target.rpartition(".")[2] == table:
            touched.append(table)
            if phase == "after_insert":
                die(point)
        return loaded

    @contextmanager
    def transaction(self):
        touched.clear()
        with original_transaction(self):
            yield
            if phase == "in_commit" and table in touched:
                kill_once_written(self.conn, point)
        if phase == "after_commit" and table in touched:
            die(point)

    session.execute = execute
    session.transaction = transaction
    session.load_plain_csv = load_plain_csv
    if phase == "after_event":
        kill_after_materialization(table, point)

    if point == "raw_orders:between_partitions":
        original_scan_day = LocalLandingZone.scan_day
        seen: list[dt.date] = []

        def scan_day(self, day):
            seen.append(day)
            if len(seen) == 2:
                die(point)
            return original_scan_day(self, day)

        LocalLandingZone.scan_day = scan_day


def kill_once_written(conn, point: str) -> None:
    """Start a thread that SIGKILLs the process as soon as the commit of ``conn`` writes
    to disk (its write-ahead log appears or grows, or the database file changes), then
    return: the caller commits, and the engine's commit, which releases the GIL, writes
    the log and then checkpoints it into the file while the thread watches."""
    [(path,)] = conn.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    files = (Path(path), Path(f"{path}.wal"))

    def state() -> list[tuple[int, int] | None]:
        found = []
        for file in files:
            try:
                stat = file.stat()
            except FileNotFoundError:
                found.append(None)
            else:
                found.append((stat.st_size, stat.st_mtime_ns))
        return found

    before = state()
    started = threading.Event()

    def watch() -> None:
        started.set()
        while state() == before:
            pass
        die(point)

    threading.Thread(target=watch, daemon=True).start()
    started.wait()


def kill_after_materialization(table: str, point: str) -> None:
    """Die once the event log storage has stored a materialization of the asset that
    writes ``table`` (one event or a batch holding one): the step's write is recorded,
    the step not ended."""
    from orders_core import tables
    from resources.instance_storage import ReusedEngineSqliteEventLogStorage as storage

    asset_key = dg.AssetKey(list(next(t.key for t in tables.TABLES if t.name == table)))

    def materializes(entry) -> bool:
        event = entry.dagster_event
        return (
            event is not None
            and event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            and event.asset_key == asset_key
        )

    store_event, store_event_batch = storage.store_event, storage.store_event_batch

    def store_one(self, event):
        store_event(self, event)
        if materializes(event):
            die(point)

    def store_batch(self, events):
        store_event_batch(self, events)
        if any(materializes(event) for event in events):
            die(point)

    storage.store_event, storage.store_event_batch = store_one, store_batch


def persistent_instance(instance_dir: str) -> dg.DagsterInstance:
    """The Dagster instance kept in ``instance_dir`` (created when missing), storing its
    events as the local instance does; use it as a context manager."""
    os.makedirs(instance_dir, exist_ok=True)
    return dg.DagsterInstance.local_temp(
        tempdir=instance_dir, overrides={"event_log_storage": dict(local_event_log_storage())}
    )


def run_pipeline(
    landing: str,
    duckdb_path: str,
    instance_dir: str,
    start: str,
    end: str,
    assets: str = "",
    first_day: str = "",
    training_days: int = 0,
) -> bool:
    """Materialize ``assets`` (comma-separated keys; all when empty) for ``start...end``
    in one in-process run on the persistent instance in ``instance_dir``; the partitions
    begin on ``first_day`` (``start`` when empty), metadata_anomaly trains on
    ``training_days`` (the settings' default when 0)."""
    settings = PlatformSettings(
        landing_uri=landing, duckdb_path=duckdb_path, partitions_start=first_day or start
    )
    if training_days:
        settings = dataclasses.replace(settings, anomaly_training_days=training_days)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    selection = [dg.AssetKey.from_user_string(key) for key in assets.split(",")] if assets else None
    with persistent_instance(instance_dir) as instance:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=selection,
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
            raise_on_error=False,
        )
    return result.success


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", required=True)
    parser.add_argument("--duckdb", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--assets", default="", help="comma-separated asset keys (default all)")
    parser.add_argument("--kill-at", default="", help="TABLE:PHASE")
    parser.add_argument("--first-day", default="", help="first daily partition (default --start)")
    parser.add_argument("--training-days", type=int, default=0, help="metadata_anomaly's window")
    args = parser.parse_args(argv)
    if args.kill_at:
        install_kill_point(args.kill_at)
    ok = run_pipeline(
        *(args.landing, args.duckdb, args.instance, args.start, args.end, args.assets),
        first_day=args.first_day,
        training_days=args.training_days,
    )
    print("RUN-SUCCEEDED" if ok else "RUN-FAILED", flush=True)
    return 0 if ok else 1


_FORKS = multiprocessing.get_context("forkserver")
# The fork server imports Dagster and the definitions once (about 1.5 s); every child it
# forks starts from there, a fresh process of its own, with no thread, connection or
# instance of the parent's (pytest's process has them all).
_FORKS.set_forkserver_preload([__name__])


def _child(argv: list[str], output: str, entry=None, environ=None) -> None:
    """The child's body: ``entry(argv)`` (:func:`main` when None) with ``environ`` added to
    its environment and its stdout and stderr in the file ``output``."""
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.update(environ or {})
    sys.exit((entry or main)(argv))


def run_in_child(
    argv: list[str], output: Path, timeout: float = 600, entry=None, environ=None
) -> tuple[int, str]:
    """Run :func:`main` in a child process forked from the fork server, like
    ``python -m tests.support.crash_driver ARGV`` but without importing it again: the
    child's exit code (``-SIGKILL`` at a kill point) and what it printed. ``entry``, a
    module-level function taking ``argv``, runs instead of :func:`main` (another driver:
    tests.support.snowflake_crash); ``environ`` is added to the child's environment (the
    fork server's is the one it started with, not the test's)."""
    child = _FORKS.Process(target=_child, args=(argv, str(output), entry, environ))
    child.start()
    child.join(timeout)
    if child.exitcode is None:
        child.kill()
        child.join()
        raise TimeoutError(f"crash driver still running after {timeout} s: {argv}")
    return child.exitcode, output.read_text(errors="replace")


if __name__ == "__main__":
    sys.exit(main())
