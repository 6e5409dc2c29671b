"""The local instance's event log (resources.instance_storage) is Dagster's, only cheaper.

Dagster's SQLite event log builds an engine and a connection for every statement; ours
keeps them. What must not change: where the files are, what they hold (a home written by
either class reads with the other), and the live run view, which listens for
modifications of a run's ``<run_id>.db``.
"""

import datetime as dt
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from resources import instance_storage
from resources.instance_storage import ReusedEngineSqliteEventLogStorage
from tests.support.order_fixtures import range_tags

REPO_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"
DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01")
KEYS = ["2025-01-01", "2025-01-02", "2025-01-03"]


@dg.asset(partitions_def=DAYS, check_specs=[dg.AssetCheckSpec("positive", asset="orders")])
def orders(context: dg.AssetExecutionContext):
    day = int(context.partition_key[-2:])
    yield dg.MaterializeResult(metadata={"row_count": 10 * day})
    yield dg.AssetCheckResult(check_name="positive", passed=True, metadata={"day": day})


def local_home(path: Path) -> Path:
    """An instance home with the repository's dagster.yaml (the embedded default)."""
    path.mkdir(parents=True)
    shutil.copy(REPO_DAGSTER_YAML, path / "dagster.yaml")
    return path


def default_home(path: Path) -> Path:
    """The same home read with Dagster's default SQLite storage."""
    config = yaml.safe_load(REPO_DAGSTER_YAML.read_text(encoding="utf-8"))
    del config["event_log_storage"]
    path.mkdir(parents=True, exist_ok=True)
    (path / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def materialize_days(home: Path) -> list[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [
            dg.materialize([orders], partition_key=key, instance=instance).run_id for key in KEYS
        ]


def stored(home: Path) -> dict:
    """What the UI reads: materializations per day, check results, a run's events."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("orders"), limit=10).records
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("orders"), "positive"), limit=10
        )
        runs = instance.get_runs()
        return {
            "storage": type(instance.event_log_storage).__name__,
            "materializations": sorted(
                (r.partition_key, r.asset_materialization.metadata["row_count"].value)
                for r in records
            ),
            "checks": sorted(str(record.status) for record in checks),
            "events_per_run": sorted(len(instance.all_logs(run.run_id)) for run in runs),
        }


def test_the_local_dagster_yaml_keeps_events_under_its_own_home(tmp_path, monkeypatch):
    home = local_home(tmp_path / "home")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))

    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, ReusedEngineSqliteEventLogStorage)
        assert Path(storage._base_dir) == home / "history" / "runs"

    assert (home / "history" / "runs" / "index.db").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_a_home_written_by_it_reads_with_dagsters_storage_and_back(tmp_path):
    ours = local_home(tmp_path / "ours")
    materialize_days(ours)
    read_by_ours = stored(ours)
    read_by_dagster = stored(default_home(ours))

    assert read_by_ours["storage"] == "ReusedEngineSqliteEventLogStorage"
    assert read_by_dagster["storage"] == "SqliteEventLogStorage"
    assert read_by_ours["materializations"] == [(key, 10 * (i + 1)) for i, key in enumerate(KEYS)]
    assert read_by_ours["checks"].count("AssetCheckExecutionRecordStatus.SUCCEEDED") == 3
    assert {k: v for k, v in read_by_ours.items() if k != "storage"} == {
        k: v for k, v in read_by_dagster.items() if k != "storage"
    }

    theirs = default_home(tmp_path / "theirs")
    materialize_days(theirs)
    shutil.copy(REPO_DAGSTER_YAML, theirs / "dagster.yaml")
    assert stored(theirs)["materializations"] == read_by_ours["materializations"]
    assert stored(theirs)["checks"] == read_by_ours["checks"]


def test_engines_are_made_once_per_shard_not_per_statement(tmp_path, monkeypatch):
    made: list[str] = []
    create_engine = sa.create_engine

    def counting(url, *args, **kwargs):
        made.append(str(url))
        return create_engine(url, *args, **kwargs)

    instance_storage._run_shard_engine.cache_clear()
    monkeypatch.setattr(instance_storage.sa, "create_engine", counting)
    home = local_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run_id] = [dg.materialize([orders], partition_key=KEYS[0], instance=instance).run_id]
        events = len(instance.all_logs(run_id))

    assert events >= 10
    # One engine for the run's shard, one for the cross-run index, whatever the events.
    assert sorted(Path(url).name for url in made) == sorted([f"{run_id}.db", "index.db"])


def test_a_table_found_once_is_not_asked_about_again(tmp_path, monkeypatch):
    """Dagster asks whether its check table exists before storing every check evaluation,
    with a new engine each time: the storage asks once per table that exists."""
    asked: list[str] = []
    has_table = instance_storage.SqliteEventLogStorage.has_table

    def counting(self, table_name):
        asked.append(table_name)
        return has_table(self, table_name)

    monkeypatch.setattr(instance_storage.SqliteEventLogStorage, "has_table", counting)
    home = local_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in KEYS:
            assert dg.materialize([orders], partition_key=key, instance=instance).success
        storage = instance.event_log_storage
        assert not storage.has_table("no_such_table")
        assert not storage.has_table("no_such_table")
    assert stored(home)["checks"].count("AssetCheckExecutionRecordStatus.SUCCEEDED") == len(KEYS)
    assert asked.count("asset_check_executions") == 1  # six check events stored
    assert asked.count("no_such_table") == 2  # a missing table is asked about each time


def _log_entry(run_id: str, message: str) -> dg.EventLogEntry:
    return dg.EventLogEntry(
        error_info=None,
        level="INFO",
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
    )


def test_the_live_run_view_sees_each_event_as_it_is_stored(tmp_path):
    """The UI (``dagster dev``) watches ``<run_id>.db``; a run worker in another process
    writes it. Each stored event must reach the watcher while the run goes on, not when
    the worker exits: this is why run shards do not keep their connection open."""
    base_dir = str(tmp_path / "history" / "runs")
    worker = ReusedEngineSqliteEventLogStorage(base_dir)
    viewer = ReusedEngineSqliteEventLogStorage(base_dir)
    run_id = "0b0e7d5e-6a1c-4d36-9d6c-3f1f2f2b9a01"
    seen: list[str] = []
    arrived = threading.Condition()

    def on_event(entry: dg.EventLogEntry, _cursor: str) -> None:
        with arrived:
            seen.append(entry.user_message)
            arrived.notify_all()

    worker.store_event(_log_entry(run_id, "run shard created"))
    viewer.watch(run_id, None, on_event)
    try:
        for n in range(1, 4):
            worker.store_event(_log_entry(run_id, f"event {n}"))
            with arrived:
                assert arrived.wait_for(lambda n=n: f"event {n}" in seen, timeout=30), seen
    finally:
        viewer.end_watch(run_id, on_event)
        viewer.dispose()
        worker.dispose()
    assert seen[-3:] == ["event 1", "event 2", "event 3"]


def test_a_disposed_storage_reopens_its_index(tmp_path):
    storage = ReusedEngineSqliteEventLogStorage(str(tmp_path / "runs"))
    run_id = "5f6c0a9e-1d2b-4c3a-8e7f-000000000001"
    storage.store_event(_log_entry(run_id, "before"))
    storage.dispose()
    storage.store_event(_log_entry(run_id, "after"))

    assert [e.user_message for e in storage.get_logs_for_run(run_id)] == ["before", "after"]
    assert storage.get_asset_records() == []
    storage.dispose()


@pytest.mark.parametrize("base_dir", [None, "explicit"])
def test_its_config_schema_takes_an_optional_base_dir(tmp_path, base_dir):
    config = {} if base_dir is None else {"base_dir": str(tmp_path / base_dir)}
    storage = ReusedEngineSqliteEventLogStorage.from_config_value(None, config)
    if base_dir is None:
        assert storage._deferred
    else:
        assert Path(storage._base_dir) == tmp_path / base_dir
        storage.dispose()


def _materialization(run_id: str, partition: int) -> dg.EventLogEntry:
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData

    materialization = dg.AssetMaterialization(asset_key="orders", partition=str(partition))
    return dg.EventLogEntry(
        error_info=None,
        level="INFO",
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=DagsterEvent(
            DagsterEventType.ASSET_MATERIALIZATION.value,
            "orders_pipeline",
            event_specific_data=StepMaterializationData(materialization),
        ),
    )


def _store_materializations(base_dir: str, run_id: str, count: int) -> None:
    storage = ReusedEngineSqliteEventLogStorage(base_dir)
    for partition in range(count):
        storage.store_event(_materialization(run_id, partition))
    storage.dispose()


def test_step_processes_write_the_pooled_index_at_once(tmp_path):
    """Step processes of the multiprocess executor each keep an index connection open:
    writing at the same time, none is refused (busy timeout) and every event is indexed."""
    import multiprocessing

    base_dir = str(tmp_path / "runs")
    ReusedEngineSqliteEventLogStorage(base_dir).dispose()  # the index, created once
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_store_materializations, args=(base_dir, f"{n:08d}-0000-4000-8000-{n:012d}", 150)
        )
        for n in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]

    storage = ReusedEngineSqliteEventLogStorage(base_dir)
    records = storage.fetch_materializations(dg.AssetKey("orders"), limit=1000).records
    assert len(records) == 450
    assert len({record.run_id for record in records}) == 3
    storage.dispose()


RANGE = range_tags(dt.date.fromisoformat(KEYS[0]), dt.date.fromisoformat(KEYS[-1]))


@dg.asset(
    partitions_def=DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec("positive", asset="daily_orders")],
)
def daily_orders(context: dg.AssetExecutionContext):
    """One run over a range: Dagster stores a materialization of each day as one batch."""
    yield dg.MaterializeResult(metadata={"days": len(context.partition_keys)})
    yield dg.AssetCheckResult(check_name="positive", passed=True)


def range_run(home: Path) -> dict:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = dg.materialize([daily_orders], tags=RANGE, instance=instance).run_id
        records = instance.fetch_materializations(dg.AssetKey("daily_orders"), limit=10).records
        planned = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        return {
            "materialized": sorted(r.partition_key for r in records),
            "planned": sorted(r.event_log_entry.dagster_event.partition or "" for r in planned),
            "events": [
                e.dagster_event.event_type_value
                for e in instance.all_logs(run_id)
                if e.dagster_event
            ],
            "status": instance.get_asset_records([dg.AssetKey("daily_orders")])[
                0
            ].asset_entry.last_materialization.dagster_event.partition,
        }


def test_a_range_run_stores_its_batches_as_dagster_stores_events_one_by_one(tmp_path, monkeypatch):
    batches: list[int] = []
    store_batch = ReusedEngineSqliteEventLogStorage.store_event_batch

    def counting(self, events):
        batches.append(len(events))
        return store_batch(self, events)

    monkeypatch.setattr(ReusedEngineSqliteEventLogStorage, "store_event_batch", counting)
    monkeypatch.delenv(instance_storage.EVENT_BATCH_SIZE_VARIABLE, raising=False)
    ours = range_run(local_home(tmp_path / "ours"))
    # Dagster's own storage, handed the events one at a time.
    monkeypatch.setenv(instance_storage.EVENT_BATCH_SIZE_VARIABLE, "0")
    theirs = range_run(default_home(tmp_path / "theirs"))

    # The run's plan (three days' materializations and the check), then the materializations.
    assert batches == [4, 3]
    assert ours == theirs
    assert ours["materialized"] == KEYS
    assert ours["events"].count("ASSET_MATERIALIZATION") == 3


def test_the_storage_turns_batches_on_unless_the_operator_chose(tmp_path, monkeypatch):
    monkeypatch.delenv(instance_storage.EVENT_BATCH_SIZE_VARIABLE, raising=False)
    with dg.DagsterInstance.from_config(str(local_home(tmp_path / "a"))):
        assert instance_storage.os.environ[instance_storage.EVENT_BATCH_SIZE_VARIABLE] == "1000"
    monkeypatch.setenv(instance_storage.EVENT_BATCH_SIZE_VARIABLE, "0")
    with dg.DagsterInstance.from_config(str(local_home(tmp_path / "b"))):
        assert instance_storage.os.environ[instance_storage.EVENT_BATCH_SIZE_VARIABLE] == "0"


def test_a_batch_that_fails_stores_none_of_its_events(tmp_path, monkeypatch):
    """One transaction per shard: an event that cannot be stored rolls back the batch,
    so the instance's fallback (one event at a time) stores nothing twice."""
    storage = ReusedEngineSqliteEventLogStorage(str(tmp_path / "runs"))
    run_id = "7a1c2e3d-0000-4000-8000-000000000001"
    store_event = ReusedEngineSqliteEventLogStorage.store_event

    def failing_third(self, event):
        if event.dagster_event.event_specific_data.materialization.partition == "2":
            raise RuntimeError("disk full")
        return store_event(self, event)

    monkeypatch.setattr(ReusedEngineSqliteEventLogStorage, "store_event", failing_third)
    with pytest.raises(RuntimeError, match="disk full"):
        storage.store_event_batch([_materialization(run_id, n) for n in range(4)])
    monkeypatch.setattr(ReusedEngineSqliteEventLogStorage, "store_event", store_event)

    assert storage.get_logs_for_run(run_id) == []
    assert storage.fetch_materializations(dg.AssetKey("orders"), limit=10).records == []
    storage.store_event_batch([_materialization(run_id, n) for n in range(4)])
    records = storage.fetch_materializations(dg.AssetKey("orders"), limit=10).records
    assert sorted(r.partition_key for r in records) == ["0", "1", "2", "3"]
    # The lock and the connections are given back: another statement runs.
    storage.store_event(_log_entry(run_id, "after"))
    assert len(storage.get_logs_for_run(run_id)) == 5
    storage.dispose()


def _shard_file(path: Path) -> tuple:
    """What a shard's file holds besides events: its schema, Alembic stamp and journal."""
    with sqlite3.connect(path) as conn:
        return (
            conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2"
            ).fetchall(),
            conn.execute("SELECT version_num FROM alembic_version").fetchall(),
            conn.execute("PRAGMA journal_mode").fetchall(),
        )


def test_a_runs_new_file_is_the_one_dagster_creates(tmp_path):
    ours = ReusedEngineSqliteEventLogStorage(str(tmp_path / "ours"))
    theirs = instance_storage.SqliteEventLogStorage(str(tmp_path / "theirs"))
    for storage in (ours, theirs):
        with storage._connect("a-run"):
            pass
    created = _shard_file(tmp_path / "ours" / "a-run.db")
    assert created == _shard_file(tmp_path / "theirs" / "a-run.db")
    assert len(created[0]) > 20 and created[2] == [("wal",)]
    # A file Dagster's storage created is used as it is, and the other way round.
    for storage in (ours, theirs):
        storage._initialized_dbs.clear()
        for run_id in ("a-run",):
            with storage._connect(run_id):
                pass
    assert _shard_file(tmp_path / "ours" / "a-run.db") == created


def test_a_runs_new_file_reads_dagsters_migrations_once_per_process(tmp_path, monkeypatch):
    """Dagster's _initdb read every migration file twice per run (0.05 s of a run here)."""
    from alembic.script import ScriptDirectory

    storage = ReusedEngineSqliteEventLogStorage(str(tmp_path / "events"))
    with storage._connect("warm-up"):
        pass
    read: list[str] = []
    from_config = ScriptDirectory.from_config

    def counting(config, *args, **kwargs):
        read.append(str(config))
        return from_config(config, *args, **kwargs)

    monkeypatch.setattr(ScriptDirectory, "from_config", counting)
    for run_id in ("run-1", "run-2", "run-3"):
        with storage._connect(run_id):
            pass
    assert read == []
    assert (
        _shard_file(tmp_path / "events" / "run-3.db")[1]
        == _shard_file(tmp_path / "events" / "warm-up.db")[1]
    )


def test_a_run_file_another_process_is_creating_is_waited_for(tmp_path):
    """Another process (the UI reading a run that has just started) creating the same file:
    the creation waits for its lock, then makes the file whole."""
    ours = ReusedEngineSqliteEventLogStorage(str(tmp_path / "events"))
    path = tmp_path / "events" / "a-run.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE event_logs (id INTEGER)")  # half created, not committed
    released = threading.Timer(0.5, other.execute, ["ROLLBACK"])
    released.start()
    try:
        with ours._connect("a-run"):
            pass
    finally:
        released.join()
        other.close()
    theirs = instance_storage.SqliteEventLogStorage(str(tmp_path / "theirs"))
    with theirs._connect("a-run"):
        pass
    assert _shard_file(path) == _shard_file(tmp_path / "theirs" / "a-run.db")


def test_a_column_or_migration_found_once_is_not_asked_about_again(tmp_path, monkeypatch):
    """Dagster reads the asset keys table's columns (and whether a data migration is
    complete) before most asset queries and writes: the storage asks once per column and
    migration it finds."""
    columns: list[str] = []
    migrations: list[str] = []
    parent = instance_storage.SqliteEventLogStorage
    has_column, has_index = parent._has_asset_key_col_on_connection, parent.has_secondary_index

    def column(self, conn, name):
        columns.append(name)
        return has_column(self, conn, name)

    def index(self, name):
        migrations.append(name)
        return has_index(self, name)

    monkeypatch.setattr(parent, "_has_asset_key_col_on_connection", column)
    monkeypatch.setattr(parent, "has_secondary_index", index)
    home = local_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in KEYS:
            assert dg.materialize([orders], partition_key=key, instance=instance).success
        storage = instance.event_log_storage
        assert storage.has_asset_key_col("cached_status_data")
        assert not storage.has_asset_key_col("no_such_column")
        assert not storage.has_asset_key_col("no_such_column")
        assert not storage.has_secondary_index("no_such_migration")
        assert not storage.has_secondary_index("no_such_migration")
    assert stored(home)["materializations"] == [(key, 10 * int(key[-2:])) for key in KEYS]
    found = [name for name in columns if name != "no_such_column"]
    assert found and len(found) == len(set(found))
    assert columns.count("no_such_column") == 2  # a missing column is asked about each time
    completed = [name for name in migrations if name != "no_such_migration"]
    assert completed and len(completed) == len(set(completed))
    assert migrations.count("no_such_migration") == 2
