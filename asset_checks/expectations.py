"""The Great Expectations suite of the typed order tables, built from the contract.

Nothing here imports Great Expectations at module level: it takes seconds to import,
and loading the Dagster definitions must stay fast. The suite is a list of GX
expectation objects made on demand by :func:`order_expectations`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orders_core.contract import Contract
from orders_core.tables import QUALITY_COLUMNS

AMOUNT_LINE_ERROR = "amount_line_error"
ORDER_TS_OFFSET = "order_ts_seconds_into_day"
DERIVED_COLUMNS = (AMOUNT_LINE_ERROR, ORDER_TS_OFFSET)


@dataclass(frozen=True)
class DaySuite:
    """A day's expectations: on every row, and per text column on its distinct values.

    Value rules of text (sets, patterns, lengths) depend only on the value, so GX tests
    each distinct value once and the rows are counted from the column's value counts:
    the same verdicts and counts, at a fraction of the cost on a million rows.
    """

    rows: list[Any]
    values: dict[str, list[Any]] = field(default_factory=dict)


def prepare_for_suite(frame: pd.DataFrame, day: dt.date) -> tuple[pd.DataFrame, dict]:
    """The frame as the row expectations read it, and the decoders of its text columns.

    - text columns become integer codes (null stays null): GX fingerprints, copies and
      tests numbers far faster than strings, and nullness and uniqueness are unchanged;
      ``decoders[column][code]`` gives the value back for samples;
    - ``amount_line_error`` = ``|amount - quantity * unit_price| / amount`` where both
      line values are set (null otherwise, which GX column expectations skip); an amount
      of 0 with non-zero lines counts as an infinite error;
    - ``order_ts_seconds_into_day``: seconds from the partition day's UTC midnight (GX
      compares numbers vectorised, but timestamps one Python call per row);
    - ``quantity`` as a float, for the same reason.
    """
    data = frame.copy(deep=False)
    decoders: dict[str, Any] = {}
    for column in data.columns:
        if data[column].dtype == object or isinstance(data[column].dtype, pd.StringDtype):
            codes, uniques = pd.factorize(data[column])
            data[column] = np.where(codes < 0, np.nan, codes)
            decoders[column] = np.asarray(uniques, dtype=object)
    for column in ("order_ts", "updated_at"):
        data[column] = pd.to_datetime(data[column], utc=True)
    start, _ = day_bounds(day)
    data[ORDER_TS_OFFSET] = (data["order_ts"] - start).dt.total_seconds()
    data["quantity"] = data["quantity"].astype("Float64").astype("float64")
    amount = data["amount"].astype("float64")
    lines = data["quantity"] * data["unit_price"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        error = (amount - lines).abs() / amount.abs()
    error = error.where(~((amount == 0) & (lines == 0)), 0.0)
    data[AMOUNT_LINE_ERROR] = error.replace(np.nan, None).astype("float64")
    # A copy consolidates the columns into one block per dtype once; otherwise every
    # row filter GX makes per expectation consolidates its own copy again.
    return data.copy(), decoders


def day_bounds(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start (inclusive) and end (exclusive) of a UTC partition day."""
    start = pd.Timestamp(day, tz="UTC")
    return start, start + pd.Timedelta(days=1)


def order_expectations(contract: Contract) -> DaySuite:
    """GX expectations for one day of typed orders (cleaned_orders), from the contract.

    ``order_ts`` is judged through ``order_ts_seconds_into_day`` (see
    :func:`prepare_for_suite`), so the suite is the same for every day.
    """
    import great_expectations.expectations as gxe

    expectations: list[Any] = []
    values: dict[str, list[Any]] = {}
    for name in contract.required:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=name))
    expectations.append(gxe.ExpectColumnValuesToNotBeNull(column="updated_at"))
    expectations.append(gxe.ExpectColumnValuesToBeUnique(column=contract.dedup_key))
    for spec in contract.columns:
        if spec.pii or spec.name not in QUALITY_COLUMNS:
            continue
        text_rules = values.setdefault(spec.name, []) if spec.type == "string" else expectations
        if spec.min is not None or spec.max is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=spec.name, min_value=spec.min, max_value=spec.max
                )
            )
        if spec.allowed is not None:
            text_rules.append(
                gxe.ExpectColumnValuesToBeInSet(column=spec.name, value_set=list(spec.allowed))
            )
        if spec.pattern is not None:
            text_rules.append(
                gxe.ExpectColumnValuesToMatchRegex(column=spec.name, regex=spec.pattern)
            )
        if spec.max_length is not None:
            text_rules.append(
                gxe.ExpectColumnValueLengthsToBeBetween(
                    column=spec.name, min_value=1, max_value=spec.max_length
                )
            )
    if contract.formula_prefixes:
        formula = f"^[{re.escape(contract.formula_prefixes)}]"
        for spec in contract.free_text:
            if not spec.pii:
                values.setdefault(spec.name, []).append(
                    gxe.ExpectColumnValuesToNotMatchRegex(column=spec.name, regex=formula)
                )
    expectations += [
        gxe.ExpectColumnValuesToBeBetween(
            column=ORDER_TS_OFFSET, min_value=0, max_value=86_400, strict_max=True
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="updated_at", column_B="order_ts", or_equal=True
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column=AMOUNT_LINE_ERROR, min_value=0, max_value=contract.quality.amount_line_tolerance
        ),
    ]
    values["customer_email_hash"] = [
        gxe.ExpectColumnValuesToMatchRegex(
            column="customer_email_hash", regex=contract.quality.email_hash_pattern
        )
    ]
    return DaySuite(rows=expectations, values={k: v for k, v in values.items() if v})


def publication_expectations(
    contract: Contract, table_columns: Sequence[str], expected_rows: int
) -> DaySuite:
    """GX expectations for one day of a published copy of the cleaned orders.

    The content rules were met upstream (cleaned_orders' suite); what publication can
    break is the shape: exactly ``table_columns`` (no lineage, no PII in clear; the
    derived columns of :func:`prepare_for_suite` added), as many rows as the day's
    current orders (its cleaned orders not superseded by a newer version landed on
    another day; none lost or doubled), keys present and unique, orders of the right day.
    """
    import great_expectations.expectations as gxe

    return DaySuite(
        rows=[
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[*table_columns, *DERIVED_COLUMNS], exact_match=True
            ),
            gxe.ExpectTableRowCountToEqual(value=expected_rows),
            *(gxe.ExpectColumnValuesToNotBeNull(column=name) for name in contract.required),
            gxe.ExpectColumnValuesToBeUnique(column=contract.dedup_key),
            gxe.ExpectColumnValuesToBeBetween(
                column=ORDER_TS_OFFSET, min_value=0, max_value=86_400, strict_max=True
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="amount",
                min_value=contract.column("amount").min,
                max_value=contract.column("amount").max,
            ),
        ]
    )
