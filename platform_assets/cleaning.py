"""Type, validate and deduplicate raw orders against the landing contract.

``clean_orders`` splits a raw frame into cleaned rows and quarantined rows (each
with a reason code), and counts the rows superseded by a newer version of the
same order, so that for every partition::

    raw rows = cleaned rows + quarantined rows + superseded rows

Everything is vectorised over the frame; no row is dropped without being
counted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from platform_assets.contract import ColumnSpec, Contract
from platform_assets.ingest import DATE_DTYPE

# ASCII digits only: Python's \d also matches "٣" or "３", which pandas cannot parse.
_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_INTEGER = r"^\+?[0-9]+(?:\.0*)?$"
_OFFSET = r"(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$"

CLEANED_COLUMNS = (
    "order_id",
    "customer_id",
    "order_ts",
    "order_date",
    "amount",
    "currency",
    "quantity",
    "unit_price",
    "status",
    "region",
    "customer_email_hash",
    "updated_at",
    "extra_columns_json",
    "source_file",
    "source_line",
    "partition_date",
)


@dataclass(frozen=True)
class CleaningResult:
    """The outcome of cleaning one bounded raw frame."""

    cleaned: pd.DataFrame
    quarantined: pd.DataFrame
    superseded_rows: int
    naive_timestamp_rows: int
    # The valid rows that lost deduplication to a newer version of their order, in
    # cleaned form: what reconciliation needs to account for every landed amount.
    superseded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CLEANED_COLUMNS))

    @property
    def raw_rows(self) -> int:
        return len(self.cleaned) + len(self.quarantined) + self.superseded_rows


def hash_email(emails: pd.Series, key: bytes) -> pd.Series:
    """Keyed SHA-256 (HMAC) of normalised e-mails; the key never leaves the environment."""
    normalized = emails.str.strip().str.lower()
    return normalized.map(
        lambda value: hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest(),
        na_action="ignore",
    ).astype("string")


def column_text(raw: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    """A landed column as the contract reads it: stripped, empty as null, case normalised."""
    values = raw[spec.name].astype("string").str.strip()
    values = values.mask(values == "")
    if spec.normalize == "upper":
        values = values.str.upper()
    elif spec.normalize == "lower":
        values = values.str.lower()
    return values


def _parse_timestamps(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps and a mask of values that carried no offset."""
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    naive = values.notna() & ~values.str.contains(_OFFSET, regex=True, na=False)
    return parsed, naive


def _number(values: pd.Series, pattern: str) -> tuple[pd.Series, pd.Series]:
    """Numbers from strict text, and the mask of present values that are not finite numbers
    (``1e400`` is well formed but overflows: it must not reach the cleaned rows as NaN)."""
    well_formed = values.str.match(pattern, na=False)
    numbers = pd.to_numeric(values.where(well_formed), errors="coerce").astype("float64")
    finite = pd.Series(np.isfinite(numbers.to_numpy()), index=values.index)
    return numbers.where(finite), values.notna() & ~(well_formed & finite)


def parse_values(text: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, pd.Series]:
    """Typed values of a :func:`column_text` column, and the mask of present values that
    do not parse as the contract type (the one parser of cleaning and the drift check)."""
    if spec.type == "timestamp":
        parsed, _ = _parse_timestamps(text)
        return parsed, text.notna() & parsed.isna()
    if spec.type in ("decimal", "integer"):
        return _number(text, _DECIMAL if spec.type == "decimal" else _INTEGER)
    return text, _nested(text)


def _nested(text: pd.Series) -> pd.Series:
    """Mask of values that are JSON arrays or objects (nested values), not scalars."""
    candidates = text.str.startswith(("[", "{"), na=False)
    nested = pd.Series(False, index=text.index)
    if candidates.any():
        nested[candidates] = [_is_json_container(v) for v in text[candidates]]
    return nested


def _is_json_container(value: str) -> bool:
    try:
        return isinstance(json.loads(value), list | dict)
    except ValueError:
        return False


class _Reasons:
    """Collects rule violations in priority order; the first one is the reason code."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.codes: list[str] = []
        self.masks: list[np.ndarray] = []
        self.details: list[pd.Series] = []
        self.settled = np.zeros(len(index), dtype=bool)

    def add(self, code: str, mask: pd.Series, detail: pd.Series | str, final: bool = False) -> None:
        """Record a rule; ``final`` rows (unparseable records) get no further reasons."""
        mask_array = mask.fillna(False).to_numpy(dtype=bool) & ~self.settled
        if final:
            self.settled |= mask_array
        if not mask_array.any():
            return
        self.codes.append(code)
        self.masks.append(mask_array)
        if isinstance(detail, str):
            detail = pd.Series(detail, index=self.index, dtype="string")
        self.details.append(detail.astype("string").fillna("null"))

    def resolve(self) -> tuple[np.ndarray, pd.Series, pd.Series]:
        n = len(self.index)
        if not self.codes:
            empty = pd.Series(pd.NA, index=self.index, dtype="string")
            return np.zeros(n, dtype=bool), empty, empty
        rejected = np.logical_or.reduce(self.masks)
        code = pd.Series(
            np.select(self.masks, self.codes, default=""), index=self.index, dtype="string"
        )
        parts = pd.concat(
            [
                (name + ": " + text).where(mask)[rejected]
                for name, mask, text in zip(self.codes, self.masks, self.details, strict=True)
            ],
            axis=1,
        )
        detail = pd.Series(pd.NA, index=self.index, dtype="string")
        detail[rejected] = parts.apply(lambda row: "; ".join(row.dropna()), axis=1).astype("string")
        return rejected, code.mask(~rejected), detail.mask(~rejected)


def clean_orders(raw: pd.DataFrame, contract: Contract, email_key: bytes) -> CleaningResult:
    """Split a raw frame (with a ``partition_date`` column) into cleaned and quarantined rows."""
    raw = raw.reset_index(drop=True).astype(
        {name: "string" for name in raw.columns if name not in ("source_line", "partition_date")}
    )
    reasons = _Reasons(raw.index)
    partition_date = pd.to_datetime(raw["partition_date"]).dt.date.astype(DATE_DTYPE)

    reasons.add("malformed_record", raw["parse_error"].notna(), raw["parse_error"], final=True)
    text = {spec.name: column_text(raw, spec) for spec in contract.columns}
    for name in contract.required:
        reasons.add(f"missing_{name}", text[name].isna(), "required value is empty")
    for spec in contract.columns:
        if spec.max_length is not None:
            too_long = text[spec.name].str.len() > spec.max_length
            reasons.add(f"{spec.name}_too_long", too_long, f"longer than {spec.max_length}")

    order_ts, naive_order_ts = _parse_timestamps(text["order_ts"])
    updated_at, naive_updated = _parse_timestamps(text["updated_at"])
    reasons.add("invalid_order_ts", text["order_ts"].notna() & order_ts.isna(), text["order_ts"])
    reasons.add(
        "invalid_updated_at", text["updated_at"].notna() & updated_at.isna(), text["updated_at"]
    )
    naive_rows = naive_order_ts | naive_updated
    if contract.naive_timestamps == "quarantine":
        reasons.add("timestamp_without_offset", naive_rows, text["order_ts"])

    numbers: dict[str, pd.Series] = {}
    for spec in contract.columns:
        if spec.type not in ("decimal", "integer"):
            continue
        values, malformed = parse_values(text[spec.name], spec)
        numbers[spec.name] = values
        reasons.add(f"invalid_{spec.name}", malformed, text[spec.name])
        if spec.min is not None:
            below = values < spec.min
            code = f"negative_{spec.name}" if spec.min == 0 else f"{spec.name}_below_minimum"
            reasons.add(code, below, values.astype("string"))
        if spec.max is not None:
            reasons.add(f"{spec.name}_out_of_range", values > spec.max, values.astype("string"))

    for spec in contract.columns:
        values = text[spec.name]
        if spec.type == "string":
            _, nested = parse_values(values, spec)
            reasons.add(f"invalid_{spec.name}", nested, values)
        if spec.pattern is not None:
            bad = values.notna() & ~values.str.match(spec.pattern, na=False)
            reasons.add(f"invalid_{spec.name}", bad, values)
        if spec.allowed is not None:
            bad = values.notna() & ~values.isin(spec.allowed)
            reasons.add(f"invalid_{spec.name}", bad, values)

    if contract.formula_prefixes:
        for spec in contract.free_text:
            values = text[spec.name]
            formula = values.str[:1].isin(list(contract.formula_prefixes))
            reasons.add(f"formula_like_{spec.name}", values.notna() & formula, values)

    order_date = order_ts.dt.date.astype(DATE_DTYPE)
    outside = order_ts.notna() & (order_date != partition_date)
    reasons.add(
        "order_ts_outside_partition",
        outside,
        "UTC date "
        + order_date.astype("string")
        + " in partition "
        + partition_date.astype("string"),
    )
    reasons.add(
        "updated_at_before_order_ts",
        updated_at.notna() & order_ts.notna() & (updated_at < order_ts),
        text["updated_at"],
    )
    lines = numbers["quantity"] * numbers["unit_price"]
    tolerance = contract.quality.amount_line_tolerance
    mismatch = (numbers["amount"] - lines).abs() > tolerance * numbers["amount"].abs()
    reasons.add(
        "amount_mismatch",
        mismatch & lines.notna() & numbers["amount"].notna(),
        "amount " + text["amount"] + " vs quantity x unit_price " + lines.round(6).astype("string"),
    )

    rejected, reason_code, reason_detail = reasons.resolve()
    quarantined = raw.loc[rejected].copy()
    quarantined["reason_code"] = reason_code[rejected]
    quarantined["reason_detail"] = reason_detail[rejected]
    quarantined["partition_date"] = partition_date[rejected]

    valid = ~rejected
    cleaned = pd.DataFrame(
        {
            "order_id": text["order_id"],
            "customer_id": text["customer_id"],
            "order_ts": order_ts,
            "order_date": order_date,
            "amount": numbers["amount"],
            "currency": text["currency"],
            "quantity": numbers["quantity"],
            "unit_price": numbers["unit_price"],
            "status": text["status"],
            "region": text["region"],
            "customer_email_hash": hash_email(text["customer_email"], email_key),
            "updated_at": updated_at.fillna(order_ts),
            "extra_columns_json": raw["extra_columns_json"].astype("string"),
            "source_file": raw["source_file"].astype("string"),
            "source_line": raw["source_line"].astype("int64"),
            "partition_date": partition_date,
        }
    ).loc[valid]
    # Cast after rejecting rows: an out-of-range quantity (1e23) does not fit an Int64.
    cleaned["quantity"] = cleaned["quantity"].round().astype("Int64")

    # Newest updated_at wins; on a tie the later record (file order, then line) wins.
    cleaned["_arrival"] = np.arange(len(cleaned))
    cleaned = cleaned.sort_values(["order_id", "updated_at", "_arrival"], kind="stable")
    latest = ~cleaned.duplicated("order_id", keep="last")
    superseded = cleaned.loc[~latest].sort_values("_arrival").drop(columns="_arrival")
    cleaned = cleaned.loc[latest].sort_values("_arrival").drop(columns="_arrival")

    return CleaningResult(
        cleaned=cleaned.reset_index(drop=True)[list(CLEANED_COLUMNS)],
        quarantined=quarantined.reset_index(drop=True),
        superseded_rows=len(superseded),
        naive_timestamp_rows=int((naive_rows & pd.Series(valid, index=raw.index)).sum()),
        superseded=superseded.reset_index(drop=True)[list(CLEANED_COLUMNS)],
    )
