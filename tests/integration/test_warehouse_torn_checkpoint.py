"""A process killed inside DuckDB's checkpoint leaves a warehouse file that opens.

Every commit of the warehouse checkpoints (``CHECKPOINT_THRESHOLD``), and a checkpoint
writes the metadata blocks already in the file in place, under the header still in force;
a SIGKILL inside that 256 KiB write tears it (Linux stops a buffered write between pages
on a fatal signal) and the file fails its checksum. The torn file is built here from what
the disk holds at each point of a real replacement made through the warehouse's session:
the file and its journal before the commit, the file after it. Its header and every block
but the written ones' first page are the ones before; the first page of each block the
checkpoint wrote is the new one. A SIGKILL leaves that state, minus the blocks not yet
written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from resources import checkpoint_journal
from resources.checkpoint_journal import (
    HEADER_BYTES,
    JOURNAL_SUFFIX,
    journaled_connection,
    journals,
    recover,
)
from resources.warehouse import DuckDBWarehouse

BLOCK = 262_144
PAGE = 4096
OLD = [("old", 1000, 499_500)]
NEW = [("new", 1500, 1_124_250)]


def _replace(warehouse: DuckDBWarehouse, before: Path) -> bytes:
    """Replace ``t`` (old rows by new) in one transaction; keep the file and any journal as
    they are just before the commit under ``before``; the file's bytes after the commit."""
    with warehouse.session() as session:
        with session.transaction():
            session.execute("DELETE FROM t")
            session.execute("INSERT INTO t SELECT range AS id, 'new' AS v FROM range(1500)")
            # Copying drops this process's DuckDB lock on the file (POSIX; the runbook's
            # "A warehouse file killed inside a checkpoint"): no other process uses it here.
            shutil.copy(warehouse.database, before)
            for journal in journals(warehouse.database):
                owner = journal.name.removeprefix(Path(warehouse.database).name)
                shutil.copy(journal, before.with_name(before.name + owner))
        return Path(warehouse.database).read_bytes()


def _torn(before: bytes, after: bytes) -> bytes:
    """``before`` with the first page of every block the checkpoint wrote taken from
    ``after``: the header is the old one (the new header is written last)."""
    torn = bytearray(before)
    torn_blocks = 0
    for start in range(HEADER_BYTES, len(before) - BLOCK + 1, BLOCK):
        if before[start : start + BLOCK] != after[start : start + BLOCK]:
            torn[start : start + PAGE] = after[start : start + PAGE]
            torn_blocks += 1
    assert torn_blocks, "the commit wrote no block that existed before it"
    return bytes(torn)


@pytest.fixture
def torn_warehouse(tmp_path) -> Path:
    """A warehouse whose replacing commit was killed inside the checkpoint's in-place
    write of its metadata, its journal beside it as the killed process left it."""
    live = DuckDBWarehouse(database=str(tmp_path / "live.duckdb"))
    with live.session() as session:
        session.execute("CREATE TABLE t AS SELECT range AS id, 'old' AS v FROM range(1000)")
    before = tmp_path / "torn.duckdb"
    after = _replace(live, before)
    before.write_bytes(_torn(before.read_bytes(), after))
    return before


def _table(warehouse: DuckDBWarehouse) -> list[tuple]:
    frame = warehouse.query("SELECT v, count(*) AS n, sum(id) AS s FROM t GROUP BY v")
    return [tuple(row) for row in frame.itertuples(index=False)]


def test_the_torn_file_does_not_open_as_it_is(torn_warehouse):
    """The state is the defect's: DuckDB alone refuses the file (read only, nothing put back)."""
    with pytest.raises(duckdb.Error, match="Corrupt database file.*checksum"):
        duckdb.connect(str(torn_warehouse), read_only=True).close()


def test_a_commit_killed_inside_its_checkpoint_leaves_the_previous_table(torn_warehouse):
    """The warehouse's next open puts back the journaled metadata: the previous table,
    whole, and the file takes the next replacement."""
    warehouse = DuckDBWarehouse(database=str(torn_warehouse))
    assert _table(warehouse) == OLD
    assert journals(str(torn_warehouse)) == []
    _replace(warehouse, torn_warehouse.with_name("again.duckdb"))
    assert _table(warehouse) == NEW


def test_every_owners_journal_of_the_files_header_is_put_back_and_removed(torn_warehouse):
    """Another owner's journal of the same header (a process that closed the file under
    it and was killed before removing its journal) holds the same blocks: recovery puts
    back each, whatever the order of their names, and removes them all."""
    [journal] = journals(str(torn_warehouse))
    shutil.copy(journal, str(torn_warehouse) + JOURNAL_SUFFIX + ".1-closed")
    shutil.copy(journal, str(torn_warehouse) + JOURNAL_SUFFIX + ".z-closed")
    assert recover(str(torn_warehouse)) is True
    assert journals(str(torn_warehouse)) == []
    assert _table(DuckDBWarehouse(database=str(torn_warehouse))) == OLD


def test_a_journal_older_than_the_header_is_dropped_not_put_back(tmp_path):
    """A checkpoint that wrote its header finished: its journal (left by a kill after the
    header, before the journal's removal) must not put the previous metadata back."""
    warehouse = DuckDBWarehouse(database=str(tmp_path / "orders.duckdb"))
    with warehouse.session() as session:
        session.execute("CREATE TABLE t AS SELECT range AS id, 'old' AS v FROM range(1000)")
    before = tmp_path / "before.duckdb"
    _replace(warehouse, before)
    [journal] = journals(str(before))
    shutil.copy(journal, warehouse.database + JOURNAL_SUFFIX + ".1-killed")

    assert _table(warehouse) == NEW
    assert journals(warehouse.database) == []


def _other_process_opens(database: str) -> str:
    probe = (
        "import duckdb, sys\n"
        "try:\n    duckdb.connect(sys.argv[1]).close()\n    print('opened')\n"
        "except duckdb.IOException as error:\n    print(error)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, database], capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


def test_a_journaled_connection_keeps_duckdbs_lock_on_the_file(tmp_path):
    """POSIX drops a process's record locks on a file when it closes any descriptor of that
    file: the journal must read the header without letting a second process open the
    warehouse for writing beside the first (two writers corrupted it)."""
    database = str(tmp_path / "orders.duckdb")
    warehouse = DuckDBWarehouse(database=database)
    with warehouse.session() as session:
        session.execute("CREATE TABLE t AS SELECT range AS id FROM range(1000)")
        session.execute("INSERT INTO t SELECT range AS id FROM range(10)")
        assert journals(database)
        assert "lock" in _other_process_opens(database).lower()
    assert _other_process_opens(database) == "opened"


def test_recovery_removes_the_partial_journals_of_killed_writers(tmp_path):
    """Each writer journals under a name of its own, then renames it into place: what a
    writer killed before its rename left is removed by the next open, nothing put back."""
    database = tmp_path / "orders.duckdb"
    duckdb.connect(str(database)).close()
    partials = [tmp_path / f"orders.duckdb{JOURNAL_SUFFIX}.{n}-1.partial" for n in (11, 12)]
    for partial in partials:
        partial.write_bytes(b"ORDJRNL1 cut short")
    assert recover(str(database)) is False
    assert not any(partial.exists() for partial in partials)


def test_a_closing_owner_never_removes_the_next_owners_journal(tmp_path, monkeypatch):
    """The last close of a file in a process removes its journal once DuckDB let the file
    go; in between, the next owner may already have opened the file and journaled (another
    process; here the same one, hooked in at that instant). The closer removes only its own
    journal: the next owner's stays, for the checkpoint of the statement it is running."""
    database = str(tmp_path / "orders.duckdb")
    first = journaled_connection(database)
    first.execute("CREATE TABLE t AS SELECT range AS id FROM range(1000)")
    release = checkpoint_journal._OPEN.release
    opened = []

    def release_then_the_next_owner_opens(key: str) -> Path | None:
        last = release(key)
        if not opened:
            opened.append(journaled_connection(database))
        return last

    monkeypatch.setattr(checkpoint_journal._OPEN, "release", release_then_the_next_owner_opens)
    first.close()
    [second] = opened
    [journal] = journals(database)
    # Read through the connection's own descriptor: opening and closing the file here would
    # drop DuckDB's lock (the runbook's "A warehouse file killed inside a checkpoint").
    assert checkpoint_journal._journaled_header(journal) == os.pread(second._fd, HEADER_BYTES, 0)
    second.execute("INSERT INTO t SELECT range AS id FROM range(10)")
    second.close()
    assert journals(database) == []


def test_recovery_passes_over_a_journal_its_owner_removes_meanwhile(tmp_path, monkeypatch):
    """A process that closed the file removes its journal after DuckDB let the file go,
    which the next open's recovery may be reading then: a journal gone is one its owner
    closed whole, nothing to put back, and the open goes on."""
    database = tmp_path / "orders.duckdb"
    duckdb.connect(str(database)).close()
    listed = journals(str(database)) + [Path(f"{database}{JOURNAL_SUFFIX}.1-closed")]
    monkeypatch.setattr(checkpoint_journal, "journals", lambda _: listed)
    assert recover(str(database)) is False
