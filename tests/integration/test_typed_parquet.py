"""A typed Parquet file is loaded by the engine through its plain copy
(``orders_core.plain_parquet.text_copy``), giving exactly the reader's rows; a file
whose reading needs the reader's own care (binary, integer money, INT96, text that is
not UTF-8, names the engine binds otherwise) is left to the reader."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orders_core.contract import load_contract
from orders_core.plain_parquet import plain_parquet_header, renderable_parquet_header, text_copy
from orders_core.sql.cleaning import raw_columns
from tests.support.order_fixtures import land, order_rows
from tests.support.raw_rows import (
    RANGE_ORDER,
    both_ways,
    invalid_utf8_text,
    parquet_file,
    raw_orders_range_with_loads,
    reader_rows,
)

CONTRACT = load_contract()
DAY = dt.date(2025, 1, 2)
UTC = dt.UTC


def typed_orders(n: int, day: dt.date = DAY, zone: str | None = "UTC") -> pa.Table:
    """``n`` valid orders as a dataframe or warehouse exports them: decimal money, integer
    quantity, zoned timestamps, dictionary-encoded codes."""
    rows = order_rows(n, day)
    stamps = [dt.datetime.fromisoformat(row["order_ts"]) for row in rows]
    kind = pa.timestamp("us", tz=zone)
    return pa.table(
        {
            "order_id": [row["order_id"] for row in rows],
            "customer_id": [row["customer_id"] for row in rows],
            "order_ts": pa.array(stamps, kind),
            "amount": pa.array([decimal.Decimal(r["amount"]) for r in rows], pa.decimal128(12, 2)),
            "currency": pa.array([r["currency"] for r in rows]).dictionary_encode(),
            "quantity": pa.array([int(r["quantity"]) for r in rows], pa.int64()),
            "unit_price": pa.array([float(r["unit_price"]) for r in rows], pa.float64()),
            "status": pa.array([r["status"] for r in rows]).dictionary_encode(),
            "region": [row["region"] for row in rows],
            "customer_email": [row["customer_email"] for row in rows],
            "updated_at": pa.array(stamps, kind),
        }
    )


@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York", "+05:30", "Mars/Olympus"])
def test_an_export_of_typed_orders_loads_the_readers_rows(tmp_path, zone):
    table = typed_orders(40, zone=zone)
    path = parquet_file(tmp_path / "o.parquet", table, row_group_size=7)
    with path.open("rb") as handle:
        assert plain_parquet_header(handle, CONTRACT) is None
        assert renderable_parquet_header(handle, CONTRACT) == table.column_names
    engine, reader = both_ways(path, "parquet", DAY)
    assert engine is not None
    assert engine == reader
    assert len(engine) == 40


def _int96(tmp_path: Path) -> Path:
    table = pa.table({"order_id": ["o1"], "order_ts": pa.array([dt.datetime(2025, 1, 2)])})
    return parquet_file(tmp_path / "f.parquet", table, use_deprecated_int96_timestamps=True)


@pytest.mark.parametrize(
    ("columns", "renderable"),
    [
        ({"order_id": pa.array(["o1"]), "quantity": pa.array([1])}, True),
        ({"order_id": pa.array(["o1"]), "tags": pa.array([["a", "b"]])}, True),
        ({"order_id": pa.array(["o1"]), "when": pa.array([dt.date(2025, 1, 2)])}, True),
        ({"order_id": pa.array(["o1"])}, False),  # plain: loaded as it is
        ({"order_id": pa.array(["o1"]), "raw": pa.array([b"a"])}, False),  # bytes
        ({"order_id": pa.array(["o1"]), "meta": pa.array([{"k": b"a"}])}, False),  # bytes inside
        ({"order_id": pa.array(["o1"]), "amount": pa.array([1999])}, False),  # minor units?
        ({"order_id": pa.array(["o1"]), "unit_price": pa.array([5], pa.int8())}, False),
        ({"order_id": pa.array(["o1"]), "Order ID": pa.array([1])}, False),  # one column twice
        ({"order_id": pa.array(["o1"]), "promoción": pa.array([1])}, False),  # non-ASCII extra
        ({"order_id": pa.array(["o1"]), "file_row_number": pa.array([1])}, False),
    ],
)
def test_only_typed_files_the_reader_reads_as_text_are_copied(tmp_path, columns, renderable):
    path = parquet_file(tmp_path / "f.parquet", pa.table(columns))
    with path.open("rb") as handle:
        assert (renderable_parquet_header(handle, CONTRACT) is not None) is renderable
        assert text_copy(handle, CONTRACT, io.BytesIO()) is renderable


def test_int96_timestamps_are_left_to_the_reader(tmp_path):
    with _int96(tmp_path).open("rb") as handle:
        assert renderable_parquet_header(handle, CONTRACT) is None


@pytest.mark.parametrize("encoded", [False, True])
def test_text_that_is_not_utf8_stops_the_copy_and_the_reader_reads_the_file(tmp_path, encoded):
    invalid = invalid_utf8_text()
    invalid = invalid.dictionary_encode() if encoded else invalid
    path = parquet_file(tmp_path / "f.parquet", pa.table({"order_id": invalid, "quantity": [1, 2]}))
    with path.open("rb") as handle:
        assert renderable_parquet_header(handle, CONTRACT) is not None
        assert not text_copy(handle, CONTRACT, io.BytesIO())
    engine, reader = both_ways(path, "parquet", DAY)
    assert engine is None
    assert len(reader) == 2
    parse_error = raw_columns(CONTRACT).index("parse_error")
    assert reader[1][parse_error].startswith("invalid_utf8")


# Values of every scalar type a writer may give, some at the edges of their type.
def _draw(rng: random.Random, rows: int) -> pa.Array:
    nulls = [rng.random() < 0.15 for _ in range(rows)]

    def pick(values, kind=None):
        chosen = [None if null else rng.choice(values) for null in nulls]
        return pa.array(chosen, kind)

    instants = [
        dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        dt.datetime(2025, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        dt.datetime(2025, 3, 9, 7, 30, tzinfo=UTC),  # New York's clocks go forward
        dt.datetime(2025, 11, 2, 6, 30, tzinfo=UTC),  # and back
        dt.datetime(1883, 11, 18, 12, tzinfo=UTC),  # local mean time before it
        dt.datetime(1, 1, 1, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ]
    choice = rng.randrange(16)
    if choice == 0:
        kind = rng.choice([pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint64()])
        lo, hi = (0, 255) if pa.types.is_unsigned_integer(kind) else (-128, 127)
        return pick(list(range(lo, hi, 17)), kind)
    if choice == 1:
        return pick([0.0, -0.0, 1.1, 1e20, 1e-7, 123456789.125, 2.5e-308, float("nan"),
                     float("inf"), -float("inf"), 0.1 + 0.2], pa.float64())  # fmt: skip
    if choice == 2:
        return pick([0.0, 1.1, 3.4e38, 1e-7, float("nan")], pa.float32())
    if choice == 3:
        scale = rng.choice([0, 2, 6])
        values = [decimal.Decimal("12.5"), decimal.Decimal("-0.01"), decimal.Decimal("99999")]
        quantum = decimal.Decimal(1).scaleb(-scale)
        return pick([value.quantize(quantum) for value in values], pa.decimal128(18, scale))
    if choice == 4:
        return pick([True, False], pa.bool_())
    if choice == 5:
        return pick([dt.date(2025, 1, 2), dt.date(1, 1, 1), dt.date(9999, 12, 31)], pa.date32())
    if choice == 6:
        unit = rng.choice(["s", "ms", "us"])
        zone = rng.choice([None, "UTC", "America/New_York", "Australia/Lord_Howe", "+05:30",
                           "-00:30", "Mars/Olympus"])  # fmt: skip
        stamps = [s.replace(microsecond=0) if unit == "s" else s for s in instants]
        if zone is None:
            stamps = [s.replace(tzinfo=None) for s in stamps]
        return pick(stamps, pa.timestamp(unit, tz=zone))
    if choice == 7:  # nanoseconds, in the range they can hold
        stamps = [pa.scalar(1_735_787_045_123_456_789 + k, pa.int64()) for k in (0, 1, -7)]
        return pa.array([None if null else rng.choice(stamps).as_py() for null in nulls],
                        pa.int64()).cast(pa.timestamp("ns", tz=rng.choice([None, "UTC"])))  # fmt: skip
    if choice == 8:  # a millisecond timestamp beyond Python's years (Arrow renders it)
        millis = [1_735_787_045_000, 253_402_300_800_000 + 86_400_000, -62_135_596_800_000 - 1]
        return pa.array([None if n else rng.choice(millis) for n in nulls], pa.int64()).cast(
            pa.timestamp("ms", tz=rng.choice([None, "UTC"]))
        )
    if choice == 9:
        return pick([["a", "b"], [], ["a", None], ["é"]], pa.list_(pa.string()))
    if choice == 10:
        return pick([[1, 2], [], [None]], pa.list_(pa.int32()))
    if choice == 11:
        return pick([{"k": 1, "v": "x"}, {"k": None, "v": "y"}])
    if choice == 12:
        return pick([[("b", 1), ("a", 2)], []], pa.map_(pa.string(), pa.int64()))
    if choice == 13:
        return pick(
            ["o1", "", "café", "ann@example.com", "1e3", " padded "], pa.string()
        ).dictionary_encode()
    if choice == 14:
        return pick([dt.time(3, 4, 5), dt.time(0, 0, 0, 1)], pa.time64("us"))
    return pick(["o1", "write to ann@example.com", "10.50", "2025-01-02T03:04:05Z"])


NAMES = [
    ["order_id", "amount", "quantity", "order_ts"],
    ["order_id", "amount", "promo", "updated_at", "unit_price"],
    ["Order ID", "customer_email", "contact", "note", "score"],
]


@pytest.mark.parametrize("seed", range(6))
def test_the_engine_loads_only_typed_files_it_reads_as_the_reader_does(tmp_path, seed):
    """Random typed tables (every scalar type above, nested values, nulls, extra columns
    with e-mails, several row groups, files over one reading batch): every file copied
    and loaded gives the reader's rows, and most are."""
    rng = random.Random(seed)
    loaded = 0
    for n in range(25):
        names = rng.choice(NAMES)
        rows = rng.choice([1, 5, 12])
        columns = [_draw(rng, rows) for _ in names]
        path = parquet_file(
            tmp_path / f"f{n}.parquet",
            pa.Table.from_arrays(columns, names),
            row_group_size=rng.choice([1, 4, 1000]),
        )
        engine, reader = both_ways(path, "parquet", DAY)
        if engine is not None:
            loaded += 1
            assert engine == reader, (n, [str(c.type) for c in columns])
    assert loaded >= 10


def test_a_file_over_one_reading_batch_is_copied_in_the_readers_batches(tmp_path, monkeypatch):
    """A timestamp column with one value beyond Python's years is rendered by Arrow for
    its whole reading batch: the copy cuts the file where the reader does."""
    import orders_core.parquet_reader as reader_module

    monkeypatch.setattr(reader_module, "BATCH_ROWS", 4)
    millis = [1_735_787_045_000] * 9 + [253_402_300_800_000 + 86_400_000]
    table = pa.table(
        {
            "order_id": [f"o{i}" for i in range(10)],
            "order_ts": pa.array(millis, pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
        }
    )
    path = parquet_file(tmp_path / "f.parquet", table, row_group_size=3)
    engine, reader = both_ways(path, "parquet", DAY)
    assert engine is not None
    assert engine == reader


AFTER_9999_MS = 253_402_300_800_000 + 86_400_000  # 10000-01-02, in milliseconds
BEFORE_1_MS = -62_135_596_800_000 - 1


@pytest.mark.parametrize(
    ("column", "text"),
    [
        (pa.array([[AFTER_9999_MS, 0]], pa.list_(pa.timestamp("ms"))), "10000-01-02"),
        (pa.array([[BEFORE_1_MS]], pa.list_(pa.timestamp("ms", tz="UTC"))), "0000-12-31"),
        (
            pa.array([[("k", AFTER_9999_MS)]], pa.map_(pa.string(), pa.timestamp("ms"))),
            "10000-01-02",
        ),
        (
            pa.array([{"d": 3_000_000}], pa.struct([("d", pa.int32())])).cast(
                pa.struct([("d", pa.date32())])
            ),
            "10183-09-21",
        ),
        (pa.array([[10**15]], pa.list_(pa.duration("s"))), "1000000000000000"),
    ],
)
def test_a_nested_value_beyond_pythons_types_is_read_and_loaded_as_arrows_text(
    tmp_path, column, text
):
    """A nested date, timestamp or duration Python cannot hold (converting it raised
    OverflowError, failing the reader's run and the engine's copy alike) is kept as
    Arrow's text, the same whichever path loads the file."""
    path = parquet_file(
        tmp_path / "f.parquet", pa.table({"order_id": ["o1"], "valid_until": column})
    )
    engine, reader = both_ways(path, "parquet", DAY)
    extras = raw_columns(CONTRACT).index("extra_columns_json")
    assert text in reader[0][extras]
    assert engine == reader


def test_raw_orders_loads_typed_parquet_days_in_the_engine(tmp_path, instance):
    """A range of days landed as typed Parquet: the engine loads them (through their plain
    copies) inside the replacing transaction, and raw.raw_orders holds the reader's rows."""
    landing = tmp_path / "landing"
    days = [DAY, DAY + dt.timedelta(days=1)]
    files: list[tuple[dt.date, Path]] = []
    for day in days:
        for name, zone in (("utc.parquet", "UTC"), ("ny.parquet", "America/New_York")):
            buffer = io.BytesIO()
            pq.write_table(typed_orders(6, day, zone=zone), buffer)
            files.append((day, land(landing, day, name, buffer.getvalue())))
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, days, "load_plain_parquet")
    assert loaded == reader_rows(files, RANGE_ORDER)
    assert len(loaded) == 2 * 12
    assert loads == [("raw.raw_orders", True)] * 4


def test_raw_orders_loads_a_day_of_odd_typed_parquet_files_as_the_reader_reads_them(
    tmp_path, instance
):
    """One day of typed Parquet files the engine loads through their copies: a list of
    timestamps beyond Python's years in one row, extras with quotes and backslashes in
    some rows and an e-mail address in another row of the same column, a JSON value of
    a list; raw.raw_orders holds the reader's rows, the e-mail column in
    pii_extra_columns_json."""
    landing = tmp_path / "landing"
    table = typed_orders(4).append_column(
        "valid_until",
        pa.array([[AFTER_9999_MS], [0], None, []], pa.list_(pa.timestamp("ms"))),
    )
    notes = pa.array(['said "hi"', "back\\slash", "ann@example.org", None])
    tags = pa.array([["a", 'b"'], [], None, ["c\\"]], pa.list_(pa.string()))
    files = []
    for name, extra in (("notes.parquet", ("note", notes)), ("tags.parquet", ("tags", tags))):
        buffer = io.BytesIO()
        pq.write_table(table.append_column(*extra), buffer, row_group_size=3)
        files.append((DAY, land(landing, DAY, name, buffer.getvalue())))
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, [DAY], "load_plain_parquet")
    assert loaded == reader_rows(files, RANGE_ORDER)
    assert loads == [("raw.raw_orders", True)] * 2
    columns = raw_columns(CONTRACT)
    pii = [row[columns.index("pii_extra_columns_json")] for row in loaded]
    assert '"note": "said \\"hi\\""' in pii[0]
    assert "10000-01-02" in loaded[0][columns.index("extra_columns_json")]


def test_a_typed_file_makes_the_engine_leave_room_for_its_text_copy(
    tmp_path, instance, monkeypatch
):
    """The copy renders values in Python beside the engine's loads: the engine's memory
    limit is lowered for it (``SqlSession.reserve_memory``), as for the reader. A 4M-order
    day peaked at 998-1,005 MiB without it, 863-876 MiB with it (bench/RESULTS.md)."""
    from resources.warehouse import SqlSession

    reserved: list[int] = []
    real = SqlSession.reserve_memory

    def spy(self, reserve):
        reserved.append(reserve)
        return real(self, reserve)

    monkeypatch.setattr(SqlSession, "reserve_memory", spy)
    landing = tmp_path / "landing"
    buffer = io.BytesIO()
    pq.write_table(typed_orders(6, DAY), buffer)
    land(landing, DAY, "typed.parquet", buffer.getvalue())
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, [DAY], "load_plain_parquet")
    assert loads == [("raw.raw_orders", True)]
    assert len(loaded) == 6
    assert reserved


def test_a_typed_files_text_copy_is_not_decoded_again_before_the_engine_loads_it(
    tmp_path, instance, monkeypatch
):
    """The copy's pages were written here from the values text_copy decoded off every page
    of the landed file: only a landed plain file's pages are decoded before the engine
    loads it (a 1.2 GB copy was decoded a second time, bench/RESULTS.md, hunt 69)."""
    from orders_core import plain_parquet
    from platform_assets.assets import ingestion

    decoded: list[list[str] | None] = []

    def spy(handle, contract):
        decoded.append(header := plain_parquet.decoded_plain_parquet_header(handle, contract))
        return header

    monkeypatch.setattr(ingestion, "decoded_plain_parquet_header", spy)
    landing = tmp_path / "landing"
    for name, table in (("typed.parquet", typed_orders(6, DAY)), ("plain.parquet", None)):
        buffer = io.BytesIO()
        rows = pa.Table.from_pylist(order_rows(4, DAY)) if table is None else table
        pq.write_table(rows, buffer)
        land(landing, DAY, name, buffer.getvalue())
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, [DAY], "load_plain_parquet")
    assert loads == [("raw.raw_orders", True)] * 2
    assert len(loaded) == 10
    assert len(decoded) == 1 and decoded[0] is not None  # the plain file's
