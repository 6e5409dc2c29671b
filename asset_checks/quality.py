"""Great Expectations (GX Core 1.x) suites as blocking, partitioned checks of the typed tables.

The suites are GX expectation configurations built from the contract
(:mod:`orders_core.expectations`); each run compiles them to SQL
(:mod:`orders_core.sql.quality`) and evaluates every day of the run inside the warehouse
engine (DuckDB locally, Snowflake in prod): one aggregate statement per table for the
run's days, then a small ``LIMIT`` query per failing expectation for its sample values.
No day of rows is read into Python and GX itself is not imported here; the tests hold
the engine's results to GX's own validation, expectation by expectation. Failing counts,
percentages and a few sample values of every expectation go into the check's metadata,
one evaluation per day.
"""

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from typing import Any

import dagster as dg

from asset_checks.partitioned import PartitionOutcome, partition_check_events
from orders_core.calendar import consecutive_runs, days_in_window
from orders_core.contract import load_contract
from orders_core.expectations import Expectation, order_suite, publication_suite
from orders_core.sql.dialect import DUCKDB
from orders_core.sql.facts import current_day_counts_sql
from orders_core.sql.quality import TABLE_EXPECTATIONS, Execute, ExpectationOutcome, evaluate
from orders_core.tables import CLEANED_ORDERS, FCT_ORDERS, FCT_ORDERS_COLUMNS, GX_QUALITY, Table
from resources.instance_history import (
    partitions_materialized_in_run,
    published_withheld,
    unpassed_checks,
)
from resources.telemetry import TelemetryResource
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

CLEANED = dg.AssetKey(CLEANED_ORDERS.key)
FACTS = dg.AssetKey(FCT_ORDERS.key)
RESULT_COLUMNS = (
    "expectation",
    "column",
    "success",
    "unexpected_count",
    "unexpected_percent",
    "sample",
)
Suite = Callable[[dt.date], Sequence[Expectation]]


def quality_outcome(outcomes: Sequence[ExpectationOutcome], rows: int) -> PartitionOutcome:
    """Passes when every expectation holds; the per-expectation findings as a table."""
    failed = [o for o in outcomes if not o.success]
    metadata: dict[str, Any] = {
        "rows": rows,
        "gx/evaluated_expectations": len(outcomes),
        "gx/failed_expectations": len(failed),
        "gx/unexpected_rows_max": max((o.unexpected_count for o in outcomes), default=0),
        "gx/results": dg.MetadataValue.table(
            records=[dg.TableRecord(asdict(o)) for o in outcomes],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name,
                        {
                            "success": "bool",
                            "unexpected_count": "int",
                            "unexpected_percent": "float",
                        }.get(name, "string"),
                    )
                    for name in RESULT_COLUMNS
                ]
            ),
        ),
    }
    if not failed:
        return PartitionOutcome(
            True, description=f"{len(outcomes)} expectations met.", metadata=metadata
        )
    summary = "; ".join(
        f"{o.expectation}: {o.sample}"
        if o.expectation in TABLE_EXPECTATIONS
        else f"{o.expectation}({o.column}): {o.unexpected_count} rows ({o.unexpected_percent}%)"
        for o in failed
    )
    return PartitionOutcome(False, description=summary[:2000], metadata=metadata)


def validate_days(
    execute: Execute, table: Table, suite: Suite, days: Sequence[dt.date], dialect: str = DUCKDB
) -> dict[str, PartitionOutcome]:
    """Run the day's suite on each day of ``table`` in the engine (of ``dialect``); one
    outcome per partition key."""
    return {
        day.isoformat(): quality_outcome(outcomes, rows)
        for day, (rows, outcomes) in evaluate(execute, table, suite, days, dialect).items()
    }


def _check_description(asset: dg.AssetKey) -> str:
    if asset == CLEANED:
        return (
            "Great Expectations suite from the contract: keys not null, order_id unique, "
            "amounts and quantities in range, currency (ISO 4217) and status in their sets, "
            "id patterns, text lengths, no formula-like text, order_ts inside the partition "
            "day, updated_at >= order_ts, amount = quantity x unit_price within tolerance, "
            "e-mail hash a hex digest. Run as SQL inside the warehouse engine."
        )
    return (
        "Great Expectations publication suite: exactly the published columns (no lineage, "
        "no PII in clear), as many rows as the day's current cleaned order versions, keys "
        "present and unique, orders of the partition day, amounts in range. Run as SQL "
        "inside the warehouse engine."
    )


def _suite_events(
    context: dg.AssetCheckExecutionContext,
    telemetry: TelemetryResource,
    warehouse: Warehouse,
    table: Table,
    suite: Callable[[Execute, Sequence[dt.date]], Suite],
    with_moved_days: bool = False,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """One GX check over the run's days (``with_moved_days``: and the days outside them
    that the run materialized, see :func:`moved_days`), evaluated in the engine, one
    evaluation per day, all on the check's span. ``suite`` gives the day's suite, from
    figures it may read first (the facts' expected row counts)."""
    (check_key,) = [spec.key for spec in context.check_specs]
    with telemetry.check_span(context, check_key) as span:
        days = days_in_window(context.partition_time_window)
        if with_moved_days:
            days += moved_days(context, check_key.asset_key, days)
        outcomes = {}
        with warehouse.session() as session:
            for group in consecutive_runs(days):
                outcomes |= validate_days(
                    session.execute, table, suite(session.execute, group), group, session.dialect
                )
        yield from span.record_events(
            partition_check_events(context.op_execution_context, check_key, outcomes)
        )


def moved_days(
    context: dg.AssetCheckExecutionContext, asset_key: dg.AssetKey, window: Sequence[dt.date]
) -> list[dt.date]:
    """Days outside the run's window whose ``asset_key`` this run materialized: the
    fct_orders days its step moved facts off (an order re-sent on a later day leaves its
    older day). Their new materialization is checked in the same run, as the window's
    days are, so a day's latest result describes its latest rows whatever the batching."""
    materialized = partitions_materialized_in_run(
        context.instance, context.op_execution_context.run_id, asset_key
    )
    return sorted({dt.date.fromisoformat(key) for key in materialized} - set(window))


def facts_suite(
    execute: Execute, days: Sequence[dt.date], withheld: Sequence[dt.date] = ()
) -> Suite:
    """The publication suite of each day, expecting as many facts as the day's cleaned
    rows that are their order's current version (an order landed again on a later day
    is published there only), the rows of the ``withheld`` days (whose cleaning has not
    passed cleaned_orders' blocking checks) competing not at all, as in fct_orders."""
    contract = load_contract()
    first, last = min(days), max(days)
    expected = {
        day: int(n)
        for day, n in execute(
            current_day_counts_sql(len(withheld)),
            [first, last, *withheld, first, last, *withheld, first, last, first, last],
        )
    }
    return lambda day: publication_suite(contract, FCT_ORDERS_COLUMNS, expected.get(day, 0))


def build_quality_checks(
    partitions_def: dg.PartitionsDefinition, cleaned_blocking: Sequence[dg.AssetCheckKey]
) -> list[dg.AssetChecksDefinition]:
    """GX checks of cleaned_orders (content) and of the published warehouse/fct_orders.
    ``cleaned_blocking``: cleaned_orders' blocking checks declared elsewhere
    (reconciliation); with this module's own, a day one of them has not passed is
    withheld from the facts' expected counts, as fct_orders withholds it."""
    contract = load_contract()
    withheld_by = [dg.AssetCheckKey(CLEANED, GX_QUALITY), *cleaned_blocking]

    @dg.asset_check(
        asset=CLEANED,
        name=GX_QUALITY,
        partitions_def=partitions_def,
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=_check_description(CLEANED),
    )
    def cleaned_quality(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ):
        suite = order_suite(contract)
        yield from _suite_events(
            context, telemetry, warehouse, CLEANED_ORDERS, lambda execute, days: lambda day: suite
        )

    @dg.asset_check(
        asset=FACTS,
        name=GX_QUALITY,
        partitions_def=partitions_def,
        blocking=True,
        pool=WAREHOUSE_POOL,
        additional_deps=[CLEANED],
        description=_check_description(FACTS),
    )
    def facts_quality(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ):
        # The days fct_orders withheld when it published these facts (another run may
        # have cleaned a day again since, yet to be checked); the instance's verdicts for
        # facts published before fct_orders said.
        days = [day.isoformat() for day in days_in_window(context.partition_time_window)]
        said = published_withheld(context.instance, FACTS, days)
        withheld = sorted(
            dt.date.fromisoformat(day)
            for day in (
                said if said is not None else unpassed_checks(context.instance, withheld_by)
            )
        )
        yield from _suite_events(
            context,
            telemetry,
            warehouse,
            FCT_ORDERS,
            lambda execute, days: facts_suite(execute, days, withheld),
            with_moved_days=True,
        )

    return [cleaned_quality, facts_quality]
