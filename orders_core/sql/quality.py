"""The GX suites compiled to SQL: each day's quality rules run inside the warehouse engine.

A suite (:mod:`orders_core.expectations`, GX expectation configurations) becomes, for a
table and a range of days, one aggregate statement grouped by ``partition_date``: per
column expectation, the rows it judges and the unexpected ones (GX's ``element_count``
or non-null count, and ``unexpected_count``), and the day's row count. A failing
expectation then gets its sample values from one small ``LIMIT`` query on that day. No
row leaves the engine but those samples; the statements are written once and rendered
for DuckDB or Snowflake by :func:`orders_core.sql.dialect.render`.

What each expectation means is GX's: nulls are skipped except by the not-null rule,
percentages are of the judged rows, regular expressions match anywhere in the value
(``re.search``), a column pair is skipped only when both values are missing.
``tests/integration/test_checks_quality.py`` holds the engine to GX's own results.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orders_core.expectations import (
    AMOUNT_LINE_ERROR,
    DERIVED_COLUMNS,
    ORDER_TS_OFFSET,
    Expectation,
)
from orders_core.sql.dialect import DUCKDB, columns_statement, render, sql_literal
from orders_core.tables import Table

SAMPLE_VALUES = 5
SAMPLE_CHARS = 500
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Anything shaped like an e-mail address in a sample value is masked: the typed tables
# hold only keyed hashes, but free text (a region) could carry one.
# A match starts where a run of its characters starts (the lookbehind): the same
# matches, without scanning a long run that holds no "@" again from each character.
_EMAIL = re.compile(r"(?<![^\s@'\",()])[^\s@'\",()]+@[^\s@'\",()]+")
TABLE_EXPECTATIONS = ("expect_table_columns_to_match_set", "expect_table_row_count_to_equal")

# Runs one DuckDB-dialect statement (with ORDERS_* functions) in the engine, values bound
# with ``?``; returns its rows. ``SqlSession.execute`` is one.
Execute = Callable[[str, Sequence[object]], list[tuple]]


@dataclass(frozen=True)
class ExpectationOutcome:
    """What one expectation found on one day."""

    expectation: str
    column: str
    success: bool
    unexpected_count: int
    unexpected_percent: float
    sample: str


@dataclass(frozen=True)
class Rule:
    """A column expectation as SQL over the batch: the rows it judges (``None``: all), the
    condition of an unexpected one, the columns its samples show, and the window column
    its samples need (uniqueness; the aggregate counts those rows with a GROUP BY of
    their own, :func:`_duplicates_sql`)."""

    judged: str | None
    unexpected: str
    shown: tuple[str, ...]
    window: str | None = None
    # The rows a row condition picks (SQL), judged as ``judged`` says; None: every row.
    picked: str | None = None

    def judged_sql(self, picked: str | None = None) -> str | None:
        """The condition of a judged row, the row condition as ``picked`` (a column of
        the batch holding it) or, by default, as its SQL."""
        parts = [p for p in (picked or self.picked, self.judged) if p is not None]
        if len(parts) < 2:
            return parts[0] if parts else None
        return " AND ".join(f"({p})" for p in parts)


def _name(column: str) -> str:
    if not _IDENTIFIER.match(column):
        raise ValueError(f"not a plain column name: {column!r}")
    return column


def _literal(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"no SQL literal for {value!r}")
    if isinstance(value, int | float):
        return repr(value)
    return sql_literal(str(value))


def _between(column: str, kwargs: dict) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    outside = []
    if low is not None:
        outside.append(f"{column} {'<=' if kwargs.get('strict_min') else '<'} {_literal(low)}")
    if high is not None:
        outside.append(f"{column} {'>=' if kwargs.get('strict_max') else '>'} {_literal(high)}")
    return " OR ".join(outside) or "FALSE"


def _row_condition(condition: Any) -> str:
    """GX 1.x's row condition (a serialized ``ComparisonCondition`` of IN or NOT_IN, the
    only kind the suites use) as SQL. As GX's pandas engine filters (``not in``), a NULL
    value is not in any set: NOT IN picks it."""
    if not isinstance(condition, Mapping) or condition.get("type") != "comparison":
        raise ValueError(f"no SQL for the row condition {condition!r}")
    column = _name(condition["column"]["name"])
    values = ", ".join(_literal(v) for v in condition["parameter"])
    in_set = f"coalesce(ORDERS_IN_SET({column}, {values}), FALSE)"
    if condition["operator"] == "IN":
        return in_set
    if condition["operator"] == "NOT_IN":
        return f"NOT {in_set}"
    raise ValueError(f"no SQL for the row condition {condition!r}")


def rule(expectation: Expectation, index: int) -> Rule:
    """The SQL of one column (or column pair) expectation; ``index`` names its window. A
    row condition narrows the rows it judges (GX filters the batch by it first)."""
    kwargs = dict(expectation.kwargs)
    condition = kwargs.pop("row_condition", None)
    found = _column_rule(expectation.type, kwargs, index)
    if condition is None:
        return found
    if found.window is not None:
        raise ValueError(f"no SQL for a row condition on {expectation.type}")
    return Rule(found.judged, found.unexpected, found.shown, picked=_row_condition(condition))


def _column_rule(kind: str, kwargs: dict, index: int) -> Rule:
    expectation = f"{kind}({kwargs})"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = _name(kwargs["column_A"]), _name(kwargs["column_B"])
        if kwargs.get("ignore_row_if", "both_values_are_missing") != "both_values_are_missing":
            raise ValueError(f"unsupported ignore_row_if in {expectation}")
        operator = ">=" if kwargs.get("or_equal") else ">"
        return Rule(
            judged=f"NOT ({a} IS NULL AND {b} IS NULL)",
            unexpected=f"NOT coalesce({a} {operator} {b}, FALSE)",
            shown=(a, b),
        )
    column = _name(kwargs["column"])
    present = f"{column} IS NOT NULL"
    if kind == "expect_column_values_to_not_be_null":
        return Rule(judged=None, unexpected=f"{column} IS NULL", shown=(column,))
    if kind == "expect_column_values_to_be_unique":
        window = f"orders_rows_with_same_{index}"
        return Rule(present, f"{window} > 1", (column,), window=window)
    if kind == "expect_column_values_to_be_between":
        return Rule(present, _between(column, kwargs), (column,))
    if kind == "expect_column_value_lengths_to_be_between":
        return Rule(present, _between(f"length({column})", kwargs), (column,))
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return Rule(present, f"NOT ORDERS_IN_SET({column}, {values})", (column,))
    if kind == "expect_column_values_to_match_regex":
        return Rule(present, f"NOT ORDERS_SEARCH({column}, {_literal(kwargs['regex'])})", (column,))
    if kind == "expect_column_values_to_not_match_regex":
        return Rule(present, f"ORDERS_SEARCH({column}, {_literal(kwargs['regex'])})", (column,))
    raise ValueError(f"no SQL for the expectation {kind}")


def _rules(expectations: Sequence[Expectation]) -> dict[int, Rule]:
    return {i: rule(e, i) for i, e in enumerate(expectations) if e.type not in TABLE_EXPECTATIONS}


def amount_line_error(
    amount: str = "amount", quantity: str = "quantity", unit_price: str = "unit_price"
) -> str:
    """|amount - quantity x unit_price| / amount (NULL without both line values; an amount
    of 0 with non-zero lines is an infinite error): the suite's derived column, and the
    very expression the cleaning's ``amount_mismatch`` rule compares with the tolerance,
    so that both round alike (a product test, |amount - lines| > 0.01 x amount, kept an
    amount below the normal doubles 1.3 % off its lines: 0.01 x 151 x 4.9e-324 rounds to
    2 x 4.9e-324).

    Rounded to 12 decimals: in doubles an amount exactly 1 % off its lines came out a hair
    above the tolerance (1 for 1 x 1.01: 0.010000000000000009) and was quarantined, where
    the contract allows up to 1 %; what the rounding gives away (an error within 5e-13 of
    the tolerance) is far below a cent on any amount the bounds allow."""
    lines = f"{quantity} * {unit_price}"
    return (
        f"CASE WHEN {quantity} IS NULL OR {unit_price} IS NULL THEN NULL"
        f" WHEN {amount} = 0 THEN CASE WHEN {lines} = 0 THEN 0.0 ELSE CAST('inf' AS DOUBLE) END"
        f" ELSE round(abs({amount} - {lines}) / abs({amount}), 12) END"
    )


def _derived() -> list[str]:
    """The derived columns of the batch (see :mod:`orders_core.expectations`). Instants
    compare in the session's time zone, UTC in both engines."""
    return [
        f"{amount_line_error()} AS {AMOUNT_LINE_ERROR}",
        "CAST(ORDERS_EPOCH_US(order_ts) - ORDERS_EPOCH_US(CAST(partition_date AS TIMESTAMP))"
        f" AS DOUBLE) / 1000000 AS {ORDER_TS_OFFSET}",
    ]


def batch_sql(table: Table, rules: Iterable[Rule] = ()) -> str:
    """The rows of the days ``BETWEEN ? AND ?`` as the suite sees them: the table's
    columns, the derived columns, and the windows of ``rules``."""
    columns = ["day_rows.*", *_derived()]
    for r in rules:
        if r.window is not None:
            column = r.shown[0]
            columns.append(f"count(*) OVER (PARTITION BY partition_date, {column}) AS {r.window}")
    return (
        f"SELECT {', '.join(columns)} FROM {table.schema}.{table.name} AS day_rows"  # noqa: S608 (identifiers from the code)
        " WHERE partition_date BETWEEN ? AND ?"
    )


def _duplicates_sql(table: Table, column: str) -> str:
    """Per day ``BETWEEN ? AND ?`` (bound twice): the rows whose ``column`` value appears
    more than once that day (GX's unexpected count of uniqueness). A GROUP BY of its own:
    a window over the batch costs about twice as much (every column of the batch goes
    through it).

    The values are grouped only among the rows whose hash repeats that day: every row of
    a repeated value is one of them (equal values hash alike), so the count is exact,
    and on a day without duplicates (nearly every day) no text is grouped at all.
    Grouping 1,000,000 order ids by their hash first took 0.12 CPU s where grouping the
    ids took 0.15 (bench/RESULTS.md, hunt 86)."""
    source = f"{table.schema}.{table.name}"
    present = f"partition_date BETWEEN ? AND ? AND {column} IS NOT NULL"
    hashed = f"ORDERS_HASH({column})"
    repeated_hashes = (
        f"SELECT partition_date AS day, {hashed} AS value_hash FROM {source}"  # noqa: S608 (identifiers from the code)
        f" WHERE {present} GROUP BY partition_date, {hashed} HAVING count(*) > 1"
    )
    return (
        f"SELECT partition_date, sum(n) AS duplicated FROM (SELECT partition_date, {column},"  # noqa: S608 (identifiers from the code)
        f" count(*) AS n FROM {source} AS day_rows JOIN ({repeated_hashes}) AS repeated_hashes"
        f" ON repeated_hashes.day = day_rows.partition_date"
        f" AND repeated_hashes.value_hash = ORDERS_HASH(day_rows.{column})"
        f" WHERE {present} GROUP BY partition_date, {column} HAVING count(*) > 1)"
        " AS repeated_values GROUP BY partition_date"
    )


def aggregate_sql(table: Table, expectations: Sequence[Expectation]) -> str:
    """Per day ``BETWEEN ? AND ?``: ``partition_date``, the row count, then for each
    column expectation (in order) the rows it judges and the unexpected ones.

    The day range is bound once per scan: see :func:`aggregate_params`."""
    rules = _rules(expectations)
    counts = ["partition_date", "count(*) AS row_count"]
    result = ["day_counts.partition_date", "row_count"]
    duplicates = []
    # Each distinct row condition is one column of the batch, evaluated once per row and
    # written once (amount and unit_price share the currency sets of their bounds).
    picks = {r.picked: f"picked_{k}" for k, r in enumerate(rules.values()) if r.picked}
    picks = {sql: f"picked_{k}" for k, sql in enumerate(picks)}
    for i, r in rules.items():
        condition = r.judged_sql(picks.get(r.picked))
        judged = "count(*)" if condition is None else f"count(CASE WHEN {condition} THEN 1 END)"
        counts.append(f"{judged} AS judged_{i}")
        result.append(f"judged_{i}")
        if r.window is not None:
            duplicates.append(
                f"LEFT JOIN ({_duplicates_sql(table, r.shown[0])}) AS duplicates_{i}"
                f" ON duplicates_{i}.partition_date = day_counts.partition_date"
            )
            result.append(f"coalesce(duplicates_{i}.duplicated, 0) AS unexpected_{i}")
            continue
        unexpected = r.unexpected if condition is None else f"({condition}) AND ({r.unexpected})"
        counts.append(f"count(CASE WHEN {unexpected} THEN 1 END) AS unexpected_{i}")
        result.append(f"unexpected_{i}")
    batch = batch_sql(table)
    if picks:
        picked = ", ".join(f"{sql} AS {name}" for sql, name in picks.items())
        batch = f"SELECT day_rows.*, {picked} FROM ({batch}) AS day_rows"  # noqa: S608 (identifiers from the code)
    day_counts = (
        f"SELECT {', '.join(counts)} FROM ({batch}) AS day_batch"  # noqa: S608 (identifiers from the code)
        " GROUP BY partition_date"
    )
    return (
        f"SELECT {', '.join(result)} FROM ({day_counts}) AS day_counts {' '.join(duplicates)}"  # noqa: S608 (identifiers from the code)
        " ORDER BY day_counts.partition_date"
    )


def aggregate_params(
    expectations: Sequence[Expectation], first: dt.date, last: dt.date
) -> list[dt.date]:
    """The values :func:`aggregate_sql` binds: the day range, once per scan (twice for
    each uniqueness expectation, see :func:`_duplicates_sql`)."""
    windows = sum(r.window is not None for r in _rules(expectations).values())
    return [first, last] * (1 + 2 * windows)


def sample_sql(table: Table, expectation: Expectation, index: int = 0) -> str:
    """A few unexpected values of one column expectation on the day bound twice
    (``BETWEEN ? AND ?``), ordered so that a re-run shows the same ones."""
    r = rule(expectation, index)
    condition = r.judged_sql()
    judged = f"({condition}) AND " if condition else ""
    shown = ", ".join(r.shown)
    return (
        f"SELECT {shown} FROM ({batch_sql(table, [r])}) AS day_batch"  # noqa: S608 (identifiers from the code)
        f" WHERE {judged}({r.unexpected}) ORDER BY {shown} LIMIT {SAMPLE_VALUES}"
    )


def _shown(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return repr(value.isoformat())
    return repr(value.item() if hasattr(value, "item") else value)


def format_sample(rows: Sequence[tuple]) -> str:
    """Sample rows as the check shows them: ``'XYZ', 'ABC'`` or ``(a, b), ...`` for a
    pair, with anything shaped like an e-mail address masked."""
    parts = [
        _shown(row[0]) if len(row) == 1 else "(" + ", ".join(map(_shown, row)) + ")" for row in rows
    ]
    return _EMAIL.sub("<e-mail>", ", ".join(parts))[:SAMPLE_CHARS]


def _table_outcome(
    expectation: Expectation, rows: int, columns: Sequence[str]
) -> ExpectationOutcome:
    kwargs = expectation.kwargs
    if expectation.type == "expect_table_row_count_to_equal":
        success = rows == kwargs["value"]
        found = f"{rows} rows, {kwargs['value']} expected"
    else:
        observed = [*columns, *DERIVED_COLUMNS]
        expected = set(kwargs["column_set"])
        exact = kwargs.get("exact_match", True)
        success = set(observed) == expected if exact else expected <= set(observed)
        # The difference, not the whole list: which column to drop or add is the finding.
        unexpected = [c for c in observed if c not in expected] if exact else []
        missing = [c for c in kwargs["column_set"] if c not in observed]
        found = (
            f"columns not expected: {', '.join(unexpected) or 'none'};"
            f" missing: {', '.join(missing) or 'none'}"
        )
    return ExpectationOutcome(
        expectation.type,
        expectation.column,
        success,
        0,
        0.0,
        "" if success else found[:SAMPLE_CHARS],
    )


def evaluate(
    execute: Execute,
    table: Table,
    suite: Callable[[dt.date], Sequence[Expectation]],
    days: Sequence[dt.date],
    dialect: str = DUCKDB,
) -> dict[dt.date, tuple[int, list[ExpectationOutcome]]]:
    """Each day's row count and the outcome of every expectation of its suite;
    ``execute`` runs a statement in the engine of ``dialect``.

    The column expectations are the same every day (only table-level values such as the
    expected row count differ), so one aggregate statement covers all ``days``.
    """
    if not days:
        return {}
    first, last = min(days), max(days)
    structure = suite(first)
    statement, params = aggregate_sql(table, structure), aggregate_params(structure, first, last)
    counts = {row[0]: row[1:] for row in execute(statement, params)}
    needs_columns = any(e.type == "expect_table_columns_to_match_set" for e in structure)
    columns = (
        [str(r[0]).lower() for r in execute(*columns_statement(table.schema, table.name, dialect))]
        if needs_columns
        else []
    )
    results = {}
    for day in days:
        expectations = suite(day)
        if [e.type for e in expectations] != [e.type for e in structure]:
            raise ValueError("a suite must have the same expectations every day")
        figures = counts.get(day) or (0,) * (1 + 2 * len(_rules(structure)))
        rows, position, outcomes = int(figures[0]), 1, []
        for i, expectation in enumerate(expectations):
            if expectation.type in TABLE_EXPECTATIONS:
                outcomes.append(_table_outcome(expectation, rows, columns))
                continue
            judged, unexpected = int(figures[position]), int(figures[position + 1])
            position += 2
            sample = ""
            if unexpected:
                sample = format_sample(execute(sample_sql(table, expectation, i), [day, day]))
            outcomes.append(
                ExpectationOutcome(
                    expectation=expectation.type,
                    column=expectation.column,
                    success=unexpected == 0,
                    unexpected_count=unexpected,
                    unexpected_percent=round(100 * unexpected / judged, 4) if judged else 0.0,
                    sample=sample,
                )
            )
        results[day] = (rows, outcomes)
    return results


def statements(table: Table, expectations: Sequence[Expectation], dialect: str) -> dict[str, str]:
    """The aggregate and the sample statements of a suite on a table, rendered for review."""
    samples = [
        render(sample_sql(table, expectation, i), dialect)
        for i, expectation in enumerate(expectations)
        if expectation.type not in TABLE_EXPECTATIONS
    ]
    return {
        f"quality_{table.name}_aggregate": render(aggregate_sql(table, expectations), dialect),
        f"quality_{table.name}_samples": ";\n\n".join(samples),
    }
