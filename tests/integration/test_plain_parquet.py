"""The engine's own ``read_parquet`` gives exactly the reader's rows for the Parquet files
it is allowed to load (``orders_core.plain_parquet``: text columns only), and every other
file is left to the reader."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orders_core.contract import load_contract
from orders_core.plain_parquet import plain_parquet_header
from orders_core.sql.cleaning import raw_columns
from tests.support.bad_inputs import corpus
from tests.support.landing_mutants import (
    gzip_page_changed,
    orders,
    page_one_value_short,
    parquet_bytes,
    parquet_mutants,
)
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


def test_an_export_of_orders_as_text_is_plain_and_loads_the_readers_rows(tmp_path):
    table = pa.Table.from_pylist(order_rows(50, DAY))
    engine, reader = both_ways(
        parquet_file(tmp_path / "o.parquet", table, row_group_size=7), "parquet", DAY
    )
    assert engine is not None
    assert engine == reader
    assert len(engine) == 50


@pytest.mark.parametrize(
    "case",
    [c for c in corpus() if any(f.name.endswith(".parquet") for f in c.files)],
    ids=lambda c: c.name,
)
def test_every_corpus_file_is_either_identical_or_left_to_the_reader(tmp_path, case):
    for landed in case.files:
        if not landed.name.endswith(".parquet"):
            continue
        path = tmp_path / landed.name
        path.write_bytes(landed.data)
        engine, reader = both_ways(path, "parquet", DAY)
        if engine is not None:
            assert engine == reader, case.name


@pytest.mark.parametrize(
    ("columns", "plain"),
    [
        ({"order_id": pa.array(["o1", "o2"])}, True),
        ({"order_id": pa.array(["o1", "o2"], pa.large_string())}, True),
        ({"order_id": pa.array(["o1", "o1"]).dictionary_encode()}, True),
        ({"order_id": pa.array(["o1", "o2"]), "promo": pa.array(["a", None])}, True),
        ({"order_id": pa.array(["o1", "o2"]), "quantity": pa.array([1, 2])}, False),
        ({"order_id": pa.array(["o1", "o2"]), "amount": pa.array([1.5, 2.0])}, False),
        ({"order_id": pa.array(["o1", "o2"]), "tags": pa.array([["a"], []])}, False),
        ({"order_id": pa.array(["o1", "o2"]), "raw": pa.array([b"a", b"b"])}, False),
        ({"order_id": pa.array(["o1", "o2"]), "Order ID": pa.array(["a", "b"])}, False),
        (
            {
                "order_id": pa.array(["o1", "o2"]),
                "Promo": pa.array(["a", "b"]),
                "promo": pa.array(["c", "d"]),
            },
            False,
        ),  # fmt: skip
        ({"order_id": pa.array(["o1", "o2"]), "promoción": pa.array(["a", "b"])}, False),
        ({"order_id": pa.array(["o1", "o2"]), "file_row_number": pa.array(["a", "b"])}, False),
        ({"order_id": pa.array(["o1", "o2"]), "x" * 1025: pa.array(["a", "b"])}, False),
    ],
)
def test_only_text_columns_with_plain_names_are_the_engines(tmp_path, columns, plain):
    path = parquet_file(tmp_path / "f.parquet", pa.table(columns))
    with path.open("rb") as handle:
        assert (plain_parquet_header(handle, CONTRACT) is not None) is plain


def test_a_repeated_column_name_is_left_to_the_reader(tmp_path):
    table = pa.Table.from_arrays([pa.array(["o1"]), pa.array(["o2"])], ["order_id", "order_id"])
    path = parquet_file(tmp_path / "f.parquet", table)
    with path.open("rb") as handle:
        assert plain_parquet_header(handle, CONTRACT) is None


@pytest.mark.parametrize(
    "columns",
    [
        {"order_id": invalid_utf8_text()},  # the reader escapes it and breaks the record
        {"order_id": pa.array(["o1", "9" * 20_000])},  # may be a record over the limit
        {"order_id": pa.array(["o1", "o2"]), "promo": pa.array(["a", "café"])},  # extra, escaped
        # a quote beside an "@": the engine's e-mail search is for text without quotes
        {"order_id": pa.array(["o1", "o2"]), "promo": pa.array(["a", '"a b"@example.com'])},
    ],
)
def test_a_plain_looking_file_the_engine_refuses_loads_nothing(tmp_path, columns):
    path = parquet_file(tmp_path / "f.parquet", pa.table(columns))
    with path.open("rb") as handle:
        assert plain_parquet_header(handle, CONTRACT) is not None
    engine, reader = both_ways(path, "parquet", DAY)
    assert engine is None
    assert len(reader) == 2


def test_quotes_and_backslashes_in_extra_values_are_escaped_as_the_reader_does(tmp_path):
    promo = ['say "hi"', "C:\\temp\\", '\\"', '["x", "y"]', "plain"]
    path = parquet_file(tmp_path / "f.parquet", pa.table({"order_id": ["o"] * 5, "promo": promo}))
    engine, reader = both_ways(path, "parquet", DAY)
    assert engine is not None
    assert engine == reader
    extras = raw_columns(CONTRACT).index("extra_columns_json")
    assert [json.loads(row[extras])["promo"] for row in engine] == promo


TEXTS = [
    "",
    "o1",
    "it's",
    "café",
    "😀",
    'say "hi"',
    "back\\slash",
    "line\nbreak",
    "\t",
    "\x7f",
    "ann@example.com",
    "write to ann@example.com",
    "10.50",
    "  padded  ",
    "2025-01-02T03:04:05+01:00",
]


@pytest.mark.parametrize("seed", range(4))
def test_the_engine_loads_only_files_it_reads_as_the_reader_does(tmp_path, seed):
    """Random text tables (values of every shape, nulls, extra columns with e-mails or
    non-ASCII values, dictionary or large text, several row groups): every file the
    engine agrees to load gives the reader's rows."""
    rng = random.Random(seed)
    loaded = 0
    for n in range(30):
        names = rng.choice(
            [
                ["order_id", "amount"],
                ["order_id", "amount", "promo"],
                ["Order ID", "customer_email", "contact", "note"],
            ]
        )
        rows = rng.randint(1, 9)
        columns = []
        for _ in names:
            values = [None if rng.random() < 0.1 else rng.choice(TEXTS) for _ in range(rows)]
            kind = rng.choice([pa.string(), pa.large_string()])
            column = pa.array(values, kind)
            columns.append(column.dictionary_encode() if rng.random() < 0.3 else column)
        path = parquet_file(
            tmp_path / f"f{n}.parquet",
            pa.Table.from_arrays(columns, names),
            row_group_size=rng.choice([1, 2, 1000]),
        )
        engine, reader = both_ways(path, "parquet", DAY)
        if engine is not None:
            loaded += 1
            assert engine == reader, n
    assert loaded >= 5  # not vacuous: plain files are drawn too


def _left_to_the_reader(path: Path) -> None:
    engine, reader = both_ways(path, "parquet", DAY)
    assert engine is None
    ((parse_error,),) = {(row[13],) for row in reader}
    assert parse_error.startswith("unreadable_parquet: ")


def test_a_gzip_page_failing_its_data_check_is_left_to_the_reader(tmp_path):
    """The engine's read_parquet skips GZIP's data check: it loaded 東京 as 睱京 where the
    reader refuses the file (one broken record), and production reads with the reader."""
    path = tmp_path / "changed.parquet"
    path.write_bytes(gzip_page_changed(orders(DAY.isoformat(), 5), "東京"))
    _left_to_the_reader(path)


def test_a_page_holding_a_value_fewer_than_its_rows_is_left_to_the_reader(tmp_path):
    """The engine loaded such a page's column with a value made up (the reader refuses:
    ``expected length 14 but got length 15``)."""
    path = tmp_path / "short.parquet"
    path.write_bytes(page_one_value_short(orders(DAY.isoformat(), 15)))
    _left_to_the_reader(path)


@pytest.mark.parametrize(
    "options",
    [
        {"compression": "gzip", "row_group_size": 15},
        {"compression": "zstd", "row_group_size": 15, "data_page_size": 256},
        {"compression": "snappy", "use_dictionary": False},
    ],
    ids=lambda options: options["compression"],
)
def test_parquet_files_mutated_byte_by_byte_load_the_readers_rows_or_go_to_it(tmp_path, options):
    """Bits flipped, bytes set and files cut at random (seeded): the engine loads a
    mutant only when it reads the reader's rows. A fuzz of 300 such mutants found the
    two kinds of file above (4 mutants); 3 of the GZIP file's draws here were loaded
    changed before the engine's files were decoded first."""
    data = parquet_bytes(orders(DAY.isoformat(), 40), **options)
    for n, (kind, mutant) in enumerate(parquet_mutants(data, 64, 20)):
        path = tmp_path / f"m{n}.parquet"
        path.write_bytes(mutant)
        engine, reader = both_ways(path, "parquet", DAY)
        assert engine is None or engine == reader, (n, kind)


def test_raw_orders_loads_parquet_days_as_the_reader_reads_them(tmp_path, instance):
    """A range of days landed as Parquet: text-only files go through the engine inside
    the replacing transaction, a typed one through its plain copy, one that looks plain
    but holds text that is not UTF-8 is refused there and read by the reader after the
    rollback. raw.raw_orders then holds exactly the reader's rows, and the engine loaded
    the text files."""
    landing = tmp_path / "landing"
    days = [DAY, DAY + dt.timedelta(days=1)]
    files: list[tuple[dt.date, Path]] = []
    for day in days:
        typed = pa.Table.from_pylist(order_rows(3, day, prefix="t-"))
        typed = typed.set_column(5, "quantity", pa.array([1, 2, 3]))
        invalid = pa.table({"order_id": invalid_utf8_text(), "amount": pa.array(["1", "2"])})
        tables = {
            "good.parquet": pa.Table.from_pylist(order_rows(5, day, prefix="g-")),
            "typed.parquet": typed,
            "invalid.parquet": invalid,
        }
        for name, table in tables.items():
            buffer = io.BytesIO()
            pq.write_table(table, buffer)
            files.append((day, land(landing, day, name, buffer.getvalue())))
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, days, "load_plain_parquet")
    assert loaded == reader_rows(files, RANGE_ORDER)
    assert len(loaded) == 2 * (5 + 3 + 2)
    assert sum(ok and table == "raw.raw_orders" for table, ok in loads) >= 2


def test_a_parquet_file_of_rows_over_the_engines_check_is_the_readers_at_once(
    tmp_path, instance, monkeypatch
):
    """Rows holding on average over a quarter of the record limit decoded (60,000-character
    regions; text-only, typed, or one such value dictionary-encoded) are refused by the
    engine's check: such a file goes to the reader without its pages decoded (the decode
    pass, the text copy) or the engine's scans first, each done twice before (in the
    replacing transaction, then staged: 2 x 5 CPU s on a day of 20,000 such rows,
    bench/RESULTS.md, hunt 78). raw.raw_orders holds the reader's rows; a plain file of
    the same day still goes through the engine."""
    from platform_assets.assets import ingestion

    landing = tmp_path / "landing"
    rows = [
        row | {"region": f"{i:03d}" + "r" * 60_000} for i, row in enumerate(order_rows(40, DAY))
    ]
    long_text = pa.Table.from_pylist(rows)
    typed = long_text.set_column(3, "amount", pa.array([float(r["amount"]) for r in rows]))
    one_value = pa.Table.from_pylist(order_rows(40, DAY, prefix="d-"))
    one_value = one_value.set_column(
        one_value.schema.get_field_index("region"),
        "region",
        pa.DictionaryArray.from_arrays(pa.array([0] * 40), pa.array(["r" * 60_000])),
    )
    files = []
    for name, table, options in (
        ("long.parquet", long_text, {"use_dictionary": False}),
        ("typed.parquet", typed, {"use_dictionary": False}),
        ("dictionary.parquet", one_value, {"store_schema": False}),
        ("plain.parquet", pa.Table.from_pylist(order_rows(5, DAY, prefix="p-")), {}),
    ):
        buffer = io.BytesIO()
        pq.write_table(table, buffer, **options)
        files.append((DAY, land(landing, DAY, name, buffer.getvalue())))
    decoded = []
    for name in ("decoded_plain_parquet_header", "text_copy"):
        real = getattr(ingestion, name)
        monkeypatch.setattr(
            ingestion,
            name,
            lambda handle, *a, _real=real, _name=name: decoded.append(_name) or _real(handle, *a),
        )
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, [DAY], "load_plain_parquet")
    assert loaded == reader_rows(files, RANGE_ORDER)
    assert len(loaded) == 3 * 40 + 5
    assert loads == [("raw.raw_orders", True)]  # the plain file, in the transaction
    assert decoded == ["decoded_plain_parquet_header"]
