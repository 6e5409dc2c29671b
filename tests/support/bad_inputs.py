"""A corpus of malformed landing files, each with what the platform must make of it.

Every case lands one day of files and states the outcome: reason codes that must
appear in quarantine, drift kinds the schema check must report, rows superseded by
deduplication, or rows that must come through clean. Whatever the case, nothing may
crash and reconciliation must hold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from orders_core.raw_frame import LandedFile
from tests.support.order_fixtures import DAY, HEADER, csv_bytes, landed, order_rows

TINY = math.ulp(0.0)  # the smallest positive double, 4.9e-324
# Amounts as exports write them: spaces, signs, bare points, exponents and leading zeros
# are numbers; an underscore, full-width or Arabic-Indic digits, hex, thousands and
# decimal commas, currency marks and infinities are not (their indexes: ODD_AMOUNTS_REFUSED).
ODD_AMOUNTS = (
    " 12.00",
    "12.00 ",
    "+12.00",
    ".50",
    "12.",
    "1_000",
    "\uff11\uff12.00",
    "1.2e+01",
    "0x1A",
    "1 234,50",
    "12,50",
    "1.234.567,00",
    "$12.00",
    "12.00USD",
    "\u0661\u0662",
    "1e-2",
    "Infinity",
    "-0.00",
    "00012.00",
)
ODD_AMOUNTS_REFUSED = frozenset({5, 6, 8, 9, 10, 11, 12, 13, 14, 16})
# Currencies trimmed and upper-cased when ASCII letters; a space inside or full-width
# letters are no code (indexes: ODD_CURRENCIES_REFUSED).
ODD_CURRENCIES = ("usd", "Usd", " usd", "usd ", "u sd", "eur", "usd\t", "\uff35\uff33\uff24")
ODD_CURRENCIES_REFUSED = frozenset({4, 7})
# Indexes in odd_stamps(): outside the partition in UTC, and no timestamp the contract reads.
ODD_STAMPS_OUTSIDE = frozenset({0, 13})
ODD_STAMPS_REFUSED = frozenset({3, 4, 8, 9, 11, 14, 16, 17, 19})


def odd_stamps(day: dt.date) -> tuple[str, ...]:
    """``order_ts`` of an order placed on ``day`` as exports write it: offsets moving it
    across midnight UTC either way, ISO forms the contract reads, and forms it does not."""
    before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    return (
        f"{day}T23:30:00-05:00",  # the next day in UTC: outside the partition
        f"{after}T01:00:00+02:00",  # the next day as written, this day in UTC
        f"{day}T00:00:00+00:00",
        f"{day}T24:00:00Z",
        f"{day}T23:59:60Z",
        f"{day}T10:00:00+0530",
        f"{day} 10:00",
        f"{day}T10:00:00.123456789Z",
        f"{day:%Y%m%d}T100000Z",
        f"{day}T10:00:00 UTC",
        f"{day}T10:00:00z",
        f"{day}T10:00:00+05:30:00",
        f"{day}T10:00:00-00:00",
        f"{day}T10:00:00+14:00",  # the day before in UTC
        f"{day}T10",
        f"{day}",
        f"{day}T10:00:00 +01:00",
        f"{day.year}-{day.month}-{day.day}T10:00:00Z",
        f"{before}T23:00:00.5-01:00",  # the day before as written, this day in UTC
        f"{day}T10:00:00[Europe/Paris]",
    )


@dataclass(frozen=True)
class Case:
    """One malformed input and its expected outcome."""

    name: str
    files: tuple[LandedFile, ...]
    reasons: frozenset[str] = frozenset()
    drift: frozenset[str] = frozenset()
    superseded: int = 0
    min_cleaned: int = 0
    cleaned_values: tuple[tuple[str, str, object], ...] = field(default=())  # order_id, col, value


@dataclass(frozen=True)
class Placing:
    """Where the corpus places its orders: their day, and a tag in their ids that keeps
    them apart from another placing's orders of the same day."""

    day: dt.date = DAY
    tag: str = ""

    def orders(self, n: int, prefix: str = "o") -> list[dict[str, str]]:
        """n valid orders of the day, ids starting with ``prefix`` and the tag."""
        return order_rows(n, self.day, prefix + self.tag)


def _rows(at: Placing, n: int = 3, **changes: str | None) -> list[dict[str, str]]:
    """n valid rows; the first one gets ``changes`` (None removes the value)."""
    rows = at.orders(n)
    for key, value in changes.items():
        if value is None:
            rows[0].pop(key, None)
        else:
            rows[0][key] = value
    return rows


def _csv(name: str, rows: list[dict[str, str]], header=HEADER) -> LandedFile:
    return landed(f"{name}.csv", csv_bytes(rows, header))


def _raw(name: str, data: bytes, suffix: str = "csv") -> LandedFile:
    return landed(f"{name}.{suffix}", data)


def _jsonl(name: str, records: list[object]) -> LandedFile:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return landed(f"{name}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))


def _unpriced(order_id: str, at: Placing) -> dict[str, str | None]:
    """A valid row of amount 12.50 without quantity or unit price (no amount_mismatch)."""
    row = {**at.orders(1)[0], "order_id": order_id, "amount": "12.50"}
    return {**row, "quantity": None, "unit_price": None}


def _unpriced_rows(at: Placing, prefix: str, column: str, values) -> list[dict[str, str | None]]:
    """A valid row of the day without quantity or unit price for each of ``values`` (in
    ``column``), its id ``prefix``, the tag and its index, its customer and time as
    :meth:`Placing.orders` spreads them."""
    return [
        {**row, "order_id": f"{prefix}{at.tag}-{i}", "quantity": None, "unit_price": None}
        | {column: value}
        for i, (row, value) in enumerate(zip(at.orders(len(values)), values, strict=True))
    ]


def _subnormal_rows(at: Placing) -> list[dict[str, str]]:
    """Three rows; the first 2 steps of 151 off its lines, the second 1 of 100 (the
    tolerance), both amounts below the normal doubles."""
    rows = _rows(at, amount=repr(151 * TINY), quantity="1", unit_price=repr(153 * TINY))
    rows[1].update(amount=repr(100 * TINY), quantity="1", unit_price=repr(101 * TINY))
    return rows


def _json_number(row: dict[str, str], column: str, number: str) -> str:
    """The JSON line of ``row`` with ``column`` a JSON number written as ``number``."""
    return json.dumps({**row, column: None}).replace(f'"{column}": null', f'"{column}": {number}')


def _parquet(name: str, table: pa.Table) -> LandedFile:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return landed(f"{name}.parquet", buffer.getvalue())


def _renamed(old: str, new: str, at: Placing) -> LandedFile:
    rows = [{(new if k == old else k): v for k, v in r.items()} for r in at.orders(20)]
    header = [new if h == old else h for h in HEADER]
    return _csv(f"renamed_{old}", rows, header)


def _valid_table(at: Placing, n: int = 3) -> dict[str, list]:
    return {k: [r[k] for r in at.orders(n)] for k in HEADER}


def _case(name: str, files, **expected) -> Case:
    files = (files,) if isinstance(files, LandedFile) else tuple(files)
    for key in ("reasons", "drift"):
        if key in expected:
            expected[key] = frozenset(expected[key])
    return Case(name=name, files=files, **expected)


def corpus(day: dt.date = DAY, tag: str = "") -> list[Case]:
    """At least forty distinct malformed inputs, their orders placed on ``day`` (the
    day's folder in their files' URIs), ``tag`` after the prefix of their generated ids
    (``o<tag>20250102-00000``)."""
    at = Placing(day, tag)
    first = at.orders(1)[0]["order_id"]
    ts = f"{day}T10:00:00+00:00"
    header_no_amount = [h for h in HEADER if h != "amount"]
    header_no_region = [h for h in HEADER if h != "region"]
    yen = [{**row, "currency": "JPY"} for row in at.orders(3, prefix="yen")]
    cases = [
        # Columns: missing, renamed, extra, duplicated, case and spacing.
        _case(
            "missing_required_column",
            _csv("no_amount", at.orders(5), header_no_amount),
            reasons={"missing_amount"},
            drift={"missing_required"},
        ),
        _case(
            "missing_optional_column",
            _csv("no_region", at.orders(5), header_no_region),
            drift={"missing_optional"},
            min_cleaned=5,
        ),
        _case(
            "renamed_amount",
            _renamed("amount", "total_amount", at),
            reasons={"missing_amount"},
            drift={"missing_required", "renamed", "added"},
        ),
        _case(
            "renamed_customer_id",
            _renamed("customer_id", "cust_id", at),
            reasons={"missing_customer_id"},
            drift={"missing_required", "renamed"},
        ),
        _case(
            "renamed_quantity",
            _renamed("quantity", "qty", at),
            drift={"missing_optional", "renamed"},
            min_cleaned=20,
        ),
        _case(
            "extra_column",
            _csv("extra", [{**r, "coupon": "X1"} for r in at.orders(4)], [*HEADER, "coupon"]),
            drift={"added"},
            min_cleaned=4,
        ),
        _case(
            "duplicated_header",
            _raw(
                "dup_header",
                b"order_id,amount,"
                + ",".join(h for h in HEADER if h not in ("order_id", "amount")).encode()
                + b",amount\n"
                + (f"{first},10.00,c1,{ts},USD,1,10.00,placed,north,a@b.c,{ts},99\n").encode(),
            ),
            drift={"added"},
            min_cleaned=1,
        ),
        _case(
            "header_case_and_spaces",
            _raw(
                "spaced",
                csv_bytes(at.orders(2)).replace(
                    b"order_id,customer_id", b" Order ID ,Customer-Id", 1
                ),
            ),
            min_cleaned=2,
        ),
        # Wrong types and nulls.
        _case(
            "amount_not_a_number",
            _csv("amount_text", _rows(at, amount="abc")),
            reasons={"invalid_amount"},
        ),
        _case(
            "amount_retyped_for_the_file",
            _csv("amount_eur", [{**r, "amount": f"{r['amount']} EUR"} for r in at.orders(20)]),
            reasons={"invalid_amount"},
            drift={"retyped"},
        ),
        _case(
            "quantity_fractional",
            _csv("qty_frac", _rows(at, quantity="2.5")),
            reasons={"invalid_quantity"},
        ),
        _case(
            "quantity_zero",
            _csv("qty_zero", _rows(at, quantity="0", amount="0")),
            reasons={"quantity_below_minimum"},
        ),
        _case(
            "order_ts_not_a_time",
            _csv("ts_text", _rows(at, order_ts="yesterday")),
            reasons={"invalid_order_ts"},
        ),
        _case(
            "null_order_id",
            _csv("null_id", _rows(at, order_id=None)),
            reasons={"missing_order_id"},
        ),
        _case(
            "null_customer_id",
            _csv("null_customer", _rows(at, customer_id=None)),
            reasons={"missing_customer_id"},
        ),
        _case(
            "blank_key",
            _csv("blank_key", _rows(at, order_id="   ")),
            reasons={"missing_order_id"},
        ),
        _case(
            "currency_not_iso",
            _csv("xyz", _rows(at, currency="XYZ")),
            reasons={"invalid_currency"},
        ),
        _case(
            "currency_lower_case",
            _csv("lower", _rows(at, currency="usd")),
            min_cleaned=3,
            cleaned_values=((first, "currency", "USD"),),
        ),
        _case(
            "status_unknown",
            _csv("status", _rows(at, status="lost")),
            reasons={"invalid_status"},
        ),
        # Duplicates.
        _case(
            "duplicate_same_updated_at",
            _csv("dup", at.orders(3) + at.orders(1)),
            superseded=1,
            min_cleaned=3,
        ),
        _case(
            "duplicate_newer_update",
            _csv(
                "newer",
                at.orders(2)
                + [
                    {
                        **at.orders(1)[0],
                        "status": "shipped",
                        "updated_at": f"{day}T23:00:00+00:00",
                    }
                ],
            ),
            superseded=1,
            cleaned_values=((first, "status", "shipped"),),
        ),
        _case(
            "duplicate_older_update_later",
            _csv(
                "older",
                [
                    {
                        **at.orders(1)[0],
                        "status": "delivered",
                        "updated_at": f"{day}T23:00:00Z",
                    },
                    *at.orders(2),
                ],
            ),
            superseded=1,
            cleaned_values=((first, "status", "delivered"),),
        ),
        # Amounts.
        _case(
            "negative_amount",
            _csv("negative", _rows(at, amount="-5.00", quantity=None, unit_price=None)),
            reasons={"negative_amount"},
        ),
        _case(
            "huge_amount",
            _csv("huge", _rows(at, amount="1000000000000", quantity=None, unit_price=None)),
            reasons={"amount_out_of_range"},
        ),
        _case(
            "thousands_separator",
            _csv("thousands", _rows(at, amount="1,234.50")),
            reasons={"invalid_amount"},
        ),
        _case(
            "scientific_amount",
            _csv("sci", _rows(at, amount="1.5e1", quantity="1", unit_price="15")),
            min_cleaned=3,
            cleaned_values=((first, "amount", 15.0),),
        ),
        _case(
            "overflowing_amount",
            _csv("overflow", _rows(at, amount="1e400")),
            reasons={"invalid_amount"},
        ),
        _case("nan_amount", _csv("nan", _rows(at, amount="NaN")), reasons={"invalid_amount"}),
        _case(
            "amount_disagrees_with_lines",
            _csv("mismatch", _rows(at, amount="999.00")),
            reasons={"amount_mismatch"},
        ),
        _case(
            # below the normal doubles 0.01 x amount loses digits: a product test kept this
            # amount 1.3 % off its lines (0.01 x 151 x TINY rounds to 2 x TINY), the suite's
            # ratio refused it; the next row is at the tolerance (1 of 100) and kept
            "amount_below_the_normal_doubles_off_its_lines",
            _csv("subnormal", _subnormal_rows(at)),
            reasons={"amount_mismatch"},
            min_cleaned=2,
            cleaned_values=((at.orders(2)[1]["order_id"], "amount", 100 * TINY),),
        ),
        # Dates and times.
        _case(
            "future_date",
            _csv("future", _rows(at, order_ts="2030-01-01T00:00:00Z", updated_at=None)),
            reasons={"order_ts_outside_partition"},
        ),
        _case(
            "date_of_previous_day",
            _csv(
                "previous",
                _rows(at, order_ts=f"{day - dt.timedelta(days=1)}T23:59:59Z", updated_at=None),
            ),
            reasons={"order_ts_outside_partition"},
        ),
        _case(
            "offset_crosses_midnight",
            _csv("offset", _rows(at, order_ts=f"{day}T23:30:00-05:00", updated_at=None)),
            reasons={"order_ts_outside_partition"},
        ),
        _case(
            "timezone_naive_time",
            _csv("naive", _rows(at, order_ts=f"{day} 10:00:00", updated_at=None)),
            min_cleaned=3,
        ),
        _case(
            "renamed_order_ts_holding_a_sentinel_date",
            # typing the renamed column's values (is it order_ts?) raised on the year
            # 9999, outside pandas' nanoseconds: the drift check failed the whole run
            _csv(
                "sentinel",
                [
                    {**r, "order_time": "9999-12-31T00:00:00Z" if i == 0 else r["order_ts"]}
                    for i, r in enumerate(at.orders(20))
                ],
                ["order_time" if h == "order_ts" else h for h in HEADER],
            ),
            reasons={"missing_order_ts"},
            drift={"missing_required", "renamed"},
        ),
        _case(
            "updated_before_order",
            _csv(
                "updated_before",
                _rows(at, updated_at=f"{day - dt.timedelta(days=1)}T00:00:00Z"),
            ),
            reasons={"updated_at_before_order_ts"},
        ),
        _case(
            "mixed_formats_in_one_day",
            (
                _csv("mixed", at.orders(2)),
                _jsonl(
                    "mixed",
                    [{**r, "amount": float(r["amount"])} for r in at.orders(2, "j")],
                ),
                _parquet(
                    "mixed",
                    pa.table(_valid_table(at, 2)).set_column(0, "order_id", pa.array(["p1", "p2"])),
                ),
            ),
            superseded=0,
            min_cleaned=6,
        ),
        # Bytes and CSV syntax.
        _case(
            "non_utf8_bytes",
            _raw("latin1", csv_bytes(at.orders(2)).replace(b"north", "nörth".encode("latin-1"))),
            reasons={"malformed_record"},
        ),
        _case(
            "byte_order_mark",
            _raw("bom", b"\xef\xbb\xbf" + csv_bytes(at.orders(2))),
            min_cleaned=2,
        ),
        _case("empty_file", _raw("empty", b"")),
        _case("header_only", _raw("header_only", csv_bytes([]))),
        _case(
            "truncated_row",
            _raw("truncated", csv_bytes(at.orders(2))[:-40]),
            reasons={"malformed_record"},
        ),
        _case(
            "unterminated_quote",
            _raw("quote", csv_bytes(at.orders(1)) + b'"o-x,c1,"2025'),
            reasons={"malformed_record"},
        ),
        _case(
            "line_of_one_quoted_empty_field",
            # read as a blank line, it was skipped: no raw row, no quarantine, no trace
            _raw("quoted_empty", csv_bytes(at.orders(2)).replace(b"\n", b'\n""\n', 1)),
            reasons={"malformed_record"},
            min_cleaned=2,
        ),
        _case(
            "blank_lines_before_the_header",
            # read as the header, the first blank line made every record a field_count one
            _raw("blank_lead", b"\n \t\n" + csv_bytes(at.orders(3))),
            min_cleaned=3,
        ),
        _case(
            "lone_cr_outside_quotes",
            # the csv module ended a record at the CR: two records on one line, one key
            _raw("lone_cr", csv_bytes(_rows(at, region="north\rwest"))),
            reasons={"malformed_record"},
            min_cleaned=2,
        ),
        _case(
            "quoted_newline_in_header",
            # the fast path read the header's first line alone and raised
            _raw(
                "header_newline",
                csv_bytes(at.orders(2)).replace(b",region,", b',"reg\nion",', 1),
            ),
            drift={"added"},
            min_cleaned=2,
        ),
        _case(
            "quoted_newline",
            _csv("newline", _rows(at, region="north\nwest")),
            min_cleaned=3,
            cleaned_values=((first, "region", "north\nwest"),),
        ),
        # Formula- and SQL-looking strings.
        _case(
            "formula_in_id",
            _csv("formula_id", _rows(at, customer_id='=HYPERLINK("http://evil.example","x")')),
            reasons={"invalid_customer_id"},
        ),
        _case(
            "formula_in_text",
            _csv("formula_text", _rows(at, region="+cmd|' /C calc'!A0")),
            reasons={"formula_like_region"},
        ),
        _case(
            "nul_in_text",
            # published as landed: a C-string client cut the region at the NUL
            [
                _csv("nul_text", _rows(at, region="no\x00rth")),
                _jsonl("nul_text", [{**_rows(at, 1)[0], "order_id": "j1", "region": "we\x00st"}]),
            ],
            reasons={"nul_in_region"},
        ),
        _case(
            "sql_in_id",
            _csv("sql_id", _rows(at, order_id="1'; DROP TABLE orders; --")),
            reasons={"invalid_order_id"},
        ),
        _case(
            "sql_in_text_kept_verbatim",
            _csv("sql_text", _rows(at, region="north'); DELETE FROM staging.cleaned_orders; --")),
            min_cleaned=3,
            cleaned_values=((first, "region", "north'); DELETE FROM staging.cleaned_orders; --"),),
        ),
        # JSON Lines.
        _case(
            "jsonl_nested_amount",
            _jsonl(
                "nested",
                [
                    {**r, "amount": {"value": 10}} if i == 0 else r
                    for i, r in enumerate(at.orders(3))
                ],
            ),
            reasons={"invalid_amount"},
        ),
        _case(
            "jsonl_boolean_quantity",
            _jsonl(
                "bool",
                [{**r, "quantity": True} if i == 0 else r for i, r in enumerate(at.orders(3))],
            ),
            reasons={"invalid_quantity"},
        ),
        _case(
            "jsonl_not_an_object",
            _jsonl("array", ["[1, 2, 3]", *at.orders(2)]),
            reasons={"malformed_record"},
        ),
        _case(
            "jsonl_invalid_json",
            _jsonl("broken", ['{"order_id": "x",', *at.orders(2)]),
            reasons={"malformed_record"},
        ),
        _case(
            "jsonl_numeric_id",
            _jsonl(
                "numeric_id",
                [{**r, "order_id": 12345} if i == 0 else r for i, r in enumerate(at.orders(3))],
            ),
            min_cleaned=3,
            cleaned_values=(("12345", "order_id", "12345"),),
        ),
        _case(
            "jsonl_null_required",
            _jsonl(
                "null",
                [{**r, "currency": None} if i == 0 else r for i, r in enumerate(at.orders(3))],
            ),
            reasons={"missing_currency"},
        ),
        _case(
            "jsonl_integers_an_int_would_change",
            # -0 was read as 0 (a valid id: another order than the CSV's -0), an integer
            # over Python's 4,300 digits a broken record
            _jsonl(
                "integers",
                [
                    _json_number(at.orders(1, "n")[0], "order_id", "-0"),
                    _json_number(at.orders(1, "m")[0], "amount", "1" + "0" * 5000),
                    *at.orders(2),
                ],
            ),
            reasons={"invalid_order_id", "invalid_amount"},
            min_cleaned=2,
        ),
        _case(
            "jsonl_exotic_numbers",
            # amounts of no quantity or unit price: the text as landed decides
            _jsonl(
                "numbers",
                [
                    _json_number(_unpriced(f"x{i}", at), "amount", number)
                    for i, number in enumerate(
                        ["NaN", "Infinity", "-Infinity", "1e400", "1.10", "-0", "1E2", "0.0e0"]
                    )
                ],
            ),
            reasons={"invalid_amount"},
            min_cleaned=4,
            cleaned_values=(
                ("x4", "amount", 1.1),
                ("x5", "amount", 0.0),
                ("x6", "amount", 100.0),
                ("x7", "amount", 0.0),
            ),
        ),
        _case(
            "jsonl_repeated_and_case_folded_keys",
            # the first key naming a column gives its value; the others are extras
            _jsonl(
                "keys",
                [
                    json.dumps(_unpriced("k1", at)).replace(
                        '"amount"', '"amount": "9.00", "amount"'
                    ),
                    {("Amount" if k == "amount" else k): v for k, v in _unpriced("k2", at).items()},
                    {**_unpriced("k3", at), "AMOUNT": "7.00"},
                ],
            ),
            drift={"added"},
            min_cleaned=3,
            cleaned_values=(("k1", "amount", 9.0), ("k2", "amount", 12.5), ("k3", "amount", 12.5)),
        ),
        _case(
            "jsonl_lines_of_other_whitespace_than_jsons",
            # str.strip() took them for blank lines: gone without a trace
            _jsonl(
                "whitespace",
                [at.orders(1)[0], "\x0c", "\u00a0", "\u2028", *at.orders(3)[1:]],
            ),
            reasons={"malformed_record"},
            min_cleaned=3,
        ),
        _case(
            "jsonl_oversized_key",
            # a column name on every row's file_header and extras, and in drift's findings
            _jsonl("big_key", [{**r, "k" * 2000: "v"} for r in at.orders(3)]),
            drift={"added"},
            min_cleaned=3,
        ),
        _case(
            "jsonl_too_many_keys",
            # an export with a key per product: records x keys held in the reader (4,000
            # records of a new key each took 1.2 GiB); each line a broken record instead
            _jsonl("sku_keys", [{**r, f"sku_{i}": 1} for i, r in enumerate(at.orders(1_100))]),
            reasons={"malformed_record"},
            drift={"unreadable"},
        ),
        # Parquet.
        _case(
            "parquet_typed_columns",
            _parquet(
                "typed",
                pa.table(
                    {
                        **_valid_table(at, 3),
                        "amount": pa.array([12.5, 20.0, 30.0]),
                        "quantity": pa.array([1, 2, 3], pa.int64()),
                        "unit_price": pa.array([12.5, 10.0, 10.0]),
                        "order_ts": pa.array(
                            [dt.datetime.combine(day, dt.time(10), dt.UTC)] * 3,
                            pa.timestamp("us", tz="UTC"),
                        ),
                        "updated_at": pa.array([None] * 3, pa.timestamp("us", tz="UTC")),
                    }
                ),
            ),
            min_cleaned=3,
        ),
        _case(
            "parquet_naive_timestamps",
            _parquet(
                "naive",
                pa.table(
                    {
                        **_valid_table(at, 2),
                        "order_ts": pa.array(
                            [dt.datetime.combine(day, dt.time(10))] * 2, pa.timestamp("ms")
                        ),
                        "updated_at": pa.array([None] * 2, pa.timestamp("ms")),
                    }
                ),
            ),
            min_cleaned=2,
        ),
        _case(
            "parquet_nested_amount",
            _parquet(
                "struct",
                pa.table(
                    {
                        **_valid_table(at, 25),
                        "amount": pa.array([{"value": 1.0}] * 25),
                    }
                ),
            ),
            reasons={"invalid_amount"},
            drift={"retyped"},
        ),
        _case(
            "parquet_list_region",
            _parquet(
                "list",
                pa.table(
                    {**_valid_table(at, 25), "region": pa.array([["a"], ["b"]] * 12 + [["c"]])}
                ),
            ),
            reasons={"invalid_region"},
            drift={"retyped"},
        ),
        _case(
            "parquet_integer_cents_amount",
            _parquet(
                "cents",
                pa.table(
                    {**_valid_table(at, 3), "amount": pa.array([1250, 2000, 3000], pa.int64())}
                ),
            ),
            reasons={"malformed_record"},
            drift={"retyped"},
        ),
        _case(
            "parquet_binary_ids",
            _parquet(
                "binary",
                pa.table(
                    {
                        **_valid_table(at, 3),
                        "order_id": pa.array([b"b1", b"b2", b"\xffb3"], pa.binary()),
                        "customer_id": pa.array([b"c1", b"c2", b"c3"], pa.large_binary()),
                    }
                ),
            ),
            reasons={"malformed_record"},
            min_cleaned=2,
            cleaned_values=(("b1", "customer_id", "c1"),),
        ),
        _case(
            "parquet_decimal_amount",
            _parquet(
                "decimal",
                pa.table(
                    {
                        **_valid_table(at, 1),
                        "amount": pa.array([Decimal("10.00")], pa.decimal128(12, 2)),
                        "unit_price": pa.array([Decimal("10.00")], pa.decimal128(12, 2)),
                    }
                ),
            ),
            min_cleaned=1,
            cleaned_values=((first, "amount", 10.0),),
        ),
        _case(
            "parquet_decimal_scientific_text",
            # Arrow writes a small decimal of a large scale as 0E-10, 1.000E-7: the value
            _parquet(
                "scientific",
                pa.table(
                    {
                        **{
                            k: [r.get(k) for r in (_unpriced("s1", at), _unpriced("s2", at))]
                            for k in HEADER
                        },
                        "amount": pa.array(
                            [Decimal("0"), Decimal("0.0000001")], pa.decimal128(38, 10)
                        ),
                    }
                ),
            ),
            min_cleaned=2,
            cleaned_values=(("s1", "amount", 0.0), ("s2", "amount", 1e-07)),
        ),
        _case(
            "parquet_corrupt",
            _raw("corrupt", b"PAR1 this is not parquet", "parquet"),
            reasons={"malformed_record"},
            # Named as a file nothing could be read from, not as every column missing.
            drift={"unreadable"},
        ),
        _case(
            "gzip_empty_file",
            # gzip writes 20 bytes for an empty text: a .gz file of no byte is an upload
            # cut to nothing, never a file of no order.
            (_raw("empty", b"", "csv.gz"), _raw("empty", b"", "jsonl.gz")),
            reasons={"malformed_record"},
            drift={"unreadable"},
        ),
        _case(
            "parquet_missing_column_and_extra",
            _parquet(
                "drift",
                pa.table(
                    {
                        k: v
                        for k, v in {**_valid_table(at, 2), "channel": ["web", "app"]}.items()
                        if k != "order_id"
                    }
                ),
            ),
            reasons={"missing_order_id"},
            drift={"missing_required", "added"},
        ),
        # max_by_currency: 2,000,000 JPY (about 13,000 USD) is cleaned, as its bound is in
        # yen (1e9); 2.5e9 JPY is over it
        _case(
            "amount_in_its_currency_units",
            _csv(
                "yen",
                [
                    {**yen[0], "amount": "2000000", "unit_price": "2000000", "quantity": "1"},
                    {**yen[1], "amount": "2500000000", "unit_price": "", "quantity": ""},
                    yen[2],
                ],
            ),
            reasons={"amount_out_of_range"},
            min_cleaned=2,
            cleaned_values=((yen[0]["order_id"], "amount", 2_000_000.0),),
        ),
    ]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    folder = f"/date={DAY}/", f"/date={day}/"
    return [
        dataclasses.replace(
            case,
            files=tuple(dataclasses.replace(f, uri=f.uri.replace(*folder)) for f in case.files),
        )
        for case in cases
    ]


def odd_values(day: dt.date = DAY, tag: str = "") -> list[Case]:
    """Amounts, currencies and ``order_ts`` written every odd way (:data:`ODD_AMOUNTS`,
    :data:`ODD_CURRENCIES`, :func:`odd_stamps`), their orders placed on ``day``, ``tag`` in
    their ids. Not in :func:`corpus`, which many tests land whole; the batching corpus
    spreads both over its nine days (hunt 82 found customer_clv's maximum-likelihood fit
    of them degenerate, its table written empty: it is penalized since hunt 85)."""
    at = Placing(day, tag)
    return [
        _case(
            "amounts_written_oddly",
            _csv(
                "odd_amount",
                _unpriced_rows(at, "amt", "amount", ODD_AMOUNTS),
            ),
            reasons={"invalid_amount"},
            min_cleaned=len(ODD_AMOUNTS) - len(ODD_AMOUNTS_REFUSED),
            cleaned_values=(
                (f"amt{at.tag}-0", "amount", 12.0),
                (f"amt{at.tag}-3", "amount", 0.5),
                (f"amt{at.tag}-15", "amount", 0.01),
            ),
        ),
        _case(
            "currencies_written_oddly",
            _csv(
                "odd_currency",
                _unpriced_rows(at, "cur", "currency", ODD_CURRENCIES),
            ),
            reasons={"invalid_currency"},
            min_cleaned=len(ODD_CURRENCIES) - len(ODD_CURRENCIES_REFUSED),
            cleaned_values=((f"cur{at.tag}-2", "currency", "USD"),),
        ),
        _case(
            "timestamps_written_oddly",
            _csv(
                "odd_ts",
                [
                    {**row, "updated_at": None}
                    for row in _unpriced_rows(at, "ts", "order_ts", odd_stamps(day))
                ],
            ),
            reasons={"invalid_order_ts", "order_ts_outside_partition"},
            min_cleaned=len(odd_stamps(day)) - len(ODD_STAMPS_OUTSIDE | ODD_STAMPS_REFUSED),
        ),
    ]
