"""Reconciliation of the cleaning step, per partition: nothing landed is lost or invented.

For every day, in rows and in revenue::

    raw = cleaned + quarantined + superseded

Rows count every landed record (``raw_orders`` rows of the day). Revenue is defined
on *parseable amounts*: the amount text read by the contract's own decimal parser
(``cleaning.parse_values``) that gives a finite number, whatever else is wrong with the
row (negative, out of range, wrong day...). Then:

- raw revenue = sum of the parseable amounts of the day's raw rows;
- cleaned revenue = sum of ``cleaned_orders.amount``;
- quarantined revenue = sum of the parseable amounts of the quarantined rows;
- superseded revenue = sum of the amounts of the valid rows that lost deduplication.

Rows whose amount does not parse (``"1,234.50"``, ``"12 EUR"``, ``1e400``) carry no
revenue on either side; they are counted in ``unparseable_amount_rows``. Sums are
``math.fsum`` (exactly rounded) and compared within ``1e-9`` of the summed absolute
amounts, so the order of summation cannot fail the check.

The check runs inside the cleaning step (``check_specs`` of the ``clean_orders``
multi-asset): the raw frame and the cleaning result are already in memory there, so
it costs a few vectorised sums instead of reading three tables back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import dagster as dg
import numpy as np
import pandas as pd

from asset_checks.partitioned import PartitionOutcome, partition_check_events
from orders_core import tables
from orders_core.cleaning import CleaningResult, column_text, parse_values
from orders_core.contract import Contract

CHECK_NAME = tables.RECONCILIATION
CHECKED_ASSET = dg.AssetKey(tables.CLEANED_ORDERS.key)
RECONCILIATION_CHECK = dg.AssetCheckKey(CHECKED_ASSET, CHECK_NAME)
RELATIVE_TOLERANCE = 1e-9
AMOUNT_DECIMALS = 6


@dataclass(frozen=True)
class Reconciliation:
    """The balance of one partition of the cleaning step."""

    raw_rows: int
    cleaned_rows: int
    quarantined_rows: int
    superseded_rows: int
    unparseable_amount_rows: int
    raw_revenue: float
    cleaned_revenue: float
    quarantined_revenue: float
    superseded_revenue: float
    absolute_amounts: float

    @property
    def row_difference(self) -> int:
        return self.raw_rows - self.cleaned_rows - self.quarantined_rows - self.superseded_rows

    @property
    def revenue_difference(self) -> float:
        return self.raw_revenue - math.fsum(
            [self.cleaned_revenue, self.quarantined_revenue, self.superseded_revenue]
        )

    @property
    def balanced(self) -> bool:
        tolerance = RELATIVE_TOLERANCE * max(1.0, self.absolute_amounts)
        return self.row_difference == 0 and abs(self.revenue_difference) <= tolerance


def parseable_amounts(frame: pd.DataFrame, contract: Contract) -> np.ndarray:
    """Finite amounts of a frame of landed (text) rows, by the contract's parser.

    Run on Arrow-backed strings: the same rules, several times faster on a large day.
    """
    spec = contract.column("amount")
    with pd.option_context("mode.string_storage", "pyarrow"):
        values, _ = parse_values(column_text(frame, spec), spec)
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    return numbers[np.isfinite(numbers)]


def _split_by_day(frame: pd.DataFrame, days: Sequence[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """The ``amount`` column of each day's rows, by ``partition_date`` (compared in Arrow when it is an Arrow
    date: converting a million dates to pandas timestamps costs seconds)."""
    amounts = frame.loc[:, ["amount"]]
    if frame.empty:
        return {day: amounts for day in days}
    column = frame["partition_date"]
    if not isinstance(column.dtype, pd.ArrowDtype):
        column = pd.to_datetime(column).dt.date
    return {day: amounts[(column == day).fillna(False).to_numpy(dtype=bool)] for day in days}


def reconcile_days(
    raw: pd.DataFrame, result: CleaningResult, days: Sequence[dt.date], contract: Contract
) -> dict[dt.date, Reconciliation]:
    """Balance of each day between the raw frame and the cleaning result."""
    raw_by_day = _split_by_day(raw, days)
    cleaned = _split_by_day(result.cleaned, days)
    quarantined = _split_by_day(result.quarantined, days)
    superseded = _split_by_day(result.superseded, days)
    balances = {}
    for day in days:
        raw_amounts = parseable_amounts(raw_by_day[day], contract)
        balances[day] = Reconciliation(
            raw_rows=len(raw_by_day[day]),
            cleaned_rows=len(cleaned[day]),
            quarantined_rows=len(quarantined[day]),
            superseded_rows=len(superseded[day]),
            unparseable_amount_rows=len(raw_by_day[day]) - len(raw_amounts),
            raw_revenue=math.fsum(raw_amounts),
            cleaned_revenue=math.fsum(cleaned[day]["amount"].to_numpy(dtype="float64")),
            quarantined_revenue=math.fsum(parseable_amounts(quarantined[day], contract)),
            superseded_revenue=math.fsum(superseded[day]["amount"].to_numpy(dtype="float64")),
            absolute_amounts=math.fsum(np.abs(raw_amounts)),
        )
    return balances


def reconciliation_outcome(balance: Reconciliation) -> PartitionOutcome:
    """Pass when rows and revenue balance; the whole balance sheet as metadata."""
    # Amounts to 6 decimals: no float noise, and the mills of 3-decimal currencies kept.
    metadata = {
        **{
            f"reconciliation/{k}": round(v, AMOUNT_DECIMALS) if isinstance(v, float) else v
            for k, v in asdict(balance).items()
        },
        "reconciliation/row_difference": balance.row_difference,
        "reconciliation/revenue_difference": round(balance.revenue_difference, AMOUNT_DECIMALS),
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


def reconciliation_events(
    context: dg.OpExecutionContext,
    raw: pd.DataFrame,
    result: CleaningResult,
    days: Sequence[dt.date],
    contract: Contract,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """Check events of the cleaning step, one evaluation per day; yield after the outputs.

    The caller skips this when the check is not selected (asset subsetting).
    """
    outcomes = {
        day.isoformat(): reconciliation_outcome(balance)
        for day, balance in reconcile_days(raw, result, days, contract).items()
    }
    yield from partition_check_events(context, RECONCILIATION_CHECK, outcomes)
