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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
def local_instance(overrides: Mapping[str, Any] | None = None) -> Iterator[dg.DagsterInstance]:
    """``dg.instance_for_test(overrides)`` storing its events as the local instance does."""
    config = {"event_log_storage": dict(local_event_log_storage()), **(overrides or {})}
    with dg.instance_for_test(overrides=config) as instance:
        yield instance
