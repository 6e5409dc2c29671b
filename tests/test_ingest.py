"""The landing reader keeps every record, whatever its state."""

import json

import pandas as pd
import pytest

from platform_assets.contract import load_contract
from platform_assets.ingest import LandedFile, file_format, normalize_header, read_landed_files

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
