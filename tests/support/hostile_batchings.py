"""Hostile landing days of hunt 82, which the other batching corpora do not hold: files
whose name and content disagree, line ends, byte-order marks and quotes mixed within a
day, numbers, currencies and timestamps written every odd way, typed Parquet files
disagreeing with each other, empty files of every format, and order versions competing
across days in both orders of arrival. Six days (the first six of
:data:`tests.support.batching.DAYS`):

1. CSV files with LF and with CR LF line ends (one after a byte-order mark), quoted fields
   holding the delimiter, a CR LF or an LF, columns in reversed order, an extra column
   in one file only, amounts, currencies and ``order_ts`` written every odd way of
   ``tests.support.bad_inputs`` (``ODD_AMOUNTS``, ``ODD_CURRENCIES``, ``odd_stamps``:
   some cleaned, some quarantined), the first versions of orders landed again later, and
   a gzip file of no text;
2. newer versions of day 1's orders (one older by its ``updated_at``, so day 1's stays; one
   newer by instant though older as text), the same order id with spaces around it (the
   same order, trimmed) and in upper case (another order), a file named after day 1
   holding day 2's orders, a file holding day 1's orders (quarantined here: outside the
   partition; one a newer version of a day-1 order, which stays), and one file landed
   under two names;
3. a CR LF header-only file after a byte-order mark, a file of no byte, and a JSON array
   (``.json``) whose lines are no records: ``schema_drift`` fails the day (ERROR);
4. gzip CSV files (CR LF after a byte-order mark; an upper-case name; two members, CR LF
   then LF), gzip and ``.ndjson`` JSON Lines, a file holding only a byte-order mark and one
   of blank lines;
5. Parquet files typing the same columns differently (double, float32, decimal, string,
   dictionary, large string, dates, timestamps in a zone) and one of no row;
6. only quarantined rows (one a newer version of day 1's order, which stays) beside a
   Parquet file of no row.

:func:`late_changes` then moves day 2's file of day 1's orders to day 1's folder (its
newer version wins there), lands a file of no byte on day 5, a newer version of an order
on day 4 (day 6's newer one is quarantined: day 4's wins) and replaces day 6's file by
one valid order and that quarantined version.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.bad_inputs import ODD_AMOUNTS, ODD_CURRENCIES, odd_stamps
from tests.support.batching import DAYS
from tests.support.fixture_data import HEADER, day_dir, order, write_csv
from tests.support.order_fixtures import csv_bytes

D = DAYS
BLOCKED = 2  # index in DAYS of the day schema_drift fails (the JSON array)
LAST = 5  # the six days are DAYS[0..5]
CHANGED = (0, 1, 3, 4, 5)  # the days late_changes changes (indexes in DAYS)


def _ts(index: int, hour: int, minute: int = 0, offset: str = "Z") -> str:
    return f"{D[index]}T{hour:02d}:{minute:02d}:00{offset}"


def _csv(rows: list[dict], header=HEADER, *, crlf: bool = False, bom: bool = False) -> bytes:
    data = csv_bytes(rows, header)
    return (b"\xef\xbb\xbf" if bom else b"") + (data.replace(b"\n", b"\r\n") if crlf else data)


def _parquet(path: Path, ids: list[str], **columns) -> None:
    """Orders ``ids`` of day 5 as Parquet, text columns but ``columns`` (Arrow arrays)."""
    rows = [order(i, "c11", _ts(4, 9), "12.10") for i in ids]
    table = {k: pa.array([r[k] for r in rows], pa.string()) for k in HEADER}
    pq.write_table(pa.table({**table, **columns}), path)


def _day1(folder: Path) -> None:
    write_csv(
        folder / "lf.csv",
        [
            order("lf1", "c1", _ts(0, 9), "10.00"),
            order("sup", "c1", _ts(0, 9), "10.00"),
            order("sup-rev", "c2", _ts(0, 9), "20.00", updated_at=_ts(3, 12)),
            order("ws", "c1", _ts(0, 9), "10.00"),
            # updated D3T01:00+05:00 = D2 20:00 UTC: day 2's D2T21:00Z is newer
            order("ofs", "c2", _ts(0, 9), "20.00", updated_at=_ts(2, 1, offset="+05:00")),
            order("allq", "c4", _ts(0, 9), "40.00"),
        ],
    )
    crlf = [
        order("crlf1", "c3", _ts(0, 9), "3.00", region="north, west"),
        # landed "a\r\nb": the file's line ends are CR LF, inside quotes too
        order("crlf2", "c3", _ts(0, 9), "4.00", region="a\nb"),
        order("crlf3", "c3", _ts(0, 9), "5.00", region='say "hi", ok'),
    ]
    (folder / "crlf.csv").write_bytes(_csv(crlf, crlf=True, bom=True))
    quoted = [
        order("lfq1", "c3", _ts(0, 9), "3.00", region="north,\r\nwest"),
        order("lfq2", "c3", _ts(0, 9), "4.00", region="a\r\nb\nc"),
    ]
    (folder / "lf-quoted.csv").write_bytes(_csv(quoted))
    write_csv(folder / "reordered.csv", [order("ro1", "c4", _ts(0, 9), "6.00")], HEADER[::-1])
    extra = {**order("ex1", "c4", _ts(0, 9), "7.00"), "coupon": "X1"}
    write_csv(folder / "extra.csv", [extra], [*HEADER, "coupon"])
    write_csv(
        folder / "numbers.csv",
        [order(f"n{i}", "c5", _ts(0, 9), amount) for i, amount in enumerate(ODD_AMOUNTS)],
    )
    write_csv(
        folder / "currency.csv",
        [
            order(f"cur{i}", "c6", _ts(0, 9), "1.00", currency=c)
            for i, c in enumerate(ODD_CURRENCIES)
        ],
    )
    write_csv(
        folder / "offsets.csv",
        [order(f"ts{i}", "c7", ts, "1.00") for i, ts in enumerate(odd_stamps(D[0]))],
    )
    (folder / "no-text.csv.gz").write_bytes(gzip.compress(b"", mtime=0))


def _day2(folder: Path) -> None:
    write_csv(
        folder / "b.csv",
        [
            order("sup", "c1", _ts(1, 9), "11.00"),
            order("sup-rev", "c2", _ts(1, 9), "21.00", updated_at=_ts(1, 10)),
            order(" ws ", "c1", _ts(1, 9), "11.00"),
            order("WS", "c1", _ts(1, 9), "12.00"),
            order("ofs", "c2", _ts(1, 9), "21.00", updated_at=_ts(1, 21)),
        ],
    )
    write_csv(folder / f"{D[0]}.csv", [order("nm1", "c8", _ts(1, 9), "2.00")])
    write_csv(
        folder / "day1-orders.csv",
        [
            order("mv1", "c8", _ts(0, 11), "3.00"),
            order("lf1", "c1", _ts(0, 9), "15.00", updated_at=_ts(1, 1)),
        ],
    )
    write_csv(folder / "twice-a.csv", [order("dupf", "c9", _ts(1, 9), "9.00")])
    (folder / "twice-b.csv").write_bytes((folder / "twice-a.csv").read_bytes())


def _day3(folder: Path) -> None:
    (folder / "header.csv").write_bytes(_csv([], crlf=True, bom=True))
    (folder / "empty.jsonl").write_bytes(b"")
    rows = [order(f"arr{i}", "c10", _ts(2, 9), "5.00") for i in range(2)]
    (folder / "array.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


def _day4(folder: Path) -> None:
    def packed(rows: list[dict], **options) -> bytes:
        return gzip.compress(_csv(rows, **options), mtime=0)

    (folder / "g.csv.gz").write_bytes(
        packed([order("gz1", "c10", _ts(3, 9), "1.00")], crlf=True, bom=True)
    )
    (folder / "UPPER.CSV.GZ").write_bytes(packed([order("gz2", "c10", _ts(3, 9), "2.00")]))
    line = json.dumps(order("gzj1", "c10", _ts(3, 9), "3.00")).encode()
    (folder / "j.jsonl.gz").write_bytes(gzip.compress(line + b"\r\n", mtime=0))
    nd = json.dumps(order("nd1", "c10", _ts(3, 9), "4.00")).encode()
    (folder / "n.ndjson").write_bytes(nd + b"\n")
    second = f"mem2,c10,{_ts(3, 9)},2.00,USD,,,,,,\n".encode()
    (folder / "members.csv.gz").write_bytes(
        packed([order("mem1", "c10", _ts(3, 9), "1.00")], crlf=True)
        + gzip.compress(second, mtime=0)
    )
    (folder / "bom-only.csv").write_bytes(b"\xef\xbb\xbf")
    (folder / "blank.csv").write_bytes(b"\n\n\r\n")


def _day5(folder: Path) -> None:
    at = dt.datetime.combine(D[4], dt.time(9), dt.UTC)
    _parquet(
        folder / "double.parquet",
        ["pd1"],
        amount=pa.array([12.1]),
        quantity=pa.array([1]),
        unit_price=pa.array([12.1]),
        order_ts=pa.array([at], pa.timestamp("us", "UTC")),
    )
    _parquet(folder / "text.parquet", ["ps1"])
    _parquet(
        folder / "float32.parquet",
        ["pf1"],
        amount=pa.array([12.1], pa.float32()),
        quantity=pa.array([1], pa.int32()),
        unit_price=pa.array([12.1], pa.float32()),
    )
    _parquet(
        folder / "decimal.parquet",
        ["pdec1"],
        amount=pa.array([Decimal("12.10")], pa.decimal128(10, 2)),
    )
    # 02:00 and 10:00 in Kolkata: the day before in UTC, and this day
    local = [
        dt.datetime.combine(D[4], dt.time(h), dt.UTC) - dt.timedelta(hours=5.5) for h in (2, 10)
    ]
    _parquet(
        folder / "zoned.parquet",
        ["ptz1", "ptz2"],
        order_ts=pa.array(local, pa.timestamp("ms", "Asia/Kolkata")),
    )
    _parquet(folder / "date.parquet", ["pdate1"], order_ts=pa.array([D[4]], pa.date32()))
    _parquet(
        folder / "dictionary.parquet",
        ["pdict1", "pdict2"],
        currency=pa.array(["usd", "USD"]).dictionary_encode(),
        order_id=pa.array(["pdict1", "pdict2"], pa.large_string()),
    )
    pq.write_table(
        pa.table({k: pa.array([], pa.string()) for k in HEADER}), folder / "none.parquet"
    )


def _day6(folder: Path) -> None:
    write_csv(
        folder / "q.csv",
        [
            order("allq", "c4", _ts(5, 9), "-40.00"),
            order("sup", "c1", _ts(5, 9), "-1"),
            order("q2", "c4", _ts(5, 9), "abc"),
            order("q3", "c4", _ts(4, 9), "1.00"),
        ],
    )
    typed = {**{k: pa.array([], pa.string()) for k in HEADER}, "amount": pa.array([], pa.float64())}
    pq.write_table(pa.table(typed), folder / "none.parquet")


def hostile_batchings_landing(root: Path) -> None:
    """Land the six days (see the module's docstring)."""
    for index, land in enumerate((_day1, _day2, _day3, _day4, _day5, _day6)):
        folder = day_dir(root, D[index])
        folder.mkdir(parents=True)
        land(folder)


def late_changes(root: Path) -> None:
    """After the days ran: day 2's file of day 1's orders moved to day 1's folder; a file
    of no byte on day 5; a newer version of "sup" on day 4 (day 6's is quarantined); day
    6's file of quarantined rows replaced by one valid order and that quarantined version."""
    (day_dir(root, D[1]) / "day1-orders.csv").rename(day_dir(root, D[0]) / "day1-orders.csv")
    (day_dir(root, D[4]) / "late-empty.csv").write_bytes(b"")
    write_csv(
        day_dir(root, D[3]) / "late-sup.csv",
        [order("sup", "c1", _ts(3, 9), "13.00", updated_at=_ts(4, 12))],
    )
    write_csv(
        day_dir(root, D[5]) / "q.csv",
        [order("q2", "c4", _ts(5, 9), "2.00"), order("sup", "c1", _ts(5, 9), "-1")],
    )
