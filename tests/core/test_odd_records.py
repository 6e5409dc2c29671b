"""Oversized and odd records stay one record each, and never take their neighbours with them."""

import gzip
import io
import json
import tempfile

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_core import compression, landed_text
from orders_core.contract import load_contract
from orders_core.csv_fast import parse_well_formed
from orders_core.csv_reader import read_csv_rows
from orders_core.ingest import read_landed_files
from orders_core.jsonl_reader import jsonl_batches
from orders_core.landed_text import MAX_RECORD_BYTES, RAW_RECORD_KEEP_BYTES
from orders_core.landing_formats import file_format
from orders_core.raw_frame import LandedFile

CONTRACT = load_contract()
HEADER = b"order_id,customer_id,amount\n"
BIG = "x" * 300_000  # hundreds of kilobytes


def read(name: str, data: bytes) -> pd.DataFrame:
    source = LandedFile(uri=f"file:///landing/{name}", name=name, size=len(data), data=data)
    return read_landed_files(CONTRACT, [source])


def summary(raw: pd.DataFrame) -> list[tuple[object, int, str | None]]:
    """(order_id, source_line, parse_error kind) of each record."""
    errors = raw["parse_error"].fillna("").str.split(":").str[0].replace("", None)
    return list(zip(raw["order_id"].fillna("-"), raw["source_line"], errors, strict=True))


def assert_oversized(raw: pd.DataFrame, row: int, text: str) -> None:
    size = len(text.encode())
    assert raw["parse_error"].iloc[row] == landed_text.oversized_error(size)
    assert f"{size} bytes > {MAX_RECORD_BYTES}" in raw["parse_error"].iloc[row]
    kept = raw["raw_record"].iloc[row]
    assert len(kept.encode()) <= RAW_RECORD_KEEP_BYTES and text.startswith(kept) and kept


@pytest.mark.parametrize("quoted", [False, True])
def test_an_oversized_csv_field_makes_one_bounded_broken_record(quoted):
    record = f'B,c,"{BIG}"' if quoted else f"B,c,{BIG}"
    raw = read("x.csv", HEADER + f"A,c,1\n{record}\nC,c,3\n".encode())
    assert summary(raw) == [("A", 2, None), ("-", 3, "oversized_record"), ("C", 4, None)]
    assert_oversized(raw, 1, record)


def test_an_oversized_quoted_field_over_many_lines_is_not_split():
    value = "\n".join(["y" * 99] * 3000)  # 300 KB over 3,000 lines
    record = f'B,c,"{value}"'
    raw = read("x.csv", HEADER + f"A,c,1\n{record}\nC,c,3\n".encode())
    assert summary(raw) == [("A", 2, None), ("-", 3, "oversized_record"), ("C", 3003, None)]
    assert_oversized(raw, 1, record)


def test_a_quoted_field_over_many_lines_is_one_record_starting_on_its_first_line():
    value = "\n".join(["l"] * 5000)
    raw = read("x.csv", HEADER + f'A,c,1\nB,c,"{value}"\nC,c,3\n'.encode())
    assert summary(raw) == [("A", 2, None), ("B", 3, None), ("C", 5003, None)]
    assert raw["amount"].iloc[1] == value


def test_a_quoted_header_cell_over_two_lines_is_one_cell_and_the_records_follow_it():
    # The fast path parsed the header's first line alone and raised (csv.Error), which
    # failed raw_orders for every day of the run instead of reading the file.
    raw = read("x.csv", b'order_id,customer_id,amount,"re\ngion"\nA,c,1,r\n')
    assert summary(raw) == [("A", 3, None)]
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {"re\ngion": "r"}


def test_a_lone_cr_inside_a_quoted_field_is_data_not_a_line_break():
    raw = read("x.csv", HEADER + b'A,c,1\nB,c,"x\ry"\r\nC,c,3\n')
    assert summary(raw) == [("A", 2, None), ("B", 3, None), ("C", 4, None)]
    assert raw["amount"].iloc[1] == "x\ry"


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_lone_cr_outside_quotes_is_inside_its_line(ending):
    # The file's lines end with its line ending, so "B,c,2\rB,c,3" is one line: read as
    # two records, both started on line 3 and shared the raw row's key (day, file, line),
    # so cleaning lost order B and quarantined C under another row's reason.
    data = ending.join(["order_id,customer_id,amount", "A,c,1", "B,c,2\rB,c,3", "C,c,4", ""])
    raw = read("x.csv", data.encode())
    assert summary(raw) == [("A", 2, None), ("-", 3, "csv_syntax"), ("C", 4, None)]
    assert raw["raw_record"].iloc[1] == "B,c,2\rB,c,3"
    assert raw["parse_error"].iloc[1] == (
        "csv_syntax: a line break inside an unquoted field (a stray carriage return, or a "
        "line feed in a file of carriage-return lines)"
    )


def test_a_lone_cr_after_a_quoted_field_in_a_file_of_lf_lines_is_inside_its_line():
    raw = read("x.csv", HEADER + b'A,c,1\nB,c,"2"\rB,c,3\nC,c,4\n')
    assert summary(raw) == [("A", 2, None), ("-", 3, "csv_syntax"), ("C", 4, None)]


def test_csv_with_cr_only_line_endings():
    raw = read("x.csv", b'order_id,customer_id\rA,c\rB,"multi\rline"\rC,c\r')
    assert summary(raw) == [("A", 2, None), ("B", 3, None), ("C", 5, None)]


def test_a_cr_file_with_line_feeds_inside_quoted_cells_reads_every_record():
    # A spreadsheet's "CSV (Macintosh)" export: lines end with CR, a multi-line address
    # holds LF. Read as a file of LF lines, it was one unreadable header: no order kept.
    rows = [f'o{i},c,"12 Main St\nApt {i}"' for i in range(3)]
    raw = read("x.csv", "\r".join(["order_id,customer_id,region", *rows, ""]).encode())
    assert summary(raw) == [("o0", 2, None), ("o1", 3, None), ("o2", 4, None)]
    assert raw["region"].tolist() == [f"12 Main St\nApt {i}" for i in range(3)]


def test_a_cr_file_ending_with_one_line_feed_reads_every_record():
    raw = read("x.csv", b"order_id,customer_id\rA,c\rB,c\rC,c\n")
    assert summary(raw) == [("A", 2, None), ("B", 3, None), ("C", 4, None)]


@pytest.mark.parametrize(
    ("text", "ending"),
    [
        ("a,b\nc,d\n", "\n"),
        ("a,b\r\nc,d\r\n", "\n"),
        ("a,b\rc,d\r", "\r"),
        ('a,b\r"x\ny",d\r"x\ny",d\r', "\r"),  # LF only inside quotes
        ("a,b\rc,d\rc,d\n", "\r"),  # one LF, at the end
        ('a,b\ro0,27" monitor\ro1,"x\ny"\r', "\r"),  # an inch mark is not a quote
        ('"a\nb",c\rx,y\rz,"1\n2"\r', "\r"),  # a quoted header cell's LF
        ("a,b\nc,d\re,f\ng,h\n", "\n"),  # one stray CR
        ('a,b\no0,5" tv\no1,"l1\rl2"\no2,"l1\rl2"\n', "\n"),
        ('a,b\nA,c\nB,"oops\nC,"x\ry"\n', "\n"),  # an unclosed quote
        ('a,b\r\n"x\ry",d\r\n', "\n"),  # CR only inside quotes
        ('a,b\n"x\r\ry\r",d\n', "\n"),
        ("", "\n"),
    ],
)
def test_line_ending_is_the_headers(text, ending):
    assert landed_text.line_ending(text) == ending


def test_an_lf_file_with_inch_marks_and_quoted_crs_reads_every_record():
    # Counting line breaks outside quotes took the inch mark for an opening quote, read
    # the file as CR lines and made it one unreadable header: no order kept.
    rows = ['o0,c,5" tv'] + [f'o{i},c,"line1\rline2"' for i in range(1, 5)]
    raw = read("x.csv", "\n".join(["order_id,customer_id,region", *rows, ""]).encode())
    assert [(o, line) for o, line, _ in summary(raw)] == [(f"o{i}", i + 2) for i in range(5)]


def test_a_file_whose_header_cannot_be_read_is_one_record_with_the_files_text():
    # Its raw_record held the header's line only: orders A and B were nowhere in raw.
    data = b'order_id,"cust"omer_id\nA,c\nB,c\n'
    raw = read("x.csv", data)
    assert summary(raw) == [("-", 1, "unparseable_header")]
    assert raw["raw_record"].iloc[0] == data.decode()


def test_an_unreadable_header_after_blank_lines_is_broken_at_its_own_line():
    data = b'\n  \n\norder_id,"cust"omer_id\nA,c\n'
    raw = read("x.csv", data)
    assert summary(raw) == [("-", 4, "unparseable_header")]
    assert raw["raw_record"].iloc[0] == data.decode()


@pytest.mark.parametrize("text", [b"\n\n", b" \t\n\r\n", b""])
def test_a_csv_file_of_blank_lines_only_has_no_record(text):
    assert read("x.csv", text).empty


def test_a_whitespace_line_after_the_header_is_still_a_broken_record():
    """Only the blank lines before the header are skipped: after it, an empty line is no
    record and a line of spaces a record of one field (field_count)."""
    raw = read("x.csv", b"\n" + HEADER + b"A,c,1\n\n  \nB,c,2\n")
    assert [(o, line) for o, line, _ in summary(raw)] == [("A", 3), ("-", 5), ("B", 6)]
    assert summary(raw)[1][2].startswith("field_count")


def test_an_unclosed_quote_breaks_its_own_line_only():
    raw = read("x.csv", HEADER + b'A,c,1\nB,"oops,2\nC,c,3\nD,c,4\n')
    assert summary(raw) == [("A", 2, None), ("-", 3, "csv_syntax"), ("C", 4, None), ("D", 5, None)]
    assert raw["raw_record"].iloc[1] == 'B,"oops,2'


def test_a_stray_quote_closed_by_a_later_one_breaks_its_own_line_only():
    # Read as one record (the quote of line 3 closes at line 5's, then "x" is not a
    # comma), the orders of lines 4 and 5 were lost inside one broken row.
    raw = read("x.csv", HEADER + b'A,c,1\nB,"oops,2\nC,c,3\nD,"x,4\nE,c,5\n')
    assert summary(raw) == [
        ("A", 2, None),
        ("-", 3, "csv_syntax"),
        ("C", 4, None),
        ("-", 5, "csv_syntax"),
        ("E", 6, None),
    ]
    assert raw["raw_record"].iloc[1] == 'B,"oops,2'
    assert raw["raw_record"].iloc[3] == 'D,"x,4'


def test_csv_syntax_errors_keep_their_text():
    raw = read("x.csv", HEADER + b'A,c,1\nB,"x"y,2\nC,c,3\n')
    assert summary(raw) == [("A", 2, None), ("-", 3, "csv_syntax"), ("C", 4, None)]
    assert raw["raw_record"].iloc[1] == 'B,"x"y,2'


def test_an_oversized_header_cell_keeps_the_records_and_names_the_cell_by_its_size():
    cell = "h" * 300_000
    raw = read("x.csv", f"order_id,customer_id,{cell},amount\nA,c,v,1\nB,c,w,2\n".encode())
    assert summary(raw) == [("A", 2, None), ("B", 3, None)]
    assert list(raw["amount"]) == ["1", "2"]
    placeholder = landed_text.oversized_name(2, 300_000)
    assert json.loads(raw["file_header"].iloc[0]) == [
        "order_id",
        "customer_id",
        placeholder,
        "amount",
    ]
    assert json.loads(raw["extra_columns_json"].iloc[0]) == {placeholder: "v"}
    assert cell not in raw.to_string()


def test_an_oversized_jsonl_key_is_named_by_its_size_as_a_csv_header_cell_is():
    # It was a column name: its text on every row's file_header and extras, and in the
    # drift check's findings.
    key = "h" * 5000
    lines = [{"order_id": "A", key: "v", "amount": "1"}, {"order_id": "B", key: "b@example.com"}]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    raw = read("x.jsonl", data)
    assert summary(raw) == [("A", 1, None), ("B", 2, None)]
    placeholder = landed_text.oversized_name(1, 5000)
    assert json.loads(raw["file_header"].iloc[0]) == ["order_id", placeholder, "amount"]
    assert [json.loads(text) for text in raw["pii_extra_columns_json"]] == [
        {placeholder: "v"},
        {placeholder: "b@example.com"},
    ]
    assert key not in raw.to_string()
    source = LandedFile("file:///landing/x.jsonl", "x.jsonl", len(data), data)
    batched = pd.concat(list(jsonl_batches(CONTRACT, source, 1)), ignore_index=True)
    pd.testing.assert_frame_equal(batched, raw)


def test_the_fast_path_leaves_oversized_records_and_header_cells_to_the_exact_reader():
    for data in (
        HEADER + f"A,c,1\nB,c,{BIG}\nC,c,3\n".encode(),
        HEADER + ("A,c," + "9," * 40_000 + "\n").encode(),
        f"order_id,{'h' * 5000},amount\nA,c,1\n".encode(),
    ):
        assert parse_well_formed(data) is None


def test_jsonl_with_cr_only_line_endings():
    raw = read("x.jsonl", b'{"order_id":"A"}\r{"order_id":"B"}\r\r{"order_id":"C"}\r')
    assert summary(raw) == [("A", 1, None), ("B", 2, None), ("C", 4, None)]


def test_jsonl_crlf_and_oversized_lines():
    line = json.dumps({"order_id": "B", "note": BIG})
    raw = read("x.jsonl", f'{{"order_id":"A"}}\r\n{line}\r\n{{"order_id":"C"}}\r\n'.encode())
    assert summary(raw) == [("A", 1, None), ("-", 2, "oversized_record"), ("C", 3, None)]
    assert_oversized(raw, 1, line)


@pytest.mark.parametrize("text", ["\xa0", "\x0c", "\x0b", "\x1c", "\x1e", "\u2028", "\u3000"])
def test_a_jsonl_line_of_whitespace_json_does_not_allow_is_a_broken_record(text):
    # str.strip() took these lines for blank ones: landed lines gone without a trace. A
    # line of JSON's own whitespace (space, tab, CR) holds nothing and is no record.
    raw = read("x.jsonl", f'{{"order_id":"A"}}\n \t\r\n{text}\n{{"order_id":"C"}}\n'.encode())
    assert summary(raw) == [("A", 1, None), ("-", 3, "invalid_json"), ("C", 4, None)]
    assert raw["raw_record"].iloc[1] == text


def test_an_oversized_parquet_row_is_broken_and_bounded(tmp_path):
    frame = pd.DataFrame({"order_id": ["A", "B", "C"], "note": ["x", BIG, "z"]})
    frame.to_parquet(tmp_path / "x.parquet")
    raw = read("x.parquet", (tmp_path / "x.parquet").read_bytes())
    assert summary(raw) == [("A", 1, None), ("-", 2, "oversized_record"), ("C", 3, None)]
    assert len(raw["raw_record"].iloc[1].encode()) <= RAW_RECORD_KEEP_BYTES


def test_bounded_raw_never_cuts_a_character_in_half():
    kept = landed_text.bounded_raw("é" * RAW_RECORD_KEEP_BYTES)
    assert set(kept) == {"é"} and len(kept.encode()) <= RAW_RECORD_KEEP_BYTES


# A random mix of valid and odd records: each stays one record, on its first line.
ODD = st.sampled_from(
    [
        ("big", "B,c,{big}"),
        ("bigq", 'B,c,"{big}"'),
        ("bigml", 'B,c,"{bigml}"'),
        ("ml", 'B,c,"two\nlines"'),
        ("cr", 'B,c,"x\ry"'),
        ("ragged", "B,c"),
    ]
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.one_of(st.none(), ODD), min_size=1, max_size=12), st.sampled_from(["\n", "\r\n"])
)
def test_records_around_odd_ones_are_never_lost_or_split(records, newline):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landed_text, "MAX_RECORD_BYTES", 64)
        _check_mix(records, newline)


def _check_mix(records, newline):
    lines, expected, line = [], [], 2
    for i, odd in enumerate(records):
        text = (
            f"o{i},c,{i}"
            if odd is None
            else odd[1].format(big="b" * 80, bigml="\n".join(["m"] * 40))
        )
        lines.append(text)
        valid = odd is None or odd[0] in ("ml", "cr")
        expected.append((text.split(",")[0] if valid else None, line))
        line += text.count("\n") + 1
    data = (newline.join(["order_id,customer_id,amount", *lines]) + newline).encode()
    raw = read("x.csv", data)
    assert list(raw["source_line"]) == [n for _, n in expected]
    valid = raw["parse_error"].isna()
    assert [o for o in raw["order_id"][valid]] == [o for o, _ in expected if o is not None]
    oversized = raw["parse_error"].fillna("").str.startswith("oversized_record")
    assert int(oversized.sum()) == sum(1 for r in records if r and r[0].startswith("big"))
    pd.testing.assert_frame_equal(
        raw, read_csv_rows(CONTRACT, LandedFile("file:///landing/x.csv", "x.csv", len(data), data))
    )


# Compressed files.

PLAIN_CSV = HEADER + b'A,c,1\nB,c,"two\nlines"\nC,c,3\n'
PLAIN_JSONL = b'{"order_id": "A"}\nnot json\n{"order_id": "C"}\n'


def _same_records(gzipped: pd.DataFrame, plain: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        gzipped.drop(columns="source_file"), plain.drop(columns="source_file")
    )


@pytest.mark.parametrize(
    ("name", "plain_name", "data"),
    [
        ("x.csv.gz", "x.csv", PLAIN_CSV),
        ("X.CSV.GZ", "x.csv", PLAIN_CSV),
        ("x.jsonl.gz", "x.jsonl", PLAIN_JSONL),
        ("x.ndjson.gz", "x.jsonl", PLAIN_JSONL),
        ("x.json.gz", "x.jsonl", PLAIN_JSONL),
    ],
)
def test_gzipped_files_read_like_their_plain_forms(name, plain_name, data):
    gzipped = read(name, gzip.compress(data))
    _same_records(gzipped, read(plain_name, data))
    assert gzipped["source_file"].iloc[0].endswith(name)


def test_multi_member_gzip_is_read_whole():
    data = gzip.compress(HEADER + b"A,c,1\n") + gzip.compress(b"B,c,2\n")
    assert list(read("x.csv.gz", data)["order_id"]) == ["A", "B"]


@pytest.mark.parametrize(
    "data",
    [
        b"not gzip at all",
        gzip.compress(PLAIN_CSV, mtime=0)[:-12],
        gzip.compress(PLAIN_CSV, mtime=0)[:20] + b"\x00" * 40,
        # Python reads no byte as a gzip stream of no member; gzip itself never writes
        # one (an empty text is 20 bytes): it is an upload cut to nothing.
        b"",
    ],
    # Fixed ids and mtime: pytest-xdist workers must collect the same test names (a gzip
    # header holds the compression time, which differed when collection crossed a second).
    ids=["not-gzip", "truncated", "zeroed-tail", "empty-file"],
)
@pytest.mark.parametrize("name", ["x.csv.gz", "x.jsonl.gz"])
def test_a_corrupt_gzip_is_one_broken_record(data, name):
    raw = read(name, data)
    assert len(raw) == 1
    assert raw["parse_error"].iloc[0].startswith("unreadable_gzip: ")
    assert raw["source_format"].iloc[0] == file_format(name)
    assert pd.isna(raw["order_id"].iloc[0])


def test_a_gzip_that_decompresses_beyond_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(compression, "MAX_DECOMPRESSED_BYTES", 1000)
    raw = read("x.jsonl.gz", gzip.compress(b'{"order_id": "A"}\n' * 100))
    assert len(raw) == 1
    assert raw["parse_error"].iloc[0] == "gzip_too_large: decompresses to more than 1000 bytes"


def test_empty_gzip_has_no_records():
    assert len(read("x.csv.gz", gzip.compress(b""))) == 0


def test_a_streamed_copy_refuses_a_gzip_file_of_no_byte_only():
    """raw_orders decompresses a staged file (local or downloaded from S3 to a temporary
    file) with ``copy_into``: a gzip file of no byte is refused as the reader refuses it;
    an empty text, gzip or plain, is copied as the nothing it is."""
    with tempfile.TemporaryFile() as landed, gzip.GzipFile(fileobj=landed, mode="rb") as text:
        with pytest.raises(compression.UnreadableCompressedFile, match="^unreadable_gzip: "):
            compression.copy_into(text, io.BytesIO())
    empty_text = io.BytesIO(gzip.compress(b"", mtime=0))
    for stream in (gzip.GzipFile(fileobj=empty_text, mode="rb"), io.BytesIO(b"")):
        target = io.BytesIO()
        compression.copy_into(stream, target)
        assert target.getvalue() == b""


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv.gz", "csv"),
        ("a.NDJSON.gz", "jsonl"),
        ("a.json.gz", "jsonl"),
        (".DS_Store", None),
        ("._a.csv", None),
        (".hidden.jsonl", None),
        ("a.zip", None),
        ("a.gz", None),
        ("a.parquet.gz", None),
        ("a.tar.gz", None),
        ("_SUCCESS", None),
    ],
)
def test_file_format_of_compressed_and_unreadable_names(name, expected):
    assert file_format(name) == expected


def test_unknown_and_dot_files_are_not_read():
    source = LandedFile("file:///landing/._a.csv", "._a.csv", len(PLAIN_CSV), PLAIN_CSV)
    assert len(read_landed_files(CONTRACT, [source])) == 0


@pytest.mark.parametrize(
    ("name", "encoding", "named"),
    [
        ("x.csv", "utf-16-le", "UTF-16-LE"),
        ("x.csv", "utf-16-be", "UTF-16-BE"),
        ("x.jsonl", "utf-16-le", "UTF-16-LE"),
        ("x.csv.gz", "utf-32-le", "UTF-32-LE"),
        ("x.jsonl", "utf-32-be", "UTF-32-BE"),
    ],
)
def test_a_utf16_or_utf32_file_is_one_broken_record_naming_its_encoding(name, encoding, named):
    # Read as UTF-8, its header was names interleaved with NUL bytes: every record was
    # quarantined as missing its order_id, and drift listed the garbled names as added.
    text = (PLAIN_JSONL if ".jsonl" in name else PLAIN_CSV).decode()
    data = ("\ufeff" + text).encode(encoding)  # the byte-order mark first
    raw = read(name, gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    assert summary(raw) == [("-", 1, "not_utf8")]
    assert raw["parse_error"].iloc[0].startswith(f"not_utf8: the file is {named} ")
    assert raw["raw_record"].iloc[0] == text
    assert raw["file_header"].iloc[0] == "[]"  # drift: a file nothing could be read from
