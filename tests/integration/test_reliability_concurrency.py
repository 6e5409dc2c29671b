"""Concurrency: runs of the same days at once, DuckDB lock contention, the run queue limits."""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.instance.config import ConcurrencyConfig
from dagster._core.instance.ref import InstanceRef
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.storage.dagster_run import DagsterRun, RunsFilter
from dagster._core.storage.tags import PARTITION_NAME_TAG
from dagster._utils.tags import TagConcurrencyLimitsCounter

from orders_platform.definitions import ALL_ASSETS_JOB
from resources.settings import REPO_ROOT, PlatformSettings
from resources.warehouse import DuckDBWarehouse
from resources.warehouse_lock import WAITING_MESSAGE, WarehouseLockedError, open_with_lock_retry

START, END = "2025-01-01", "2025-01-02"
SUBSET = "raw_orders,cleaned_orders,quarantined_orders,warehouse/fct_orders"
# fixture_data: days 1 and 2 land 12 rows, 7 orders survive cleaning, 3 are quarantined.
EXPECTED_COUNTS = (12, 7, 3, 7)
HOLD_LOCK = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('holding', flush=True);"
    " sys.stdin.read(); c.close()"
)


def driver(settings: PlatformSettings, instance_dir: Path, **popen) -> subprocess.Popen:
    """The pipeline (matrix assets, days 1-2) in a separate process."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.crash_driver",
            *("--landing", settings.landing_uri, "--duckdb", settings.duckdb_path),
            *("--instance", str(instance_dir), "--start", START, "--end", END),
            *("--assets", SUBSET),
        ],
        cwd=REPO_ROOT,
        text=True,
        **popen,
    )


def assert_tables_hold_each_row_once(duckdb_path: str) -> None:
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        counts = conn.execute(
            "select (select count(*) from raw.raw_orders),"
            " (select count(*) from staging.cleaned_orders),"
            " (select count(*) from staging.quarantined_orders),"
            " (select count(*) from warehouse.fct_orders)"
        ).fetchone()
        distinct = conn.execute(
            "select (select count(distinct (source_file, source_line)) from raw.raw_orders),"
            " (select count(distinct order_id) from warehouse.fct_orders)"
        ).fetchone()
    assert counts == EXPECTED_COUNTS
    assert distinct == (EXPECTED_COUNTS[0], EXPECTED_COUNTS[3])


@pytest.fixture
def lock_holder(tmp_path: Path):
    """Another process holding the DuckDB file; ``release()`` makes it let go."""
    path = tmp_path / "orders.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "holding"

    def release() -> None:
        if process.poll() is None:
            process.stdin.close()
            process.wait(timeout=60)

    process.release = release
    yield process
    release()


@functools.cache
def local_tag_limits() -> tuple:
    """The run queue's tag limits as Dagster reads them from the repository's dagster.yaml."""
    with tempfile.TemporaryDirectory() as home:
        ref = InstanceRef.from_dir(home, config_dir=str(REPO_ROOT))
    coordinator = ref.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    queue = ConcurrencyConfig.from_concurrency_settings(
        ref.settings["concurrency"], coordinator.get_run_queue_config()
    ).run_queue_config
    assert queue is not None
    return tuple(queue.tag_concurrency_limits)


def local_queue_is_blocked(candidate: dict[str, str], running: list[dict[str, str]]) -> bool:
    """Whether Dagster's own tag-limit counter keeps ``candidate`` queued behind ``running``."""
    counter = TagConcurrencyLimitsCounter(
        list(local_tag_limits()),
        [DagsterRun(job_name=ALL_ASSETS_JOB, tags=tags) for tags in running],
    )
    return counter.is_blocked(DagsterRun(job_name=ALL_ASSETS_JOB, tags=candidate))


def test_lock_retry_logs_waits_with_backoff_then_connects(caplog):
    attempts = []

    def connect(**kwargs):
        attempts.append(kwargs)
        if len(attempts) < 3:
            raise duckdb.IOException('Could not set lock on file "x": Conflicting lock is held')
        return "connection"

    sleeps: list[float] = []
    with caplog.at_level(logging.WARNING):
        conn = open_with_lock_retry("x.duckdb", connect=connect, sleep=sleeps.append)

    assert conn == "connection" and len(attempts) == 3
    assert all(a["read_only"] is False and a["database"] == "x.duckdb" for a in attempts)
    assert caplog.text.count(WAITING_MESSAGE) == 2
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.3


def test_lock_retry_gives_up_with_a_clear_error_and_ignores_other_errors():
    now = [0.0]

    def locked(**kwargs):
        raise duckdb.IOException("Conflicting lock is held in python (PID 4242)")

    def advance(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(WarehouseLockedError, match="locked by another run; gave up after") as err:
        open_with_lock_retry(
            "x.duckdb", connect=locked, lock_timeout_s=5, clock=lambda: now[0], sleep=advance
        )
    assert "PID 4242" in str(err.value) and now[0] <= 5

    def broken(**kwargs):
        raise duckdb.IOException("Cannot open file: permission denied")

    with pytest.raises(duckdb.IOException, match="permission denied"):
        open_with_lock_retry("x.duckdb", connect=broken, sleep=advance)


def test_query_waits_for_another_process_to_release_the_file(lock_holder, tmp_path):
    class ReleaseOnWait(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if WAITING_MESSAGE in record.getMessage():
                lock_holder.release()

    handler = ReleaseOnWait()
    logger = dg.get_dagster_logger()
    logger.addHandler(handler)
    try:
        answer = DuckDBWarehouse(database=str(tmp_path / "orders.duckdb")).query("select 42 as n")
    finally:
        logger.removeHandler(handler)
    assert answer["n"].tolist() == [42]


def test_query_and_session_fail_clearly_when_the_lock_is_never_released(lock_holder, tmp_path):
    path = str(tmp_path / "orders.duckdb")
    warehouse = DuckDBWarehouse(database=path, lock_timeout_s=0.3)
    with pytest.raises(WarehouseLockedError, match=r"orders.duckdb is locked by another run"):
        warehouse.query("select 1")
    with pytest.raises(WarehouseLockedError, match=r"is locked by another run; gave up after"):
        with warehouse.session():
            pass


def test_a_run_waits_for_the_warehouse_lock_then_writes_each_row_once(settings, tmp_path):
    instance_dir = tmp_path / "instance"
    holder = duckdb.connect(settings.duckdb_path)
    run = driver(settings, instance_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = []
    for line in run.stderr:
        seen.append(line)
        if WAITING_MESSAGE in line:
            break
    holder.close()
    _, rest = run.communicate(timeout=600)
    assert any(WAITING_MESSAGE in line for line in seen), "".join(seen)[-3000:]
    assert run.returncode == 0, rest[-3000:]
    assert_tables_hold_each_row_once(settings.duckdb_path)


def test_two_runs_of_the_same_days_at_once_never_duplicate_rows(settings, tmp_path):
    instance_dir = tmp_path / "instance"
    instance_dir.mkdir()
    with dg.DagsterInstance.local_temp(tempdir=str(instance_dir)):
        pass  # create the instance's storage before two processes race to
    runs = [
        driver(settings, instance_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
    assert_tables_hold_each_row_once(settings.duckdb_path)

    # Both runs carry the tags the run queue limits key on: queued, the second would wait
    # (and, as every run that opens the warehouse, behind the pool: tests/test_warehouse_pool.py).
    with dg.DagsterInstance.local_temp(tempdir=str(instance_dir)) as instance:
        records = instance.get_runs(RunsFilter(job_name=ALL_ASSETS_JOB))
    assert len(records) == 2
    first, second = (dict(record.tags) for record in records)
    assert first["dagster/asset_partition_range_start"] == START
    assert local_queue_is_blocked(second, [first])
    assert not local_queue_is_blocked(second, [])


def test_local_run_queue_limits_one_run_per_partition_and_per_range():
    day = {PARTITION_NAME_TAG: "2025-01-02"}
    other_day = {PARTITION_NAME_TAG: "2025-01-03"}
    assert local_queue_is_blocked(day, [day])
    assert not local_queue_is_blocked(day, [other_day])

    def range_run(start: str) -> dict[str, str]:
        return {"dagster/asset_partition_range_start": start}

    assert local_queue_is_blocked(range_run(START), [range_run(START)])
    assert not local_queue_is_blocked(range_run(START), [range_run("2025-01-05")])
