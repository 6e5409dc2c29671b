"""Opening the DuckDB warehouse file while another process may be holding it.

DuckDB lets one process at a time open a file for writing; a second process gets an
``IOException`` ("Could not set lock on file ... Conflicting lock is held"). Two runs (or
two steps of one multiprocess run) therefore take turns: the later one waits with
bounded, jittered exponential backoff, logs that it is waiting, and fails with a clear
error when the lock is not released in time, so the step's RetryPolicy or an engineer
can take over.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb

from resources.checkpoint_journal import WarehouseBusyError, journaled_connection

DEFAULT_LOCK_TIMEOUT_S = 120.0
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 2.0
WAITING_MESSAGE = "warehouse is locked by another run; retrying"

_logger = logging.getLogger(__name__)


class WarehouseLockedError(RuntimeError):
    """The warehouse file stayed locked by another process for the whole lock timeout."""


def is_lock_conflict(error: BaseException) -> bool:
    """Whether DuckDB (or :func:`~resources.checkpoint_journal.prepare`) refused to open the file because
    another process holds its lock."""
    return isinstance(error, WarehouseBusyError) or (
        isinstance(error, duckdb.IOException) and "lock" in str(error).lower()
    )


def backoff_delays() -> Iterator[float]:
    """Exponential delays (from :data:`FIRST_DELAY_S`, doubling up to :data:`MAX_DELAY_S`)
    with +/-50% jitter, so waiters spread out."""
    rng = random.Random()  # noqa: S311 (jitter, not cryptography)
    delay = FIRST_DELAY_S
    while True:
        yield delay * rng.uniform(0.5, 1.5)
        delay = min(delay * 2, MAX_DELAY_S)


def open_with_lock_retry(
    database: str,
    *,
    config: Mapping[str, Any] | None = None,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    log: logging.Logger | None = None,
    connect: Callable[..., duckdb.DuckDBPyConnection] = journaled_connection,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> duckdb.DuckDBPyConnection:
    """Open ``database`` for writing, waiting at most ``lock_timeout_s`` for another
    process to release it; other errors are raised at once."""
    log = log or _logger
    started = clock()
    delays = backoff_delays()
    attempts = 0
    while True:
        attempts += 1
        try:
            return connect(database=database, read_only=False, config=dict(config or {}))
        except (duckdb.IOException, WarehouseBusyError) as error:
            if not is_lock_conflict(error):
                raise
            waited, delay = clock() - started, next(delays)
            if waited + delay > lock_timeout_s:
                raise WarehouseLockedError(
                    f"warehouse {database} is locked by another run; gave up after"
                    f" {attempts} attempts over {waited:.1f}s (lock_timeout_s={lock_timeout_s})."
                    f" DuckDB said: {error}"
                ) from error
            log.warning(f"{WAITING_MESSAGE} in {delay:.2f}s (attempt {attempts}): {error}")
            sleep(delay)


@contextmanager
def locked_connection(
    database: str,
    *,
    config: Mapping[str, Any] | None = None,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    log: logging.Logger | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection to ``database`` (see :func:`open_with_lock_retry`), always closed."""
    conn = open_with_lock_retry(database, config=config, lock_timeout_s=lock_timeout_s, log=log)
    try:
        yield conn
    finally:
        conn.close()
