"""Make a fakesnow statement fail, to test what a failure half-way through a write leaves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import snowflake.connector.errors
from fakesnow.cursor import FakeSnowflakeCursor


@contextmanager
def failing_statement(prefix: str) -> Iterator[list[str]]:
    """Statements starting with ``prefix`` (case-insensitive) raise; yields every statement run."""
    executed: list[str] = []
    original = FakeSnowflakeCursor.execute

    def execute(self, command, *args, **kwargs):
        executed.append(command)
        if command.lower().startswith(prefix.lower()):
            raise snowflake.connector.errors.OperationalError(msg="injected failure")
        return original(self, command, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FakeSnowflakeCursor, "execute", execute)
        yield executed
