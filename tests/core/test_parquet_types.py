"""Parquet's typed values: bytes, integer money, decimals and timestamps (issue 16, item 5).

Every value is read as text; a value the contract would read changed (bytes that are not
UTF-8, an integer amount that is probably cents) is quarantined with its value kept, never
published silently changed.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from asset_checks.drift import detect_drift, drift_outcome
from orders_core.contract import load_contract
from orders_core.parquet_reader import parquet_batches, read_parquet
from orders_core.raw_frame import LandedFile
from tests.support.order_fixtures import DAY, HEADER, clean, landed, order_rows, raw_frame

CONTRACT = load_contract()


def _table(n: int = 3, **columns: pa.Array) -> pa.Table:
    rows = order_rows(n)
    data = {name: pa.array([row[name] for row in rows]) for name in HEADER}
    return pa.table({**data, **columns})


def _file(table: pa.Table, name: str = "x.parquet") -> LandedFile:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return landed(name, buffer.getvalue())


def _raw(table: pa.Table) -> pd.DataFrame:
    return raw_frame([_file(table)])


BINARY_TYPES = [pa.binary(), pa.large_binary(), pa.binary_view()]


@pytest.mark.parametrize("kind", BINARY_TYPES, ids=str)
def test_utf8_binary_ids_are_read_as_their_text(kind):
    ids = [row["order_id"] for row in order_rows(3)]
    raw = _raw(_table(order_id=pa.array([i.encode() for i in ids], kind)))
    assert raw["order_id"].tolist() == ids
    assert raw["parse_error"].isna().all()
    assert clean(raw).cleaned["order_id"].tolist() == ids


def test_fixed_size_binary_ids_are_read_as_their_text():
    raw = _raw(_table(customer_id=pa.array([b"c01", b"c02", b"c03"], pa.binary(3))))
    assert raw["customer_id"].tolist() == ["c01", "c02", "c03"]
    assert len(clean(raw).cleaned) == 3


def test_uuid_ids_are_read_as_their_canonical_text(tmp_path):
    """Parquet's UUID type (Arrow's ``arrow.uuid``, 16 bytes): its canonical text, by the
    reader and by the engine's load of the text copy; cast to text, Arrow gave the 16
    raw bytes, and an id whose bytes happen to be printable would be published so."""
    import uuid

    from tests.support.raw_rows import both_ways, parquet_file

    ids = [uuid.UUID(int=5), uuid.UUID("41424344-4546-4748-494a-4b4c4d4e4f50"), None]
    column = pa.ExtensionArray.from_storage(
        pa.uuid(), pa.array([None if i is None else i.bytes for i in ids], pa.binary(16))
    )
    tags = pa.ListArray.from_arrays(pa.array([0, 1, 2, 3], pa.int32()), column)
    raw = _raw(_table(order_id=column, tags=tags))
    texts = [None if i is None else str(i) for i in ids]
    assert raw["order_id"].tolist()[:2] == texts[:2] and pd.isna(raw["order_id"].iloc[2])
    tags_text = [json.loads(json.loads(e)["tags"]) for e in raw["extra_columns_json"]]
    assert tags_text == [[t] for t in texts]  # in a list as they were already
    assert raw["parse_error"].isna().all()
    engine, reader = both_ways(parquet_file(tmp_path / "u.parquet", _table(order_id=column)),
                               "parquet", DAY)  # fmt: skip
    assert engine is not None and engine == reader
    assert [row[0] for row in engine] == texts


@pytest.mark.parametrize("kind", [*BINARY_TYPES, pa.binary(2)], ids=str)
def test_binary_that_is_not_utf8_breaks_the_record_and_keeps_the_bytes_escaped(kind):
    ids = [b"o1", b"\xff\x01", None] if kind != pa.binary(2) else [b"o1", b"\xff\x01", b"o3"]
    raw = _raw(_table(order_id=pa.array(ids, kind)))
    assert raw["parse_error"].iloc[0] is pd.NA or pd.isna(raw["parse_error"].iloc[0])
    assert raw["order_id"].iloc[1] == "\\xff\x01"  # visible, lossless, no b'...' wrapper
    assert raw["parse_error"].iloc[1].startswith("invalid_utf8: binary value in column order_id")
    result = clean(raw)
    assert result.raw_rows == 3
    quarantined = result.quarantined.set_index("source_line")
    assert quarantined.loc[2, "reason_code"] == "malformed_record"
    assert quarantined.loc[2, "order_id"] == "\\xff\x01"
    assert "invalid_utf8" in quarantined.loc[2, "reason_detail"]
    assert "\\" not in "".join(result.cleaned["order_id"])


def test_binary_in_free_text_that_is_not_utf8_is_not_published():
    # region has no pattern: only the record's parse_error keeps the escape out of it.
    raw = _raw(_table(region=pa.array([b"north", b"s\xe9ud", b"east"])))
    result = clean(raw)
    assert result.cleaned["region"].tolist() == ["north", "east"]
    (row,) = result.quarantined.itertuples()
    assert row.reason_code == "malformed_record" and row.region == "s\\xe9ud"


def test_binary_extra_column_and_nested_bytes():
    table = _table(
        promo=pa.array([b"SAVE10", b"\x80\x81", None]),
        meta=pa.array([{"tag": b"ok"}, {"tag": b"ok"}, {"tag": b"\xfe"}]),
    )
    raw = _raw(table)
    extras = [json.loads(text) for text in raw["extra_columns_json"]]
    assert extras[0] == {"promo": "SAVE10", "meta": '{"tag": "ok"}'}
    assert extras[1]["promo"] == "\\x80\\x81"
    assert json.loads(extras[2]["meta"]) == {"tag": "\\xfe"}
    assert pd.isna(raw["parse_error"].iloc[0])
    # An extra column's name is landed text: the error gives its position only.
    assert raw["parse_error"].iloc[1] == (
        "invalid_utf8: binary value in extra column 12 is not UTF-8 (kept with \\xNN escapes)"
    )
    assert raw["parse_error"].iloc[2].startswith("invalid_utf8: binary value in extra column 13")
    result = clean(raw)
    assert len(result.cleaned) == 1 and len(result.quarantined) == 2


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        (pa.list_(pa.string()), [["x", "y"], ["x", "y"], ["é", None, '"q"']]),
        (pa.large_list(pa.large_string()), [["x"], [], ["x"]]),
        (pa.list_(pa.list_(pa.string())), [[["a"]], [["a"]], [["b", "c"]]]),
        (pa.struct([("n", pa.int64()), ("s", pa.string())]), [{"s": "a", "n": 1}] * 2 + [None]),
        (pa.map_(pa.string(), pa.float64()), [[("k", -0.0)], [("k", 0.0)], [("k", 1.5)]]),
    ],
    ids=str,
)
def test_nested_values_without_bytes_are_their_json_whatever_repeats(kind, values):
    raw = _raw(_table(meta=pa.array(values, kind)))
    expected = [
        None if value is None else json.dumps(value, sort_keys=True)
        for value in pa.array(values, kind).to_pylist()
    ]
    texts = [json.loads(text).get("meta") for text in raw["extra_columns_json"]]
    assert texts == expected
    assert raw["parse_error"].isna().all()


def test_dictionary_encoded_binary_and_strings():
    ids = pa.array([b"o1", b"o2", b"\xff"]).dictionary_encode()
    raw = _raw(_table(order_id=ids, status=pa.array(["placed"] * 3).dictionary_encode()))
    assert raw["order_id"].tolist()[:2] == ["o1", "o2"]
    assert raw["status"].tolist() == ["placed"] * 3
    assert raw["parse_error"].notna().tolist() == [False, False, True]


@pytest.mark.parametrize("kind", [pa.int64(), pa.int32(), pa.uint16(), pa.int8()], ids=str)
@pytest.mark.parametrize("column", ["amount", "unit_price"])
def test_integer_money_columns_quarantine_every_record_with_values_kept(kind, column):
    values = [10, 20, 30]
    raw = _raw(_table(**{column: pa.array(values, kind)}))
    expected = (
        f"integer_money_column: {column} is {kind} in Parquet (minor units?);"
        " the contract wants major units"
    )
    assert raw["parse_error"].tolist() == [expected] * 3
    assert raw[column].tolist() == ["10", "20", "30"]  # kept as landed
    result = clean(raw)
    assert result.cleaned.empty and result.raw_rows == 3
    assert set(result.quarantined["reason_code"]) == {"malformed_record"}
    assert result.quarantined[column].tolist() == ["10", "20", "30"]
    assert all(expected in detail for detail in result.quarantined["reason_detail"])


def test_integer_money_column_is_an_error_drift_naming_the_column():
    cents = _file(_table(4, amount=pa.array([1999, 2500, 100, 0], pa.int64())), "cents.parquet")
    raw = raw_frame([cents, _file(_table(2), "decimal.parquet")])
    findings = [f for f in detect_drift(raw, CONTRACT) if f.column == "amount"]
    assert [(f.kind, f.severity, f.files, f.rows) for f in findings] == [("retyped", "ERROR", 1, 4)]
    assert "int64" in findings[0].detail and "minor units" in findings[0].detail
    outcome = drift_outcome(findings, len(raw))
    assert not outcome.passed and outcome.severity.value == "ERROR"


def test_an_all_null_integer_unit_price_changes_no_value_and_passes():
    raw = _raw(_table(unit_price=pa.array([None] * 3, pa.int64())))
    assert raw["parse_error"].isna().all()
    assert not [f for f in detect_drift(raw, CONTRACT) if f.kind == "retyped"]


@pytest.mark.parametrize(
    ("kind", "values", "text", "published"),
    [
        (pa.decimal128(10, 2), [Decimal("12.50")], "12.50", 12.5),
        (pa.decimal256(40, 3), [Decimal("12.500")], "12.500", 12.5),
        (pa.float64(), [12.5], "12.5", 12.5),
        (pa.float32(), [12.5], "12.5", 12.5),
    ],
    ids=str,
)
def test_decimal_and_float_amounts_are_read_exactly(kind, values, text, published):
    table = _table(1, amount=pa.array(values, kind), quantity=pa.array([None], pa.int64()))
    raw = _raw(table)
    assert raw["amount"].iloc[0] == text
    assert raw["parse_error"].isna().all()
    cleaned = clean(raw).cleaned
    assert cleaned["amount"].tolist() == [published]


def test_negative_zero_decimal_is_zero():
    amount = pa.array([Decimal("-0.00")], pa.decimal128(5, 2))
    table = _table(1, amount=amount, quantity=pa.array([None], pa.int64()))
    cleaned = clean(_raw(table)).cleaned
    assert cleaned["amount"].tolist() == [0.0]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_naive_parquet_timestamps_are_utc_and_counted(unit):
    when = dt.datetime(DAY.year, DAY.month, DAY.day, 23, 30)
    table = _table(
        1,
        order_ts=pa.array([when], pa.timestamp(unit)),
        updated_at=pa.array([when], pa.timestamp(unit)),
    )
    raw = _raw(table)
    assert raw["order_ts"].iloc[0] == "2025-01-02T23:30:00"  # no offset
    result = clean(raw)
    assert result.cleaned["order_ts"].tolist() == [pd.Timestamp("2025-01-02T23:30:00Z")]
    assert result.naive_timestamp_rows == 1


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_aware_parquet_timestamps_keep_their_offset(unit):
    when = dt.datetime(DAY.year, DAY.month, DAY.day, 22, 30, tzinfo=dt.UTC)
    table = _table(
        1,
        order_ts=pa.array([when], pa.timestamp(unit, tz="Asia/Kolkata")),
        updated_at=pa.array([None], pa.timestamp(unit, tz="UTC")),
    )
    raw = _raw(table)
    assert raw["order_ts"].iloc[0] == "2025-01-03T04:00:00+05:30"
    result = clean(raw)
    # Its UTC date is the landing day, whatever the local date says.
    assert result.cleaned["order_ts"].tolist() == [pd.Timestamp("2025-01-02T22:30:00Z")]
    assert result.naive_timestamp_rows == 0


def test_nanosecond_timestamps_keep_their_digits():
    ns = pd.Timestamp("2025-01-02T10:00:00.123456789").value
    order_ts = pa.array([ns], pa.int64()).view(pa.timestamp("ns"))
    raw = _raw(_table(1, order_ts=order_ts, updated_at=pa.array([None], pa.string())))
    assert raw["order_ts"].iloc[0] == "2025-01-02T10:00:00.123456789"
    result = clean(raw)
    assert result.quarantined.empty
    assert result.cleaned["order_ts"].tolist() == [pd.Timestamp("2025-01-02T10:00:00.123456Z")]


def test_dates_are_days_at_utc_midnight():
    raw = _raw(_table(1, order_ts=pa.array([DAY], pa.date32()), updated_at=pa.array([DAY])))
    assert raw["order_ts"].iloc[0] == "2025-01-02"
    result = clean(raw)
    assert result.cleaned["order_ts"].tolist() == [pd.Timestamp("2025-01-02T00:00:00Z")]


def test_timestamps_outside_pythons_range_are_invalid_not_a_crash():
    far = pa.array([300_000_000_000, None, None], pa.int64()).view(pa.timestamp("s", tz="UTC"))
    raw = _raw(_table(order_ts=far))
    assert raw["order_ts"].iloc[0].startswith("11476-")
    result = clean(raw)
    assert result.raw_rows == 3
    assert set(result.quarantined["reason_code"]) == {"invalid_order_ts", "missing_order_ts"}


def _unchecked_text(values: list[bytes | None], kind: pa.DataType | None = None) -> pa.Array:
    """A text array holding ``values`` as they are: some writers put bytes that are not
    UTF-8 in a UTF8 column, and neither they nor Arrow's reader check."""
    kind = kind or pa.string()
    as_bytes = pa.array(values, pa.large_binary() if kind == pa.large_string() else pa.binary())
    return pa.Array.from_buffers(kind, len(as_bytes), as_bytes.buffers())


@pytest.mark.parametrize("dictionary", [False, True])
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()], ids=str)
def test_a_text_column_holding_bytes_that_are_not_utf8_breaks_only_those_records(kind, dictionary):
    ids = _unchecked_text([b"o1", b"o\xff2", None], kind)
    raw = _raw(_table(order_id=ids.dictionary_encode() if dictionary else ids))
    assert raw["order_id"].tolist()[:2] == ["o1", "o\\xff2"]  # kept, visibly escaped
    assert raw["parse_error"].iloc[1].startswith("invalid_utf8: binary value in column order_id")
    assert raw["parse_error"].isna().tolist() == [True, False, True]
    result = clean(raw)
    assert result.raw_rows == 3 and result.cleaned["order_id"].tolist() == ["o1"]


def test_nested_text_holding_bytes_that_are_not_utf8_is_escaped():
    tags = pa.ListArray.from_arrays(pa.array([0, 1, 2, 2]), _unchecked_text([b"a", b"\xfe"]))
    raw = _raw(_table(tags=tags))
    extras = [json.loads(text) for text in raw["extra_columns_json"]]
    assert [json.loads(e["tags"]) if e["tags"] else None for e in extras] == [
        ["a"],
        ["\\xfe"],
        [],
    ]
    assert raw["parse_error"].notna().tolist() == [False, True, False]


def test_a_column_name_that_is_not_utf8_makes_the_file_one_broken_record():
    buffer = io.BytesIO()
    pq.write_table(_table(promozz=pa.array(["x"] * 3)), buffer, store_schema=False)
    data = buffer.getvalue().replace(b"promozz", b"promo\xff\xfe")
    raw = raw_frame([landed("names.parquet", data)])
    assert len(raw) == 1
    assert raw["parse_error"].iloc[0].startswith("unreadable_parquet: 'utf-8' codec")


def _instant(zone: str, dictionary: bool = False) -> pa.Array:
    """2025-01-02T22:30:00Z (a UTC instant, as Parquet stores it) typed with ``zone``."""
    when = dt.datetime(2025, 1, 2, 22, 30, tzinfo=dt.UTC)
    micros = int(when.timestamp() * 1_000_000)
    values = pa.array([micros], pa.int64()).view(pa.timestamp("us", tz=zone))
    return values.dictionary_encode() if dictionary else values


@pytest.mark.parametrize("dictionary", [False, True])
@pytest.mark.parametrize("zone", ["Z", "Europe/Parris", "UTC+1"])
def test_a_timestamp_whose_time_zone_is_unknown_is_read_as_its_utc_instant(zone, dictionary):
    """Arrow keeps whatever zone name a writer gave; converting one no database knows
    raised and failed the whole run. The stored instant is UTC: it is read exactly."""
    raw = _raw(_table(1, order_ts=_instant(zone, dictionary), updated_at=_instant(zone)))
    assert raw["order_ts"].tolist() == ["2025-01-02T22:30:00+00:00"]
    assert raw["parse_error"].isna().all()
    result = clean(raw)
    assert result.cleaned["order_ts"].tolist() == [pd.Timestamp("2025-01-02T22:30:00Z")]
    assert result.naive_timestamp_rows == 0


def test_an_unknown_time_zone_in_extra_and_nested_columns_is_read_as_utc():
    instant = _instant("Mars/Olympus")
    nested = pa.StructArray.from_arrays([instant], names=["at"])
    raw = _raw(_table(1, seen=instant, event=nested, log=pa.ListArray.from_arrays([0, 1], instant)))
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {
        "seen": "2025-01-02T22:30:00+00:00",
        "event": '{"at": "2025-01-02 22:30:00+00:00"}',
        "log": '["2025-01-02 22:30:00+00:00"]',
    }
    assert len(clean(raw).cleaned) == 1


def _repeated_fields(*names: str) -> pa.StructArray:
    return pa.StructArray.from_arrays([pa.array([i]) for i, _ in enumerate(names)], names=names)


def test_a_struct_with_a_repeated_field_name_keeps_every_value():
    """A Python dict cannot hold two fields of one name: converting the struct raised and
    failed the whole run. The n-th occurrence is keyed name__n, as repeated columns are."""
    inner = _repeated_fields("a", "a", "a__2", "a")
    nested = pa.ListArray.from_arrays([0, 1], _repeated_fields("b", "b"))
    raw = _raw(_table(1, meta=inner, tags=nested))
    assert raw["parse_error"].isna().all()
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {
        "meta": '{"a": 0, "a__2": 2, "a__3": 1, "a__4": 3}',
        "tags": '[{"b": 0, "b__2": 1}]',
    }
    assert len(clean(raw).cleaned) == 1


def _int96_file(**columns: pa.Array) -> LandedFile:
    buffer = io.BytesIO()
    pq.write_table(
        _table(len(next(iter(columns.values()))), **columns),
        buffer,
        use_deprecated_int96_timestamps=True,
        row_group_size=1,
    )
    return landed("legacy.parquet", buffer.getvalue())


def test_int96_timestamps_outside_the_nanosecond_range_are_read_as_landed():
    """INT96 read in nanoseconds (Arrow's default) wrapped dates outside 1677-2262
    silently: a 9999-12-31 sentinel read as 1816-03-29, a year 1500 as 2084-07-20."""
    landed_at = ["9999-12-31T00:00:00", "1500-01-01T00:00:00", "2300-06-01T12:00:00"]
    updated_at = pa.array([dt.datetime.fromisoformat(t) for t in landed_at], pa.timestamp("us"))
    source = _int96_file(updated_at=updated_at)
    raw = raw_frame([source])
    assert raw["updated_at"].tolist() == landed_at
    for batch_rows in (1, 2):
        batched = pd.concat(list(parquet_batches(CONTRACT, source, batch_rows)), ignore_index=True)
        pd.testing.assert_frame_equal(batched, read_parquet(CONTRACT, source))


def test_int96_timestamps_keep_their_nanoseconds_and_an_older_update_is_not_published():
    ns = pd.Timestamp("2025-01-02T10:00:00.123456789").value
    order_ts = pa.array([ns, ns], pa.int64()).view(pa.timestamp("ns"))
    # 1500-01-01, before the order: it wrapped to 2084 and won as the newest version
    updated_at = pa.array([dt.datetime(1500, 1, 1), None], pa.timestamp("us"))
    raw = raw_frame([_int96_file(order_ts=order_ts, updated_at=updated_at)])
    assert raw["order_ts"].tolist() == ["2025-01-02T10:00:00.123456789"] * 2
    result = clean(raw)
    assert result.quarantined["reason_code"].tolist() == ["updated_at_before_order_ts"]
    assert result.cleaned["updated_at"].tolist() == [pd.Timestamp("2025-01-02T10:00:00.123456Z")]
