"""Peak memory and seconds of the day steps on landing days that are not plain CSV.

The memory curve (:mod:`bench.memory_curve`) lands plain CSV, which the engine scans
itself. This bench lands the same synthetic day (:mod:`bench.synthetic_day`) in the
other shapes a data team sends (quoted CSV, Excel's CSV UTF-8, gzip, plain JSON Lines,
JSON Lines leaving out null values as Spark writes them, extra e-mail columns, text-only
Parquet and typed Parquet through its text copy, which the engine scans too; CR files, a
quoted line break, JSON Lines with nested values, which go through the Python readers),
runs ``raw_orders`` (and, with ``--steps``, the later steps) each in its own child
process (:mod:`bench.step_run`), and prints per shape and step the peak resident set and
seconds, with the day's row counts next to the plain CSV day's (raw, broken, cleaned,
quarantined): a shape that reads the same rows differently shows it there.

    python -m bench.landing_shapes --orders 1000000 --shapes quoted jsonl-varied
    python -m bench.landing_shapes --orders 1000000 --shapes quoted --steps raw_orders clean_orders
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from bench.harness import REPO_ROOT, run_child

DAY = dt.date(2025, 1, 1)
DATA = REPO_ROOT / "data" / "bench"
ADDRESS_SPACE_GIB = 12
CHUNK = 8 << 20
FOLDER = f"orders/date={DAY.isoformat()}"
# The shapes write_shape lands, and many-<files>-<csv|quoted|jsonl> (the day in many files).
SHAPES = (
    "plain", "quoted", "linebreak", "nonascii", "nonascii2", "crlf-quoted", "excel", "cr",
    "quoted-gz", "jsonl", "jsonl-gz", "jsonl-typed", "jsonl-sparse", "jsonl-varied",
    "jsonl-varied-gz", "parquet-text", "parquet-typed", "parquet-one-group", "pii",
    "pii-quoted", "extra-nonascii", "euro",
)  # fmt: skip
MANY = re.compile(r"many-[0-9]+-(csv|quoted|jsonl)")


def _base(orders: int) -> Path:
    """The plain CSV day of ``orders`` in one file (the reference shape)."""
    landing = DATA / f"synthetic-{orders}-p1"
    run_child("synthetic_day", ["--landing", landing, "--day", DAY, "--orders", orders,
                                "--parts", 1])  # fmt: skip
    return landing / FOLDER / "part-000.csv"


def _csv(base: Path, target: Path, region_sql: str, extra_sql: str = "") -> None:
    """The base day rewritten by DuckDB with another region (quoted when it must be)."""
    with duckdb.connect() as conn:
        conn.execute(
            f"COPY (SELECT * REPLACE ({region_sql} AS region){extra_sql} FROM read_csv("  # noqa: S608
            f"'{base}', all_varchar = true, header = true) t) TO '{target}' (HEADER, QUOTE '\"')"
        )


def _bytes_map(
    source: Path, target: Path, change, compress: bool = False, append: bool = False
) -> None:
    opener = gzip.open if compress else open
    with open(source, "rb") as src, opener(target, "ab" if append else "wb") as out:
        while chunk := src.read(CHUNK):
            out.write(change(chunk))


# Every row's region holds a comma and a doubled quote: only the row-by-row reader reads it.
QUOTED = "region || ', \"west\"'"


def _jsonl_varied(base: Path, target: Path, compress: bool = False) -> None:
    """JSON Lines whose records differ in keys: some lack optional keys, some carry a
    nested value and an extra key, numbers typed (quantity an int)."""
    import csv

    opener = gzip.open if compress else open
    with open(base, newline="") as src, opener(target, "wt") as out:
        for i, row in enumerate(csv.DictReader(src)):
            record: dict = dict(row)
            if i % 3 == 0:
                record.pop("region")
                record.pop("updated_at")
            if i % 7 == 0:
                record["meta"] = {"channel": "web", "tags": ["a", "b"], "score": 1.5}
            if i % 11 == 0:
                record["coupon"] = f"C{i % 97}"
            if record["quantity"]:
                record["quantity"] = int(record["quantity"])
            out.write(json.dumps(record) + "\n")


def _jsonl_sparse(base: Path, target: Path) -> None:
    """JSON Lines as Spark writes them: flat, every value a string, a null value's key left
    out (an empty CSV field, and the region of every fifth record, the first's included),
    so lines name different keys and the first line not all of them."""
    import csv

    with open(base, newline="") as src, open(target, "w") as out:
        for i, row in enumerate(csv.DictReader(src)):
            record = {key: value for key, value in row.items() if value}
            if i % 5 == 0:
                record.pop("region", None)
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def _parquet(base: Path, target: Path, row_group: int | None) -> None:
    """Parquet with decimal money, time-zoned timestamps, a dictionary region and a
    nested list; ``row_group`` rows per group (None: pyarrow's default)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    with duckdb.connect() as conn:
        table = conn.sql(
            f"SELECT * REPLACE (TRY_CAST(amount AS DECIMAL(12,2)) AS amount,"  # noqa: S608
            f" TRY_CAST(unit_price AS DECIMAL(12,2)) AS unit_price,"
            f" CAST(order_ts AS TIMESTAMPTZ) AS order_ts, CAST(updated_at AS TIMESTAMPTZ)"
            f" AS updated_at), ['x', 'y'] AS tags FROM read_csv('{base}', all_varchar = true)"
        ).arrow()
    if hasattr(table, "read_all"):
        table = table.read_all()
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if name in ("order_ts", "updated_at"):
            column = column.cast(pa.timestamp("us", tz="America/New_York"))
        elif name in ("region", "currency", "status"):
            column = pc.dictionary_encode(column)
        columns[name] = column
    pq.write_table(pa.table(columns), target, row_group_size=row_group)


def _many(base: Path, folder: Path, files: int, suffix: str, quoted: bool) -> None:
    """The day in ``files`` contiguous part files (CSV, quoted CSV or JSON Lines)."""
    with duckdb.connect() as conn:
        conn.execute(
            f"CREATE TABLE t AS SELECT * REPLACE ({QUOTED if quoted else 'region'} AS region),"  # noqa: S608
            f" (row_number() OVER () - 1) AS n FROM read_csv('{base}', all_varchar = true)"
        )
        total = conn.execute("SELECT count(*) FROM t").fetchone()[0]
        for k in range(files):
            lo, hi = total * k // files, total * (k + 1) // files
            target = folder / f"part-{k:05d}.{suffix}"
            fmt = "(FORMAT json)" if suffix == "jsonl" else "(HEADER, QUOTE '\"')"
            conn.execute(
                f"COPY (SELECT * EXCLUDE (n) FROM t WHERE n >= {lo} AND n < {hi} ORDER BY n)"  # noqa: S608
                f" TO '{target}' {fmt}"
            )


def write_shape(shape: str, orders: int) -> Path:
    """The landing zone of one shape (written once; a stamp file says it is complete)."""
    landing = DATA / f"shape-{shape}-{orders}"
    if (landing / ".shape-done").exists():
        return landing
    base = _base(orders)
    shutil.rmtree(landing, ignore_errors=True)
    folder = landing / FOLDER
    folder.mkdir(parents=True)
    target = folder / "part-000.csv"
    if shape == "plain":
        shutil.copyfile(base, target)
    elif shape == "quoted":
        _csv(base, target, QUOTED)
    elif shape == "linebreak":  # a quoted line break in one row of 100
        _csv(base, target, "if(hash(order_id) % 100 = 0, region || chr(10) || 'floor 2', region)")
    elif shape == "nonascii":  # quoted, and one region of the file has a 4-byte character
        _csv(base, target, f"if(order_id LIKE '%000777', 'S\u00e3o Paulo \U0001f69a', {QUOTED})")
    elif shape == "nonascii2":  # quoted, and one region has a 2-byte character
        _csv(base, target, f"if(order_id LIKE '%000777', 'S\u00e3o Paulo', {QUOTED})")
    elif shape == "crlf-quoted":
        _csv(base, folder / "q.tmp", QUOTED)
        _bytes_map(folder / "q.tmp", target, lambda b: b.replace(b"\n", b"\r\n"))
        (folder / "q.tmp").unlink()
    elif shape == "excel":  # Excel's "CSV UTF-8": a byte-order mark, CR LF, doubled quotes
        _csv(base, folder / "q.tmp", QUOTED)
        with open(target, "wb") as out:
            out.write(b"\xef\xbb\xbf")
        _bytes_map(folder / "q.tmp", target, lambda b: b.replace(b"\n", b"\r\n"), append=True)
        (folder / "q.tmp").unlink()
    elif shape == "cr":  # lone CR line ends (a spreadsheet's "CSV (Macintosh)")
        _bytes_map(base, target, lambda b: b.replace(b"\n", b"\r"))
    elif shape == "quoted-gz":
        _csv(base, folder / "q.tmp", QUOTED)
        _bytes_map(folder / "q.tmp", folder / "part-000.csv.gz", lambda b: b, compress=True)
        (folder / "q.tmp").unlink()
    elif shape in ("jsonl", "jsonl-gz"):
        name = "part-000.jsonl" + (".gz" if shape == "jsonl-gz" else "")
        codec = ", COMPRESSION gzip" if shape == "jsonl-gz" else ""
        with duckdb.connect() as conn:
            conn.execute(
                f"COPY (SELECT * FROM read_csv('{base}', all_varchar = true)) TO"  # noqa: S608
                f" '{folder / name}' (FORMAT json{codec})"
            )
    elif shape == "jsonl-typed":  # money and quantity as JSON numbers where they are numbers
        number = "if(regexp_full_match({0}, '[0-9]+(\\.[0-9]+)?'), {0}::DECIMAL(12,2), NULL)"
        with duckdb.connect() as conn:
            conn.execute(
                f"COPY (SELECT * REPLACE ({number.format('amount')} AS amount,"  # noqa: S608
                f" {number.format('unit_price')} AS unit_price,"
                " if(regexp_full_match(quantity, '[0-9]+'), quantity::INTEGER, NULL) AS quantity)"
                f" FROM read_csv('{base}', all_varchar = true)) TO"
                f" '{folder / 'part-000.jsonl'}' (FORMAT json)"
            )
    elif shape == "jsonl-sparse":
        _jsonl_sparse(base, folder / "part-000.jsonl")
    elif shape in ("jsonl-varied", "jsonl-varied-gz"):
        gz = shape.endswith("-gz")
        _jsonl_varied(base, folder / ("part-000.jsonl" + (".gz" if gz else "")), compress=gz)
    elif shape == "parquet-text":  # every column text, as a warehouse export of strings
        with duckdb.connect() as conn:  # (the day folder's date too, not a DATE)
            conn.execute(
                f"COPY (SELECT * REPLACE (CAST(date AS VARCHAR) AS date)"  # noqa: S608
                f" FROM read_csv('{base}', all_varchar = true)) TO"
                f" '{folder / 'part-000.parquet'}' (FORMAT parquet)"
            )
    elif shape == "parquet-typed":
        _parquet(base, folder / "part-000.parquet", None)
    elif shape == "parquet-one-group":
        _parquet(base, folder / "part-000.parquet", 1 << 30)
    elif shape == "pii":  # two extra columns holding e-mails, plain ASCII
        _csv(base, target, "region", ", customer_email AS contact_email, if(hash(order_id) % 9"
                                     " = 0, 'ops@example.com', 'none') AS notes")  # fmt: skip
    elif shape == "pii-quoted":
        _csv(base, target, QUOTED, ", customer_email AS contact_email, if(hash(order_id) % 9"
                                   " = 0, 'ops@example.com', 'none') AS notes")  # fmt: skip
    elif shape == "extra-nonascii":  # an extra column with a non-ASCII value, no quotes
        _csv(base, target, "region", ", if(hash(order_id) % 9 = 0, 'caf\u00e9', 'tea') AS note")
    elif shape == "euro":  # quoted, and one region of the file has a 2-byte character
        _csv(base, target, f"if(order_id LIKE '%000777', 'emea \u20ac', {QUOTED})")
    elif shape.startswith("many-"):  # many-<files>-<csv|quoted|jsonl>
        _, files, kind = shape.split("-")
        _many(base, folder, int(files), "jsonl" if kind == "jsonl" else "csv", kind == "quoted")
    else:
        raise SystemExit(f"unknown shape {shape}")
    if target.exists() or shape.startswith("many-") or any(folder.iterdir()):
        (landing / ".shape-done").write_text(shape)
    return landing


def counts(duckdb_file: str) -> dict:
    """The day's rows in each layer the steps so far wrote."""
    found = {}
    with duckdb.connect(duckdb_file, read_only=True) as conn:
        for label, sql in {
            "raw": "SELECT count(*) FROM raw.raw_orders",
            "broken": "SELECT count(*) FROM raw.raw_orders WHERE parse_error IS NOT NULL",
            "cleaned": "SELECT count(*) FROM staging.cleaned_orders",
            "quarantined": "SELECT count(*) FROM staging.quarantined_orders",
            "fct": "SELECT count(*) FROM warehouse.fct_orders",
        }.items():
            try:
                found[label] = conn.execute(sql).fetchone()[0]
            except duckdb.Error:
                pass
    return found


def measure(shape: str, orders: int, steps: list[str]) -> dict:
    landing = write_shape(shape, orders)
    files = [p for p in (landing / FOLDER).iterdir()]
    figures = {"shape": shape, "orders": orders, "files": len(files),
               "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1), "steps": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-shape-", dir=DATA) as work:
        for step in steps:
            try:
                sample = run_child("step_run", ["--landing", landing, "--duckdb",
                                                f"{work}/o.duckdb", "--home", f"{work}/home",
                                                "--start", DAY, "--step", step],
                                   address_space_gib=ADDRESS_SPACE_GIB)  # fmt: skip
            except RuntimeError as error:
                figures["steps"][step] = {"failed": str(error)[-400:]}
                print(f"{shape:<20} {step:<13} FAILED {str(error)[-300:]}", flush=True)
                break
            figures["steps"][step] = {"seconds": sample["seconds"], "rss": sample["peak_rss_mb"]}
            print(f"{shape:<20} {orders:>9,} {len(files):>5} files {figures['mb']:>8.1f} MB"
                  f"  {step:<13} {sample['seconds']:7.1f} s  peak RSS {sample['peak_rss_mb']:7,.0f}"
                  f" MiB", flush=True)  # fmt: skip
        figures["counts"] = counts(f"{work}/o.duckdb")
    print(f"{shape:<20} counts {figures['counts']}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument(
        "--shapes",
        nargs="+",
        required=True,
        help=f"one or more of: {', '.join(SHAPES)}, many-<files>-<csv|quoted|jsonl>",
    )
    parser.add_argument("--steps", nargs="+", default=["raw_orders"])
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    unknown = [shape for shape in args.shapes if shape not in SHAPES and not MANY.fullmatch(shape)]
    if unknown:
        parser.error(f"unknown shape(s) {', '.join(unknown)}; see --help for the shapes")
    DATA.mkdir(parents=True, exist_ok=True)
    runs = [measure(shape, args.orders, args.steps) for shape in args.shapes]
    if args.output:
        args.output.write_text(json.dumps(runs, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
