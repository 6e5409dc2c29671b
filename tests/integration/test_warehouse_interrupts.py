"""An interrupted DuckDB statement (Ctrl-C during a CLI run) stops the step, unretried.

DuckDB's Python client runs the signal handler while a statement executes and replaces
what it raised with ``RuntimeError('Query interrupted')``; ``conn.interrupt()`` gives
``duckdb.InterruptException``, a ``duckdb.Error``. Either was an ordinary error: the step's
retry policy ran it again, and ``load_plain_csv`` took an interrupt for a file the engine
refused and left it to the reader. The statements here are interrupted while they scan a
named pipe (tests/support/interrupts.py), so the interrupt always comes mid-statement.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from resources.warehouse import DuckDBWarehouse, SqlSession, WarehouseInterrupted
from tests.support.interrupts import interrupted_pipe, send_sigint, sigint_raising
from tests.support.order_fixtures import HEADER, csv_bytes, order_rows
from tests.support.raw_rows import plain_csv_lineage, raw_rows, raw_session

DAY = dt.date(2025, 1, 2)
PAIRS = b"a,b\n" + b"x,y\n" * 50_000
PAIRS_SCAN = (
    "read_csv(?, columns = {'a': 'VARCHAR', 'b': 'VARCHAR'}, header = true, auto_detect = false)"
)


def _interrupt(kind: str, conn):
    """Ctrl-C (a SIGINT: DuckDB's RuntimeError) or the connection's own interrupt()."""
    return send_sigint if kind == "signal" else conn.interrupt


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["signal", "interrupt()"])
def test_an_interrupted_statement_in_a_transaction_fails_unretried_and_rolls_back(tmp_path, kind):
    session = SqlSession(duckdb.connect())
    session.execute("CREATE TABLE t (a VARCHAR, b VARCHAR)")
    session.execute("INSERT INTO t VALUES ('kept', 'row')")
    with (
        sigint_raising(),
        interrupted_pipe(tmp_path, PAIRS, _interrupt(kind, session.conn)) as pipe,
        pytest.raises(WarehouseInterrupted),
        session.transaction(),
    ):
        session.execute("DELETE FROM t")
        session.execute(f"INSERT INTO t SELECT * FROM {PAIRS_SCAN}", [str(pipe.path)])  # noqa: S608
    assert pipe.interrupted.is_set()
    assert session.execute("SELECT * FROM t") == [("kept", "row")]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["signal", "interrupt()"])
def test_an_interrupted_plain_csv_load_raises_and_is_not_left_to_the_reader(tmp_path, kind):
    """A refused file returns False (the caller loads it with the reader); an interrupted
    load is no refusal."""
    engine = raw_session()
    lineage = plain_csv_lineage(DAY)
    data = csv_bytes(order_rows(5_000, DAY))
    with (
        sigint_raising(),
        interrupted_pipe(tmp_path, data, _interrupt(kind, engine.conn)) as pipe,
        pytest.raises(WarehouseInterrupted),
    ):
        engine.load_plain_csv("raw.raw_orders", str(pipe.path), list(HEADER), lineage)
    assert pipe.interrupted.is_set()
    assert raw_rows(engine.conn) == []
    # The session goes on: the engine's thread count is back and a load works.
    [(threads,)] = engine.execute("SELECT current_setting('threads')")
    assert threads == duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    path = tmp_path / "whole.csv"
    path.write_bytes(data)
    assert engine.load_plain_csv("raw.raw_orders", str(path), list(HEADER), lineage) is True
    assert len(raw_rows(engine.conn)) == 5_000


@pytest.mark.timeout(60)
def test_an_interrupted_warehouse_query_fails_unretried(tmp_path):
    warehouse = DuckDBWarehouse(database=str(tmp_path / "orders.duckdb"))
    with (
        sigint_raising(),
        interrupted_pipe(tmp_path, PAIRS, send_sigint) as pipe,
        pytest.raises(WarehouseInterrupted),
    ):
        warehouse.query(f"SELECT count(*) AS n FROM {PAIRS_SCAN}", [str(pipe.path)])  # noqa: S608
    assert pipe.interrupted.is_set()


@pytest.mark.timeout(120)
def test_ctrl_c_during_raw_orders_load_fails_the_run_without_a_retry(
    tmp_path, instance, monkeypatch
):
    """A SIGINT while raw_orders' engine load runs (Dagster's own handler is then the
    step's): the step fails at once, without a retry, and the run fails with the day's
    previous rows (none) in raw.raw_orders."""
    from orders_platform.definitions import build_definitions
    from tests.support.order_fixtures import land, range_tags, settings_for

    land(tmp_path / "landing", DAY, "orders.csv", csv_bytes(order_rows(5_000, DAY)))
    loads: list[str] = []
    pipes = []
    load = SqlSession.load_plain_csv

    def load_interrupted_once(self, table, path, header, lineage, extras=(), skip=0):
        """The first engine load scans the landed file's bytes through an interrupted pipe."""
        loads.append(path)
        if len(loads) > 1:
            return load(self, table, path, header, lineage, extras, skip)
        folder = tmp_path / "pipe"
        folder.mkdir()
        with interrupted_pipe(folder, Path(path).read_bytes(), send_sigint) as pipe:
            pipes.append(pipe)
            return load(self, table, str(pipe.path), header, lineage, extras, skip)

    monkeypatch.setattr(SqlSession, "load_plain_csv", load_interrupted_once)
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    with sigint_raising():
        result = job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
            instance=instance, tags=range_tags(DAY, DAY), raise_on_error=False
        )
    assert pipes and pipes[0].interrupted.is_set()
    kinds = [event.event_type for event in result.all_events]
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in kinds
    assert dg.DagsterEventType.STEP_RESTARTED not in kinds
    [failure] = result.get_step_failure_events()
    assert "interrupted, not retried" in str(failure.step_failure_data.error.message)
    assert len(loads) == 1  # the file was not read again, by the engine or the reader
    assert not result.success
    assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.raw_orders").fetchone() == (0,)
