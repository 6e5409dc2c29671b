"""Extra columns: PII ones are kept apart from the others, and repeated names lose nothing."""

import datetime as dt
import io
import json

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from asset_checks.drift import detect_drift, drift_outcome
from orders_core.contract import load_contract
from orders_core.csv_reader import read_csv, read_csv_rows
from orders_core.ingest import read_landed_files
from orders_core.profiling import pii_extra_names, pii_extras_sql, profile_raw
from orders_core.raw_frame import LandedFile, extra_columns, with_partition_date

CONTRACT = load_contract()
READERS = {"fast": read_csv, "exact": read_csv_rows}


def landed(name: str, data: bytes) -> LandedFile:
    return LandedFile(uri=f"file:///landing/{name}", name=name, size=len(data), data=data)


def objects(raw: pd.DataFrame, column: str) -> list[dict | None]:
    return [None if pd.isna(text) else json.loads(text) for text in raw[column]]


@pytest.mark.parametrize("reader", READERS)
def test_extras_holding_emails_by_value_or_by_name_are_kept_apart(reader):
    data = (
        b"order_id,customer_id,promo,contact,Email Address\n"
        b"A,c,SAVE10,call desk,\n"
        b"B,c,,ann@example.com,none given\n"
    )
    raw = READERS[reader](CONTRACT, landed("x.csv", data))
    assert objects(raw, "extra_columns_json") == [{"promo": "SAVE10"}, {"promo": None}]
    # The whole column is PII as soon as one value in the file is an address.
    assert objects(raw, "pii_extra_columns_json") == [
        {"contact": "call desk", "Email Address": None},
        {"contact": "ann@example.com", "Email Address": "none given"},
    ]


@pytest.mark.parametrize("reader", READERS)
def test_an_address_typed_in_decomposed_form_is_pii_too(reader):
    """'jose' + U+0301 (NFD 'josé') right before the '@': \\w has no combining mark, so the
    column was not PII and the address went on in extra_columns_json to cleaned_orders."""
    data = "order_id,customer_id,contact\nA,c,jose\u0301@example.com\n".encode()
    raw = READERS[reader](CONTRACT, landed("x.csv", data))
    assert objects(raw, "extra_columns_json") == [None]
    assert objects(raw, "pii_extra_columns_json") == [{"contact": "jose\u0301@example.com"}]


def test_a_file_without_pii_extras_has_no_pii_json():
    raw = read_landed_files(CONTRACT, [landed("x.csv", b"order_id,promo\nA,SAVE10\n")])
    assert objects(raw, "pii_extra_columns_json") == [None]
    assert objects(raw, "extra_columns_json") == [{"promo": "SAVE10"}]


def test_a_header_that_is_a_data_row_keeps_the_address_out_of_the_plain_extras():
    data = b"A1,alice,2025-01-02T10:00:00Z,5.00,USD,bob@example.com\nA2,bob,x,1,USD,c@d.io\n"
    raw = read_landed_files(CONTRACT, [landed("x.csv", data)])
    assert "@" not in "".join(raw["extra_columns_json"].dropna())
    assert objects(raw, "pii_extra_columns_json") == [{"bob@example.com": "c@d.io"}]


@pytest.mark.parametrize("reader", READERS)
def test_broken_records_carry_no_extras(reader):
    data = b"order_id,contact,promo\nA,ann@example.com,x\nB\n"
    raw = READERS[reader](CONTRACT, landed("x.csv", data))
    assert objects(raw, "pii_extra_columns_json") == [{"contact": "ann@example.com"}, None]
    assert objects(raw, "extra_columns_json") == [{"promo": "x"}, None]


def test_jsonl_and_parquet_extras_are_split_the_same_way():
    jsonl = b'{"order_id": "A", "note": {"by": "ann@example.com"}, "promo": "S"}\n'
    buffer = io.BytesIO()
    pq.write_table(pa.table({"order_id": ["A"], "mail": ["x"], "promo": ["S"]}), buffer)
    raw = read_landed_files(
        CONTRACT, [landed("a.jsonl", jsonl), landed("b.parquet", buffer.getvalue())]
    )
    assert objects(raw, "extra_columns_json") == [{"promo": "S"}, {"promo": "S"}]
    assert objects(raw, "pii_extra_columns_json") == [
        {"note": '{"by": "ann@example.com"}'},
        {"mail": "x"},
    ]


@pytest.mark.parametrize(
    "header, keys",
    [
        (["promo", "promo"], ["promo", "promo__2"]),
        (["promo", "promo", "promo"], ["promo", "promo__2", "promo__3"]),
        # a later cell already named like the suffix keeps its name; the repeat skips it
        (["promo", "promo", "promo__2"], ["promo", "promo__3", "promo__2"]),
        # a contract column named twice: the second is an extra, named as landed
        (["amount", "Amount", "amount"], ["Amount", "amount"]),
        (["Promo Code", "promo_code"], ["Promo Code", "promo_code"]),
    ],
)
def test_repeated_extra_names_are_suffixed(header, keys):
    assert [key for _, key in extra_columns(CONTRACT, header)] == keys


@pytest.mark.parametrize("reader", READERS)
def test_repeated_extra_columns_keep_every_value(reader):
    data = b"order_id,promo,promo,contact,contact\nA,x,y,ann@example.com,z\n"
    raw = READERS[reader](CONTRACT, landed("x.csv", data))
    assert objects(raw, "extra_columns_json") == [{"promo": "x", "promo__2": "y"}]
    assert objects(raw, "pii_extra_columns_json") == [
        {"contact": "ann@example.com", "contact__2": "z"}
    ]


def test_repeated_parquet_columns_keep_every_value():
    table = pa.Table.from_arrays(
        [pa.array(["A"]), pa.array(["x"]), pa.array(["y"])], names=["order_id", "p", "p"]
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    raw = read_landed_files(CONTRACT, [landed("x.parquet", buffer.getvalue())])
    assert objects(raw, "extra_columns_json") == [{"p": "x", "p__2": "y"}]


def test_raw_metadata_names_the_pii_extras_never_their_values():
    files = [
        landed("a.csv", b"order_id,contact,promo\nA,ann@example.com,x\n"),
        landed("b.csv", b"order_id,E-Mail\nB,\n"),
        landed("c.csv", b"A1,zed@example.com\nA2,y\n"),
    ]
    raw = with_partition_date(read_landed_files(CONTRACT, files), dt.date(2025, 1, 2))
    profile = profile_raw(raw, CONTRACT)
    assert profile["orders/pii_extra_columns"] == 3
    assert profile["orders/pii_extra_column_names"] == "<email>, E-Mail, contact"
    assert "ann@" not in repr(profile) and "zed@" not in repr(profile)
    clean = read_landed_files(CONTRACT, [landed("d.csv", b"order_id,promo\nA,x\n")])
    profile = profile_raw(with_partition_date(clean, dt.date(2025, 1, 2)), CONTRACT)
    assert profile["orders/pii_extra_columns"] == 0
    assert "orders/pii_extra_column_names" not in profile


def test_drift_reports_pii_extras_and_masks_addresses_in_names_and_examples():
    header = "order_id,customer_id,order_ts,amount,currency,contact"
    rows = [f"A{i},c,2025-01-02T10:00:00Z,1,USD,x{i}@example.com" for i in range(30)]
    hostile = "A1,c,not-a-time@example.com,1,USD,bob@example.com"
    bad_ts = [f"B{i},c,t{i}@example.com,1,USD,y" for i in range(30)]
    files = [
        landed("a.csv", "\n".join([header, *rows, ""]).encode()),
        landed("b.csv", "\n".join([hostile, *bad_ts, ""]).encode()),
    ]
    raw = with_partition_date(read_landed_files(CONTRACT, files), dt.date(2025, 1, 2))
    findings = detect_drift(raw, CONTRACT)
    contact = [f for f in findings if f.kind == "added" and f.column == "contact"]
    assert contact and "pii_extra_columns_json" in contact[0].detail
    outcome = drift_outcome(findings, len(raw))
    shown = repr(outcome.description) + repr(outcome.metadata["drift"])
    assert "example.com" not in shown and "<email>" in shown


def test_repeated_jsonl_keys_keep_every_value():
    data = b'{"order_id": "A", "promo": "x", "promo": "y", "promo__2": "z", "amount": "1", "amount": "9"}\n'
    raw = read_landed_files(CONTRACT, [landed("x.jsonl", data)])
    assert raw["amount"].iloc[0] == "1"  # the first value of a contract column is the column
    assert objects(raw, "extra_columns_json") == [
        {"promo": "x", "promo__3": "y", "promo__2": "z", "amount__2": "9"}
    ]


def test_pii_names_from_the_warehouse_are_those_of_the_frame():
    files = [
        landed("a.csv", b"order_id,contact,promo\nA,ann@example.com,x\nB,y,z\n"),
        landed("c.csv", b"A1,zed@example.com\nA2,y\n"),
    ]
    raw = with_partition_date(read_landed_files(CONTRACT, files), dt.date(2025, 1, 2))
    with duckdb.connect() as conn:
        conn.register("raw_day", raw)
        day = dt.date(2025, 1, 2)
        rows = conn.execute(pii_extras_sql("raw_day"), [day, day]).fetchall()
    assert pii_extra_names(r[2] for r in rows) == ["<email>", "contact"]
    assert profile_raw(raw, CONTRACT)["orders/pii_extra_column_names"] == "<email>, contact"
