"""Check every statement run on fakesnow as the real connector would take it.

One statement per call: fakesnow runs ``select 1; select 2`` (and returns the last
result), where Snowflake refuses a request of more statements than MULTI_STATEMENT_COUNT
says, 1 unless the caller passes ``num_statements``
(https://docs.snowflake.com/en/sql-reference/parameters#multi-statement-count).

Every bound value as the real connector would bind it: fakesnow hands bound values to
DuckDB, which takes NumPy scalars, pandas timestamps and more; the real connector (``paramstyle="qmark"``: server-side binding) maps a value by its
class name (``snowflake.connector.converter.PYTHON_TO_SNOWFLAKE_TYPE``) and refuses
``pd.Timestamp``, ``np.str_``, and binds no ``np.int64`` or ``np.float64`` ("Binding data
in type (float64) is not supported"):
https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-example#binding-data
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlglot
from fakesnow.cursor import FakeSnowflakeCursor
from snowflake.connector.converter import SnowflakeConverter


def unbindable(params) -> list[str]:
    """The values of ``params`` the real connector cannot bind, each with its class."""
    converter = SnowflakeConverter()
    refused = []
    for value in params or ():
        kind = converter.snowflake_type(value)
        try:
            if kind is None:
                raise TypeError("no Snowflake type")
            converter.to_snowflake_bindings(kind, value)
        except Exception as error:  # noqa: BLE001 (each refusal is reported, not raised)
            refused.append(f"{type(value).__module__}.{type(value).__name__} {value!r}: {error}")
    return refused


def statements(command: str) -> int:
    """How many SQL statements ``command`` holds (as fakesnow parses it: sqlglot)."""
    return sum(tree is not None for tree in sqlglot.parse(command, read="snowflake"))


@contextmanager
def real_connector_bindings() -> Iterator[list[str]]:
    """Yields, as statements run on fakesnow, every bound value the real connector refuses
    and every call of several statements (with the statement's start)."""
    refused: list[str] = []
    original = FakeSnowflakeCursor.execute

    def execute(self, command, params=None, *args, **kwargs):
        refused.extend(f"{command[:80]!r}: {why}" for why in unbindable(params))
        if statements(command) != 1:
            refused.append(f"{command[:80]!r}: {statements(command)} statements in one call")
        return original(self, command, params, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FakeSnowflakeCursor, "execute", execute)
        yield refused
