"""A hostile landing zone of the formats other than plain CSV, for the batching tests.

Four days (the first four of :data:`tests.support.batching.DAYS`): a JSON Lines file of
odd records (a byte-order mark, CR LF line ends, repeated and case-folded keys, nested,
huge and non-finite numbers, lines that are no object, invalid UTF-8, NUL and a lone
surrogate, a blank line, a last line cut short without its newline) beside a file of no
byte and one of whitespace; Parquet files of typed, dictionary-encoded, nested and null
columns, with empty row groups and time zones; gzip files of several members (one cut
mid-line) and zero padding; and orders landed on several days in different formats,
with equal ``updated_at`` instants written differently (the later day wins), an older
version later and a newer one quarantined.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.batching import DAYS
from tests.support.fixture_data import HEADER, day_dir, order

# The instant every competing version of "X" and "W" is updated at (after every day).
UPDATED = "2025-01-09T10:00:00Z"
UPDATED_AT = dt.datetime(2025, 1, 9, 10, tzinfo=dt.UTC)
# Reason of each record of day 1's JSON Lines file the platform must quarantine, by line.
JSONL_REASONS = {
    4: "invalid_amount",  # nested object
    5: "invalid_amount",  # 1e400
    6: "invalid_amount",  # NaN
    7: "missing_amount",  # null
    8: "missing_amount",  # no key
    9: "malformed_record",  # a top-level array
    10: "malformed_record",  # a string
    12: "malformed_record",  # invalid UTF-8 inside a string
    13: "invalid_order_id",  # an escaped NUL
    14: "malformed_record",  # a lone surrogate escape
    15: "malformed_record",  # the last line, cut short
}


def _at(day: dt.date, hour: int = 9) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def _line(record: dict, **raw: str) -> bytes:
    """A JSON line of ``record`` with each of ``raw``'s keys given as raw JSON text."""
    text = json.dumps({**record, **dict.fromkeys(raw)})
    for key, value in raw.items():
        text = text.replace(f'"{key}": null', f'"{key}": {value}')
    return text.encode()


def _jsonl_day(folder: Path, day: dt.date) -> None:
    def row(order_id: str, **extra) -> dict:
        return {k: v for k, v in order(order_id, "c1", _at(day), "1.00", **extra).items() if v}

    bare = {k: v for k, v in row("none").items() if k != "amount"}
    lines = [
        b"\xef\xbb\xbf" + _line(row("X", updated_at=UPDATED)),
        # repeated key: the first is the amount, the second kept as an extra (amount__2)
        _line(bare | {"order_id": "rep"}).replace(
            b'"currency"', b'"amount": "2.00", "amount": "9.00", "currency"'
        ),
        _line(bare | {"order_id": "case", "Amount": "3.00"}),
        _line(bare | {"order_id": "nested", "amount": {"v": "1.00"}}),
        _line(bare | {"order_id": "e400"}, amount="1e400"),
        _line(bare | {"order_id": "nan"}, amount="NaN"),
        _line(bare | {"order_id": "null"}, amount="null"),
        _line(bare | {"order_id": "missing"}),
        b"[1, 2]",
        b'"scalar"',
        b"   ",
        _line(row("badutf")).replace(b"badutf", b"bad\xffutf"),
        _line(row("nul")).replace(b'"nul"', b'"n\\u0000ul"'),
        _line(row("surrogate")).replace(b'"surrogate"', b'"s\\ud800"'),
        _line(row("cut"))[:40],
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.jsonl").write_bytes(b"\r\n".join(lines))  # no newline after the last line
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.ndjson").write_bytes(b" \n\t\r\n\n")


def _parquet(path: Path, table: pa.Table, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **options)


def _strings(rows: list[dict]) -> pa.Table:
    return pa.table({k: pa.array([r.get(k) or None for r in rows], pa.string()) for k in HEADER})


def _parquet_day(folder: Path, day: dt.date) -> None:
    ids = ["X", "W", "dict", "dict"]
    _parquet(
        folder / "typed.parquet",
        pa.table(
            {
                "order_id": pa.array(ids).dictionary_encode(),
                "customer_id": ["c1", "c2", "c3", "c3"],
                "order_ts": pa.array([dt.datetime(2025, 1, 2, 9)] * 4, pa.timestamp("us")),
                "amount": pa.array(
                    [Decimal("2.5"), Decimal("4"), Decimal("0"), Decimal("1E-7")],
                    pa.decimal128(38, 10),
                ),
                "currency": pa.array(["USD"] * 4).dictionary_encode(),
                "quantity": pa.array([1, None, None, 2], pa.int64()),
                "status": pa.array([None] * 4, pa.null()),
                # the same instant as UPDATED, in another zone, to the nanosecond
                "updated_at": pa.array(
                    [UPDATED_AT, UPDATED_AT, None, UPDATED_AT], pa.timestamp("ns", tz="+05:30")
                ),
                "contact": ["a@example.com", None, None, None],
                "tags": pa.array([["x"], [], None, ["y", "z"]], pa.list_(pa.string())),
            }
        ),
    )
    with pq.ParquetWriter(folder / "groups.parquet", _strings([]).schema) as writer:
        writer.write_table(_strings([]))
        writer.write_table(_strings([order("g1", "c4", _at(day), "5.00")]))
        writer.write_table(_strings([]))
        writer.write_table(_strings([{k: None for k in HEADER}]))  # all null: quarantined
    _parquet(
        folder / "nested.parquet",
        pa.table(
            {
                "order_id": ["n1"],
                "customer_id": ["c4"],
                "order_ts": [_at(day)],
                "amount": pa.array([{"v": "1.00"}], pa.struct([("v", pa.string())])),
                "currency": ["USD"],
            }
        ),
    )


def _gzip_day(folder: Path, day: dt.date) -> None:
    older = order("X", "c1", _at(day), "3.00", updated_at="2025-01-08T10:00:00Z")
    text = b"".join(
        json.dumps(r).encode() + b"\n" for r in [older, order("m1", "c5", _at(day), "6.00")]
    )
    members = gzip.compress(text[:30], mtime=0) + gzip.compress(text[30:], mtime=0)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "multi.jsonl.gz").write_bytes(members)
    header = ",".join(HEADER).encode() + b"\n"
    row = order("Y", "c5", _at(day), "7.00")
    body = ",".join(row[k] for k in HEADER).encode() + b"\n"
    (folder / "PADDED.CSV.GZ").write_bytes(gzip.compress(header + body, mtime=0) + b"\0" * 64)


def _last_day(folder: Path, day: dt.date) -> None:
    _parquet(
        folder / "late.parquet",
        pa.table(
            {
                "order_id": ["X", "W"],
                "customer_id": ["c1", "c2"],
                "order_ts": [_at(day), _at(day)],
                "amount": ["-1.00", "8.00"],  # X: a newer version, quarantined
                "currency": ["USD", "USD"],
                "updated_at": ["2025-01-09T11:00:00Z", "2025-01-09T15:30:00+05:30"],
            }
        ),
    )


def hostile_formats_landing(root: Path) -> None:
    """Land the four days (see the module's docstring)."""
    _jsonl_day(day_dir(root, DAYS[0]), DAYS[0])
    _parquet_day(day_dir(root, DAYS[1]), DAYS[1])
    _gzip_day(day_dir(root, DAYS[2]), DAYS[2])
    _last_day(day_dir(root, DAYS[3]), DAYS[3])
