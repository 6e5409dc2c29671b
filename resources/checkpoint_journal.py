"""A rollback journal of the blocks DuckDB's checkpoint writes in place, so that a process
killed inside a checkpoint leaves a warehouse file that opens.

DuckDB's checkpoint writes new rows and new metadata into free blocks, and then a new
header into the header slot not in use: a checkpoint cut short leaves the previous header,
and what it points to, intact. All but one thing: the metadata blocks already in the file
(256 KiB, sixty-four 4 KiB metadata pages each, one checksum over the block) are written
again in place (``MetadataManager::Flush``: "Already a persistent block, so we only need
to write it"), with the new checkpoint's metadata in their free pages. Linux stops a
buffered write between pages when the process is killed, so a SIGKILL inside that write
(an OOM kill, a lost pod, tmpfs and ext4 alike) leaves the block half new: its checksum
fails, and the previous header's catalog is in it. The file no longer opens ("Corrupt
database file: computed checksum ... does not match stored checksum ... in block at
location 12288"), and no DuckDB setting avoids the in-place write (DuckDB 2.0;
docs/backfill-runbook.md, "A warehouse file killed inside a checkpoint").

So before every statement that may checkpoint, :class:`JournaledConnection` keeps, next to
the file, a copy of its three header slots and of the metadata blocks the header in force
uses (``<file>.checkpoint-journal.<owner>``, written whole, synced, then renamed into
place). :func:`recover`, run before the file is opened, puts those blocks back if the
header is still the one journaled (the checkpoint did not finish: its new header was never
written; DuckDB syncs the blocks before it writes the header), and then DuckDB replays the
write-ahead log if the commit had written it: the table is the previous one or the new
one. A newer header means the checkpoint finished: the journal is stale and removed.

Each journal belongs to its owner, a process's spell of holding the file open
(``<file>.checkpoint-journal.<pid>-<token>``), and its owner removes only its own: a
process removes its journal after DuckDB let the file go, and in between the next process
may have opened the file and journaled; with one shared name, the first removed the
second's journal, and the statement the second was running checkpointed unjournaled.
Recovery, under a lock no open of the file shares, looks at every owner's journal: it puts
back the blocks of each whose header is the file's, and removes them all. At most one
owner can have been inside a checkpoint (DuckDB lets one process write), and the next
open recovers before it writes; any other journal with the file's header was taken under
that same header, whose blocks nothing rewrites in place but a checkpoint, so its blocks
in use are the same bytes (a header is never written twice: its iteration count grows).
The journals differ at most in blocks free under that header, whose bytes nothing reads.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import secrets
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

#: DuckDB's file header: the main header and the two database header slots, 4 KiB each
#: (``Storage::FILE_HEADER_SIZE``); block ``n`` starts at ``HEADER_BYTES + n * block_size``.
HEADER_BYTES = 3 * 4096
JOURNAL_SUFFIX = ".checkpoint-journal"
_MAGIC = b"ORDJRNL1"
_ENTRY = struct.Struct("<q")
_COUNTS = struct.Struct("<QQ")


def new_journal_path(database: str) -> Path:
    """The journal of a new owner of ``database``: this process's id and a random token (a
    reused process id, or a fork, never takes another owner's name)."""
    return Path(f"{database}{JOURNAL_SUFFIX}.{os.getpid()}-{secrets.token_hex(8)}")


def journals(database: str) -> list[Path]:
    """Every owner's journal of ``database``, whole or not, and the one name that releases
    before hunt 91 used for all; not the partial journals of writers."""
    shared = Path(f"{database}{JOURNAL_SUFFIX}")
    owners = shared.parent.glob(f"{glob.escape(shared.name)}.*")
    found = [path for path in owners if not path.name.endswith(".partial")]
    return sorted([shared, *found] if shared.exists() else found)


def _read_at(fd: int, offset: int, size: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise OSError(f"short read of {size} bytes at {offset}: {len(data)}")
    return data


def _sync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _header(fd: int) -> bytes | None:
    """The header slots of the file open as ``fd`` (None while it is shorter)."""
    data = os.pread(fd, HEADER_BYTES, 0)
    return data if len(data) == HEADER_BYTES else None


def _journaled_header(journal: Path) -> bytes | None:
    try:
        with journal.open("rb") as file:
            data = file.read(len(_MAGIC) + _COUNTS.size + HEADER_BYTES)
    except FileNotFoundError:
        return None
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _COUNTS.size + HEADER_BYTES:
        return None
    return data[len(_MAGIC) + _COUNTS.size :]


def write_journal(journal: Path, fd: int, block_ids: list[int], block_size: int) -> None:
    """Journal the header slots and the blocks ``block_ids`` of the file open as ``fd`` as
    they are on disk now, as ``journal``: whole and synced under a temporary name, then
    renamed into place."""
    # A name of this writer's own: two threads of the journal's owner may journal at once
    # (the same bytes; the last rename wins).
    partial = journal.with_name(f"{journal.name}.{threading.get_ident()}.partial")
    size = os.fstat(fd).st_size
    on_disk = [i for i in sorted(set(block_ids)) if HEADER_BYTES + (i + 1) * block_size <= size]
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for chunk in (
            _MAGIC,
            _COUNTS.pack(block_size, len(on_disk)),
            _read_at(fd, 0, HEADER_BYTES),
        ):
            out.write(chunk)
            digest.update(chunk)
        for block_id in on_disk:
            for chunk in (
                _ENTRY.pack(block_id),
                _read_at(fd, HEADER_BYTES + block_id * block_size, block_size),
            ):
                out.write(chunk)
                digest.update(chunk)
        out.write(digest.digest())
        out.flush()
        os.fsync(out.fileno())
    partial.replace(journal)
    _sync_dir(journal)


def _journal_blocks(journal: Path) -> tuple[bytes, list[tuple[int, bytes]], int] | None:
    """The journal's header slots, blocks and block size; None when it is not whole."""
    data = journal.read_bytes()
    body, digest = data[:-32], data[-32:]
    if not body.startswith(_MAGIC) or hashlib.sha256(body).digest() != digest:
        return None
    block_size, count = _COUNTS.unpack_from(body, len(_MAGIC))
    position = len(_MAGIC) + _COUNTS.size
    header = body[position : position + HEADER_BYTES]
    position += HEADER_BYTES
    blocks = []
    for _ in range(count):
        (block_id,) = _ENTRY.unpack_from(body, position)
        position += _ENTRY.size
        blocks.append((block_id, body[position : position + block_size]))
        position += block_size
    return header, blocks, block_size


def _restore(database: str, fd: int) -> bool:
    """Put back the journaled metadata blocks of ``database`` (open for writing as ``fd``,
    under :func:`_file_lock`) from every owner's journal whose header is still the file's,
    then remove them all; whether blocks were put back."""
    shared = Path(f"{database}{JOURNAL_SUFFIX}")
    for partial in shared.parent.glob(f"{glob.escape(shared.name)}.*.partial"):
        partial.unlink(missing_ok=True)  # a writer killed before its rename
    left = journals(database)
    if not left:
        return False
    header = _header(fd)
    restored = False
    for journal in left:
        try:
            found = _journal_blocks(journal)
        except FileNotFoundError:
            continue  # its owner removed it: it had let go of the file whole
        if found is not None and header == found[0]:
            _, blocks, block_size = found
            for block_id, data in blocks:
                os.pwrite(fd, data, HEADER_BYTES + block_id * block_size)
            restored = restored or bool(blocks)
    if restored:
        os.fsync(fd)
    for journal in left:
        journal.unlink(missing_ok=True)
    _sync_dir(shared)
    return restored


def recover(database: str) -> bool:
    """Put back the journaled metadata blocks of ``database`` if its header is still the
    journaled one, then remove the journal; whether blocks were put back. Raises
    :class:`WarehouseBusyError` when a process has the file open."""
    with _file_lock(database) as fd:
        return _restore(database, fd)


def _block_size(conn: duckdb.DuckDBPyConnection) -> int:
    [(block_size,)] = conn.execute(
        "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()"
    ).fetchall()
    return block_size


def _metadata_blocks(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """The metadata blocks DuckDB holds for the connection's database: those of the
    header in force (and any it allocated since, not yet in the file)."""
    rows = conn.execute("SELECT block_id FROM pragma_metadata_info(current_database())").fetchall()
    return [block_id for (block_id,) in rows]


def keep_journal(conn: duckdb.DuckDBPyConnection, journal: Path, fd: int, block_size: int) -> None:
    """Journal the metadata blocks of the header now in force as ``journal``, unless it
    already holds them (the header is the journaled one): before anything that may
    checkpoint."""
    header = _header(fd)
    if header is None or _journaled_header(journal) == header:
        return
    write_journal(journal, fd, _metadata_blocks(conn), block_size)


class WarehouseBusyError(OSError):
    """Another process holds the warehouse file open (its lock)."""


@contextmanager
def _file_lock(database: str) -> Iterator[int]:
    """An exclusive lock on the file, which DuckDB's own lock (of any process holding the
    file open) refuses; yields the file open for writing. On Linux an open file
    description lock, which conflicts with DuckDB's locks of this process too; elsewhere
    a POSIX lock. Closing its descriptor drops every record lock this process holds on
    the file (see :class:`_Descriptors`), so it is taken only while the process has no
    connection to the file (:func:`prepare` checks)."""
    fd = os.open(database, os.O_RDWR)
    try:
        try:
            if hasattr(fcntl, "F_OFD_SETLK"):
                lock = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK, lock)
            else:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            raise WarehouseBusyError(f"warehouse {database} is open in another process") from error
        yield fd
    finally:
        os.close(fd)


class _Descriptors:
    """One read-only descriptor per warehouse file this process has journaled connections
    to, opened after DuckDB opens the file and closed only once the last of them is
    closed. DuckDB's lock on the file is a POSIX record lock, and POSIX drops every lock a
    process holds on a file when the process closes *any* descriptor of that file: reading
    the header through an ``open`` and ``close`` of its own before each statement let a
    second process open the warehouse for writing beside the first (two writers, a file
    that no longer opened: 'No more data remaining in MetadataReader'). Each spell of
    connections is one owner of the file's journal, with a name of its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # realpath -> [descriptor, connections, journal]
        self._open: dict[str, list[Any]] = {}

    def is_open(self, key: str) -> bool:
        with self._lock:
            return key in self._open

    def acquire(self, key: str, journal: Path) -> tuple[int, Path]:
        """The file's descriptor and journal: ``journal``, the name of a new owner, when the
        file was not open here; else the owner's in place."""
        with self._lock:
            entry = self._open.get(key)
            if entry is None:
                entry = self._open[key] = [os.open(key, os.O_RDONLY), 0, journal]
            entry[1] += 1
            return entry[0], entry[2]

    def release(self, key: str) -> Path | None:
        """The owner's journal, for the caller to remove, when that was the file's last
        connection here (its descriptor is closed); else None."""
        with self._lock:
            entry = self._open[key]
            entry[1] -= 1
            if entry[1]:
                return None
            del self._open[key]
            os.close(entry[0])
            return entry[2]


#: The files this process has journaled connections to: while one is, the file is live
#: here and there is nothing to recover (and the lock above would refuse it).
_OPEN = _Descriptors()


def prepare(database: str) -> Path:
    """Before a write connection opens ``database``: recover a checkpoint cut short and, if
    a write-ahead log is left for the open to replay (and checkpoint), journal the blocks
    that checkpoint will write; the journal of the connection's owner, if it is a new one
    (:class:`JournaledConnection`). Raises :class:`WarehouseBusyError` when another
    process has the file open."""
    journal = new_journal_path(database)
    if not Path(database).exists():
        for left in journals(database):
            left.unlink(missing_ok=True)
        return journal
    if _OPEN.is_open(os.path.realpath(database)):
        return journal
    with _file_lock(database) as fd:
        _restore(database, fd)
    if Path(f"{database}.wal").exists():
        # A read-only open replays the log in memory and writes nothing; it cannot share
        # the lock above, which conflicts even with this process's own DuckDB locks. Its
        # descriptor stays open until the reader is closed (see _Descriptors).
        fd = os.open(database, os.O_RDONLY)
        try:
            with duckdb.connect(database, read_only=True) as reader:
                write_journal(journal, fd, _metadata_blocks(reader), _block_size(reader))
        finally:
            os.close(fd)
    return journal


class JournaledConnection:
    """A DuckDB connection that journals the metadata blocks of the header in force before
    every statement, commit and close (each may checkpoint), and removes the journal once
    closed. Everything else is the connection's. ``journal`` is the name :func:`prepare`
    gave a new owner (a fresh one when None)."""

    def __init__(
        self, conn: duckdb.DuckDBPyConnection, database: str, journal: Path | None = None
    ) -> None:
        self._conn = conn
        self._block_size = _block_size(conn)
        self._key = os.path.realpath(database)
        proposed = journal or new_journal_path(database)
        self._fd, self._journal = _OPEN.acquire(self._key, proposed)
        if self._journal != proposed:
            # Another connection here opened the file first; its owner's journal is ours.
            proposed.unlink(missing_ok=True)
        self._closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __enter__(self) -> JournaledConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def journal(self) -> None:
        keep_journal(self._conn, self._journal, self._fd, self._block_size)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.journal()
        return self._conn.execute(*args, **kwargs)

    def sql(self, *args: Any, **kwargs: Any) -> Any:
        self.journal()
        return self._conn.sql(*args, **kwargs)

    def commit(self) -> Any:
        self.journal()
        return self._conn.commit()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.journal()
        finally:
            self._conn.close()
            # Only this owner's journal: the next owner (another process, or this one again)
            # may have opened the file and journaled since DuckDB let it go.
            journal = _OPEN.release(self._key)
            if journal is not None:
                journal.unlink(missing_ok=True)


def journaled_connection(
    database: str, read_only: bool = False, config: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection | JournaledConnection:
    """``duckdb.connect`` for the warehouse file: a write connection to a file first
    recovers a checkpoint a killed process cut short (:func:`prepare`), then journals the
    blocks its own checkpoints rewrite in place. Raises :class:`WarehouseBusyError` when
    another process has the file open."""
    if database == ":memory:" or read_only:
        return duckdb.connect(database=database, read_only=read_only, config=dict(config or {}))
    journal = prepare(database)
    conn = duckdb.connect(database=database, read_only=False, config=dict(config or {}))
    try:
        journaled = JournaledConnection(conn, database, journal)
    except BaseException:
        conn.close()
        raise
    try:
        journaled.journal()
    except BaseException:
        journaled.close()
        raise
    return journaled
