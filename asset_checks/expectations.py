"""The Great Expectations suite of the typed order tables, built from the contract.

Nothing here imports Great Expectations at module level: it takes seconds to import,
and loading the Dagster definitions must stay fast. The suite is a list of GX
expectation objects made on demand by :func:`order_expectations`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from platform_assets.contract import Contract

AMOUNT_LINE_ERROR = "amount_line_error"

# Columns of cleaned_orders that the suite reads (lineage columns are not judged here).
QUALITY_COLUMNS = (
    "order_id",
    "customer_id",
    "order_ts",
    "amount",
    "currency",
    "quantity",
    "unit_price",
    "status",
    "region",
    "customer_email_hash",
    "updated_at",
)


def prepare_for_suite(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the suite reads it: timestamps in UTC, text as categories, plus one
    derived column.

    ``amount_line_error`` = ``|amount - quantity * unit_price| / amount`` where both line
    values are set (null otherwise, which GX column expectations skip); an amount of 0
    with non-zero lines counts as an infinite error.
    """
    data = frame.copy()
    for column in ("order_ts", "updated_at"):
        data[column] = pd.to_datetime(data[column], utc=True)
    for column in (
        "order_id",
        "customer_id",
        "currency",
        "status",
        "region",
        "customer_email_hash",
    ):
        # Categories make GX's batch fingerprint and set/regex/length metrics work on
        # distinct values instead of every row (a large share of its run time).
        data[column] = data[column].astype("string").astype("category")
    amount = data["amount"].astype("float64")
    lines = data["quantity"].astype("Float64").astype("float64") * data["unit_price"].astype(
        "float64"
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        error = (amount - lines).abs() / amount.abs()
    error = error.where(~((amount == 0) & (lines == 0)), 0.0)
    data[AMOUNT_LINE_ERROR] = error.replace(np.nan, None).astype("float64")
    return data


def day_bounds(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start (inclusive) and end (exclusive) of a UTC partition day."""
    start = pd.Timestamp(day, tz="UTC")
    return start, start + pd.Timedelta(days=1)


def order_expectations(
    contract: Contract, day: dt.date, table_columns: Sequence[str] | None = None
) -> list[Any]:
    """GX expectations for one day of typed orders, from the contract's rules.

    ``table_columns``, when given, is the exact column set the table must have (for a
    published table: no lineage column and no PII in clear); the derived
    ``amount_line_error`` column of :func:`prepare_for_suite` is added to it.
    """
    import great_expectations.expectations as gxe

    expectations: list[Any] = []
    for name in contract.required:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=name))
    expectations.append(gxe.ExpectColumnValuesToNotBeNull(column="updated_at"))
    expectations.append(gxe.ExpectColumnValuesToBeUnique(column=contract.dedup_key))
    for spec in contract.columns:
        if spec.pii or spec.name not in QUALITY_COLUMNS:
            continue
        if spec.min is not None or spec.max is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=spec.name, min_value=spec.min, max_value=spec.max
                )
            )
        if spec.allowed is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(column=spec.name, value_set=list(spec.allowed))
            )
        if spec.pattern is not None:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(column=spec.name, regex=spec.pattern)
            )
        if spec.max_length is not None:
            expectations.append(
                gxe.ExpectColumnValueLengthsToBeBetween(
                    column=spec.name, min_value=1, max_value=spec.max_length
                )
            )
    if contract.formula_prefixes:
        formula = f"^[{re.escape(contract.formula_prefixes)}]"
        for spec in contract.free_text:
            if not spec.pii:
                expectations.append(
                    gxe.ExpectColumnValuesToNotMatchRegex(column=spec.name, regex=formula)
                )
    start, end = day_bounds(day)
    expectations += [
        gxe.ExpectColumnValuesToBeBetween(
            column="order_ts", min_value=start, max_value=end, strict_max=True
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="updated_at", column_B="order_ts", or_equal=True
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column=AMOUNT_LINE_ERROR, min_value=0, max_value=contract.quality.amount_line_tolerance
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="customer_email_hash", regex=contract.quality.email_hash_pattern
        ),
    ]
    if table_columns is not None:
        expectations.append(
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[*table_columns, AMOUNT_LINE_ERROR], exact_match=True
            )
        )
    return expectations
