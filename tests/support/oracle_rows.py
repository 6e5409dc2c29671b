"""Hostile landed rows per contract column, and the engine's verdict on each row, for the
tests that compare the engine with ``tests.support.contract_oracle``."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from orders_core.contract import load_contract
from orders_core.raw_frame import raw_columns, with_partition_date
from tests.support.contract_oracle import PRIORITY, Verdict

CONTRACT = load_contract()
DAY = dt.date(2025, 1, 2)
KEY = b"oracle-test-key-0123456789abcdef"
FILES = (
    "file:///landing/orders/date=2025-01-02/a.csv",
    "file:///landing/orders/date=2025-01-02/b.csv",
)

NUMBERS = [
    "1e3",
    "1E2",
    "+5",
    " 5 ",
    "5.",
    ".5",
    "1_000",
    "1,000.00",
    "-0",
    "-0.0",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "0x10",
    "٣",
    "３",
    "1\u202f000",
    "1e400",
    "1e-400",
    "4.9e-324",
    "99999999999999999999999",
    "0.000000000000000000001",
    "1000000",
    "1000000.01",
    "1e6",
    "2e9",
    "-1",
    "-5e-1",
    "0",
    "00012",
    "1.",
    "+.5",
    "e5",
    "1e",
    "--1",
    "5 5",
    "\t7\n",
    "7\u00a0",
    "1.0000000000000000001",
    "12.50",
    "0.1",
    "1e+3",
    "1E-0",
    "00",
    ".e1",
    "1.e3",
    "+-1",
    "1e-5",
    " +0 ",
    "0.0000001e7",
    "1e308",
    "1.8e308",
    "2.2250738585072014e-308",
    "4.9e-325",
    "-1e-400",
    "1000000.0000000001",
    "١٢",
]
INTEGERS = [
    "1",
    "2",
    "+3",
    " 4 ",
    "05",
    "2.0",
    "2.",
    "1e3",
    "0",
    "-1",
    "100000",
    "100001",
    "9223372036854775808",
    "99999999999999999999",
    "1_0",
    "٣",
    "0x10",
    "1.5",
    "NaN",
    "-0",
    "0.0",
    "+0",
    "2.00000000000000000001",
    "-2.0",
]
TIMESTAMPS = [
    "2025-01-02T10:00:00Z",
    "2025-01-02T10:00:00z",
    "2025-01-02t10:00:00Z",
    "2025-01-02T10:00:00+14:00",
    "2025-01-02T10:00:00-12:00",
    "2025-01-02T10:00:00+24:00",
    "2025-01-02T10:00:00+23:59",
    "2025-01-02T10:00:00+05:30",
    "2025-01-02T10:00:00+0530",
    "2025-01-02T10:00:00+05",
    "2025-01-02T10:00:00-00:00",
    "2025-01-02T10:00:00+05:60",
    "2025-01-02T10:00:00.123456789Z",
    "2025-01-02T10:00:00.1Z",
    "2025-01-02T10:00:00.9999999Z",
    "2025-01-02T10:00:00.1234567890Z",
    "2025-01-02T10:00:00.000000001Z",
    "2025-01-02T10:00:00.Z",
    "2025-01-02T23:59:60Z",
    "2025-01-02T24:00:00Z",
    "2025-01-02 10:00:00",
    "2025-01-02 10:00",
    "2025-01-02T10:00",
    "2025-01-02T10Z",
    "2025-01-02",
    "2025-01-02Z",
    "2025-01-02+01:00",
    "2025-01-02T00:00:00+01:00",
    "2025-01-02T23:30:00-01:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-01:00",
    "2025-02-30T00:00:00Z",
    "2025-1-2T10:00:00Z",
    "20250102T100000Z",
    "2025-01-02T10:00:00 Z",
    " 2025-01-02T10:00:00Z ",
    "2025-01-02T10:00:00+01:00[Europe/Paris]",
    "2025-01-02T10:00:00 CET",
    "2025-01-02T10:00:00 +01:00",
    "2025-03-30T02:30:00",
    "2025-10-26T02:30:00",
    "1735812000",
    "２０２５-01-02T10:00:00Z",
    "2025-01-02T10:00:00,5Z",
    "+2025-01-02T10:00:00Z",
    "2025-01-02T10:00:00.123+05:30",
    "2025-01-02T10:00:00.123-0530",
    "2025-01-02T10:00+05:30",
    "2025-01-02 10:00Z",
    "2025-01-02T1:00:00Z",
    "2025-01-02T10:00:00+5:30",
    "2025-01-02T10:00:00UTC",
    "2025-01-02T10:00:00+00",
    "2024-02-29T10:00:00Z",
    "2025-02-29T10:00:00Z",
    "2025-04-31T10:00:00Z",
    "2025-01-01T23:30:00-01:00",
    "2025-01-03T00:30:00+01:00",
    "2025-01-02T10:00:00.000000000Z",
    "2025-01-02T10:00:00.5",
    "2025-01-02T10:00:00+14:01",
    "2025-01-02\t10:00:00Z",
    "2025-01-02T10:00:00\xa0Z",
    "2025-01-02T10:00:00−05:00",
]
CURRENCIES = ["USD", "usd", " eur ", "Jpy", "XXX", "US", "USDD", "ÜSD", "U SD", "\tGBP", "idr", "ß"]
STATUSES = ["placed", "Shipped", " DELIVERED ", "cancelled", "RETURNED", "lost", "placed\n", "İ"]
IDS = [
    "o1",
    " o1",
    "o1 ",
    "O1",
    "o 1",
    "",
    " ",
    "\t",
    "a" * 128,
    "a" * 129,
    "o\x01",
    "o\x00",
    "o;1",
    "=o",
    "-o",
    "o:1/2#3",
    "o\u200b",
    "ö1",
    "o\u00a0",
    "'o1'",
    "o\n",
    "USD\u200b",
    "ＵＳＤ",
    "usd\xa0",
    "JPY\n",
    "PLACED\xa0",
    "Ｐlaced",
    "shipped\u200b",
    "o1\xa0",
    "\xa0o1",
    "o1\u3000",
    "o.1",
    "o#1",
    "1",
    "o-",
    "o_1",
    "o%1",
    "o\\1",
]
REGIONS = [
    "EU",
    " apac ",
    "=SUM(A1)",
    "+1",
    "-x",
    "@x",
    " =x",
    "a@b.co",
    "x" * 64,
    "x" * 65,
    "nul\x00",
    "ünïcode",
    "\u200b",
    '["EU"]',
    " {} ",
    "[]",
    '{"a": 1}',
    "[1,",
    "[NaN]",
    "[1, -Infinity]",
    '{"a": [Infinity, NaN]}',
    '{"a": nan}',
    "[1, -INF ]",
    "[NaNa]",
    '["x,NaN"]',
    "[EU]",
    "a@b",
    "a @b",
    "a@ b",
    "x\u00a0@\u00a0y",
    "a@@b",
    "a\t@b",
    "mailto:a@b.co",
    "e\u0301" * 40,
    "\U0001f642" * 65,
    "\U0001f642" * 64,
]
EMAILS = [
    "a@b.co",
    " A@B.co ",
    "ünï@exämple.com",
    "a\x00@b.co",
    "=a@b.co",
    "x" * 321,
    "@",
    "plain",
    "\u202ea@b.co",
    "a@b.co\u00a0",
    "İ@x.co",
    "ẞ@x.co",
    "Σ@X.CO",
    "ΟΔΟΣ@X.GR",
    "ΟΔΟΣ.ΚΑΙ@X.GR",
    "\u212aelvin@x.co",
    "\U00010400@x.co",
    "  ",
    "A@B.CO\u3000",
]

HOSTILE = {
    "order_id": IDS,
    "customer_id": IDS,
    "order_ts": TIMESTAMPS,
    "amount": NUMBERS,
    "currency": CURRENCIES,
    "quantity": INTEGERS,
    "unit_price": NUMBERS,
    "status": STATUSES,
    "region": REGIONS,
    "customer_email": EMAILS,
    "updated_at": TIMESTAMPS,
}


def valid_row(i: int) -> dict:
    """A row that meets the contract, its order id ``o<i>``."""
    return {
        "order_id": f"o{i}",
        "customer_id": "c1",
        "order_ts": "2025-01-02T10:00:00Z",
        "amount": "10",
        "currency": "USD",
        "quantity": None,
        "unit_price": None,
        "status": None,
        "region": None,
        "customer_email": None,
        "updated_at": None,
    }


def with_lineage(rows: list[dict]) -> list[dict]:
    """Rows numbered as lines of the day's files (a.csv, then b.csv), in order."""
    out = []
    for i, row in enumerate(rows):
        out.append({**row, "source_file": FILES[i * 2 // max(len(rows), 1)], "source_line": i + 2})
    return out


def raw_frame(rows: list[dict]) -> pd.DataFrame:
    """The raw_orders frame of ``rows`` (each with its lineage) on :data:`DAY`."""
    names = raw_columns(CONTRACT)
    data = pd.DataFrame(
        [
            {**{n: None for n in names}, "source_format": "csv", "file_header": "[]", **r}
            for r in rows
        ],
        columns=[n for n in names if n != "partition_date"],
    )
    data = data.astype({n: "string" for n in data.columns if n != "source_line"})
    return with_partition_date(data, DAY)


_CODE = re.compile(r"(?:^|; )([a-z][a-z0-9_]*): ")


def detail_codes(detail: str) -> tuple[str, ...]:
    """The reason codes a quarantined row's reason_detail names, in its order."""
    return tuple(c for c in _CODE.findall(detail) if c in PRIORITY)


def engine_verdicts(cleaned: pd.DataFrame, quarantined: pd.DataFrame, rows: list[dict]) -> list:
    """Per row of ``rows``: the engine's verdict, from its cleaned and quarantined frames
    (a row in neither was superseded), with the reason_code it chose."""
    by_line = {}
    for record in cleaned.to_dict("records"):
        values = {
            "order_id": record["order_id"],
            "customer_id": record["customer_id"],
            "order_ts": _instant(record["order_ts"]),
            "order_date": _date(record["order_date"]),
            "amount": _plain(record["amount"]),
            "currency": _plain(record["currency"]),
            "quantity": _plain(record["quantity"]),
            "unit_price": _plain(record["unit_price"]),
            "status": _plain(record["status"]),
            "region": _plain(record["region"]),
            "customer_email_hash": _plain(record["customer_email_hash"]),
            "updated_at": _instant(record["updated_at"]),
        }
        by_line[(record["source_file"], int(record["source_line"]))] = (
            Verdict("cleaned", values=values),
            None,
        )
    for record in quarantined.to_dict("records"):
        verdict = Verdict("quarantined", detail_codes(record["reason_detail"]))
        by_line[(record["source_file"], int(record["source_line"]))] = (
            verdict,
            record["reason_code"],
        )
    return [
        by_line.get((r["source_file"], r["source_line"]), (Verdict("superseded"), None))
        for r in rows
    ]


def _plain(value):
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _instant(value) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    instant = pd.Timestamp(value)  # fakesnow gives UTC wall time without a zone
    instant = instant.tz_localize("UTC") if instant.tzinfo is None else instant.tz_convert("UTC")
    return instant.to_pydatetime()


def _date(value) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


# (amount, quantity, unit_price): lines at and around the 1 % tolerance, and amounts of 0.
LINES = [
    ("1", "1", "1.01"),
    ("1", "1", "0.99"),
    ("1", "1", "1.0101"),
    ("1", "1", "0.9899"),
    ("12.34", "1", "12.4634"),
    ("0.3", "1", "0.303"),
    ("2.97", "3", "0.99"),
    ("0", "1", "0"),
    ("0", "1", "0.01"),
    ("1e-300", "1", "1e-300"),
    ("100", "3", "33.34"),
    ("100", "3", "33.67"),
    ("1000000", "100000", "10"),
    ("5", "2.0", "2.5"),
    ("4.9e-324", "1", "4.9e-324"),
]


# (amount or unit_price, currency): at and around the bounds, the currency as landed.
BOUNDS = [
    ("1000000000", "jpy"),
    ("1000000000.01", " JPY "),
    ("1e13", "IRR"),
    ("1.0000000000001e13", "irr"),
    ("1000001", "XXX"),
    ("1000001", ""),
    ("1000001", "ß"),
    ("1000001", None),
    ("2e9", "Jpy"),
    ("100000000000", "vnd"),
    ("100000000001", "VND"),
    ("1000000", "usd"),
    ("1000000.0000000001", "USD"),
    ("99999999999", "IDR\u00a0"),
]


def catalogue_rows() -> list[dict]:
    """One row per hostile value of each column, every other column valid (the order ids
    unique but where the value is itself an order id), one per :data:`LINES` and two per
    :data:`BOUNDS` (as amount, as unit_price)."""
    rows = []
    for column, values in HOSTILE.items():
        for value in values:
            rows.append({**valid_row(len(rows)), column: value})
    for amount, quantity, price in LINES:
        rows.append(
            {**valid_row(len(rows)), "amount": amount, "quantity": quantity, "unit_price": price}
        )
    for money, currency in BOUNDS:
        rows.append({**valid_row(len(rows)), "amount": money, "currency": currency})
        rows.append(
            {**valid_row(len(rows)), "quantity": "1", "unit_price": money, "currency": currency}
        )
    return with_lineage(rows)


def disagreements(rows: list[dict], engine: list, oracle: list[Verdict]) -> list[str]:
    """Each row whose engine verdict (or reason code) is not the oracle's, described."""
    found = []
    for row, (verdict, code), expected in zip(rows, engine, oracle, strict=True):
        # the reason code is the first rule broken, in priority order
        wrong_code = verdict.kind == "quarantined" and verdict.codes[:1] != (code,)
        if verdict != expected or wrong_code:
            landed = {k: row[k] for k in HOSTILE if row.get(k) is not None}
            found.append(
                f"line {row['source_line']} {landed}: engine {verdict.kind} {code or ''}"
                f" {list(verdict.codes) or _changed(verdict, expected)},"
                f" oracle {expected.kind} {list(expected.codes) or _changed(expected, verdict)}"
            )
    return found


def _changed(verdict: Verdict, other: Verdict) -> dict:
    return {k: v for k, v in verdict.values.items() if other.values.get(k) != v}
