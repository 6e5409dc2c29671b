"""The landing reader keeps every record, whatever its state."""

import gzip
import io
import json
import os
import urllib.parse

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_core import csv_fast, csv_reader
from orders_core.contract import load_contract
from orders_core.csv_fast import parse_well_formed
from orders_core.csv_reader import read_csv, read_csv_rows
from orders_core.ingest import read_landed_files
from orders_core.landing_formats import display_name, display_name_of_uri, file_format
from orders_core.raw_frame import LandedFile, normalize_header

CONTRACT = load_contract()


def landed(name: str, data: bytes) -> LandedFile:
    return LandedFile(uri=f"file:///landing/{name}", name=name, size=len(data), data=data)


def read(name: str, data: bytes) -> pd.DataFrame:
    return read_landed_files(CONTRACT, [landed(name, data)])


def test_csv_rows_keep_source_file_and_starting_line():
    data = b'order_id,customer_id,amount\nA,c,1\nB,c,"multi\nline"\nC,c,3\n'
    raw = read("x.csv", data)
    assert list(raw["order_id"]) == ["A", "B", "C"]
    assert list(raw["source_line"]) == [2, 3, 5]
    assert raw["amount"].iloc[1] == "multi\nline"
    assert set(raw["source_file"]) == {"file:///landing/x.csv"}


def test_missing_contract_columns_are_null_and_extra_columns_are_kept_as_json():
    raw = read("x.csv", b"Order ID,customer_id,promo_code\nA,c,SAVE10\n")
    assert raw["order_id"].iloc[0] == "A"
    assert pd.isna(raw["amount"].iloc[0])
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {"promo_code": "SAVE10"}
    assert json.loads(raw["file_header"].iloc[0]) == ["Order ID", "customer_id", "promo_code"]


def test_broken_csv_records_are_kept_with_their_text():
    raw = read("x.csv", b"order_id,customer_id\nA,c\nB\nC,c,extra\n")
    assert len(raw) == 3
    assert raw["parse_error"].isna().iloc[0]
    assert raw["parse_error"].iloc[1].startswith("field_count")
    assert json.loads(raw["raw_record"].iloc[2]) == ["C", "c", "extra"]


def test_invalid_utf8_is_flagged_and_escaped_not_lost():
    raw = read("x.csv", b"order_id,customer_id\nA,c\xff\n")
    assert raw["parse_error"].iloc[0] == "invalid_utf8"
    assert "\\xff" in raw["raw_record"].iloc[0]


def test_bom_empty_file_and_header_only():
    assert read("x.csv", b"\xef\xbb\xbforder_id,customer_id\nA,c\n")["order_id"].tolist() == ["A"]
    assert len(read("x.csv", b"")) == 0
    assert len(read("x.csv", b"order_id,customer_id\n")) == 0


def test_jsonl_nested_values_become_json_text_and_bad_lines_are_kept():
    data = b'{"order_id": "A", "amount": 12.5, "meta": {"k": [1]}}\nnot json\n[1,2]\n\n'
    raw = read("x.jsonl", data)
    assert len(raw) == 3
    assert raw["amount"].iloc[0] == "12.5"
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {"meta": '{"k": [1]}'}
    assert raw["parse_error"].iloc[1].startswith("invalid_json")
    assert raw["raw_record"].iloc[1] == "not json"
    assert raw["parse_error"].iloc[2] == "not_an_object"
    assert list(raw["source_line"]) == [1, 2, 3]


def test_parquet_typed_values_are_rendered_as_text(tmp_path):
    frame = pd.DataFrame(
        {
            "order_id": ["A"],
            "amount": [12.5],
            "quantity": [3],
            "order_ts": pd.to_datetime(["2025-01-01T10:00:00Z"]),
        }
    )
    path = tmp_path / "x.parquet"
    frame.to_parquet(path)
    raw = read("x.parquet", path.read_bytes())
    assert raw[["order_id", "amount", "quantity"]].iloc[0].tolist() == ["A", "12.5", "3"]
    assert pd.Timestamp(raw["order_ts"].iloc[0]) == pd.Timestamp("2025-01-01T10:00:00Z")


def test_unreadable_parquet_is_one_broken_record():
    raw = read("x.parquet", b"definitely not parquet")
    assert len(raw) == 1
    assert raw["parse_error"].iloc[0].startswith("unreadable_parquet")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.csv", "csv"), ("a.JSONL", "jsonl"), ("a.parquet", "parquet"), ("notes.txt", None)],
)
def test_file_format(name, expected):
    assert file_format(name) == expected


def test_normalize_header():
    assert normalize_header("  Customer-ID ") == "customer_id"


def landed_csv(data: bytes) -> LandedFile:
    return landed("x.csv", data)


WELL_FORMED = (
    b'\xef\xbb\xbf"order_id","customer_id","amount","promo"\r\n'
    b'"A","c","1.5",""\r\n\r\n'
    b'"B","c \xc3\xa9",,"SAVE"\r\n'
    b'"C","c"\r\n'
    b'""\r\n'
    b'"D","c","1,5","x","y"\r\n'
    b"E,c,3,z"
)


def test_well_formed_csv_takes_the_fast_path_with_the_same_records():
    assert parse_well_formed(WELL_FORMED) is not None
    fast = read_csv(CONTRACT, landed_csv(WELL_FORMED))
    pd.testing.assert_frame_equal(fast, read_csv_rows(CONTRACT, landed_csv(WELL_FORMED)))
    # line 3 is blank (no record); line 6, one quoted empty field, is a record too short
    assert list(fast["source_line"]) == [2, 4, 5, 6, 7, 8]
    assert list(fast["order_id"].fillna("-")) == ["A", "B", "-", "-", "-", "E"]
    assert fast["parse_error"].iloc[2].startswith("field_count: expected 4 fields, found 2")
    assert fast["parse_error"].iloc[3].startswith("field_count: expected 4 fields, found 1")


@pytest.mark.parametrize(
    ("data", "values"),
    [
        (b'a,b\n"x""y",1\n', ['x"y', "1"]),
        (b'a,b\n"""x""",""""\r\n', ['"x"', '"']),
        (b'a,b\n"a "", b",""\n', ['a ", b', None]),
        (b'a,b\n"x"",1,2"\n', None),  # one field, x",1,2: a record too short
    ],
)
def test_doubled_quotes_inside_quoted_fields_take_the_fast_path_with_the_same_records(data, values):
    # Quoted exports (a comma or a quote in a value) were read row by row, 3 to 5 times
    # slower (bench/RESULTS.md, session 24).
    assert parse_well_formed(data) is not None
    fast = read_csv(CONTRACT, landed_csv(data))
    pd.testing.assert_frame_equal(fast, read_csv_rows(CONTRACT, landed_csv(data)))
    if values is None:
        assert fast["parse_error"].iloc[0] == "field_count: expected 2 fields, found 1"
    else:
        extras = json.loads(fast["extra_columns_json"].iloc[0])
        assert [extras["a"], extras["b"]] == values


@pytest.mark.parametrize(
    "data",
    [
        b'a,b\n"x\ny",1\n',  # line break inside quotes
        b'a,b\nx"y,1\n',  # quote inside an unquoted field
        b'a,b\n"x"y,1\n',  # text after a closing quote (an error in strict mode)
        b"a,b\nx\xff,1\n",  # invalid UTF-8
        b"a,b\nx\r1\n",  # lone carriage return
        b"a\nx\n\ny\n",  # one column
        b'a,"b\nc"\nx,1\n',  # line break inside a quoted header cell (the fast path raised)
    ],
)
def test_files_that_need_interpreting_take_the_exact_path(data):
    assert parse_well_formed(data) is None
    pd.testing.assert_frame_equal(
        read_csv(CONTRACT, landed_csv(data)), read_csv_rows(CONTRACT, landed_csv(data))
    )


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_quote_pairing_carries_over_scan_chunks(monkeypatch, chunk):
    monkeypatch.setattr(csv_fast, "_QUOTE_CHUNK", chunk)
    assert parse_well_formed(WELL_FORMED) is not None
    for data in (b'a,b\nx""y,1\n', b'a,b\nx"y,1\n', b'a,b\n"x"y,1\n', b'a,b\n"x,1\n'):
        assert parse_well_formed(data) is None


FIELD = st.sampled_from(
    [
        "",
        "a",
        "b c",
        "é",
        " ",
        '"q"',
        '""',
        '"a,b"',
        '" "',
        "\\",
        '"a""b"',
        '""""',
        '"""x"',
        '"x,"""',
    ]
)
LINE = st.lists(FIELD, min_size=0, max_size=5).map(",".join)
PLAIN_CSV = st.tuples(
    st.lists(LINE, max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans()
).map(lambda t: ("order_id,amount,x" + t[1] + t[1].join(t[0]) + (t[1] if t[2] else "")).encode())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    PLAIN_CSV
    | st.lists(
        st.sampled_from(["a", "b", ",", '"', "\n", "\r\n", "\r", " ", "é", "\x00", "\\"]),
        max_size=40,
    ).map(lambda parts: ("order_id,amount,x\n" + "".join(parts)).encode())
    | st.binary(max_size=60).map(lambda tail: b"order_id,amount\n" + tail)
)
def test_fast_and_exact_csv_readers_agree(data):
    source = landed_csv(data)
    try:
        expected = read_csv_rows(CONTRACT, source)
    except Exception as exc:  # the exact reader's own failures are not this test's concern
        pytest.skip(f"exact reader raised {exc!r}")
    pd.testing.assert_frame_equal(read_csv(CONTRACT, source), expected)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.tuples(st.lists(LINE, max_size=12), st.sampled_from(["\n", "\r\n"]), st.booleans()).map(
        lambda t: ("\ufeff" * t[2] + "order_id,amount,x" + t[1] + t[1].join(t[0]) + t[1]).encode()
    )
    | PLAIN_CSV,
    st.integers(1, 48),
)
def test_the_fast_csv_reader_in_blocks_of_any_size_agrees_with_the_exact_one(data, block_bytes):
    # Blocks of lines are parsed one at a time, so that a large file is never held whole.
    source = landed_csv(data)
    expected = read_csv_rows(CONTRACT, source)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_reader, "WELL_FORMED_BLOCK_BYTES", block_bytes)
        pd.testing.assert_frame_equal(read_csv(CONTRACT, source), expected)


def test_a_jsonl_record_reads_a_contract_column_from_its_own_key():
    # Each JSON object names its values: a record spelling "amount" where an earlier one
    # spelled "Amount" has its amount (it was an extra, the record missing_amount).
    lines = [
        {"order_id": "o1", "Amount": "5"},
        {"order_id": "o2", "amount": "6"},
        {"order_id": "o3", "AMOUNT": "7", "amount": "8"},
        {"order_id": "o4", "Amount": None, "amount": "9"},
    ]
    raw = read("x.jsonl", "".join(json.dumps(line) + "\n" for line in lines).encode())
    amounts = [None if pd.isna(value) else value for value in raw["amount"]]
    assert amounts == ["5", "6", "7", None]  # o4: the file's own key is there, it counts
    extras = [json.loads(text) for text in raw["extra_columns_json"]]
    assert extras[1] == {"amount": None, "AMOUNT": None}
    assert extras[2] == {"amount": "8", "AMOUNT": None}
    assert extras[3] == {"amount": "9", "AMOUNT": None}
    assert json.loads(raw["file_header"].iloc[0]) == ["order_id", "Amount", "amount", "AMOUNT"]


@pytest.mark.parametrize(
    ("column", "token"),
    [
        ("order_id", "100000000000000000000.0"),  # was "1e+20": an invalid id
        ("order_id", "1e3"),  # was "1000.0": another order than the CSV's 1e3
        ("amount", "1.10"),
        ("amount", "1E2"),
        ("amount", "1e400"),  # was "inf"
        ("amount", "-0.0"),
        ("quantity", "1e2"),  # was "100.0": valid in JSON Lines, invalid in CSV
        ("amount", "NaN"),
        ("amount", "-Infinity"),
        ("order_id", "-0"),  # was "0": another order than the CSV's -0, and a valid id
        # was a broken record whose parse_error told Python code to raise its digit limit
        ("amount", "1" + "0" * 5000),
    ],
)
def test_a_jsonl_number_is_kept_as_the_text_it_landed_as(column, token):
    record = {"order_id": "o1", "customer_id": "c1", "amount": "1", column: None}
    line = json.dumps(record).replace("null", token)
    raw = read("x.jsonl", line.encode() + b"\n")
    assert raw[column].iloc[0] == token
    assert pd.isna(raw["parse_error"].iloc[0])
    # the same text in a CSV file reads the same
    header = ",".join(record)
    csv_line = ",".join(token if key == column else str(value) for key, value in record.items())
    csv = read("x.csv", f"{header}\n{csv_line}\n".encode())
    assert csv[column].iloc[0] == raw[column].iloc[0]


def test_jsonl_numbers_inside_nested_values_are_still_json():
    raw = read("x.jsonl", b'{"order_id": "o1", "meta": {"k": 1.50, "n": [1E2]}}\n')
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {"meta": '{"k": 1.5, "n": [100.0]}'}


@pytest.mark.parametrize(
    ("name", "data", "header"),
    [
        ("a.csv", b'\xef\xbb\xbf"order_id","Amount "\r\n', ["order_id", "Amount "]),
        ("a.csv.gz", gzip.compress(b"order_id,amt\n", mtime=0), ["order_id", "amt"]),
        ("a.csv", b"\n \t\r\n\xef\xbb\xbforder_id,amt\n", ["\ufefforder_id", "amt"]),
        ("a.csv", b"\xef\xbb\xbf\n\norder_id,amt\n", ["order_id", "amt"]),
        ("a.csv.gz", gzip.compress(b"\n  \norder_id,amt\n", mtime=0), ["order_id", "amt"]),
        ("a.csv", b"\n\n \n", None),  # blank lines only: no header
        ("a.csv", b"", None),
        ("a.csv", b'"order_id,amt\n', None),  # a quote never closed: the reader breaks it
        ("a.csv.gz", b"not gzip", None),
        ("a.jsonl", b"", None),
        ("a.parquet", b"PAR1 truncated", None),
    ],
)
def test_landed_header_is_the_readers_header(name, data, header):
    """The names the reader gives a file's columns, read without its records (a file with
    a header and no record: raw_orders keeps no row of it)."""
    from orders_core.ingest import landed_header

    assert landed_header(name, io.BytesIO(data)) == header
    if header is not None:  # the reader of a file with one record names them alike
        row = b"\n" + b",".join(b"x" for _ in header) + b"\n"
        text = gzip.decompress(data) if name.endswith(".gz") else data
        framed = read_landed_files(
            load_contract(), [LandedFile("file:///b.csv", "b.csv", 0, text + row)]
        )
        assert json.loads(framed["file_header"].iloc[0]) == header


@pytest.mark.parametrize("name", ["a.csv", "a.csv.gz"])
def test_landed_header_reads_a_csv_files_first_bytes_only(name):
    """A header and megabytes of blank lines (no record: raw_orders keeps no row) is
    read for its header, not held whole."""
    from orders_core.ingest import HEADER_HEAD_BYTES, landed_header

    text = b"order_id,amt\n" + b"\n" * (3 * HEADER_HEAD_BYTES)
    stream = io.BytesIO(gzip.compress(text) if name.endswith(".gz") else text)
    assert landed_header(name, stream) == ["order_id", "amt"]
    if not name.endswith(".gz"):
        assert stream.tell() == HEADER_HEAD_BYTES


def test_landed_header_of_an_empty_parquet_file_is_its_schema():
    import pyarrow as pa
    import pyarrow.parquet as pq

    from orders_core.ingest import landed_header

    sink = io.BytesIO()
    pq.write_table(
        pa.table({"order_id": pa.array([], pa.string()), "amt": pa.array([], pa.int64())}), sink
    )
    data = sink.getvalue()
    assert landed_header("a.parquet", io.BytesIO(data)) == ["order_id", "amt"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"caf\xe9.csv", "caf\\xe9.csv"),  # Latin-1: the byte, escaped
        ("café.csv".encode(), "café.csv"),  # UTF-8: as it is
        (b"a\\xe9.csv", "a\\\\xe9.csv"),  # a backslash in the name is doubled
        (b"line\nbreak.csv", "line\\nbreak.csv"),  # cannot forge a line of an alert
        (b"\xa0.csv", "\\xa0.csv"),  # a byte ...
        ("\u00a0.csv".encode(), "\\u00a0.csv"),  # ... and a character read apart
    ],
)
def test_a_landed_file_name_is_shown_readably_and_unambiguously(raw, shown):
    name = os.fsdecode(raw)  # as the local landing zone lists it
    assert display_name(name) == shown
    uri = "file:///landing/orders/date=2025-01-02/" + urllib.parse.quote_from_bytes(raw)
    assert display_name_of_uri(uri) == shown
