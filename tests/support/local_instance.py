"""A test instance whose event log is the local instance's (the repository's dagster.yaml).

``dg.instance_for_test()`` stores events with Dagster's default ``SqliteEventLogStorage``:
a new SQLAlchemy engine and SQLite connection for each statement, up to six a stored
event. The local instance names ``resources.instance_storage.ReusedEngineSqliteEventLogStorage``
in dagster.yaml (same schema, files and queries, its engines kept). Seven runs of the
batching tests' hostile landing zone took 16.9 and 18.5 CPU s on the default storage,
9.1 and 11.0 on the local one (alternating, beside other sessions' suites): the platform's
tests run on the storage ``make run`` and ``make ui`` use, at half its cost.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from tests.support.paths import REPO


@functools.cache
def local_event_log_storage() -> Mapping[str, Any]:
    """The ``event_log_storage`` section of the repository's dagster.yaml."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text(encoding="utf-8"))
    return config["event_log_storage"]


@contextmanager
def local_instance(
    overrides: Mapping[str, Any] | None = None, home: Path | None = None
) -> Iterator[dg.DagsterInstance]:
    """``dg.instance_for_test(overrides)`` storing its events as the local instance does;
    its files in ``home`` (kept after) if given, else in a temporary directory."""
    config = {"event_log_storage": dict(local_event_log_storage()), **(overrides or {})}
    temp_dir = None
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        temp_dir = str(home)
    with dg.instance_for_test(overrides=config, temp_dir=temp_dir) as instance:
        yield instance


def restore(snapshot: Path, folder: Path) -> None:
    """Put ``folder`` back as :func:`shutil.copytree` saved it in ``snapshot``: a closed
    instance home and warehouse file come back byte for byte, at the same paths, so runs
    after a shared history start where a run of that history on a new instance would."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(snapshot, folder)
