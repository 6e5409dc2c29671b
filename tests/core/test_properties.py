"""Property tests of ingest and cleaning: hostile landing data never breaks the contract.

Strategies mix valid and hostile text per contract column (unicode digits, overflowing
numbers, impossible dates, naive and far-away timestamps, duplicates with random
updated_at). For any such raw frame:

- raw rows = cleaned + quarantined + superseded;
- cleaned rows satisfy the contract (types, ranges, allowed sets, order_ts on the
  partition day, one row per order_id);
- cleaning is idempotent: the cleaned rows, rendered back to landing text, clean to
  the same rows.

And for any bytes in any landing format, ``read_landed_files`` returns a frame.
Examples are derandomized and bounded so the run is fast and repeatable.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orders_core.cleaning import clean_orders
from orders_core.contract import load_contract
from orders_core.ingest import read_landed_files
from orders_core.raw_frame import LandedFile, empty_raw_frame, raw_columns, with_partition_date

CONTRACT = load_contract()
DAY = dt.date(2025, 1, 1)
KEY = b"property-test-key-0123456789"
# Each example cleans a frame (~0.1 s of pandas), so keep the counts modest.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

hostile_text = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(
        [" ", "\t", "NULL", "nan", "None", "٣", "３", "1\u202f000", "🙂", "'; drop table x; --"]
    ),
    st.text(max_size=12),
    st.text(min_size=129, max_size=140),
)


def timestamps(day: dt.date) -> st.SearchStrategy[str]:
    """ISO-8601 text around the partition day, with and without offsets."""
    moment = st.datetimes(
        min_value=dt.datetime.combine(day - dt.timedelta(days=1), dt.time()),
        max_value=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(23, 59, 59)),
    )
    offset = st.sampled_from(["Z", "+00:00", "+02:00", "-05:30", "+14:00", ""])
    return st.builds(lambda m, o: m.isoformat() + o, moment, offset)


def numbers(low: float, high: float) -> st.SearchStrategy[str]:
    in_range = st.decimals(min_value=low, max_value=high, places=2).map(str)
    wild = st.sampled_from(
        [
            "-1",
            "-0",
            "1e400",
            "-1e400",
            "NaN",
            "inf",
            "1,234.50",
            "+3",
            ".5",
            "5.",
            "1e3",
            "99999999999999999999999",
            "0x10",
            "1_000",
            " 7 ",
            "1.5",
        ]
    )
    return st.one_of(in_range, in_range, wild, hostile_text)


COLUMNS = {
    "order_id": st.one_of(st.sampled_from(["o1", "o2", "o3", " o1", "O1"]), hostile_text),
    "customer_id": st.one_of(st.sampled_from(["c1", "c2", "c3"]), hostile_text),
    "order_ts": st.one_of(
        timestamps(DAY),
        timestamps(DAY),
        st.sampled_from(
            [
                "2025-02-30T00:00:00Z",
                "0001-01-01T00:00:00+05:00",
                "9999-12-31T23:59:59-05:00",
                "1735725600",
                "2025-01-01",
            ]
        ),
        hostile_text,
    ),
    "amount": numbers(0, 1_000_000),
    "currency": st.one_of(
        st.sampled_from(["USD", "eur", " gbp ", "US", "USDD", "ÜSD"]), hostile_text
    ),
    "quantity": numbers(1, 100_000).map(lambda v: v.split(".")[0] if v else v),
    "unit_price": numbers(0, 1_000_000),
    "status": st.one_of(
        st.sampled_from(["placed", "Shipped", " DELIVERED ", "cancelled", "returned", "lost"]),
        hostile_text,
    ),
    "region": st.one_of(st.sampled_from(["EU", "US", "apac"]), hostile_text),
    "customer_email": st.one_of(st.emails().map(str), hostile_text),
    "updated_at": st.one_of(st.none(), timestamps(DAY), hostile_text),
}


@st.composite
def raw_frames(draw) -> pd.DataFrame:
    """A raw frame as ingest produces it, some records unparseable, many duplicated ids."""
    rows = draw(st.lists(st.fixed_dictionaries(COLUMNS), max_size=25))
    broken = draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    frame = empty_raw_frame(CONTRACT)
    if rows:
        data = pd.DataFrame(rows, columns=CONTRACT.column_names)
        data["extra_columns_json"] = data["pii_extra_columns_json"] = None
        data["parse_error"] = ["csv_syntax: test" if b else None for b in broken]
        data["raw_record"] = data["parse_error"].map(lambda e: "garbage" if e else None)
        data["source_file"] = "file:///landing/part-000.csv"
        data["source_line"] = range(2, len(rows) + 2)
        data["source_format"] = "csv"
        data["file_header"] = json.dumps(CONTRACT.column_names)
        frame = data[raw_columns(CONTRACT)].astype(
            {name: "string" for name in raw_columns(CONTRACT) if name != "source_line"}
        )
    return with_partition_date(frame, DAY)


def as_landing_text(cleaned: pd.DataFrame) -> pd.DataFrame:
    """Cleaned rows rendered back to raw text, as a landing file would carry them."""
    text = pd.DataFrame(index=cleaned.index)
    for name in ("order_id", "customer_id", "currency", "status", "region"):
        text[name] = cleaned[name]
    for name in ("order_ts", "updated_at"):
        text[name] = cleaned[name].map(lambda t: t.isoformat())
    for name in ("amount", "unit_price"):
        text[name] = cleaned[name].map(lambda v: None if pd.isna(v) else repr(float(v)))
    text["quantity"] = cleaned["quantity"].map(lambda v: None if pd.isna(v) else str(int(v)))
    text["customer_email"] = None
    for name in ("extra_columns_json", "source_file", "source_line"):
        text[name] = cleaned[name]
    text["parse_error"] = text["raw_record"] = text["pii_extra_columns_json"] = None
    text["source_format"] = "csv"
    text["file_header"] = "[]"
    text = text[raw_columns(CONTRACT)].astype(
        {name: "string" for name in raw_columns(CONTRACT) if name != "source_line"}
    )
    return with_partition_date(text.reset_index(drop=True), DAY)


def assert_meets_contract(cleaned: pd.DataFrame) -> None:
    assert cleaned["order_id"].is_unique
    for spec in CONTRACT.columns:
        if spec.name not in cleaned:
            continue
        values = cleaned[spec.name]
        if spec.required:
            assert values.notna().all(), spec.name
        present = values.dropna()
        if spec.type in ("decimal", "integer"):
            assert all(math.isfinite(v) for v in present), spec.name
            assert (present >= spec.min).all() and (present <= spec.max).all(), spec.name
        if spec.type == "string":
            if spec.max_length is not None:
                assert (present.str.len() <= spec.max_length).all(), spec.name
            if spec.pattern is not None:
                assert present.str.fullmatch(spec.pattern).all(), spec.name
            if spec.allowed is not None:
                assert present.isin(spec.allowed).all(), spec.name
            assert (present == present.str.strip()).all() and (present != "").all(), spec.name
    assert str(cleaned["order_ts"].dt.tz) == "UTC"
    assert (cleaned["order_ts"].dt.date == DAY).all()
    assert (pd.to_datetime(cleaned["order_date"]).dt.date == DAY).all()
    assert cleaned["updated_at"].notna().all()
    assert cleaned["customer_email_hash"].dropna().str.fullmatch("[0-9a-f]{64}").all()
    assert str(cleaned["quantity"].dtype) == "Int64"


@PROPERTY
@given(raw_frames())
def test_cleaning_reconciles_meets_the_contract_and_is_idempotent(raw):
    result = clean_orders(raw, CONTRACT, KEY)

    assert len(raw) == len(result.cleaned) + len(result.quarantined) + result.superseded_rows
    assert result.quarantined["reason_code"].notna().all()
    assert_meets_contract(result.cleaned)

    again = clean_orders(as_landing_text(result.cleaned), CONTRACT, KEY)
    assert len(again.quarantined) == 0 and again.superseded_rows == 0
    compared = [c for c in result.cleaned.columns if c != "customer_email_hash"]
    pd.testing.assert_frame_equal(
        again.cleaned[compared].reset_index(drop=True),
        result.cleaned[compared].reset_index(drop=True),
    )


@PROPERTY
@given(raw_frames(), st.randoms(use_true_random=False))
def test_the_newest_version_of_each_order_wins_whatever_the_arrival_order(raw, rng):
    shuffled = raw.sample(frac=1, random_state=rng.randrange(2**32)).reset_index(drop=True)
    first = clean_orders(raw, CONTRACT, KEY)
    second = clean_orders(shuffled, CONTRACT, KEY)

    # Ties on updated_at may pick another record, but never another updated_at.
    newest = first.cleaned.set_index("order_id")["updated_at"].sort_index()
    assert newest.equals(second.cleaned.set_index("order_id")["updated_at"].sort_index())
    assert first.superseded_rows == second.superseded_rows


FORMATS = st.sampled_from(["part.csv", "part.jsonl", "part.parquet"])


@settings(PROPERTY, max_examples=150)
@given(st.binary(max_size=2000), FORMATS)
@example(b"[" * 100_000, "part.jsonl")
@example(b'{"order_id": "\\ud800"}\n', "part.jsonl")
@example(b"PAR1\x00\x00PAR1", "part.parquet")
@example(b'\xef\xbb\xbf\xff\xfe,\x00\n\r\n"', "part.csv")
@example(b"order_id\nA\rB\n", "part.csv")
def test_any_bytes_are_read_without_raising(data, name):
    frame = read_landed_files(CONTRACT, [LandedFile(f"file:///l/{name}", name, len(data), data)])
    assert list(frame.columns) == raw_columns(CONTRACT)
    # a record starts on a line of its own: (file, line) is a raw row's key, which
    # cleaning joins the day's rows on
    assert not frame.duplicated(["source_file", "source_line"]).any()
    clean_orders(with_partition_date(frame, DAY), CONTRACT, KEY)


@PROPERTY
@given(st.lists(st.fixed_dictionaries({}, optional=COLUMNS), max_size=8), FORMATS)
def test_any_records_in_any_format_are_read_one_row_each(rows, name):
    records = [{k: v for k, v in row.items() if v is not None} for row in rows]
    if name.endswith(".csv"):
        # RFC 4180 line ends, so a field holding a bare "\r" is quoted as the RFC requires.
        table = pd.DataFrame(records, columns=CONTRACT.column_names)
        data = table.to_csv(index=False, lineterminator="\r\n").encode()
    elif name.endswith(".jsonl"):
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    else:
        buffer = io.BytesIO()
        pd.DataFrame(records, columns=CONTRACT.column_names).astype("string").to_parquet(buffer)
        data = buffer.getvalue()
    frame = read_landed_files(CONTRACT, [LandedFile(f"file:///l/{name}", name, len(data), data)])
    assert len(frame) == len(records)
    assert frame["parse_error"].isna().all(), frame["parse_error"].dropna().tolist()


def landed_csv(**values: str) -> pd.DataFrame:
    """One landed CSV record (a valid order unless ``values`` say otherwise) as a raw frame."""
    record = {
        "order_id": "o1",
        "customer_id": "c1",
        "order_ts": "2025-01-01T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
        **values,
    }
    data = pd.DataFrame([record]).to_csv(index=False).encode()
    frame = read_landed_files(CONTRACT, [LandedFile("file:///l/a.csv", "a.csv", len(data), data)])
    return with_partition_date(frame, DAY)


def test_regression_an_overflowing_quantity_is_quarantined_not_a_crash():
    result = clean_orders(landed_csv(quantity="99999999999999999999999"), CONTRACT, KEY)
    assert result.quarantined["reason_code"].tolist() == ["quantity_out_of_range"]


def test_regression_non_ascii_digits_are_invalid_numbers_not_silent_nulls():
    # "٣" (Arabic-Indic three) matched \d, failed to parse, and was published as a null amount.
    result = clean_orders(landed_csv(amount="٣", quantity="３"), CONTRACT, KEY)
    assert result.cleaned.empty
    assert "invalid_quantity" in result.quarantined["reason_detail"].iloc[0]
    assert result.quarantined["reason_code"].tolist() == ["invalid_amount"]


def read_jsonl_bytes(data: bytes) -> pd.DataFrame:
    return read_landed_files(
        CONTRACT, [LandedFile("file:///l/a.jsonl", "a.jsonl", len(data), data)]
    )


def test_regression_deeply_nested_json_is_a_broken_record_not_a_crash():
    frame = read_jsonl_bytes(b"[" * 60_000 + b'\n{"order_id": "o1"}\n')
    assert frame["parse_error"].fillna("").str.startswith("invalid_json").tolist() == [True, False]


def test_regression_a_lone_surrogate_escape_is_quarantined_not_a_crash():
    # json.loads turns "\ud800" into text that UTF-8 (hashing, DuckDB, Arrow) rejects.
    line = b'{"order_id": "o1", "customer_email": "\\ud800@x.com", "region": "\\ud83d\\ude00"}\n'
    ok = b'{"order_id": "o2", "region": "\\ud83d\\ude00"}\n'
    frame = read_jsonl_bytes(line + ok)
    assert frame["parse_error"].tolist()[0] == "invalid_unicode: lone surrogate escape"
    assert frame["region"].tolist()[1] == "\U0001f600"
    clean_orders(with_partition_date(frame, DAY), CONTRACT, KEY)


def test_regression_line_separators_inside_json_strings_do_not_split_records():
    record = {"order_id": "o1", "region": "north\u2028east\x85\x1c"}
    data = (json.dumps(record, ensure_ascii=False) + "\r\n").encode() * 2
    frame = read_jsonl_bytes(data)
    assert frame["parse_error"].isna().all()
    assert frame["region"].tolist() == [record["region"]] * 2
    assert frame["source_line"].tolist() == [1, 2]
