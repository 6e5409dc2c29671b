"""The local instance's event log: Dagster's SQLite storage without a new engine per event.

Dagster's ``SqliteEventLogStorage`` builds a new SQLAlchemy engine, a new SQLite connection
and a cold statement cache for every statement it runs, and a single event takes up to six
of them (the run's shard, then the cross-run index: the event, its tags, the asset or
check records). A 30-day run stores about 600 events (planned and reported
materializations and check evaluations, per day), and on this machine storing them was
about half of a 30 x 1,000-order run (bench/RESULTS.md, session 7).

:class:`ReusedEngineSqliteEventLogStorage` changes only how connections and transactions are made:

* every shard keeps one engine, so SQLAlchemy compiles each statement once per process;
* the cross-run index shard, written by every event of every run, keeps its SQLite
  connection in a pool (checked out under Dagster's own lock, one statement at a time);
* a run's shard still closes its connection after each statement. Closing the last
  connection of a WAL database checkpoints it into ``<run_id>.db``, and that file's
  modification is what Dagster's watcher (the UI's live run view, ``dagster dev``)
  listens for: pooled, the view would see a run's events only when it ended;
* a table found once is known to be there: Dagster asks whether a table exists before
  storing every check evaluation (``supports_asset_checks``) and every tagged (e.g.
  partitioned) materialization, each time with a new engine and connection (1.3 ms);
  so is a column of the asset keys table (asked by reading the table's columns before
  most asset queries and writes) and a completed data migration (a query each): 160
  questions of a 5-day run, about 40 ms (bench/RESULTS.md, session 24);
* a run's new file is created in one transaction: the same tables, indexes, journal mode
  and Alembic stamp as Dagster's ``_initdb``, which creates each table and index in a
  transaction of its own (Python's SQLite driver commits DDL at once, a write to disk
  each) and reads every migration file twice: 70 to 480 ms a run here, against 20 to
  30 ms (bench/RESULTS.md, session 24);
* a batch of events (a run's planned materializations and checks, a step's
  materializations of every day of a range) is stored in one transaction per shard.
  Dagster hands a storage batches only when ``DAGSTER_EVENT_BATCH_SIZE`` is set, so the
  storage sets it to :data:`EVENT_BATCH_SIZE` for its process unless the operator did
  (production's PostgreSQL storage writes batches in one statement; deploy/ sets the
  variable there). A 30-day single run stores 349 of its 576 events in five batches.

Schema, files, locations and every query are Dagster's, so an instance home written by
either class reads with the other. It is named in the repository's ``dagster.yaml`` (the
embedded default); production stores events in PostgreSQL (deploy/dagster.yaml).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from resources.dagster_internals import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    ConfigurableClassData,
    SqlEventLogStorageMetadata,
    SqliteEventLogStorage,
    event_log_alembic_config,
)

#: Dagster's switch for handing events to the storage in batches, and the batch size this
#: storage turns on (a batch is flushed when it is full or complete).
EVENT_BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = 1000

#: Engines of run shards kept per process (a run worker writes one; the webserver reads
#: the runs it shows). They hold no connection, only SQLAlchemy's compiled statements.
RUN_SHARD_ENGINES = 32


@functools.lru_cache(maxsize=RUN_SHARD_ENGINES)
def _run_shard_engine(conn_string: str) -> sa.Engine:
    """One engine per run shard and process; a connection is opened and closed per use."""
    return sa.create_engine(
        conn_string, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )


@functools.cache
def _alembic_migrations():
    """Dagster's event log migrations, read once per process: Alembic reads (and runs) every
    migration file each time it is asked for the head revision or a stamp."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(event_log_alembic_config())


def _initdb_in_one_transaction(engine: sa.Engine) -> None:
    """What Dagster's ``SqliteEventLogStorage._initdb`` does to a file with no Alembic
    revision (a run's new file), in one transaction: its tables and indexes, the head
    revision stamped, then the WAL journal. A file with a revision is left as it is."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision():
            return
        # The driver begins no transaction for DDL, and commits each statement: begun
        # here, the whole creation is one commit (and no half-created file is left).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        SqlEventLogStorageMetadata.create_all(connection)
        MigrationContext.configure(connection).stamp(_alembic_migrations(), "head")
        connection.commit()
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def _once_found(found: set[str], name: str, ask: Callable[[str], bool]) -> bool:
    """``ask(name)``, answered from ``found`` once it said True (what is found here is
    never removed: Dagster's migrations add tables, columns and completed migrations)."""
    if name in found:
        return True
    present = ask(name)
    if present:
        found.add(name)
    return present


def instance_base_dir(instance: dg.DagsterInstance) -> str:
    """Where Dagster's default SQLite storage keeps an instance's event log."""
    return os.path.join(instance.root_directory, "history", "runs")


class ReusedEngineSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with an engine per shard and a pooled index connection.

    Configured in ``dagster.yaml`` as ``event_log_storage`` (module
    ``resources.instance_storage``). Without ``base_dir`` the events are kept where
    Dagster's default SQLite storage keeps them, ``<instance home>/history/runs``: the
    storage opens its files when the instance registers itself, so a home opened with
    ``DagsterInstance.from_config(path)`` is that path, whatever DAGSTER_HOME says.
    """

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._index_engine: sa.Engine | None = None
        self._present_tables: set[str] = set()
        self._present_asset_key_columns: set[str] = set()
        self._completed_secondary_indexes: set[str] = set()
        self._batch = threading.local()
        self._inst_data = inst_data
        self._deferred = base_dir is None
        if base_dir is not None:
            super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> ReusedEngineSqliteEventLogStorage:
        return cls(config_value.get("base_dir"), inst_data=inst_data)

    def register_instance(self, instance: dg.DagsterInstance) -> None:
        os.environ.setdefault(EVENT_BATCH_SIZE_VARIABLE, str(EVENT_BATCH_SIZE))
        if self._deferred:
            # Dagster's constructor, now that the instance's home is known.
            self._deferred = False
            super().__init__(instance_base_dir(instance), inst_data=self._inst_data)
        super().register_instance(instance)

    def _engine(self, shard: str) -> sa.Engine:
        conn_string = self.conn_string_for_shard(shard)
        if shard != INDEX_SHARD_NAME:
            return _run_shard_engine(conn_string)
        if self._index_engine is None:
            # SQLAlchemy's default pool for a SQLite file (a QueuePool, usable from the
            # watcher's thread): the index shard's connection stays open between events.
            self._index_engine = sa.create_engine(
                conn_string, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
        return self._index_engine

    def _initdb(self, engine: sa.Engine, for_index_shard: bool = False) -> None:
        """A run's file created in one transaction (:func:`_initdb_in_one_transaction`). The
        index shard's creation, and a file another process is creating at the same moment
        (a table already there, the file locked), take Dagster's own ``_initdb``, which
        waits for the other process and retries."""
        if not for_index_shard:
            try:
                _initdb_in_one_transaction(engine)
                return
            except (sa.exc.DatabaseError, sqlite3.DatabaseError):
                pass  # rolled back when its connection closed
        super()._initdb(engine, for_index_shard=for_index_shard)

    def has_table(self, table_name: str) -> bool:
        """Dagster's answer, asked once per table that exists: migrations add tables and
        nothing here drops one. A missing table is asked about again (a migration may
        add it while the process runs)."""
        return _once_found(self._present_tables, table_name, super().has_table)

    def has_asset_key_col(self, column_name: str) -> bool:
        """Dagster's answer, asked once per column that exists (as :meth:`has_table`)."""
        if column_name in self._present_asset_key_columns:
            return True
        return super().has_asset_key_col(column_name)

    def _has_asset_key_col_on_connection(self, conn: sa.Connection, column_name: str) -> bool:
        ask = functools.partial(super()._has_asset_key_col_on_connection, conn)
        return _once_found(self._present_asset_key_columns, column_name, ask)

    def has_secondary_index(self, name: str) -> bool:
        """Dagster's answer, asked once per data migration found completed: nothing marks
        one incomplete again (wiping the instance keeps them)."""
        return _once_found(self._completed_secondary_indexes, name, super().has_secondary_index)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        # Dagster's _connect, with the engine kept instead of created and disposed each time;
        # inside store_event_batch, the batch's connection to the shard (lock already held).
        batch: dict[str, sa.Connection] | None = getattr(self._batch, "connections", None)
        if batch is not None:
            if shard not in batch:
                batch[shard] = self._batch.stack.enter_context(self._transaction(shard))
            yield batch[shard]
            return
        with self._db_lock, self._transaction(shard) as conn:
            yield conn

    @contextmanager
    def _transaction(self, shard: str) -> Iterator[sa.Connection]:
        """A connection to ``shard`` in a transaction (the caller holds ``_db_lock``)."""
        engine = self._engine(shard)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        with engine.connect() as conn, conn.begin():
            yield conn

    def store_event_batch(self, events: Sequence[dg.EventLogEntry]) -> None:
        """Store a batch of events (a run's planned materializations and checks, a step's
        materializations of a range) in one transaction per shard: a range run's per-day
        events cost one commit, not one per event and shard. If any event fails, none of
        the batch is stored and the error reaches the instance, which stores the events
        one by one."""
        with self._db_lock, ExitStack() as stack:
            self._batch.connections, self._batch.stack = {}, stack
            try:
                for event in events:
                    self.store_event(event)
            finally:
                self._batch.connections = self._batch.stack = None

    def dispose(self) -> None:
        super().dispose()
        if self._index_engine is not None:
            self._index_engine.dispose()
            self._index_engine = None
