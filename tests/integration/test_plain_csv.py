"""The engine's own CSV scan gives exactly the reader's rows for the files it is allowed
to load (``orders_core.plain_csv``), and every other file is left to the reader."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import random
from pathlib import Path

import duckdb
import pytest

from devtools import simulate
from orders_core.cleaning import raw_table
from orders_core.contract import load_contract
from orders_core.ingest import read_landed_files
from orders_core.landed_text import MAX_RECORD_BYTES
from orders_core.pii import names_email
from orders_core.plain_csv import plain_header
from orders_core.raw_frame import LandedFile, extra_columns, with_partition_date
from orders_core.sql.cleaning import raw_columns
from tests.support.bad_inputs import corpus
from tests.support.order_fixtures import HEADER, csv_bytes, order_rows
from tests.support.raw_rows import plain_csv_lineage, raw_rows, raw_session, reader_rows

CONTRACT = load_contract()
DAY = dt.date(2025, 1, 2)


def lineage_of(uri: str, header: list[str], day: dt.date = DAY) -> dict:
    """The lineage columns raw_orders gives a CSV file's rows."""
    return {
        "source_file": uri,
        "source_format": "csv",
        "file_header": json.dumps(header),
        "partition_date": day,
    }


def extras_of(header: list[str]) -> list[tuple[int, str, bool]]:
    """The file's extra columns, each with whether its name says e-mail."""
    return [(i, k, names_email(header[i])) for i, k in extra_columns(CONTRACT, header)]


def both_ways(path: Path, day: dt.date = DAY) -> tuple[list | None, list]:
    """(rows from the engine's scan, or None when it may not or would not load the file;
    rows from the reader)."""
    uri = path.as_uri()
    engine = raw_session()
    with path.open("rb") as handle:
        plain = plain_header(handle, CONTRACT)
    loaded = None
    if plain is not None:
        header = plain.cells
        lineage = lineage_of(uri, header, day)
        extras = extras_of(header)
        if engine.load_plain_csv(
            "raw.raw_orders", str(path), header, lineage, extras, skip=plain.skip
        ):
            loaded = raw_rows(engine.conn)
    reader = raw_session()
    data = path.read_bytes()
    frame = with_partition_date(
        read_landed_files(CONTRACT, [LandedFile(uri, path.name, len(data), data)]), day
    )
    if len(frame):
        reader.append("raw.raw_orders", raw_table(frame, CONTRACT))
    return loaded, raw_rows(reader.conn)


def test_a_fully_quoted_file_is_plain():
    import io

    text = b'"order_id","amount"\n"o1","1,5"\n"","2"\n"o3",""'
    assert plain_header(io.BytesIO(text), CONTRACT).cells == ["order_id", "amount"]


def test_generated_days_load_identically(tmp_path):
    start = dt.date(2025, 3, 1)
    simulate.generate(tmp_path, start=start, days=3, orders_per_day=2000, seed=11)
    loaded_files = 0
    for path in sorted((tmp_path / "orders").rglob("*.csv")):
        day = dt.date.fromisoformat(path.parent.name.removeprefix("date="))
        engine, reader = both_ways(path, day)
        if engine is not None:
            loaded_files += 1
            assert engine == reader, path.name
    assert loaded_files >= 3  # the simulator's clean part files are plain


@pytest.mark.parametrize(
    "case",
    [c for c in corpus() if any(f.name.endswith(".csv") for f in c.files)],
    ids=lambda c: c.name,
)
def test_every_corpus_file_is_either_identical_or_left_to_the_reader(tmp_path, case):
    for landed in case.files:
        if not landed.name.endswith(".csv"):
            continue
        path = tmp_path / landed.name
        path.write_bytes(landed.data)
        engine, reader = both_ways(path)
        if engine is not None:
            assert engine == reader, case.name


@pytest.mark.parametrize(
    "text",
    [
        b'order_id,amount\n""o""1"",1\n',  # escaped quotes in an unquoted field
        b'order_id,amount\n"o""1"x,1\n',  # text after the closing quote
        b'order_id,amount\no"1,1\n',  # a stray quote
        b'order_id,amount\n"o1\nstill o1",1\n',  # a quoted field spanning lines
        b"order_id,amount\r\no1,1\no2,2\r\n",  # CR LF and LF line ends mixed
        b"order_id,amount\r\no1,1\ro2,2\r\n",  # a lone CR
        b"order_id,amount\no1,1\r\n",  # a CR LF after an LF header
        b"order_id,amount\r\no1,1\r\n\r\no2,2\r\n",  # a blank CR LF line
        b"order_id,amount\r\no1,1\r",  # a last line ending with a lone CR
        b'order_id,amount\n ",x",1\n',  # a space before a quoted value
        b'order_id,amount\no1, "x"\n',  # the same, in the last field
        b'order_id,amount\n"o1" ,1\n',  # a space after one
        b"order_id,amount\no1,1\n\no2,2\n",  # a blank line: line numbers would shift
        "order_id,amount,promoción\no1,1,x\n".encode(),  # an extra name the JSON escapes
        b"order_id,Order ID,amount\no1,o2,1\n",  # two cells naming one contract column
        b"order_id,order_id\no1,o2\n",  # a repeated column
        b"order_id,amount\no1," + b"9" * 70_000 + b"\n",  # an oversized record
    ],
)
def test_files_the_engine_may_not_load_are_refused_before_any_sql(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    with path.open("rb") as handle:
        assert plain_header(handle, CONTRACT) is None


@pytest.mark.parametrize(
    "text",
    [
        b"order_id,amount\no1,1\no2\n",  # ragged row
        b"order_id,amount\no1,\xff\n",  # invalid UTF-8
        b"order_id,amount\no1,1,2\n",  # too many fields
    ],
)
def test_a_plain_looking_file_the_strict_scan_refuses_loads_nothing(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    with path.open("rb") as handle:
        header = plain_header(handle, CONTRACT).cells
    engine = raw_session()
    lineage = plain_csv_lineage(DAY)
    assert engine.load_plain_csv("raw.raw_orders", str(path), header, lineage) is False
    assert raw_rows(engine.conn) == []


@pytest.mark.parametrize("refused_files", [1, 4])
def test_raw_orders_loads_every_row_when_the_engine_refuses_files_in_its_transaction(
    tmp_path, instance, refused_files
):
    """raw_orders loads plain files straight into its table inside the replacing
    transaction; a file the engine refuses there aborts it. The run still loads every
    record of every file (the refused ones by the reader), whether it retries the direct
    load (one refused file) or falls back to staging (more than DIRECT_LOAD_ATTEMPTS)."""
    import dagster as dg

    from orders_platform.definitions import build_definitions
    from platform_assets.assets.ingestion import DIRECT_LOAD_ATTEMPTS
    from tests.support.order_fixtures import csv_bytes, land, order_rows, range_tags, settings_for

    assert refused_files in (1, DIRECT_LOAD_ATTEMPTS + 1)
    landing = tmp_path / "landing"
    days = [DAY, DAY + dt.timedelta(days=1)]
    expected = 0
    for day in days:
        for i in range(refused_files):
            # Plain to the byte check, refused by the strict scan: a record with one field.
            data = csv_bytes(order_rows(3, day, prefix=f"r{i}-")) + b"ragged\n"
            land(landing, day, f"ragged-{i}.csv", data)
            expected += 4
        land(landing, day, "good.csv", csv_bytes(order_rows(5, day, prefix="g-")))
        expected += 5
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
        instance=instance, tags=range_tags(days[0], days[-1])
    )
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT (source_file, source_line)),"
            " count(parse_error) FROM raw.raw_orders"
        ).fetchone()
    # Every record once; the ragged line of each refused file kept as a malformed record.
    assert rows == (expected, expected, refused_files * len(days))


@pytest.mark.parametrize(
    ("first_line", "plain"),
    [
        (b"order_id,amount\n", True),
        (b'"order_id","amount"\n', True),
        (b"order_id,amount,contact\n", True),  # an extra column: its JSON built in SQL
        ("order_id,amount,contacto_sí\n".encode(), False),  # one the JSON would escape
        (b"\xef\xbb\xbforder_id,amount\n", True),  # a byte-order mark, dropped as the reader does
        (b"order_id,amount\r\n", True),  # CR LF line ends (the body must have them too)
        (b"order_id,amount\r\r\n", False),
        (b"order_id,order_id\n", False),
        (b'order_id,am"ount\n', False),  # a quote inside a cell
    ],
)
def test_the_first_line_decides_whether_a_file_is_worth_the_engines_load(first_line, plain):
    """raw_orders loads a CSV file inside its transaction only when its first line is a
    plain header; every file plain_header accepts passes this (one line read)."""
    import io

    from orders_core.plain_csv import plain_head, read_head

    data = first_line + b"o1,1\n"
    assert plain_head(read_head(io.BytesIO(data)), CONTRACT) is plain
    if plain_header(io.BytesIO(data), CONTRACT) is not None:
        assert plain


def _landed_rows(landing_root: Path, name: str, data: bytes, *, engine_only: bool) -> list | None:
    """raw_orders' load of one landed file (``_engine_loaded``, then the reader unless
    ``engine_only``): its rows, or None when the engine did not load it."""
    from platform_assets.assets.ingestion import _engine_loaded
    from resources.landing import LocalLandingZone
    from tests.support.order_fixtures import land

    land(landing_root, DAY, name, data)
    zone = LocalLandingZone(root=str(landing_root))
    (info,) = zone.scan_day(DAY).files
    session = raw_session()
    if not _engine_loaded(session, zone, info, CONTRACT, DAY, "raw.raw_orders"):
        if engine_only:
            return None
        frame = with_partition_date(
            read_landed_files(CONTRACT, [LandedFile(info.uri, name, len(data), data)]), DAY
        )
        if len(frame):
            session.append("raw.raw_orders", raw_table(frame, CONTRACT))
    return raw_rows(session.conn)


CSV_CASES = [c for c in corpus() if any(f.name.endswith(".csv") for f in c.files)]


def _compare_gzipped(tmp_path: Path, case) -> int:
    """Land each CSV file of a corpus case gzip-compressed; the rows raw_orders loads
    must be the reader's. The number of files the engine loaded."""
    loaded = 0
    for i, landed in enumerate(f for f in case.files if f.name.endswith(".csv")):
        name = landed.name + ".gz"
        data = gzip.compress(landed.data, mtime=0)
        engine = _landed_rows(tmp_path / f"engine-{i}", name, data, engine_only=True)
        reader = _landed_rows(tmp_path / f"reader-{i}", name, data, engine_only=False)
        if engine is not None:
            loaded += 1
            assert _same_but_source(engine, reader), case.name
    return loaded


@pytest.mark.parametrize("case", CSV_CASES, ids=lambda c: c.name)
def test_a_gzip_csv_file_loads_the_readers_rows(tmp_path, case):
    """A gzip CSV file is loaded by the engine from a temporary plain copy when it is plain
    (memory stays one chunk whatever its size), else by the reader: the same rows as the
    reader's of the compressed file, either way."""
    _compare_gzipped(tmp_path, case)


def test_plain_gzip_csv_files_are_loaded_by_the_engine(tmp_path):
    """The corpus comparison is not vacuous: its plain files go through the engine."""
    loaded = sum(_compare_gzipped(tmp_path / case.name, case) for case in CSV_CASES)
    assert loaded >= len(CSV_CASES) // 2


def _same_but_source(engine: list, reader: list) -> bool:
    """Rows equal except for the source_file URI (two landing roots)."""
    index = raw_columns(CONTRACT).index("source_file")
    strip = lambda rows: [row[:index] + row[index + 1 :] for row in rows]  # noqa: E731
    return strip(engine) == strip(reader)


def test_gzip_csv_files_the_engine_cannot_load_are_left_to_the_reader(tmp_path):
    """Corrupt, not gzip or empty: the engine loads nothing and the reader reads the file
    (a corrupt one becomes one broken record naming why); plain, with an extra column or
    without, the engine loads it."""
    plain = csv_bytes(order_rows(4, DAY))
    extra = csv_bytes(order_rows(2, DAY), header=[*HEADER, "promo"])
    cases = {
        "plain.csv.gz": (gzip.compress(plain, mtime=0), True),
        "extra.csv.gz": (gzip.compress(extra, mtime=0), True),
        "corrupt.csv.gz": (gzip.compress(plain, mtime=0)[:-9], False),
        "not-gzip.csv.gz": (plain, False),
        "empty.csv.gz": (gzip.compress(b"", mtime=0), False),
    }
    for name, (data, loads) in cases.items():
        engine = _landed_rows(tmp_path / f"e-{name}", name, data, engine_only=True)
        assert (engine is not None) is loads, name
        rows = _landed_rows(tmp_path / f"r-{name}", name, data, engine_only=False)
        assert len(rows) == {"plain.csv.gz": 4, "extra.csv.gz": 2, "empty.csv.gz": 0}.get(
            name, 1
        ), name


def test_raw_orders_loads_gzip_days_as_the_reader_reads_them(tmp_path, instance):
    """A range of days landed as gzip files: plain ones go through the engine inside the
    replacing transaction (from temporary plain copies), a ragged one is refused there and
    read by the reader after the rollback, one with an extra column and a corrupt one are
    the reader's at once. raw.raw_orders then holds exactly the reader's rows."""
    import dagster as dg

    from orders_platform.definitions import build_definitions
    from tests.support.order_fixtures import land, range_tags, settings_for

    landing = tmp_path / "landing"
    days = [DAY, DAY + dt.timedelta(days=1)]
    files: list[tuple[dt.date, Path]] = []
    for day in days:
        texts = {
            "good.csv.gz": csv_bytes(order_rows(5, day, prefix="g-")),
            "ragged.csv.gz": csv_bytes(order_rows(3, day, prefix="r-")) + b"ragged\n",
            "extra.csv.gz": csv_bytes(order_rows(2, day, prefix="x-"), [*HEADER, "promo"]),
        }
        for name, text in texts.items():
            files.append((day, land(landing, day, name, gzip.compress(text, mtime=0))))
        files.append((day, land(landing, day, "corrupt.csv.gz", gzip.compress(b"x")[:-4])))
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    # The extra column and the corrupt file fail raw_orders' drift check (blocking).
    result = job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
        instance=instance, tags=range_tags(days[0], days[-1]), raise_on_error=False
    )
    assert result.get_asset_materialization_events()
    order = "ORDER BY partition_date, source_file, source_line"
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        loaded = raw_rows(conn, order)
    assert loaded == reader_rows(files, order)
    assert len(loaded) == 2 * (5 + 4 + 2 + 1)


EXTRA_VALUES = [
    "",
    "x",
    "a@b",
    "ann@example.com",
    "write to ann@example.com",
    "x @y",
    "@b",
    "a@",
    "a@[10.0.0.1]",
    "a@[ ]",
    "a@[",
    "a.b@c-d",
    "_@_",
    "it's",
    "a,b",
    "{}",
    "100%",
    "café",  # not plain ASCII: the file is the reader's
    'say "hi"',  # a quote: the reader's too
    "back\\slash",
]


@pytest.mark.parametrize("seed", range(40))
def test_extra_columns_load_as_the_reader_reads_them(tmp_path, seed):
    """Random extra columns (names saying e-mail or not, values holding addresses or
    not, empty, with commas, some the JSON would escape): whenever the engine loads the
    file, its rows are the reader's, the extras JSON and the e-mail split included."""
    rng = random.Random(seed)
    extras = rng.sample(["promo", "note", "E-Mail", "contact", "it's", "x y", "Mailbox"], 3)
    header = [*HEADER, *extras]
    rows = []
    for row in order_rows(6, DAY):
        for name in extras:
            row[name] = rng.choice(EXTRA_VALUES[:-3] if rng.random() < 0.9 else EXTRA_VALUES)
        rows.append(row)
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(rows, header))
    engine, reader = both_ways(path)
    if engine is not None:
        assert engine == reader


def test_extra_columns_are_loaded_by_the_engine_with_their_json():
    """Not vacuous: a plain file with extra columns is the engine's, and its JSON (the
    e-mail column apart) is what the reader writes."""
    import tempfile

    rows = order_rows(3, DAY)
    for i, row in enumerate(rows):
        row.update({"promo": f"p{i}" if i else "", "contact": "ann@example.com" if i == 2 else ""})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(csv_bytes(rows, [*HEADER, "promo", "contact"]))
        engine, reader = both_ways(path)
    assert engine is not None and engine == reader
    columns = raw_columns(CONTRACT)
    extra = [row[columns.index("extra_columns_json")] for row in engine]
    pii = [row[columns.index("pii_extra_columns_json")] for row in engine]
    assert extra == ['{"promo": null}', '{"promo": "p1"}', '{"promo": "p2"}']
    assert pii == ['{"contact": null}', '{"contact": null}', '{"contact": "ann@example.com"}']


def test_crlf_files_load_as_the_reader_reads_them(tmp_path):
    """Windows line ends (CR LF on every line, the last one's optional): the engine loads
    the file, with the reader's rows."""
    start = dt.date(2025, 3, 1)
    simulate.generate(tmp_path / "lf", start=start, days=2, orders_per_day=500, seed=5)
    loaded = 0
    for i, path in enumerate(sorted((tmp_path / "lf" / "orders").rglob("*.csv"))):
        crlf = path.read_bytes().replace(b"\n", b"\r\n")
        if i % 2:
            crlf = crlf.removesuffix(b"\r\n")  # no line end after the last record
        target = tmp_path / f"crlf-{i}.csv"
        target.write_bytes(crlf)
        day = dt.date.fromisoformat(path.parent.name.removeprefix("date="))
        engine, reader = both_ways(target, day)
        if engine is not None:
            loaded += 1
            assert engine == reader, path.name
    assert loaded >= 2


@pytest.mark.parametrize(
    "text",
    [
        b"order_id,amount\no1,1,\n",
        b"order_id,amount\no1,1,,\n",
        b'order_id,amount\no1,1,""\n',
        b'order_id,amount\r\n"o,1",1,\r\n',
    ],
)
def test_a_record_with_empty_fields_beyond_the_header_is_left_to_the_reader(tmp_path, text):
    """DuckDB's strict scan drops empty fields after the header's count; the reader sees
    a record with too many fields (malformed_record) and so must the file's every row."""
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    with path.open("rb") as handle:
        assert plain_header(handle, CONTRACT) is None
    _, reader = both_ways(path)
    assert "field_count" in reader[0][raw_columns(CONTRACT).index("parse_error")]


@pytest.mark.parametrize(
    "text",
    [
        b'order_id,amount\n"o""1",1\n',
        b'order_id,region\no1,"North ""A"", East"\no2,""""\no3,"x,"""\n',
        b'order_id,region,status\r\n"""o1""","a""""b",""\r\no2,"",""""""\r\n',
    ],
)
def test_escaped_quotes_inside_quoted_fields_load_as_the_reader_reads_them(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    engine, reader = both_ways(path)
    assert engine is not None and engine == reader


@pytest.mark.parametrize(
    "text",
    [
        b"\xef\xbb\xbforder_id,amount\no1,1\n",
        b'\xef\xbb\xbf"order_id","amount"\r\n"o1","1,5"\r\no2,""\r\n',  # Excel's CSV UTF-8
        b"\xef\xbb\xbf\xef\xbb\xbforder_id,amount\no1,1\n",  # two marks: one is a character
        b"\xef\xbb\xbforder_id,amount\n",  # header only
        b"\xef\xbb\xbforder_id,amount,note\no1,1,x\n",
        b"order_id,amount\no1,1\n\xef\xbb\xbfo2,2\n",  # a mark inside the file is a character
    ],
)
def test_a_byte_order_mark_before_the_header_loads_as_the_reader_reads_it(tmp_path, text):
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    engine, reader = both_ways(path)
    assert engine is not None and engine == reader


BODY = b"order_id,amount\no1,1\no2,2\n"


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        (b"\n" + BODY, [3, 4]),
        (b"\n\n\n" + BODY, [5, 6]),
        (b" \t\n  \n" + BODY, [4, 5]),  # whitespace-only lines
        (b"\xef\xbb\xbf\n" + BODY, [3, 4]),  # after a byte-order mark
        (b"\r\n \r\n" + BODY.replace(b"\n", b"\r\n"), [4, 5]),  # CR LF throughout
        (b'\n"order_id","amount"\n"o1","1"\n"o2","2"', [3, 4]),  # quoted, no last line end
        (b"\n\norder_id,amount\n", []),  # a header and no record
    ],
)
def test_blank_lines_before_the_header_load_as_the_reader_reads_them(tmp_path, text, lines):
    """Most CSV tools take the first line that is not blank as the header: so do the
    engine's scan (``skip``) and the reader, each record keeping its line in the file."""
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    engine, reader = both_ways(path)
    assert engine is not None and engine == reader
    frame = read_landed_files(CONTRACT, [LandedFile(path.as_uri(), "f.csv", len(text), text)])
    assert list(frame["source_line"]) == lines
    assert (
        frame["parse_error"].isna().all() and list(frame["order_id"]) == ["o1", "o2"][: len(lines)]
    )
    gzipped = gzip.compress(text, mtime=0)
    engine = _landed_rows(tmp_path / "engine", "f.csv.gz", gzipped, engine_only=True)
    reader = _landed_rows(tmp_path / "reader", "f.csv.gz", gzipped, engine_only=False)
    assert engine is not None and _same_but_source(engine, reader)


@pytest.mark.parametrize(
    "lead",
    [
        b"\r\n",  # a CR LF blank line before an LF header
        b"\n" * (MAX_RECORD_BYTES + 1),  # more blank lines than a record's bytes
    ],
)
def test_blank_lines_the_engine_may_not_skip_are_left_to_the_reader(tmp_path, lead):
    path = tmp_path / "f.csv"
    path.write_bytes(lead + BODY)
    engine, reader = both_ways(path)
    assert engine is None and len(reader) == 2
    frame = read_landed_files(CONTRACT, [LandedFile(path.as_uri(), "f.csv", 0, path.read_bytes())])
    assert frame["parse_error"].isna().all()
    assert list(frame["source_line"]) == [lead.count(b"\n") + 2, lead.count(b"\n") + 3]


def test_a_lone_carriage_return_before_the_header_is_left_to_the_reader(tmp_path):
    """The file's lines then end at CR (its first line break): the reader keeps it as one
    broken record, and the engine does not load it."""
    path = tmp_path / "f.csv"
    path.write_bytes(b" \r \n" + BODY)
    engine, reader = both_ways(path)
    assert engine is None and len(reader) == 1


def test_a_last_field_left_empty_is_still_the_engines(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'order_id,amount,promo\no1,1,\n"o,2",2,""\no3,3,x\n')
    engine, reader = both_ways(path)
    assert engine is not None and engine == reader


# Field texts for the differential test: plain ones (quoted around a comma, empty, ...)
# and the shapes that tell a strict reader from a lenient one.
PLAIN_FIELDS = ["a", "1", "é", "", "it's", "back\\slash", "\t", '"a,b"', '""', '"a""b"', '""""']
ODD_FIELDS = [' "a"', '"a" ', 'a"b', ' ""', '""a""', '"a"b"', '"a""', '"a"""b"']


@pytest.mark.parametrize("seed", range(4))
def test_the_engine_loads_only_files_it_reads_as_the_reader_does(tmp_path, seed):
    """Random records (ragged ones, empty fields beyond the header, quotes of every
    shape, LF or CR LF, blank lines before the header): every file the engine agrees to
    load gives the reader's rows."""
    rng = random.Random(seed)
    loaded = 0
    for n in range(60):
        header = rng.choice([["order_id", "amount"], ["order_id", "amount", "promo"]])
        end = rng.choice(["\n", "\r\n"])
        # Blank lines before the header (their ends now and then not the header's).
        lead = [rng.choice(["", " ", "\t", " \t "]) for _ in range(rng.choice([0] * 6 + [1, 3]))]
        lines = [*lead, ",".join(header)]
        for _ in range(rng.randint(1, 4)):
            count = len(header) + rng.choice([0] * 18 + [1, -1])
            fields = [
                rng.choice(ODD_FIELDS if rng.random() < 0.05 else PLAIN_FIELDS)
                for _ in range(count)
            ]
            if rng.random() < 0.1:
                fields.append("")  # an empty field beyond the header's count
            lines.append(",".join(fields))
        path = tmp_path / f"f{n}.csv"
        text = end.join(lines) + rng.choice([end, ""])
        if lead and rng.random() < 0.2:
            text = text.replace(end, "\r\n" if end == "\n" else "\n", 1)
        path.write_bytes(text.encode())
        engine, reader = both_ways(path)
        if engine is not None:
            loaded += 1
            assert engine == reader, path.read_bytes()
    assert loaded >= 10  # not vacuous: plain files are drawn too


def test_a_file_left_to_the_reader_after_its_extras_are_scanned_leaves_the_session_usable(
    tmp_path,
):
    """raw_orders appends the reader's rows in the session that declined the file: the
    engine's scan of the extra values (one of them not plain ASCII) must not hold it."""
    rows = order_rows(2, DAY)
    rows[1]["promo"] = "café"
    path = tmp_path / "f.csv"
    data = csv_bytes(rows, [*HEADER, "promo"])
    path.write_bytes(data)
    with path.open("rb") as handle:
        header = plain_header(handle, CONTRACT).cells
    session = raw_session()
    lineage = lineage_of(path.as_uri(), header)
    assert not session.load_plain_csv(
        "raw.raw_orders", str(path), header, lineage, extras_of(header)
    )
    landed = LandedFile(path.as_uri(), path.name, len(data), data)
    frame = with_partition_date(read_landed_files(CONTRACT, [landed]), DAY)
    session.append("raw.raw_orders", raw_table(frame, CONTRACT))
    assert len(raw_rows(session.conn)) == 2


def _open_landed_files(root: Path) -> int:
    """How many descriptors of this process are open on files under ``root``."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += Path(fd.readlink()).is_relative_to(root)
        except OSError:
            continue
    return count


def _zone_of_files(root: Path, count: int) -> tuple:
    from resources.landing import LocalLandingZone
    from tests.support.order_fixtures import land

    for i in range(count):
        land(root, DAY, f"part-{i:02d}.csv", csv_bytes(order_rows(3, DAY, prefix=f"p{i}-")))
    land(root, DAY, "ragged.csv", b'order_id,amount\n"o1,1\n')  # not plain
    zone = LocalLandingZone(root=str(root))
    return zone, [(DAY, info) for info in zone.scan_day(DAY).files]


def test_byte_checks_run_ahead_of_the_loads_with_few_files_open_and_all_closed(tmp_path):
    """raw_orders byte-checks the next files in a thread while the engine loads one
    (``_checked_ahead``): every file comes back in order with its verdict, at most
    ``CHECKS_AHEAD`` + 1 are open at a time, and the ones checked but never reached
    (the loads stopped by a refusal) are closed."""
    from platform_assets.assets.ingestion import CHECKS_AHEAD, _checked_ahead

    root = tmp_path / "landing"
    zone, direct = _zone_of_files(root, 8)
    seen, most_open = [], 0
    with _checked_ahead(raw_session(), zone, CONTRACT, direct) as checked:
        for item, (local, header) in checked:
            most_open = max(most_open, _open_landed_files(root))
            seen.append((item, header is not None))
            assert local is not None and Path(local[1]).read_bytes()  # the open file
    assert seen == [(item, item[1].name != "ragged.csv") for item in direct]
    assert 1 < most_open <= CHECKS_AHEAD + 1
    assert _open_landed_files(root) == 0

    with pytest.raises(RuntimeError, match="refused"):
        with _checked_ahead(raw_session(), zone, CONTRACT, direct) as checked:
            next(checked)
            raise RuntimeError("refused")  # what a refused file does to the transaction
    assert _open_landed_files(root) == 0


def test_a_byte_check_that_fails_reaches_the_loader_and_leaves_no_file_open(tmp_path, monkeypatch):
    """An error of a check in the thread (a disk read failing) is raised where the
    loader takes that file, as it was before the checks ran ahead."""
    import platform_assets.assets.ingestion as ingestion

    root = tmp_path / "landing"
    zone, direct = _zone_of_files(root, 6)
    checked_before = ingestion.plain_header

    def failing_third(handle, contract):
        if os.readlink(f"/proc/self/fd/{handle.fileno()}").endswith("part-02.csv"):
            raise OSError("disk read failed")
        return checked_before(handle, contract)

    monkeypatch.setattr(ingestion, "plain_header", failing_third)
    taken = []
    with pytest.raises(OSError, match="disk read failed"):
        with ingestion._checked_ahead(raw_session(), zone, CONTRACT, direct) as checked:
            for item, _ in checked:
                taken.append(item[1].name)
    assert taken == ["part-00.csv", "part-01.csv"]
    assert _open_landed_files(root) == 0


def _threads(session) -> int:
    return int(session.conn.execute("SELECT current_setting('threads')").fetchone()[0])


def test_loads_run_on_one_engine_thread_and_the_session_puts_its_threads_back(tmp_path):
    """A run of plain CSV loads runs on one DuckDB thread (faster for a numbered scan);
    ``threads`` belongs to the whole database, so the next statement, a commit, a
    rollback after a refused file (a SET fails in an aborted transaction) and closing
    the session each put the engine's thread count back."""
    from orders_core.sql.tables import create_statements
    from orders_core.tables import RAW_ORDERS
    from resources.warehouse import DuckDBWarehouse

    good, ragged = tmp_path / "good.csv", tmp_path / "ragged.csv"
    good.write_bytes(csv_bytes(order_rows(3, DAY)))
    ragged.write_bytes(csv_bytes(order_rows(2, DAY, prefix="r-")) + b"ragged\n")
    with good.open("rb") as handle:
        header = plain_header(handle, CONTRACT).cells
    session = raw_session()
    session.conn.execute("SET threads = 3")

    def load(path: Path) -> bool:
        lineage = lineage_of(path.as_uri(), header)
        return session.load_plain_csv("raw.raw_orders", str(path), header, lineage)

    assert load(good) and load(good)
    assert _threads(session) == 1
    assert session.execute("SELECT count(*) FROM raw.raw_orders") == [(6,)]
    assert _threads(session) == 3

    with session.transaction():
        assert load(good)
    assert _threads(session) == 3  # put back before the commit

    with pytest.raises(RuntimeError), session.transaction():
        if not load(ragged):  # the strict scan refuses it: the transaction is aborted
            raise RuntimeError("refused")
    assert _threads(session) == 3  # put back after the rollback
    assert len(raw_rows(session.conn)) == 9

    assert load(good)
    session.close()
    assert _threads(session) == 3

    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))
    with warehouse.session() as opened:
        opened.conn.execute("SET threads = 2")
        for statement in create_statements(CONTRACT, RAW_ORDERS):
            opened.execute(statement)
        assert opened.load_plain_csv(
            "raw.raw_orders", str(good), header, lineage_of(good.as_uri(), header)
        )
        assert _threads(opened) == 1
    assert opened._threads_after_loads is None  # put back when the session closed
