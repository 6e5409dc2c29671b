"""Per-partition profile of raw orders: the numbers the anomaly sensor learns from.

Computed on the raw text, before cleaning, so that a partition can be judged (and
held) before anything downstream of ``raw_orders`` runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orders_core.contract import Contract
from orders_core.dtypes import TEXT_DTYPE, exact_text
from orders_core.ingest import normalize_header
from orders_core.pii import redact_emails
from orders_core.rounding import money, score, significant

PREFIX = "orders/"


def _distinct(values: pd.Series) -> list:
    """Distinct present values, in order of appearance, of a column whose values repeat
    in long runs (one per file): runs are collapsed first, so only one value per run is
    hashed. Python strings are compared without a copy (usually the very same object)."""
    if values.dtype == TEXT_DTYPE:
        return pc.unique(pa.array(values.array)).drop_null().to_pylist()
    present = np.asarray(values.array, dtype=object)[values.notna().to_numpy(dtype=bool)]
    starts = np.ones(present.size, dtype=bool)
    starts[1:] = present[1:] != present[:-1]
    return list(dict.fromkeys(present[starts]))


def _header_drift(headers: pd.Series, contract: Contract) -> tuple[int, int]:
    """Count extra columns and missing required columns over the day's file headers."""
    extra: set[str] = set()
    missing: set[str] = set()
    for header in _distinct(headers):
        names = {normalize_header(name) for name in json.loads(header)}
        extra |= names - set(contract.column_names)
        missing |= set(contract.required) - names
    return len(extra), len(missing)


def pii_extras_sql(source: str) -> str:
    """One ``pii_extra_columns_json`` per file and day between two bound days: its keys
    are the same on every row of a file, so that is all the names need."""
    return (
        "SELECT partition_date, source_file, min(pii_extra_columns_json)"  # noqa: S608 (constant identifier)
        f" FROM {source} WHERE partition_date BETWEEN ? AND ?"
        " AND pii_extra_columns_json IS NOT NULL GROUP BY partition_date, source_file"
    )


def pii_extra_names(objects: Iterable[str]) -> list[str]:
    """Sorted names (never values) of the extra columns kept as PII, from one
    ``pii_extra_columns_json`` object per file; e-mail-like names (a header that is a
    data row) masked."""
    return sorted({redact_emails(name) for text in objects for name in json.loads(text)})


def _pii_profile(names: list[str]) -> dict[str, int | str]:
    """``orders/pii_extra_columns`` (a count, plotted) and, when there are any, their names."""
    profile: dict[str, int | str] = {f"{PREFIX}pii_extra_columns": len(names)}
    if names:
        profile[f"{PREFIX}pii_extra_column_names"] = ", ".join(names)
    return profile


def profile_raw(raw: pd.DataFrame, contract: Contract) -> dict[str, float | int | str]:
    """Numeric profile of one day of raw orders (all values JSON-serialisable), rounded
    as metadata is (:mod:`orders_core.rounding`)."""
    rows = len(raw)
    profile: dict[str, float | int] = {"dagster/row_count": rows}
    if rows == 0:
        return {**profile, f"{PREFIX}files": 0, f"{PREFIX}revenue": 0.0}
    stripped = {name: exact_text(raw[name]).str.strip() for name in contract.column_names}
    amounts = pd.to_numeric(stripped["amount"], errors="coerce")
    null_rates = {
        name: significant((values.isna() | (values == "")).mean())
        for name, values in stripped.items()
    }
    extra, missing = _header_drift(raw["file_header"], contract)
    held = raw.loc[raw["pii_extra_columns_json"].notna(), ["source_file", "pii_extra_columns_json"]]
    pii_names = pii_extra_names(held.drop_duplicates("source_file")["pii_extra_columns_json"])
    order_ids = stripped["order_id"].dropna()
    profile.update(
        {
            f"{PREFIX}files": len(_distinct(raw["source_file"])),
            f"{PREFIX}revenue": money(amounts.sum()),
            f"{PREFIX}mean_order_value": score(amounts.mean()) if amounts.notna().any() else 0.0,
            f"{PREFIX}median_amount": score(amounts.median()) if amounts.notna().any() else 0.0,
            f"{PREFIX}distinct_customers": int(stripped["customer_id"].nunique()),
            f"{PREFIX}duplicate_rate": significant(order_ids.duplicated().sum() / rows),
            f"{PREFIX}unparseable_amount_rate": significant(
                (stripped["amount"].notna() & amounts.isna()).mean()
            ),
            f"{PREFIX}extra_columns": extra,
            f"{PREFIX}missing_columns": missing,
            f"{PREFIX}parse_errors": int(raw["parse_error"].notna().sum()),
            f"{PREFIX}null_rate_max": max(null_rates[name] for name in contract.required),
        }
    )
    profile.update({f"{PREFIX}null_rate/{name}": rate for name, rate in null_rates.items()})
    profile.update(_pii_profile(pii_names))
    return profile
