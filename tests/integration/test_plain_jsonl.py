"""The engine's own scan of JSON Lines files gives exactly the reader's rows for the files
it is allowed to load (``orders_core.plain_jsonl``), and every other file is left to the
reader."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import random
from pathlib import Path

import pytest

from orders_core import plain_jsonl
from orders_core.contract import load_contract
from orders_core.plain_jsonl import MAX_KEYS, plain_jsonl_first_line, plain_jsonl_header
from tests.support.bad_inputs import corpus
from tests.support.order_fixtures import land, order_rows
from tests.support.raw_rows import (
    RANGE_ORDER,
    both_ways,
    raw_orders_range_with_loads,
    reader_rows,
)

CONTRACT = load_contract()
DAY = dt.date(2025, 1, 2)
JSONL_NAMES = (".jsonl", ".ndjson", ".json")


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_an_export_of_orders_is_plain_and_loads_the_readers_rows(tmp_path):
    path = tmp_path / "orders.jsonl"
    path.write_bytes(jsonl(order_rows(50, DAY)))
    engine, reader = both_ways(path, "jsonl", DAY)
    assert engine is not None
    assert engine == reader
    assert len(engine) == 50


@pytest.mark.parametrize(
    "case",
    [c for c in corpus() if any(f.name.endswith(JSONL_NAMES) for f in c.files)],
    ids=lambda c: c.name,
)
def test_every_corpus_file_is_either_identical_or_left_to_the_reader(tmp_path, case):
    for landed in case.files:
        if not landed.name.endswith(JSONL_NAMES):
            continue
        path = tmp_path / landed.name
        path.write_bytes(landed.data)
        engine, reader = both_ways(path, "jsonl", DAY)
        if engine is not None:
            assert engine == reader, case.name


@pytest.mark.parametrize(
    "text",
    [
        b'{"order_id": "o1", "amount": {"v": "1"}}\n',  # nested: the reader sorts its JSON
        b'{"order_id": "o1", "amount": [1, 2]}\n',
        json.dumps({f"k{i}": "v" for i in range(MAX_KEYS + 1)}).encode() + b"\n",  # wide
        b'{"order_id": "o1", "order_id": "o2"}\n',  # a repeated key: the reader numbers it
        b'{"order_id": "o1", "Order ID": "o2"}\n',  # two keys naming one contract column
        b'{"order_id": "o1", "promoci\\u00f3n": "x"}\n',  # a key the JSON would escape
        b'{"order_id": "o1", "": "x"}\n',  # an empty key
        b'{"order_id": "o1"}\r\n',  # CR LF
        b'\xef\xbb\xbf{"order_id": "o1"}\n',  # a byte-order mark
        b'\n{"order_id": "o1"}\n',  # a blank first line
        b'{"order_id": "o1"}\n\n{"order_id": "o2"}\n',  # a blank line
        b'{"order_id": "o1"}\n{"order_id": "o\x00"}\n',  # a NUL
        b'{"order_id": "o1"}\n{"order_id": "o\x1f"}\n',  # a raw control character
        b'["o1", "1"]\n',  # not an object
        b"{}\n",  # no key
        b'{"order_id": "o1"\n',  # not JSON
        b'{"order_id": "\xff"}\n',  # not UTF-8
    ],
)
def test_files_the_engine_may_not_load_are_refused_before_any_sql(tmp_path, text):
    path = tmp_path / "f.jsonl"
    path.write_bytes(text)
    with path.open("rb") as handle:
        assert plain_jsonl_header(handle, CONTRACT) is None


@pytest.mark.parametrize(
    "second_line",
    [
        b'{"order_id": "o2", "amount": {"v": 2}}',  # nested
        b'{"order_id": "o2", "amount": 01}',  # not a JSON number
        b'{"order_id": "o2", "amount": 1.}',
        b'{"order_id": "o2", "amount": Infinity}',
        b'{"order_id": "o2", "amount": null, "amount": "2"}',  # a repeated key
        b'{"order_id": "o2", "amount": "2", "order_id": "o3"}',  # one, keys in another order
        b'{"order_id": "o2", "Order ID": "o3"}',  # two keys naming one contract column
        b'{"order_id": "o2", "promoci\\u00f3n": "x"}',  # a key the JSON would escape
        b'{"order_id": "o2", "": "x"}',  # an empty key
        json.dumps({f"k{i}": "v" for i in range(MAX_KEYS)}).encode(),  # keys over the limit
        b'{"order_id": "o2", "amount": "\xff"}',  # invalid UTF-8
        b'{"order_id": "o2", "amount": "\\ud800"}',  # a lone surrogate escape
        b'{"order_id": "o2", "amount": "\\ud83d\\ude00"}',  # a pair: the reader's too
        b'{"order_id": "o2", "amount": "\\u0000"}',  # an escaped NUL
        b'{"order_id": "o2", "amount": "\\x"}',  # an invalid escape
        b'{"order_id": "o2", "amount": "a\tb"}',  # a raw tab inside a string
        b'{"order_id": "o2", "amount": "2"} x',  # text after the object
        b"   ",  # a line of spaces
        b'{"order_id": "o2", "amount": "' + b"9" * 70_000 + b'"}',  # an oversized record
        b'{"order_id": "o2", "amount": NaN}',
    ],
)
def test_a_plain_looking_file_the_engine_refuses_loads_nothing(tmp_path, second_line):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"order_id": "o1", "amount": "1"}\n' + second_line + b"\n")
    with path.open("rb") as handle:
        assert plain_jsonl_header(handle, CONTRACT) == ["order_id", "amount"]
    engine, reader = both_ways(path, "jsonl", DAY)
    assert engine is None
    assert len(reader) == (2 if second_line.strip() else 1)  # a line of spaces is blank


@pytest.mark.parametrize(
    ("lines", "header"),
    [
        # the keys in another order
        ([b'{"order_id": "o1", "amount": "1"}', b'{"amount": "2", "order_id": "o2"}'], None),
        ([b'{"order_id": "o1", "amount": "1"}', b'{"order_id": "o2"}', b"{}"], None),  # fewer
        (  # a key more: the header is every key in order of first appearance
            [
                b'{"order_id": "o1", "amount": 1}',
                b'{"order_id": "o2", "status": "placed", "amount": 2, "note": "x@y.io"}',
                b'{"customer_email": "a@b.co", "order_id": "o3", "promo": true}',
            ],
            ["order_id", "amount", "status", "note", "customer_email", "promo"],
        ),
        (  # an export leaving out null values: the first record has no region
            [
                b'{"order_id":"o1","amount":"1","status":"placed"}',
                b'{"order_id":"o2","amount":"2","region":"emea","status":"shipped"}',
            ],
            ["order_id", "amount", "status", "region"],
        ),
    ],
)
def test_lines_naming_other_keys_load_as_the_reader_reads_them(tmp_path, lines, header):
    """Lines may name some of the file's keys, in any order, or keys its first line does
    not (an export leaving out its null values): the engine loads them under the reader's
    header, every key in order of first appearance."""
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    engine, reader = both_ways(path, "jsonl", DAY)
    assert engine is not None
    assert engine == reader
    if header is not None:
        assert {row[18] for row in engine} == {json.dumps(header)}  # file_header


@pytest.mark.parametrize("seed", range(4))
def test_keys_are_ordered_as_the_reader_orders_them(seed, monkeypatch):
    """The keys of flat lines in order of first appearance, read in chunks cut anywhere:
    a value whose text looks like a member (``, \\"region\\": 1``) is not one."""
    monkeypatch.setattr(plain_jsonl, "CHUNK_BYTES", 1 + seed * 7)
    rng = random.Random(seed)
    keys = ["order_id", "amount", "region", "reg", "note", "x y", "status"]
    values = ['x, "region": 1', "{", '", "note": "', "", "a,\tb", 1.5, None, True]
    lines = []
    for _ in range(40):
        named = rng.sample(keys, rng.randint(1, len(keys)))
        lines.append(
            json.dumps(
                {key: rng.choice(values) for key in named},
                separators=rng.choice([(",", ":"), (", ", ": "), (" ,\t", " :  ")]),
            )
        )
    text = "\n".join(lines).encode() + b"\n"
    expected = list(dict.fromkeys(key for line in lines for key in json.loads(line)))
    first = list(json.loads(lines[0]))
    assert plain_jsonl.keys_in_order(io.BytesIO(text), first, set(expected)) == expected


@pytest.mark.parametrize(
    ("first_line", "keys"),
    [
        (b'{"order_id": "o1", "amount": null}\n', ["order_id", "amount"]),
        (b'{"Order ID":"o1","promo code":"x"}', ["Order ID", "promo code"]),  # no line end
        (b'\t{ "order_id" :"o1" }  \n', ["order_id"]),  # JSON whitespace
        (b'{"order_id": 1, "amount": 1.10, "promo": true}\n', ["order_id", "amount", "promo"]),
        (b'{"order_id": {"a": 1}}\n', None),
        (b'{"order_id": "o1", "it\'s": "x"}\n', ["order_id", "it's"]),
    ],
)
def test_the_first_line_decides_whether_a_file_is_worth_the_engines_load(first_line, keys):
    assert plain_jsonl_first_line(first_line, CONTRACT) == keys


# Values of every shape a JSON string can take, and the other JSON values: the engine
# must load only files whose every value it decodes as Python's json does.
STRINGS = [
    "",
    "o1",
    "it's",
    "café",
    "日本",
    "😀",
    'say "hi"',
    "back\\slash",
    "a/b",
    "tab\there",
    "line\nbreak",
    "\u2028",
    "\x7f",
    "ann@example.com",
    "write to ann@example.com",
    "10.50",
    "  padded  ",
]
OTHERS = [None, True, False, [1, "a"], {"b": 1, "a": 2}]
# Number tokens as they may land (the reader keeps each as written), and ones Python
# reads that JSON does not allow.
NUMBERS = ["0", "-0", "1", "-5", "1.10", "1E2", "1e400", "0.0e0", "-12.5e-3", "9" * 30]
NOT_JSON = ["NaN", "Infinity", "-Infinity"]


def _value(rng: random.Random):
    draw = rng.random()
    if draw < 0.05:
        return rng.choice(OTHERS)
    if draw < 0.2:  # a token put in place of its placeholder by _line
        return f"<{rng.choice(NUMBERS if rng.random() < 0.9 else NOT_JSON)}>"
    return rng.choice(STRINGS)


def _line(rng: random.Random, record: dict) -> str:
    """One JSON text of ``record``: compact or spaced, ASCII-escaped or not, with each
    ``"<token>"`` value written as the bare token."""
    ensure_ascii = rng.random() < 0.5
    if rng.random() < 0.5:
        text = json.dumps(record, ensure_ascii=ensure_ascii)
    else:
        text = json.dumps(record, ensure_ascii=ensure_ascii, separators=(",", ":"))
        text = (" " * rng.randint(0, 1)) + text + ("\t" * rng.randint(0, 1))
    for token in {*NUMBERS, *NOT_JSON}:
        text = text.replace(f'"<{token}>"', token)
    return text


@pytest.mark.parametrize("seed", range(6))
def test_the_engine_loads_only_files_it_reads_as_the_reader_does(tmp_path, seed):
    """Random files of random values (strings of every shape, escaped or not, number
    tokens as landed, NaN and Infinity, booleans, nested values, nulls), with extra keys
    (e-mail ones among them), keys missing, reordered or new on some lines: every file
    the engine agrees to load gives the reader's rows."""
    rng = random.Random(seed)
    loaded = numbers = varied = 0
    for n in range(50):
        keys = rng.choice(
            [
                ["order_id", "amount"],
                ["order_id", "amount", "promo"],
                ["Order ID", "customer_email", "contact", "note"],
            ]
        )
        lines, records, named = [], [], set()
        for _ in range(rng.randint(1, 5)):
            record = {key: _value(rng) for key in keys}
            records.append(record)
            if rng.random() < 0.1:
                record.pop(rng.choice(keys))
            if rng.random() < 0.1:
                record = dict(reversed(record.items()))
            if rng.random() < 0.1:  # a key no earlier line named
                record[rng.choice(["late", "status", "contact_email"])] = _value(rng)
            named.add(tuple(record))
            lines.append(_line(rng, record))
        path = tmp_path / f"f{n}.jsonl"
        path.write_bytes(("\n".join(lines) + rng.choice(["\n", ""])).encode())
        engine, reader = both_ways(path, "jsonl", DAY)
        if engine is not None:
            loaded += 1
            varied += len(named) > 1
            numbers += any(f"<{token}>" in str(r) for r in records for token in NUMBERS)
            assert engine == reader, path.read_bytes()
    assert loaded >= 5  # not vacuous: plain files are drawn too
    assert numbers  # and some of them hold number tokens
    assert varied  # and some name other keys on some lines


def test_raw_orders_loads_jsonl_days_as_the_reader_reads_them(tmp_path, instance):
    """A range of days landed as JSON Lines, plain and gzip: plain files go through the
    engine inside the replacing transaction, one whose records leave out null values (its
    header then found by the engine) too; one that looks plain but holds a nested value on
    its last line is refused there and read by the reader after the rollback, one with a
    nested value on its first line is the reader's at once. raw.raw_orders then holds
    exactly the reader's rows, and the engine loaded the plain files."""
    landing = tmp_path / "landing"
    days = [DAY, DAY + dt.timedelta(days=1)]
    files: list[tuple[dt.date, Path]] = []
    for day in days:
        numbered = jsonl(order_rows(3, day, prefix="r-"))
        numbered += b'{"order_id": "r-last", "amount": {"v": 1}}\n'
        sparse = [
            {key: value for key, value in row.items() if not (key == "region" and i % 2 == 0)}
            for i, row in enumerate(order_rows(4, day, prefix="s-"))
        ]
        texts = {
            "good.jsonl": jsonl(order_rows(5, day, prefix="g-")),
            "good.ndjson.gz": gzip.compress(jsonl(order_rows(4, day, prefix="z-")), mtime=0),
            "sparse.jsonl": jsonl(sparse),
            "numbered.jsonl": numbered,
            "nested.jsonl": jsonl([order_rows(1, day, prefix="n-")[0] | {"amount": {"v": 1}}]),
        }
        for name, data in texts.items():
            files.append((day, land(landing, day, name, data)))
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, days, "load_plain_jsonl")
    assert loaded == reader_rows(files, RANGE_ORDER)
    assert len(loaded) == 2 * (5 + 4 + 4 + 4 + 1)
    # Both days' good and sparse files, straight into the table in the transaction that
    # committed.
    assert sum(ok and table == "raw.raw_orders" for table, ok in loads) >= 6
    assert '"region"]' in {row[18][-9:] for row in loaded}  # the sparse file's header
