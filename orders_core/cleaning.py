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
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orders_core.contract import ColumnSpec, Contract
from orders_core.dtypes import TEXT_DTYPE, as_dates, exact_text
from orders_core.parsing import parse_timestamps
from orders_core.parsing import parse_values as parse_values  # used by the checks too
from orders_core.tables import CLEANED_ORDERS_COLUMNS


@dataclass(frozen=True)
class CleaningResult:
    """The outcome of cleaning one bounded raw frame."""

    cleaned: pd.DataFrame
    quarantined: pd.DataFrame
    superseded_rows: int
    naive_timestamp_rows: int
    # The valid rows that lost deduplication to a newer version of their order, in
    # cleaned form: what reconciliation needs to account for every landed amount.
    superseded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CLEANED_ORDERS_COLUMNS))

    @property
    def raw_rows(self) -> int:
        return len(self.cleaned) + len(self.quarantined) + self.superseded_rows


# SHA-256 processes 64-byte blocks; HMAC pads (or first hashes) the key to one block.
_SHA256_BLOCK = 64
# HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)), RFC 2104, in DuckDB's vectorised
# and multi-threaded sha256: a Python loop over hmac objects costs ~3 us per e-mail.
_HMAC_SHA256_SQL = "select sha256($outer || unhex(sha256($inner || encode(email)))) from emails"


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104)."""
    if len(key) > _SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_SHA256_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def hash_email(emails: pd.Series, key: bytes) -> pd.Series:
    """Keyed SHA-256 (HMAC) of normalised e-mails; the key never leaves the environment.

    Hex digests equal to ``hmac.new(key, email.encode("utf-8"), "sha256").hexdigest()``,
    computed in an in-memory DuckDB (the key is bound as a parameter, never stored).
    """
    normalized = exact_text(emails).str.strip().str.lower()
    inner, outer = hmac_pads(key)
    with duckdb.connect() as conn:
        conn.register("emails", pa.table({"email": pa.array(normalized.array, type=pa.string())}))
        digests = conn.sql(_HMAC_SHA256_SQL, params={"inner": inner, "outer": outer})
        hashed = digests.to_arrow_table().column(0)
    return pd.Series(pd.arrays.ArrowStringArray(hashed), index=emails.index, dtype=TEXT_DTYPE)


def _trimmed(values: pd.Series) -> pd.Series:
    """``values.str.strip()`` with empty strings as missing; Arrow-backed text that needs
    neither comes back as it is, without a copy (only spaces can pad printable ASCII)."""
    if values.dtype == TEXT_DTYPE:
        text = pa.array(values.array)
        padded = pc.or_(pc.starts_with(text, " "), pc.ends_with(text, " "))
        if not pc.any(padded).as_py() and not pc.any(pc.equal(text, "")).as_py():
            return values
    values = values.str.strip()
    return values.mask(values == "")


def column_text(raw: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    """A landed column as the contract reads it: stripped, empty as null, case normalised."""
    values = _trimmed(exact_text(raw[spec.name]))
    if spec.normalize == "upper":
        values = values.str.upper()
    elif spec.normalize == "lower":
        values = values.str.lower()
    return values


class _Reasons:
    """Collects rule violations in priority order; the first one is the reason code.

    Details are turned into text only for the rejected rows, when resolving.
    """

    def __init__(self, index: pd.Index):
        self.index = index
        self.codes: list[str] = []
        self.masks: list[np.ndarray] = []
        self.details: list[pd.Series | str] = []
        self.settled = np.zeros(len(index), dtype=bool)

    def add(self, code: str, mask: pd.Series, detail: pd.Series | str, final: bool = False) -> None:
        """Record a rule; ``final`` rows (unparseable records) get no further reasons.

        ``detail`` is a text, or values for (at least) the rows in ``mask``.
        """
        mask_array = mask.fillna(False).to_numpy(dtype=bool) & ~self.settled
        if final:
            self.settled |= mask_array
        if not mask_array.any():
            return
        self.codes.append(code)
        self.masks.append(mask_array)
        self.details.append(detail)

    def resolve(self) -> tuple[np.ndarray, pd.Series, pd.Series]:
        """Rejected rows, and the reason code and detail of each (indexed like those rows)."""
        if not self.codes:
            empty = pd.Series(pd.NA, index=self.index[:0], dtype="string")
            return np.zeros(len(self.index), dtype=bool), empty, empty
        rejected = np.logical_or.reduce(self.masks)
        rows = self.index[rejected]
        masks = [mask[rejected] for mask in self.masks]
        code = pd.Series(np.select(masks, self.codes, default=""), index=rows, dtype="string")
        detail = pd.Series(pd.NA, index=rows, dtype="string")
        for name, mask, values in zip(self.codes, masks, self.details, strict=True):
            if isinstance(values, str):
                text = pd.Series(values, index=rows, dtype="string")
            else:
                text = values.reindex(rows).astype("string").fillna("null")
            part = (name + ": " + text).where(mask)
            joined = detail.notna() & part.notna()
            detail = detail.mask(joined, detail + "; " + part).fillna(part)
        return rejected, code, detail


def _latest_versions(order_ids: pd.Series, updated_at: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Of ``rows``, the newest version of each order, in arrival order.

    Newest updated_at wins; on a tie the later record (file order, then line) wins.
    """
    if not rows.size:
        return rows
    codes = pd.factorize(order_ids.iloc[rows])[0]
    stamps = updated_at.iloc[rows].astype("int64").to_numpy()
    order = np.lexsort((rows, stamps, codes))
    grouped = codes[order]
    last = np.append(grouped[1:] != grouped[:-1], True)
    return np.sort(rows[order[last]])


def clean_orders(raw: pd.DataFrame, contract: Contract, email_key: bytes) -> CleaningResult:
    """Split a raw frame (with a ``partition_date`` column) into cleaned and quarantined rows."""
    raw = raw.reset_index(drop=True).astype(
        {
            name: "string"
            for name, dtype in raw.dtypes.items()
            if name not in ("source_line", "partition_date")
            and not isinstance(dtype, pd.StringDtype)
        }
    )
    reasons = _Reasons(raw.index)
    partition_date = as_dates(raw["partition_date"])

    reasons.add("malformed_record", raw["parse_error"].notna(), raw["parse_error"], final=True)
    text = {spec.name: column_text(raw, spec) for spec in contract.columns}
    for name in contract.required:
        reasons.add(f"missing_{name}", text[name].isna(), "required value is empty")
    for spec in contract.columns:
        if spec.max_length is not None:
            too_long = text[spec.name].str.len() > spec.max_length
            reasons.add(f"{spec.name}_too_long", too_long, f"longer than {spec.max_length}")

    order_ts, naive_order_ts = parse_timestamps(text["order_ts"])
    updated_at, naive_updated = parse_timestamps(text["updated_at"])
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
            reasons.add(code, below, values)
        if spec.max is not None:
            reasons.add(f"{spec.name}_out_of_range", values > spec.max, values)

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

    order_date = as_dates(order_ts)
    outside = (order_ts.notna() & (order_date != partition_date)).fillna(False)
    reasons.add(
        "order_ts_outside_partition",
        outside,
        "UTC date "
        + order_date[outside].astype("string")
        + " in partition "
        + partition_date[outside].astype("string"),
    )
    reasons.add(
        "updated_at_before_order_ts",
        updated_at.notna() & order_ts.notna() & (updated_at < order_ts),
        text["updated_at"],
    )
    lines = numbers["quantity"] * numbers["unit_price"]
    tolerance = contract.quality.amount_line_tolerance
    mismatch = (numbers["amount"] - lines).abs() > tolerance * numbers["amount"].abs()
    mismatch &= lines.notna() & numbers["amount"].notna()
    reasons.add(
        "amount_mismatch",
        mismatch,
        "amount "
        + text["amount"][mismatch]
        + " vs quantity x unit_price "
        + lines[mismatch].round(6).astype("string"),
    )

    rejected, reason_code, reason_detail = reasons.resolve()
    quarantined = raw.take(np.flatnonzero(rejected))
    quarantined["reason_code"] = reason_code
    quarantined["reason_detail"] = reason_detail
    quarantined["partition_date"] = partition_date[rejected]

    valid = ~rejected
    updated_at = updated_at.fillna(order_ts)
    valid_rows = np.flatnonzero(valid)
    kept = _latest_versions(text["order_id"], updated_at, valid_rows)
    candidates = pd.DataFrame(
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
            "customer_email_hash": text["customer_email"],
            "updated_at": updated_at,
            "extra_columns_json": raw["extra_columns_json"],
            "source_file": raw["source_file"],
            "source_line": raw["source_line"].astype("int64"),
            "partition_date": partition_date,
        }
    )
    cleaned = _valid_rows(candidates, kept, email_key)
    superseded = _valid_rows(
        candidates, np.setdiff1d(valid_rows, kept, assume_unique=True), email_key
    )

    return CleaningResult(
        cleaned=cleaned,
        quarantined=_text_as_arrow(quarantined.reset_index(drop=True)),
        superseded_rows=len(superseded),
        naive_timestamp_rows=int((naive_rows & pd.Series(valid, index=raw.index)).sum()),
        superseded=superseded,
    )


def _valid_rows(candidates: pd.DataFrame, rows: np.ndarray, email_key: bytes) -> pd.DataFrame:
    """The cleaned form of some valid ``rows`` (positions) of the candidate frame."""
    frame = candidates.take(rows).reset_index(drop=True)
    # Hashed once all rules have run, so that only valid rows are hashed.
    frame["customer_email_hash"] = hash_email(frame["customer_email_hash"], email_key)
    # Cast after rejecting rows: an out-of-range quantity (1e23) does not fit an Int64.
    frame["quantity"] = frame["quantity"].round().astype("Int64")
    return _text_as_arrow(frame[list(CLEANED_ORDERS_COLUMNS)])


def _text_as_arrow(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column as :data:`TEXT_DTYPE`, whichever storage cleaning used for it
    (:func:`exact_text` moves some to Python strings), so the output types never vary."""
    text = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    return frame.astype(dict.fromkeys(text, TEXT_DTYPE)) if text else frame
