"""Reconciliation of the cleaning step, per partition: nothing landed is lost or invented.

For every day, in rows and in revenue::

    raw = cleaned + quarantined + superseded

Rows count every landed record (``raw_orders`` rows of the day). Revenue is defined
on *parseable amounts*: the amount text read by the contract's own decimal parser
(``orders_core.sql.cleaning.parseable_amount``) that gives a finite number, whatever else is wrong with the
row (negative, out of range, wrong day...). Then:

- raw revenue = sum of the parseable amounts of the day's raw rows;
- cleaned revenue = sum of ``cleaned_orders.amount``;
- quarantined revenue = sum of the parseable amounts of the quarantined rows;
- superseded revenue = sum of the amounts of the valid rows that lost deduplication.

Rows whose amount does not parse (``"1,234.50"``, ``"12 EUR"``, ``1e400``) or is beyond any
money (over ``MAX_RECONCILED_AMOUNT``, 1e15, such as ``1e308``, whose sums would
overflow) carry no revenue on either side; they are counted in ``unparseable_amount_rows``. Sums are
summed in the engine and compared within ``1e-9`` of the summed absolute amounts, so
the order of summation cannot fail the check.

The check runs inside the cleaning step (``check_specs`` of the ``clean_orders``
multi-asset), as one aggregate over the tables the step has just written
(``reconciliation_select``): raw.raw_orders, staging.cleaned_orders and
staging.quarantined_orders of the day, and the superseded rows of the classification.
It so proves that what was stored balances, not only what was computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict

import dagster as dg
import pandas as pd

from asset_checks.partitioned import PartitionOutcome, partition_check_events
from orders_core import tables
from orders_core.cleaning import CleaningResult, local_connection, raw_table
from orders_core.contract import Contract
from orders_core.reconciliation import Reconciliation, balances_from_rows
from orders_core.sql.cleaning import reconciliation_select
from orders_core.sql.dialect import render

CHECK_NAME = tables.RECONCILIATION
CHECKED_ASSET = dg.AssetKey(tables.CLEANED_ORDERS.key)
RECONCILIATION_CHECK = dg.AssetCheckKey(CHECKED_ASSET, CHECK_NAME)
AMOUNT_DECIMALS = 6


def reconcile_days(
    raw: pd.DataFrame, result: CleaningResult, days: Sequence[dt.date], contract: Contract
) -> dict[dt.date, Reconciliation]:
    """Balance of each day between a raw frame and its cleaning result, by the same SQL
    the cleaning step runs on the warehouse tables (here in an in-memory DuckDB)."""
    with local_connection() as conn:
        conn.register("raw_part", raw_table(raw, contract))
        for name in ("cleaned", "quarantined", "superseded"):
            frame = getattr(result, name)
            conn.register(f"{name}_part", frame.loc[:, ["partition_date", "amount"]])
        sql = render(
            reconciliation_select("raw_part", "cleaned_part", "quarantined_part", "superseded_part")
        )
        first, last = (min(days), max(days)) if days else (dt.date.min, dt.date.min)
        rows = conn.execute(sql, [first, last] * 4).fetchall()
    return balances_from_rows(rows, days)


def _amount(value: float) -> float:
    """An amount to 6 decimals (no float noise, the mills of 3-decimal currencies kept),
    and 0.0 where noise rounds to -0.0 (adding +0.0 does that)."""
    return round(value, AMOUNT_DECIMALS) + 0.0


def reconciliation_outcome(balance: Reconciliation) -> PartitionOutcome:
    """Pass when rows and revenue balance; the whole balance sheet as metadata."""
    metadata = {
        **{
            f"reconciliation/{k}": _amount(v) if isinstance(v, float) else v
            for k, v in asdict(balance).items()
        },
        "reconciliation/row_difference": balance.row_difference,
        "reconciliation/revenue_difference": _amount(balance.revenue_difference),
    }
    if balance.balanced:
        return PartitionOutcome(
            True, description="raw = cleaned + quarantined + superseded", metadata=metadata
        )
    return PartitionOutcome(
        False,
        description=(
            f"Unbalanced: {balance.row_difference} rows and "
            f"{balance.revenue_difference:.6g} revenue unaccounted for"
        ),
        metadata=metadata,
    )


def reconciliation_check_specs(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    """The blocking reconciliation check, declared on the cleaning multi-asset."""
    return [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=CHECKED_ASSET,
            blocking=True,
            partitions_def=partitions_def,
            description=(
                "raw = cleaned + quarantined + superseded, in rows and in revenue (sum of "
                "parseable amounts), for every day. Blocks everything downstream if not."
            ),
        )
    ]


def not_cleaned_outcome(why: str) -> PartitionOutcome:
    """A day the cleaning left alone (held upstream): nothing was cleaned to reconcile. A
    warning, so it stops nothing built on the day's earlier rows (a run of the other days
    alone would not have judged it at all), and the UI says why."""
    return PartitionOutcome(
        False,
        dg.AssetCheckSeverity.WARN,
        description=f"Not cleaned in this run, so not reconciled: {why}"[:2000],
        metadata={"not_cleaned": why},
    )


def reconciliation_events(
    context: dg.OpExecutionContext,
    rows: Sequence[tuple],
    days: Sequence[dt.date],
    not_cleaned: Mapping[str, str] | None = None,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """Check events of the cleaning step, one evaluation per day, from the rows of
    ``reconciliation_select`` over the stored tables (the cleaned ``days``), and for the
    run's days the step left alone (``not_cleaned``, each with why) a warning; yield after
    the outputs.

    The caller skips this when the check is not selected (asset subsetting).
    """
    outcomes = {
        day.isoformat(): reconciliation_outcome(balance)
        for day, balance in balances_from_rows(rows, days).items()
    }
    outcomes |= {day: not_cleaned_outcome(why) for day, why in (not_cleaned or {}).items()}
    yield from partition_check_events(context, RECONCILIATION_CHECK, dict(sorted(outcomes.items())))
