"""Landed files mutated byte by byte, as a fuzzer would: truncated anywhere (inside a
quoted value, a UTF-8 sequence, a gzip stream, a Parquet footer), a NUL, a lone CR, a
lone quote, a byte-order mark, bytes that are not UTF-8 put in, the header doubled,
deleted or repeated inside the file, a line doubled or deleted, the bytes around a
delimiter swapped, the file twice over, a gzip member appended, a JSON Lines brace lost,
and Parquet files with a byte changed.

Every mutant is drawn from a seed, so a test reads a fixed list. What a mutant must
leave: a run that reads it (or fails naming it), every record whose order id survives
in the landed text as a raw row (or the file as one unparseable record), and the same
rows whichever way the platform reads it (the engine's scan, the reader, any batching).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.fixture_data import HEADER

# The order ids of the records mutated (TOID000X, ...): one that survives a mutation
# whole in the landed text must survive in raw_orders.
ORDER_ID = re.compile(rb"TOID\d{3}X")
BOM = b"\xef\xbb\xbf"
INSERTS = {
    "nul": b"\x00",
    "lone_cr": b"\r",
    "lone_quote": b'"',
    "bom": BOM,
    "byte_ff": b"\xff",
    "lead_byte": b"\xc3",
    "surrogate": b"\xed\xa0\x80",
    "overlong": b"\xc0\xaf",
    "line_feed": b"\n",
    "backslash": b"\\",
    "comma": b",",
    "open_brace": b"{",
    "close_brace": b"}",
}


def orders(day: str, count: int = 12) -> list[dict]:
    """``count`` orders of ``day`` in every shape a value takes: a quoted amount with a
    comma, a doubled quote, UTF-8 of two, three and four bytes, e-mails, empty values."""
    return [
        {
            "order_id": f"TOID{i:03d}X",
            "customer_id": f"C{i % 5}",
            "order_ts": f"{day}T{i % 23:02d}:15:00Z",
            "amount": ["10.00", "1,234.50", "7.5", "0", "-3", "12.25"][i % 6],
            "currency": "USD" if i % 4 else "EUR",
            "quantity": str(1 + i % 3),
            "unit_price": "",
            "status": ["placed", "shipped", "", "Delivered"][i % 4],
            "region": ["Zürich", "東京", 'say "hi"', "plain", "🙂 emoji"][i % 5],
            "customer_email": f"u{i}@example.com" if i % 3 == 0 else "",
            "updated_at": "" if i % 2 else f"{day}T23:00:00Z",
        }
        for i in range(count)
    ]


def csv_bytes(rows: list[dict], line_end: str = "\n") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=line_end)
    writer.writerow(HEADER)
    writer.writerows([row[column] for column in HEADER] for row in rows)
    return text.getvalue().encode()


def jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def parquet_bytes(rows: list[dict], **options) -> bytes:
    """``rows`` as a Parquet file of text columns (``pq.write_table`` options)."""
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink, **options)
    return sink.getvalue()


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def text_mutants(data: bytes, seed: int, per_kind: int = 1) -> Iterator[tuple[str, bytes]]:
    """(kind, bytes) mutants of a CSV or JSON Lines file's bytes, ``per_kind`` of each
    kind drawn at random places."""
    rng = random.Random(seed)

    def places(candidates) -> list[int]:
        candidates = list(candidates)
        return rng.sample(candidates, min(per_kind, len(candidates)))

    size = len(data)
    inside_utf8 = [i for i, b in enumerate(data) if 0x80 <= b < 0xC0]
    quoted, inside = [], False
    for i, b in enumerate(data):
        if b == ord('"'):
            inside = not inside
        elif inside:
            quoted.append(i)
    for at in places(range(1, size)):
        yield "truncated", data[:at]
    for at in places(inside_utf8):
        yield "truncated_in_utf8", data[:at]
    for at in places(quoted):
        yield "truncated_in_quotes", data[:at]
    for name, inserted in INSERTS.items():
        for at in places(range(size + 1)):
            yield f"inserted_{name}", data[:at] + inserted + data[at:]
    for at in places(inside_utf8):
        yield "nul_in_utf8", data[:at] + b"\x00" + data[at:]
    lines = _lines(data)
    yield "header_doubled", lines[0] + data
    yield "header_deleted", b"".join(lines[1:])
    for k in places(range(1, len(lines))):
        yield "header_repeated_inside", b"".join([*lines[:k], lines[0], *lines[k:]])
        yield "line_doubled", b"".join([*lines[: k + 1], *lines[k:]])
        yield "line_deleted", b"".join([*lines[:k], *lines[k + 1 :]])
        yield "line_end_lost", b"".join([*lines[:k], lines[k].rstrip(b"\r\n"), *lines[k + 1 :]])
    for at in places(i for i, b in enumerate(data[:-1]) if b in b',:"'):
        yield (
            "delimiter_swapped",
            data[:at] + data[at + 1 : at + 2] + data[at : at + 1] + data[at + 2 :],
        )
    for at in places(range(size)):
        yield "bit_flipped", data[:at] + bytes([data[at] ^ 1 << rng.randrange(8)]) + data[at + 1 :]
        yield "byte_deleted", data[:at] + data[at + 1 :]
    yield "twice", data + data
    yield "twice_without_line_end", data.rstrip(b"\r\n") + data
    yield "bom_twice", BOM + BOM + data
    yield "cr_line_ends", data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    for k in places(range(len(lines))):
        line = lines[k]
        for name, changed in [
            ("brace_lost", line.replace(b"}", b"", 1)),
            ("two_objects_on_a_line", line.rstrip(b"\n") + line),
        ]:
            yield name, b"".join([*lines[:k], changed, *lines[k + 1 :]])


def gzip_mutants(text: bytes, seed: int, per_kind: int = 1) -> Iterator[tuple[str, bytes]]:
    """(kind, bytes) mutants of ``text`` landed gzip-compressed: the stream cut or
    changed, a member appended, and :func:`text_mutants` of the text inside."""
    rng = random.Random(seed)
    data = gzip.compress(text, mtime=0)
    size = len(data)
    for at in rng.sample(range(1, size), per_kind):
        yield "gzip_truncated", data[:at]
    for at in rng.sample(range(size - 8, size), per_kind):
        yield "gzip_trailer_truncated", data[:at]
    for at in rng.sample(range(10, size), per_kind):
        yield "gzip_bit_flipped", data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :]
    yield "gzip_member_appended", data + data
    yield "gzip_empty_member_appended", data + gzip.compress(b"", mtime=0)
    yield "gzip_garbage_appended", data + b"garbage"
    yield "gzip_not_compressed", text
    for kind, inner in text_mutants(text, seed, 1):
        yield f"gzip_of_{kind}", gzip.compress(inner, mtime=0)


def parquet_mutants(data: bytes, seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` (kind, bytes) mutants of a Parquet file: bits flipped, a byte set, the
    file cut (in its pages or its footer)."""
    rng = random.Random(seed)
    size = len(data)
    footer = size - 8 - int.from_bytes(data[-8:-4], "little")
    for _ in range(count):
        mutant = bytearray(data)
        kind = rng.choice(["bit_flipped", "bit_flipped", "byte_set", "truncated"])
        if kind == "bit_flipped":
            at = rng.randrange(size)
            mutant[at] ^= 1 << rng.randrange(8)
        elif kind == "byte_set":
            mutant[rng.randrange(size)] = rng.choice([0x00, 0xFF, 0x7F, 0x80])
        else:
            mutant = mutant[: rng.choice([rng.randrange(1, footer), rng.randrange(footer, size)])]
        yield f"parquet_{kind}", bytes(mutant)


def gzip_page_changed(rows: list[dict], value: str) -> bytes:
    """A Parquet file of ``rows`` whose pages are GZIP of stored (uncompressed) blocks,
    one byte of ``value``'s first stored occurrence changed: the page's data check
    fails (pyarrow refuses the file), and a reader that skips the check reads another
    character."""
    data = parquet_bytes(
        rows,
        compression="gzip",
        compression_level=0,
        use_dictionary=False,
        write_statistics=False,
    )
    at = data.index(value.encode())
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def page_one_value_short(rows: list[dict]) -> bytes:
    """A Parquet file of ``rows`` (one row group, under 64 of them) whose first data page
    header says it holds one value fewer than the row group's rows."""
    count = len(rows)
    assert 1 < count < 64  # num_values, zigzag: one byte
    data = parquet_bytes(rows, write_statistics=False)
    # A data page header: field 5 (data_page_header, a struct), its field 1 num_values.
    at = data.index(bytes([0x2C, 0x15, 2 * count])) + 2
    return data[:at] + bytes([2 * (count - 1)]) + data[at + 1 :]


def surviving_order_ids(landed_text: bytes) -> set[bytes]:
    """The order ids a mutant still holds whole in its (decompressed) text."""
    return set(ORDER_ID.findall(landed_text))


def order_ids_in(rows: list[tuple], text: Callable[[tuple], str] = repr) -> set[bytes]:
    """The order ids found anywhere in ``rows`` (any column: a broken record's text too)."""
    return set(ORDER_ID.findall("\n".join(map(text, rows)).encode()))


def _line(data: bytes, k: int) -> tuple[bytes, bytes, bytes]:
    """``data`` cut around its line ``k`` (0: the header): before, the line, after."""
    lines = _lines(data)
    return b"".join(lines[:k]), lines[k], b"".join(lines[k + 1 :])


def _cut_in_utf8(data: bytes) -> bytes:
    """``data`` cut inside its last multi-byte UTF-8 character."""
    return data[: max(i for i, b in enumerate(data) if 0x80 <= b < 0xC0)]


def mutant_days_landing(root, days) -> None:
    """Three days (``days``, dates) of the nastiest mutants, the same orders in every
    file of a day and on every day (versions competing within and across days):

    1. CSV files with the header repeated inside, a lone CR inside a line, a line
       doubled and a comma put in another (a row the engine's strict scan refuses, inside
       the replacing transaction), and a gzip file with its member appended;
    2. JSON Lines with a brace lost and two objects on a line, CSV cut inside a UTF-8
       character (refused by the scan), with a NUL put in, with a byte that is not UTF-8
       (refused by the scan), and a CSV file of CR LF lines with a byte-order mark inside;
    3. the two Parquet files the engine loaded changed (a GZIP page failing its data
       check, a page a value short) and a gzip CSV cut inside its stream: unreadable
       files, for which schema_drift holds the day (a run of it alone fails).

    The range run's direct loads are exhausted by the refused files, so it stages what a
    run of one day loads directly."""
    from tests.support.fixture_data import day_dir

    first, second, third = (day.isoformat() for day in days)
    base = csv_bytes(orders(first))
    header, line, rest = _line(base, 3)
    landed = {
        (0, "a.csv"): base + _lines(base)[0] + base.split(b"\n", 1)[1],
        (0, "b.csv"): header + line[:20] + b"\r" + line[20:] + rest,
        (0, "c.csv"): header + line + line.replace(b",", b",,", 1) + rest,
        (0, "d.csv.gz"): gzip.compress(base, mtime=0) * 2,
    }
    jsonl = jsonl_bytes(orders(second))
    before, line, after = _line(jsonl, 2)
    text = csv_bytes(orders(second))
    header, line3, rest = _line(text, 3)
    landed |= {
        (1, "e.jsonl"): before + line.replace(b"}", b"", 1) + after + line.rstrip(b"\n") + line,
        (1, "f.csv"): _cut_in_utf8(text),
        (1, "g.csv"): header + line3[:12] + b"\x00" + line3[12:] + rest,
        (1, "h.csv"): header + line3[:12] + b"\xff" + line3[12:] + rest,
    }
    crlf = csv_bytes(orders(second), "\r\n")
    middle = len(crlf) // 2
    zipped = gzip.compress(csv_bytes(orders(third)), mtime=0)
    landed |= {
        (1, "l.csv"): crlf[:middle] + BOM + crlf[middle:],
        (2, "i.parquet"): gzip_page_changed(orders(third, 5), "東京"),
        (2, "j.parquet"): page_one_value_short(orders(third, 15)),
        (2, "k.csv.gz"): zipped[: len(zipped) // 2],
    }
    for (index, name), data in landed.items():
        folder = day_dir(root, days[index])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
