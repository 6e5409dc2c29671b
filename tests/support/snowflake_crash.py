"""Run the production pipeline in a child process and SIGKILL it inside a Snowflake commit
(tests only; started with :func:`tests.support.crash_driver.run_in_child`).

What "killed inside the commit" can mean on Snowflake: the commit is one statement the
server runs on its own, atomically; the client only sends ``COMMIT`` and waits for the
answer. A client killed while it commits has either not had its ``COMMIT`` run by the
server (the transaction is never committed: every other session reads the tables as
they were, and the server aborts the open transaction once the session is gone) or had it
run (the new rows are committed; the client never learnt it, so Dagster recorded no
materialization). There is no third state, no half-written commit for the client to leave
behind, unlike an embedded engine's log and checkpoint (``in_commit`` of
:mod:`tests.support.crash_driver`). So two kill points, both inside the connector's
``commit()`` of the transaction that writes ``TABLE``:

- ``TABLE:in_commit``: before the server runs the ``COMMIT`` (every statement of the
  replacing transaction has run; the process dies with the transaction open);
- ``TABLE:in_commit_landed``: after the server committed, before ``commit()`` returns.

Snowflake is fakesnow with its database in a file of ``--db-dir`` (``fakesnow.patch(
db_path=...)``, so the next process finds it), S3 the loopback endpoint ``--endpoint``,
the instance deploy/dagster.yaml in ``--home`` (its PostgreSQL variables in the
environment). The run is the fixture days' range, without the standalone checks
(tests.support.prod_pipeline.without_standalone_checks).
"""

from __future__ import annotations

import argparse
import re
from contextlib import contextmanager

import dagster as dg
import fakesnow

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.snowflake_warehouse import SnowflakeSession
from tests.support.crash_driver import die
from tests.support.prod_pipeline import RANGE_TAGS, prod_settings, without_standalone_checks

PHASES = ("in_commit", "in_commit_landed")


def install_commit_kill(point: str) -> None:
    """Patch the Snowflake session so the process dies at ``point`` (``TABLE:PHASE``)."""
    table, _, phase = point.partition(":")
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}: one of {PHASES}")
    writes = re.compile(
        rf"\s*(?:DELETE\s+FROM|INSERT\s+INTO|UPDATE|MERGE\s+INTO)\s+\w+\.{table}\b", re.I
    )
    run, transaction = SnowflakeSession._run, SnowflakeSession.transaction
    touched: list[str] = []

    def record(self, statement, params=()):
        if writes.match(statement):
            touched.append(statement)
        return run(self, statement, params)

    def replacing(self):
        touched.clear()
        conn = self.conn
        commit = conn.commit

        def dying_commit() -> None:
            if not touched:
                return commit()
            if phase == "in_commit_landed":
                commit()
            die(point)

        conn.commit = dying_commit
        try:
            with transaction(self):
                yield
        finally:
            del conn.commit

    SnowflakeSession._run = record
    SnowflakeSession.transaction = contextmanager(replacing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", required=True, help="s3://bucket/prefix")
    parser.add_argument("--endpoint", required=True, help="the S3 endpoint URL")
    parser.add_argument("--db-dir", required=True, help="fakesnow's database folder")
    parser.add_argument("--home", required=True, help="the Dagster instance folder")
    parser.add_argument("--kill-at", default="", help="TABLE:PHASE")
    args = parser.parse_args(argv)
    if args.kill_at:
        install_commit_kill(args.kill_at)
    job = build_definitions(prod_settings(args.landing, args.endpoint))
    job = without_standalone_checks(job.resolve_job_def(ALL_ASSETS_JOB))
    with fakesnow.patch(db_path=args.db_dir), dg.DagsterInstance.from_config(args.home) as inst:
        result = job.execute_in_process(instance=inst, tags=RANGE_TAGS, raise_on_error=False)
    print("RUN-SUCCEEDED" if result.success else "RUN-FAILED", flush=True)
    return 0 if result.success else 1
