"""Typed order tables in an in-memory DuckDB, and the GX suites run on them two ways:
compiled to SQL in the engine (what the platform runs) and by Great Expectations itself
on the same batch read into pandas (the reference)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from orders_core.cleaning import local_connection
from orders_core.contract import load_contract
from orders_core.expectations import Expectation, gx_suite
from orders_core.sql.dialect import render
from orders_core.sql.quality import SAMPLE_VALUES, ExpectationOutcome, batch_sql
from orders_core.sql.tables import create_statements
from orders_core.tables import Table


def warehouse_with(frames: dict[Table, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse (UTC) holding each frame in its table, typed as the SQL
    steps create them; columns a frame has beyond the table's are added as text."""
    conn = local_connection()
    contract = load_contract()
    for table, frame in frames.items():
        for statement in create_statements(contract, table):
            conn.execute(render(statement))
        known = {row[0] for row in conn.execute(f"DESCRIBE {table.qualified}").fetchall()}
        for extra in [c for c in frame.columns if c not in known]:
            conn.execute(f'ALTER TABLE {table.qualified} ADD COLUMN "{extra}" VARCHAR')
        conn.register("incoming", frame.reset_index(drop=True))
        conn.execute(f"INSERT INTO {table.qualified} BY NAME SELECT * FROM incoming")
        conn.unregister("incoming")
    return conn


def executor(conn: duckdb.DuckDBPyConnection):
    """``execute`` for :func:`orders_core.sql.quality.evaluate` on a DuckDB connection."""
    return lambda sql, params: conn.execute(render(sql), list(params)).fetchall()


def _same(theirs, ours) -> bool:
    """A GX argument equals ours (GX leaves out arguments at their default and may
    reorder a list of names)."""
    if isinstance(ours, list):
        return sorted(theirs) == sorted(ours)
    return theirs == ours


def gx_outcomes(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    day: dt.date,
    expectations: Sequence[Expectation],
) -> list[ExpectationOutcome]:
    """Great Expectations' own verdicts on the day's batch (the table's rows of the day
    with the derived columns), through an ephemeral context and a pandas datasource."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = conn.sql(render(batch_sql(table)), params=[day, day]).df()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("orders")
        .add_dataframe_asset("day")
        .add_batch_definition_whole_dataframe("whole_day")
    )
    suite = context.suites.add(gx_suite("day", expectations))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="day", data=batch, suite=suite)
    )
    result = validation.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_VALUES},
    )
    outcomes = []
    for expectation in expectations:
        (r,) = [
            r
            for r in result.results
            if r.expectation_config.type == expectation.type
            and all(
                _same(r.expectation_config.kwargs.get(k, v), v)
                for k, v in expectation.kwargs.items()
            )
        ]
        details = r.result or {}
        assert not (r.exception_info or {}).get("raised_exception"), r.exception_info
        outcomes.append(
            ExpectationOutcome(
                expectation=expectation.type,
                column=expectation.column,
                success=bool(r.success),
                unexpected_count=int(details.get("unexpected_count") or 0),
                unexpected_percent=round(float(details.get("unexpected_percent") or 0.0), 4),
                sample=repr(details.get("partial_unexpected_list", "")),
            )
        )
    return outcomes
