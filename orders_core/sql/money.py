"""Sums of money that do not depend on the order the engine adds the rows in.

A sum of doubles does: DuckDB adds a pipeline's rows in scan order and combines parallel
partial sums as they finish, and a table's physical order depends on how its days were
batched (a range run, day-by-day runs and re-runs delete and insert in different
orders). The same four amounts of one day summed to 2.48 or 2.49 once rounded to cents,
by batching and from one run to the next. Money is therefore summed as exact decimals
and turned back into a double only once summed: the same rows give the same figure in
any order, in both engines.

Every sum casts its argument, even a sum of decimals: fakesnow (the Snowflake of the
tests) sums anything else as doubles. ``decimal(38, 12)`` holds 26 integer digits, so a
sum of amounts of at most 1e15 each (see ``orders_core.sql.cleaning``) cannot overflow
below 100 billion rows.
"""

from __future__ import annotations

MONEY_SUM_TYPE = "decimal(38, 12)"


def money_sum(expression: str) -> str:
    """The exact sum of ``expression`` (a number of at most 1e15 in magnitude, NULLs
    skipped) as a DOUBLE, 0 when there is none."""
    return f"CAST(coalesce(sum(CAST({expression} AS {MONEY_SUM_TYPE})), 0) AS DOUBLE)"
