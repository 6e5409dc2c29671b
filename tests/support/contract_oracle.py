"""An independent reading of the landing contract: what the README and
``orders_core/contract.yaml`` promise about each landed row, in plain Python.

Written from the documentation only (the README's contract, its reason codes and
timestamp grammar, the contract file's rules), sharing no code with the engine: it reads
``contract.yaml`` with PyYAML, not ``orders_core.contract``, and parses numbers and
timestamps with ``decimal``, ``re`` and ``datetime``, not SQL. Tests judge each row twice,
here and by the engine's SQL, and require the same verdict.

A verdict is one of ``cleaned`` (with the typed values), ``quarantined`` (with every
rule broken, by reason code) or ``superseded`` (a valid row that lost deduplication).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "orders_core" / "contract.yaml"

# README, "Timestamps are ISO-8601": YYYY-MM-DD, then optionally T or a space and
# HH:MM[:SS[.fraction of 1 to 9 digits]] and after it optionally Z or +HH[[:]MM]; t and z
# read as T and Z. Digits are ASCII ones.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?"
)
# README: "Numbers are plain decimals" (an exponent is read: 1e400 is too large, not
# malformed; "1,234.50" is invalid).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# An integer, optionally with a fraction of zeros ("2.0": a dataframe's integer column
# with gaps is written as floats).
_INTEGER = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
# README: free text "holding an e-mail address", read with caution: an @ between two
# characters that are neither ASCII white space nor @ ("a@b" counts).
_EMAIL = re.compile(r"[^\t\n\x0b\x0c\r @]@[^\t\n\x0b\x0c\r @]")
_UTC_MIN = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def load_rules() -> dict:
    """contract.yaml as data."""
    return yaml.safe_load(CONTRACT_FILE.read_text())


RULES = load_rules()
COLUMNS = {spec["name"]: spec for spec in RULES["columns"]}
FORMULA_PREFIXES = tuple(RULES["formula_prefixes"])


def _priority() -> list[str]:
    """Every reason code, first in priority first (README, "Reason codes")."""
    specs = list(COLUMNS.values())
    free_text = [
        s["name"]
        for s in specs
        if s["type"] == "string" and "pattern" not in s and "allowed" not in s
    ]
    codes = ["malformed_record"]
    codes += [f"missing_{s['name']}" for s in specs if s.get("required")]
    codes += [f"{s['name']}_too_long" for s in specs if "max_length" in s]
    codes += [f"invalid_{s['name']}" for s in specs if s["type"] == "timestamp"]
    codes.append("timestamp_without_offset")
    for s in specs:
        if s["type"] in ("decimal", "integer"):
            minimum = f"negative_{s['name']}" if s["min"] == 0 else f"{s['name']}_below_minimum"
            codes += [f"invalid_{s['name']}", minimum, f"{s['name']}_out_of_range"]
    codes += [f"invalid_{s['name']}" for s in specs if s["type"] == "string"]
    codes += [f"nul_in_{n}" for n in free_text]
    codes += [f"formula_like_{n}" for n in free_text]
    codes += [f"email_in_{n}" for n in free_text if not COLUMNS[n].get("pii")]
    codes += ["order_ts_outside_partition", "updated_at_before_order_ts", "amount_mismatch"]
    return [*codes, "newer_version_rejected"]


PRIORITY = _priority()


@dataclass(frozen=True)
class Verdict:
    """What the contract makes of one landed row."""

    kind: str  # cleaned | quarantined | superseded
    codes: tuple[str, ...] = ()  # every rule broken, first in priority (the reason code) first
    values: dict = field(default_factory=dict)


@dataclass
class _Reading:
    """One row as read: typed values, broken rules, and what deduplication needs."""

    values: dict
    codes: list[str]
    line: tuple
    key: str | None = None
    version: dt.datetime | None = None


def read_text(value: str | None) -> str | None:
    """A landed text value as the contract reads it: trimmed, empty as missing."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def simple_lower(text: str) -> str:
    """Lower case, one character for one (Unicode's simple case mapping: "İ" is "i", where
    Python's full mapping makes it "i" and a combining dot)."""
    return "".join(c.lower()[0] for c in text)


def read_timestamp(text: str) -> tuple[dt.datetime, bool] | None:
    """(UTC instant to the microsecond, whether it had no offset), or None if invalid."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        local = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    naive = zulu is None and sign is None
    offset = dt.timedelta()
    if sign is not None:
        hours, minutes = int(off_h), int(off_m or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = dt.timedelta(hours=hours, minutes=minutes) * (1 if sign == "+" else -1)
    try:
        instant = local.replace(tzinfo=dt.UTC) - offset
    except OverflowError:
        return None
    if not _UTC_MIN <= instant:
        return None
    return instant, naive


def read_number(text: str, integer: bool) -> float | int | None:
    """A plain decimal (or integer) as the engine's DOUBLE (BIGINT); None if invalid."""
    if not (_INTEGER if integer else _DECIMAL).fullmatch(text):
        return None
    if integer:
        return int(Decimal(text))
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return None
    value = float(exact)
    if math.isinf(value) or (value == 0 and exact != 0):
        return None
    return value + 0.0  # -0 is read as 0


def bound(column: str, currency: str | None) -> float:
    """The column's upper bound for an order in ``currency`` (the default if not its own)."""
    spec = COLUMNS[column]
    return float((spec.get("max_by_currency") or {}).get(currency, spec["max"]))


def _read_string(name: str, text: str | None, codes: list[str]) -> str | None:
    spec = COLUMNS[name]
    value = read_text(text)
    if value is None:
        return None
    if spec.get("normalize") and re.fullmatch("[A-Za-z]+", value):
        value = value.upper() if spec["normalize"] == "upper" else value.lower()
    broken = []
    if _is_json_container(value):
        broken.append(f"invalid_{name}")
    if "max_length" in spec and len(value) > spec["max_length"]:
        broken.append(f"{name}_too_long")
    pattern, allowed = spec.get("pattern"), spec.get("allowed")
    if pattern is not None and not re.fullmatch(pattern, value):
        broken.append(f"invalid_{name}")
    if allowed is not None and value not in allowed:
        broken.append(f"invalid_{name}")
    if pattern is None and allowed is None:  # free text
        if value.startswith(FORMULA_PREFIXES):
            broken.append(f"formula_like_{name}")
        if not spec.get("pii") and _EMAIL.search(value):
            broken.append(f"email_in_{name}")
        if "\x00" in value:
            broken.append(f"nul_in_{name}")
    codes.extend(broken)
    return None if broken else value


# README: "a non-finite number, NaN, Infinity, -inf in any case, is read as a number"
# (Python's json takes NaN, Infinity and -Infinity as written, where a value stands).
_NON_FINITE_VALUE = re.compile(
    r"([\[,:][ \t\n\r]*)-?(?:nan|infinity|inf)(?=[ \t\n\r]*[\],}])", re.IGNORECASE
)


def _is_json_container(text: str) -> bool:
    """Text that is a JSON array or object: a nested value as the reader writes it (with
    Python's json, so NaN and Infinity included), or text that reads as one."""
    if not text.startswith(("[", "{")):
        return False
    try:
        value = json.loads(_NON_FINITE_VALUE.sub(r"\1NaN", text))
    except ValueError:
        return False
    return isinstance(value, list | dict)


def _range_codes(name: str, value: float | int, top: float) -> list[str]:
    spec = COLUMNS[name]
    if value < spec["min"]:
        return [f"negative_{name}" if spec["min"] == 0 else f"{name}_below_minimum"]
    if value > top:
        return [f"{name}_out_of_range"]
    return []


def read_row(row: dict, day: dt.date, email_key: bytes) -> _Reading:
    """One landed row (contract column -> text or None) of partition ``day``; a record
    the reader could not parse (``parse_error``) is ``malformed_record`` and nothing else."""
    if row.get("parse_error"):
        return _Reading({}, ["malformed_record"], (row["source_file"], row["source_line"]))
    codes: list[str] = []
    values: dict = {}
    for name, spec in COLUMNS.items():
        text = read_text(row.get(name))
        if text is None:
            if spec.get("required"):
                codes.append(f"missing_{name}")
            values[name] = None
            continue
        if spec["type"] == "string":
            values[name] = _read_string(name, row.get(name), codes)
        elif spec["type"] == "timestamp":
            read = read_timestamp(text)
            if read is None:
                codes.append(f"invalid_{name}")
            values[name] = read
        else:
            number = read_number(text, spec["type"] == "integer")
            if number is None:
                codes.append(f"invalid_{name}")
            values[name] = number
    currency = read_text(row.get("currency"))
    if currency and re.fullmatch("[A-Za-z]+", currency):
        currency = currency.upper()
    for name in ("amount", "quantity", "unit_price"):
        if values[name] is not None:
            top = bound(name, currency) if name != "quantity" else COLUMNS[name]["max"]
            codes.extend(_range_codes(name, values[name], top))
    if None not in (values["amount"], values["quantity"], values["unit_price"]):
        # "off quantity x unit_price by more than 1%" of the amount, in exact decimals
        amount, quantity, price = (
            Decimal(read_text(row[n])) for n in ("amount", "quantity", "unit_price")
        )
        tolerance = Decimal(str(RULES["quality"]["amount_line_tolerance"]))
        gap = abs(amount - quantity * price)
        if gap > tolerance * abs(amount) or (amount == 0 and gap != 0):
            codes.append("amount_mismatch")
    order_ts = values["order_ts"][0] if values["order_ts"] else None
    if order_ts is not None and order_ts.date() != day:
        codes.append("order_ts_outside_partition")
    updated = values["updated_at"][0] if values["updated_at"] is not None else None
    if updated is not None and order_ts is not None and updated < order_ts:
        codes.append("updated_at_before_order_ts")
    # Cleaned: updated_at defaults to order_ts. A rejected row's version (what it holds
    # back) is its updated_at, else its order_ts, when either can be read.
    version = updated if updated is not None else order_ts
    naive = any(values[n] is not None and values[n][1] for n in ("order_ts", "updated_at"))
    if naive and RULES["timestamps"]["naive"] == "quarantine":
        codes.append("timestamp_without_offset")
    email = values.pop("customer_email")
    typed = {
        **values,
        "order_ts": order_ts,
        "order_date": order_ts.date() if order_ts else None,
        "updated_at": version,
        "customer_email_hash": None
        if email is None
        else hmac.new(email_key, simple_lower(email).encode(), hashlib.sha256).hexdigest(),
    }
    line = (row["source_file"], row["source_line"])
    key = read_text(row.get("order_id"))
    return _Reading(typed, sorted(set(codes), key=PRIORITY.index), line, key, version)


def judge_day(rows: Sequence[dict], day: dt.date, email_key: bytes) -> list[Verdict]:
    """The verdict on each of a day's landed rows (same order), deduplication included:
    one row per order_id, the newest updated_at wins, ties to the later file, then line;
    a valid version is held back (newer_version_rejected) when a version of the same
    order with the same or a newer updated_at was quarantined."""
    readings = [read_row(row, day, email_key) for row in rows]
    rejected: dict[str, list[dt.datetime]] = {}
    for reading in readings:
        if reading.codes and reading.key is not None and reading.version is not None:
            rejected.setdefault(reading.key, []).append(reading.version)
    verdicts: list[Verdict | None] = [None] * len(readings)
    best: dict[str, int] = {}
    for i, reading in enumerate(readings):
        if reading.codes:
            verdicts[i] = Verdict("quarantined", tuple(reading.codes))
        elif any(v >= reading.version for v in rejected.get(reading.key, ())):
            verdicts[i] = Verdict("quarantined", ("newer_version_rejected",))
        else:
            other = best.get(reading.key)
            rank = (reading.version, reading.line)
            if other is None or rank > (readings[other].version, readings[other].line):
                best[reading.key] = i
    for i, reading in enumerate(readings):
        if verdicts[i] is None:
            kind = "cleaned" if best[reading.key] == i else "superseded"
            verdicts[i] = Verdict(kind, values=reading.values if kind == "cleaned" else {})
    return verdicts
