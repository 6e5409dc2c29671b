"""Interrupting a DuckDB statement while it runs, at a known point: the statement scans a
named pipe, and the interrupt comes once the engine has opened it and read some of it."""

from __future__ import annotations

import _thread
import errno
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

OPEN_TIMEOUT_S = 30.0


class StrayInterrupt(BaseException):
    """What a SIGINT raises in a test that installs :func:`sigint_raising`: as Dagster's
    handler during a step (and never the KeyboardInterrupt that would stop pytest)."""


def send_sigint() -> None:
    """Ctrl-C as a statement reading a regular file meets it: SIGINT delivered to the main
    thread (its Python handler runs when DuckDB checks for signals) without interrupting a
    system call. A real signal would cut the pipe's blocking read short (EINTR, DuckDB's
    IOException) instead, which a landed file's read never is."""
    _thread.interrupt_main(signal.SIGINT)


@contextmanager
def sigint_raising(error: type[BaseException] = StrayInterrupt) -> Iterator[None]:
    """SIGINT raises ``error`` in the main thread until exit (the handler is put back)."""

    def handler(_signo, _frame):
        raise error()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class InterruptedPipe:
    """The pipe's path, and whether the engine opened it and was interrupted reading it."""

    path: Path
    opened: threading.Event = field(default_factory=threading.Event)
    interrupted: threading.Event = field(default_factory=threading.Event)


@contextmanager
def interrupted_pipe(
    folder: Path, data: bytes, interrupt: Callable[[], None], name: str = "landed.csv"
) -> Iterator[InterruptedPipe]:
    """A named pipe under ``folder`` serving ``data``: half of it is written once a reader
    (the engine's scan) opens the pipe, then ``interrupt()`` is called while that statement
    runs, then the rest is written and the pipe closed. A pipe nobody opens by exit is
    never interrupted."""
    pipe = InterruptedPipe(folder / name)
    os.mkfifo(pipe.path)
    given_up = threading.Event()

    def feed() -> None:
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        while True:  # a non-blocking open fails (ENXIO) until a reader has the pipe open
            if given_up.is_set() or time.monotonic() > deadline:
                return
            try:
                fd = os.open(pipe.path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as error:
                if error.errno != errno.ENXIO:
                    return
                time.sleep(0.005)
        os.set_blocking(fd, True)
        pipe.opened.set()
        half = len(data) // 2
        try:
            os.write(fd, data[:half])
            time.sleep(0.2)  # the engine is reading the pipe: the statement runs
            interrupt()
            pipe.interrupted.set()
            time.sleep(0.1)
            view = memoryview(data)[half:]
            while view:
                view = view[os.write(fd, view) :]
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)

    thread = threading.Thread(target=feed, name="interrupted-pipe", daemon=True)
    thread.start()
    try:
        yield pipe
    finally:
        given_up.set()
        thread.join(OPEN_TIMEOUT_S)
