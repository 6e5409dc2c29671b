"""Every write of a platform table on Snowflake is one transaction of DML and reads only.

Snowflake commits an open transaction when it runs DDL (``CREATE``, ``ALTER``,
``TRUNCATE``, a temporary table's ``CREATE`` included) and ``write_pandas`` stages its rows
with DDL (https://docs.snowflake.com/en/sql-reference/transactions#ddl): one such statement
inside a replacement would commit the days' ``DELETE`` on its own, and a kill or a failure
after it would publish the days empty. fakesnow runs the statements on DuckDB, which does
not commit on DDL, so a run on it cannot show that; this test reads the statements a whole
production run sends instead (docs/production.md, "Writes are atomic and idempotent").
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from orders_core import tables
from resources.snowflake_warehouse import SnowflakeSession
from tests.support.prod_pipeline import prod_settings, run_pipeline

pytestmark = pytest.mark.services

DDL = re.compile(
    r"\s*(CREATE|ALTER|DROP|TRUNCATE|UNDROP|RENAME|COMMENT|GRANT|REVOKE|USE|COPY|PUT)\b", re.I
)
WRITE = re.compile(r"\s*(?:DELETE\s+FROM|INSERT\s+INTO|UPDATE|MERGE\s+INTO)\s+(\w+\.\w+)", re.I)


def test_every_table_write_is_one_transaction_of_dml_only(
    landed_bucket, moto_endpoint, fake_snowflake, monkeypatch
):
    sent: list[tuple[int | None, str]] = []  # (transaction number or None, statement)
    transactions = iter(range(1_000))
    current: list[int | None] = [None]
    run, transaction, append = (
        SnowflakeSession._run,
        SnowflakeSession.transaction,
        SnowflakeSession.append,
    )

    def record(self, statement, params=()):
        sent.append((current[0], statement))
        return run(self, statement, params)

    @contextmanager
    def recorded(self):
        current[0] = next(transactions)
        try:
            with transaction(self):
                yield
        finally:
            current[0] = None

    def bulk_load(self, table, rows):
        sent.append((current[0], f"PUT (write_pandas) {table}"))
        return append(self, table, rows)

    monkeypatch.setattr(SnowflakeSession, "_run", record)
    monkeypatch.setattr(SnowflakeSession, "transaction", recorded)
    monkeypatch.setattr(SnowflakeSession, "append", bulk_load)

    settings = prod_settings(f"s3://{landed_bucket}/landing", moto_endpoint)
    assert run_pipeline(settings, checks=False).success

    inside = [(n, s) for n, s in sent if n is not None]
    assert [s for _, s in inside if DDL.match(s)] == []
    # every platform table is written, and only inside a transaction
    writes: dict[str, set[int]] = {}
    for n, statement in inside:
        if match := WRITE.match(statement):
            writes.setdefault(match.group(1).lower(), set()).add(n)
    assert set(writes) == {table.qualified for table in tables.TABLES}
    outside = [s for n, s in sent if n is None and (m := WRITE.match(s)) and "." in m.group(1)]
    assert outside == []
    # one transaction per table: the run's days of a table never go in two commits
    assert {name: len(numbers) for name, numbers in writes.items() if len(numbers) > 1} == {}
