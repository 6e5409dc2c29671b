"""Peak memory and seconds of the steps on pathological days: the shapes that stress the
memory bound and the clock, not the well-formed days of the memory curve.

Each shape is a landing zone written once (by DuckDB, from the synthetic day of
:mod:`bench.synthetic_day`, or by :mod:`bench.landing_shapes`), then each step runs in its
own child process (:mod:`bench.step_run`) against one fresh DuckDB file. Prints per shape
and step the wall and CPU seconds and the process's peak resident set; then whether the
day came through whole: the raw rows against the records landed, the reconciliation
check (raw = cleaned + quarantined + superseded), the facts against the distinct
cleaned orders, and the cleaned rows against what the shape must give where it is known.

Shapes (``--orders`` sizes the day; the long-value shapes put their long values on a
fixed number of rows, whatever the size):

  unparseable       every amount ``n/a``: the whole day quarantined
  malformed         every record one field too many: the whole day broken records
  one-order         every row the same order_id (updated_at as the day's, many ties)
  one-order-tie     every row the same order_id and the same updated_at
  two-versions      every order landed twice, the copy an hour newer
  long-values       20,000 regions of 60,000 characters (under the 64 KiB record limit)
  over-limit        20,000 customer_emails of 100 KB (over the record limit)
  long-line         one customer_email of 50 MB
  wide              500 extra columns
  jsonl-keys        JSON Lines, each row one extra key no other row names
  many-<N>          the day in N CSV files
  gzip              the day in one gzip CSV file
  parquet-one-group typed Parquet in one row group (bench.landing_shapes)
  parquet-long-values  Parquet of text columns, 20,000 regions of 60,000 characters
                    that do not compress, one row group (over a quarter of the record
                    limit: the reader's)
  parquet-typed-long-values  the same with amount a DOUBLE and order_ts a TIMESTAMPTZ
                    (typed: the text copy's rendering first)
  parquet-dict-long-value  Parquet of text columns (pyarrow, no Arrow schema stored), every
                    region one value of 60,000 characters, dictionary-encoded: the
                    footer counts it once (its encoded bytes), decoded it is 1.2 GB
  parquet-dict-long-values  the same with 256 distinct such values, each on about 80 rows
                    (a 15 MB dictionary)
  parquet-dict-long-list  the plain day (short regions) with an extra column ``tags``, a
                    list of text holding one of the 256 long values on every such row,
                    its leaf dictionary-encoded: a nested column's dictionary, which the
                    footer counts once too
  parquet-dict-long-struct  the same as a struct column ``meta`` whose text field ``note``
                    holds the long value
  jsonl-long-values JSON Lines, 20,000 regions of 60,000 characters
  customers         no day: ``--customers`` customers in cleaned_orders (bench.clv_memory),
                    then customer_metrics, customer_clv, dim_customers
  range-<D>         D days of ``--orders`` each, every step one range run

    python -m bench.memory_shapes --orders 1000000 --shapes unparseable one-order
    python -m bench.memory_shapes --orders 200000 --shapes range-60
    python -m bench.memory_shapes --shapes customers --customers 5000000
"""

# ruff: noqa: S608 (the SQL holds this module's own constants, numbers and paths)
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from bench.harness import REPO_ROOT, run_child

DAY = dt.date(2025, 1, 1)
DATA = REPO_ROOT / "data" / "bench"
RESULTS = REPO_ROOT / "bench" / "results" / "memory_shapes.json"
ADDRESS_SPACE_GIB = 12
FOLDER = f"orders/date={DAY.isoformat()}"
DAY_STEPS = ("raw_orders", "clean_orders", "fct_orders")
CUSTOMER_STEPS = ("customer_metrics", "customer_clv", "dim_customers")
SHAPES = (
    "unparseable", "malformed", "one-order", "one-order-tie", "two-versions", "long-values",
    "over-limit", "long-line", "wide", "jsonl-keys", "gzip", "parquet-one-group", "customers",
    "parquet-long-values", "parquet-typed-long-values", "parquet-dict-long-value",
    "parquet-dict-long-values", "parquet-dict-long-list", "parquet-dict-long-struct",
    "jsonl-long-values",
)  # fmt: skip
NUMBERED = re.compile(r"(many|range)-([0-9]+)")
LONG_ROWS = 20_000
# Distinct long values of parquet-dict-long-values.
DICT_VALUES = 256
UTC_TEXT = "'%Y-%m-%dT%H:%M:%S+00:00'"


def _base(data: Path, orders: int) -> Path:
    """The plain CSV day of ``orders`` in one file, every shape's source."""
    landing = data / f"synthetic-{orders}-p1"
    run_child("synthetic_day", ["--landing", landing, "--day", DAY, "--orders", orders])
    return landing / FOLDER / "part-000.csv"


def _copy(conn: duckdb.DuckDBPyConnection, select: str, target: Path, header: bool = True) -> None:
    options = "HEADER, QUOTE '\"'" if header else "HEADER false, QUOTE '\"'"
    conn.execute(f"COPY ({select}) TO '{target}' ({options})")


def _numbered(conn: duckdb.DuckDBPyConnection, base: Path) -> int:
    """The base day as table ``t``, every row numbered ``n`` in file order; its rows."""
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(
        "CREATE TABLE t AS SELECT *, row_number() OVER () - 1 AS n FROM read_csv("
        f"'{base}', all_varchar = true, header = true)"
    )
    return conn.execute("SELECT count(*) FROM t").fetchone()[0]


def _write_day(data: Path, shape: str, orders: int, folder: Path) -> dict:
    """Land ``shape`` in ``folder``; the records landed and the cleaned rows it must give
    (None where the shape does not fix them)."""
    base = _base(data, orders)
    target = folder / "part-000.csv"
    with duckdb.connect() as conn:
        rows = _numbered(conn, base)
        every = max(rows // LONG_ROWS, 1)
        plain = "SELECT * EXCLUDE (n) FROM t ORDER BY n"
        if shape == "unparseable":
            _copy(conn, "SELECT * EXCLUDE (n) REPLACE ('n/a' AS amount) FROM t ORDER BY n", target)
            return {"records": rows, "cleaned": 0}
        if shape == "malformed":
            header = base.open().readline()
            _copy(conn, "SELECT * EXCLUDE (n), 'x' AS one_more FROM t ORDER BY n",
                  folder / "body.tmp", header=False)  # fmt: skip
            with target.open("w") as out, (folder / "body.tmp").open() as body:
                out.write(header)
                shutil.copyfileobj(body, out, 8 << 20)
            (folder / "body.tmp").unlink()
            return {"records": rows, "cleaned": 0}
        if shape in ("one-order", "one-order-tie"):
            tie = f", strftime(TIMESTAMPTZ '{DAY} 12:00:00+00', {UTC_TEXT}) AS updated_at"
            select = (
                "SELECT * EXCLUDE (n) REPLACE ('O-same' AS order_id"
                f"{tie if shape.endswith('tie') else ''}) FROM t ORDER BY n"
            )
            _copy(conn, select, target)
            return {"records": rows, "cleaned": None}
        if shape == "two-versions":
            newer = f"strftime(CAST(updated_at AS TIMESTAMPTZ) + INTERVAL 1 HOUR, {UTC_TEXT})"
            _copy(conn, f"SELECT * EXCLUDE (n) FROM (SELECT * FROM t UNION ALL SELECT * REPLACE"
                        f" ({newer} AS updated_at, n + {rows} AS n) FROM t) ORDER BY n",
                  target)  # fmt: skip
            return {"records": 2 * rows, "cleaned": None}
        if shape == "long-values":
            _copy(conn, f"SELECT * EXCLUDE (n) REPLACE (if(n % {every} = 0, repeat('r', 60000),"
                        " region) AS region) FROM t ORDER BY n", target)  # fmt: skip
            return {"records": rows, "cleaned": None}
        if shape == "over-limit":
            _copy(conn, f"SELECT * EXCLUDE (n) REPLACE (if(n % {every} = 0, repeat('e', 100000)"
                        " || '@example.com', customer_email) AS customer_email) FROM t"
                        " ORDER BY n", target)  # fmt: skip
            return {"records": rows, "cleaned": None}
        if shape == "long-line":
            _copy(conn, f"SELECT * EXCLUDE (n) REPLACE (if(n = {rows // 2}, repeat('e', 50 << 20)"
                        " || '@example.com', customer_email) AS customer_email) FROM t"
                        " ORDER BY n", target)  # fmt: skip
            return {"records": rows, "cleaned": None}
        if shape == "wide":
            extra = ", ".join(f"CAST((n + {k}) % 10 AS VARCHAR) AS x{k:03d}" for k in range(500))
            _copy(conn, f"SELECT * EXCLUDE (n), {extra} FROM t ORDER BY n", target)
            return {"records": rows, "cleaned": None}
        if shape in ("jsonl-keys", "jsonl-long-values"):
            names = [name for (name,) in conn.execute("SELECT column_name FROM"
                     " information_schema.columns WHERE table_name = 't'").fetchall()]  # fmt: skip
            fields = ", ".join(f"'{name}': {name}" for name in names if name != "n")
            line = (
                f"json_merge_patch(to_json({{{fields}}}), json_object('k' || n, 'v'))"
                if shape == "jsonl-keys"
                else f"to_json({{{fields}}})"
            )
            if shape == "jsonl-long-values":
                conn.execute(f"UPDATE t SET region = repeat('r', 60000) WHERE n % {every} = 0")
            cursor = conn.execute(f"SELECT {line} FROM t ORDER BY n")
            with (folder / "part-000.jsonl").open("w") as out:
                while batch := cursor.fetchmany(65536):
                    out.writelines(line + "\n" for (line,) in batch)
            return {"records": rows, "cleaned": None}
        if many := re.fullmatch(r"many-([0-9]+)", shape):
            files = int(many[1])
            for k in range(files):
                lo, hi = rows * k // files, rows * (k + 1) // files
                _copy(conn, f"SELECT * EXCLUDE (n) FROM t WHERE n >= {lo} AND n < {hi}"
                            " ORDER BY n", folder / f"part-{k:05d}.csv")  # fmt: skip
            return {"records": rows, "cleaned": None}
        if shape in ("parquet-long-values", "parquet-typed-long-values"):
            # 1,875 MD5 digests of the row: 60,000 characters Parquet's compression keeps.
            region = (f"if(n % {every} = 0, (SELECT string_agg(md5(n || '-' || k), '') FROM"
                      " range(1875) r(k)), region)")  # fmt: skip
            # The folder's hive column ``date`` as text in the plain file: text columns only.
            typed = (
                ", TRY_CAST(amount AS DOUBLE) AS amount, CAST(order_ts AS TIMESTAMPTZ) AS order_ts"
                if shape.startswith("parquet-typed")
                else ", CAST(date AS VARCHAR) AS date"
            )
            conn.execute(
                f"COPY (SELECT * EXCLUDE (n) REPLACE ({region} AS region{typed}) FROM t"
                f" ORDER BY n) TO '{folder / 'part-000.parquet'}' (FORMAT parquet)"
            )
            return {"records": rows, "cleaned": None}
        if shape.startswith("parquet-dict-long-"):
            _dictionary_day(conn, shape, every, folder / "part-000.parquet")
            return {"records": rows, "cleaned": None}
        if shape == "gzip":
            conn.execute(
                f"COPY ({plain}) TO '{folder / 'part-000.csv.gz'}' (HEADER, QUOTE '\"',"
                " COMPRESSION gzip)"
            )
            return {"records": rows, "cleaned": None}
    raise SystemExit(f"unknown shape {shape}")


def _dictionary_day(conn: duckdb.DuckDBPyConnection, shape: str, every: int, target: Path) -> None:
    """The day of ``t`` as Parquet of text columns, each ``every``-th region a long value
    (one, or :data:`DICT_VALUES` distinct ones: 1,875 MD5 digests each, 60,000 characters
    that do not compress) and the region column dictionary-encoded, its dictionary built
    here (the other regions and the long values: never the decoded 1.2 GB). No Arrow
    schema is stored: read back, the region is text, as from any other writer. The
    nested shapes keep the regions and put the long value in a list or struct column
    (:func:`_nested_long_values`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    distinct = 1 if shape == "parquet-dict-long-value" else DICT_VALUES
    if shape in ("parquet-dict-long-list", "parquet-dict-long-struct"):
        _nested_long_values(conn, shape, every, distinct, target)
        return
    conn.execute(
        "CREATE TABLE long_values AS SELECT k, string_agg(md5(k || '-' || j), '' ORDER BY j)"
        f" AS v FROM range({distinct}) a(k), range(1875) b(j) GROUP BY k"
    )
    conn.execute("CREATE TABLE short_values AS SELECT DISTINCT region AS v FROM t")
    conn.execute(
        "CREATE TABLE dictionary AS SELECT row_number() OVER (ORDER BY kind, k) - 1 AS i, v,"
        " kind, k FROM (SELECT 0 AS kind, row_number() OVER (ORDER BY v) AS k, v FROM"
        " short_values WHERE v IS NOT NULL UNION ALL SELECT 1, k, v FROM long_values)"
    )
    values = conn.sql("SELECT v FROM dictionary ORDER BY i").to_arrow_table()
    index = f"CAST(if(t.n % {every} = 0, l.i, s.i) AS INTEGER)"
    table = conn.sql(
        f"SELECT t.* EXCLUDE (n) REPLACE (CAST(date AS VARCHAR) AS date, {index} AS region)"
        " FROM t LEFT JOIN dictionary s ON s.kind = 0 AND s.v = t.region"
        f" LEFT JOIN dictionary l ON l.kind = 1 AND l.k = t.n // {every} % {distinct}"
        " ORDER BY t.n"
    ).to_arrow_table()
    region = pa.DictionaryArray.from_arrays(
        table.column("region").combine_chunks(), values.column("v").combine_chunks()
    )
    table = table.set_column(table.column_names.index("region"), "region", region)
    pq.write_table(
        table, target, use_dictionary=["region"],
        dictionary_pagesize_limit=1 << 30, row_group_size=1 << 30, store_schema=False,
    )  # fmt: skip


def _nested_long_values(
    conn: duckdb.DuckDBPyConnection, shape: str, every: int, distinct: int, target: Path
) -> None:
    """The day of ``t`` (its date as text) with one more column: ``tags``, a list of text
    holding the ``every``-th rows' long value (one of ``distinct``, as
    :func:`_dictionary_day`'s), or ``meta``, a struct whose text ``note`` holds it (the
    other rows: an empty list, a null note); the leaf dictionary-encoded, its dictionary
    built here."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    conn.execute(
        "CREATE TABLE long_values AS SELECT k, string_agg(md5(k || '-' || j), '' ORDER BY j)"
        f" AS v FROM range({distinct}) a(k), range(1875) b(j) GROUP BY k"
    )
    values = conn.sql("SELECT v FROM long_values ORDER BY k").to_arrow_table()
    table = conn.sql(
        "SELECT * EXCLUDE (n) REPLACE (CAST(date AS VARCHAR) AS date), CAST(if(n %"
        f" {every} = 0, n // {every} % {distinct}, NULL) AS INTEGER) AS long FROM t ORDER BY n"
    ).to_arrow_table()
    index = table.column("long").combine_chunks()
    table = table.drop_columns(["long"])
    longs = pa.DictionaryArray.from_arrays(index.drop_null(), values.column("v").combine_chunks())
    if shape == "parquet-dict-long-list":
        offsets = pa.array([0, *index.is_valid().cast(pa.int32()).to_numpy().cumsum()], pa.int32())
        table = table.append_column("tags", pa.ListArray.from_arrays(offsets, longs))
    else:
        notes = pa.DictionaryArray.from_arrays(index, values.column("v").combine_chunks())
        table = table.append_column("meta", pa.StructArray.from_arrays([notes], ["note"]))
    pq.write_table(
        table, target, dictionary_pagesize_limit=1 << 30, row_group_size=1 << 30,
        store_schema=False,
    )  # fmt: skip


def _write_range(data: Path, days: int, orders: int, landing: Path) -> dict:
    """``days`` synthetic days of ``orders`` each, from :data:`DAY` on."""
    from bench.synthetic_day import ORDERS_SQL

    records = 0
    with duckdb.connect() as conn:
        for k in range(days):
            day = DAY + dt.timedelta(days=k)
            folder = landing / f"orders/date={day.isoformat()}"
            folder.mkdir(parents=True)
            params = {"day": day, "orders": orders, "customers": max(orders // 3, 1),
                      "lo": 0, "hi": orders, "quoted": False}  # fmt: skip
            conn.sql(ORDERS_SQL, params=params).write_csv(
                str(folder / "part-000.csv"), quotechar='"', header=True
            )
            records += orders + sum(1 for i in range(11, orders, 50))
    return {"records": records, "cleaned": None}


def landing_of(data: Path, shape: str, orders: int) -> tuple[Path, dict]:
    """The landing zone of ``shape`` (written once: a stamp records what it holds)."""
    landing = data / f"h62-shape-{shape}-{orders}"
    stamp = landing / ".shape.json"
    if stamp.is_file():
        return landing, json.loads(stamp.read_text())
    shutil.rmtree(landing, ignore_errors=True)
    if shape == "parquet-one-group":
        from bench import landing_shapes

        landing_shapes.DATA = data
        source = landing_shapes.write_shape(shape, orders)
        landing.parent.mkdir(parents=True, exist_ok=True)
        source.rename(landing)
        rows = orders + sum(1 for i in range(11, orders, 50))
        expected = {"records": rows, "cleaned": None}
    elif shape.startswith("range-"):
        expected = _write_range(data, int(shape.split("-")[1]), orders, landing)
    else:
        folder = landing / FOLDER
        folder.mkdir(parents=True)
        expected = _write_day(data, shape, orders, folder)
    stamp.write_text(json.dumps(expected))
    return landing, expected


def outcome(duckdb_file: str, expected: dict) -> dict:
    """What the steps left in the warehouse, against what the landing holds."""
    found: dict = {}
    with duckdb.connect(duckdb_file, read_only=True) as conn:
        for label, sql in {
            "raw": "SELECT count(*) FROM raw.raw_orders",
            "broken": "SELECT count(*) FROM raw.raw_orders WHERE parse_error IS NOT NULL",
            "cleaned": "SELECT count(*) FROM staging.cleaned_orders",
            "cleaned_orders": "SELECT count(DISTINCT order_id) FROM staging.cleaned_orders",
            "quarantined": "SELECT count(*) FROM staging.quarantined_orders",
            "fct": "SELECT count(*) FROM warehouse.fct_orders",
            "customer_metrics": "SELECT count(*) FROM analytics.customer_metrics",
            "customer_clv": "SELECT count(*) FROM analytics.customer_clv",
            "dim_customers": "SELECT count(*) FROM warehouse.dim_customers",
        }.items():
            try:
                found[label] = conn.execute(sql).fetchone()[0]
            except duckdb.Error:
                pass
    verdicts = {}
    if "raw" in found and expected.get("records") is not None:
        verdicts["raw = landed records"] = found["raw"] == expected["records"]
    if expected.get("cleaned") is not None and "cleaned" in found:
        verdicts["cleaned as the shape gives"] = found["cleaned"] == expected["cleaned"]
    if "dim_customers" in found:
        verdicts["clv, dim = metrics customers"] = (
            found["customer_clv"] == found["dim_customers"] == found["customer_metrics"]
        )
    if "fct" in found and found.get("raw"):
        verdicts["fct = distinct cleaned orders"] = found["fct"] == found["cleaned_orders"]
    return {"counts": found, "verdicts": verdicts}


def measure(data: Path, shape: str, orders: int, customers: int, steps: list[str]) -> dict:
    if shape == "customers":
        from bench.clv_memory import START, build

        landing, expected, start, days = data, {}, dt.date.fromisoformat(START), 1
        steps = [s for s in steps if s in CUSTOMER_STEPS] or list(CUSTOMER_STEPS)
        size = {"customers": customers}
    else:
        landing, expected = landing_of(data, shape, orders)
        days = int(shape.split("-")[1]) if shape.startswith("range-") else 1
        start, size = DAY, {"orders": orders}
    files = (
        []
        if shape == "customers"
        else [p for p in landing.rglob("*") if p.is_file() and p.parent.name.startswith("date=")]
    )
    figures = {"shape": shape, **size, "days": days, "files": len(files),
               "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1), "steps": {},
               "load_start": "/".join(f"{x:.2f}" for x in os.getloadavg())}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="h62-shape-run-", dir=data) as work:
        database = f"{work}/o.duckdb"
        if shape == "customers":
            figures["orders"] = build(database, customers)
        for step in steps:
            try:
                sample = run_child("step_run", ["--landing", landing, "--duckdb", database,
                                                "--home", f"{work}/home", "--start", start,
                                                "--days", days, "--step", step],
                                   address_space_gib=ADDRESS_SPACE_GIB)  # fmt: skip
            except RuntimeError as error:
                # The exception's own line, not only the engine's stack under it.
                errors = [line for line in str(error).splitlines() if "Error" in line]
                figures["steps"][step] = {"failed": str(error), "errors": errors[-4:]}
                print(f"{shape:<18} {step:<16} FAILED", *errors[-4:], sep="\n  ", flush=True)
                break
            figures["steps"][step] = {k: sample.get(k) for k in ("seconds", "cpu_s",
                                      "peak_rss_mb", "rss_before_run_mb", "checks_passed")}  # fmt: skip
            failed = [name for name, ok in (sample.get("checks_passed") or {}).items() if not ok]
            print(f"{shape:<18} {len(files):>5} files {figures['mb']:>9.1f} MB  {step:<16}"
                  f" {sample['seconds']:7.1f} s (CPU {sample['cpu_s']:6.1f})"
                  f"  peak RSS {sample['peak_rss_mb']:6,.0f} MiB"
                  f"{'  checks failed: ' + ', '.join(failed) if failed else ''}",
                  flush=True)  # fmt: skip
        figures.update(outcome(database, expected))
    figures["load_end"] = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{shape:<18} {figures['counts']} {figures['verdicts']}", flush=True)
    return figures


def table(runs: list[dict]) -> str:
    lines = ["| shape | size | files / MB | step: seconds (CPU) / peak RSS MiB | checks failed"
             " | counts | whole |", "|---|---:|---:|---|---|---|---|"]  # fmt: skip
    for run in runs:
        cells = []
        failed = []
        for step, s in run["steps"].items():
            if "failed" in s:
                cells.append(f"{step}: FAILED")
                continue
            cells.append(
                f"{step}: {s['seconds']:.1f} s ({s['cpu_s']:.1f}) / {s['peak_rss_mb']:,.0f}"
            )
            failed += [name for name, ok in (s.get("checks_passed") or {}).items() if not ok]
        size = f"{run['customers']:,} customers" if "customers" in run else f"{run['orders']:,}"
        if run["days"] > 1:
            size += f" x {run['days']} days"
        missed = [k for k, v in run["verdicts"].items() if not v]
        whole = "n/a" if not run["verdicts"] else "NO: " + ", ".join(missed) if missed else "yes"
        lines.append(f"| {run['shape']} | {size} | {run['files']} / {run['mb']:,.0f} |"
                     f" {'; '.join(cells)} | {', '.join(failed) or 'none'} |"
                     f" {json.dumps(run['counts'])} | {whole} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--shapes", nargs="+", required=True, help="see below")
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in a day")
    parser.add_argument("--customers", type=int, default=5_000_000, help="for 'customers'")
    parser.add_argument("--steps", nargs="+", default=list(DAY_STEPS),
                        help="of a day shape (default: raw_orders clean_orders fct_orders)")  # fmt: skip
    parser.add_argument("--data", type=Path, default=DATA, help="where the landings are written")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    unknown = [s for s in args.shapes if s not in SHAPES and not NUMBERED.fullmatch(s)]
    if unknown:
        parser.error(f"unknown shape(s) {', '.join(unknown)}; see --help for the shapes")
    args.data.mkdir(parents=True, exist_ok=True)
    runs = []
    for shape in args.shapes:
        runs.append(measure(args.data, shape, args.orders, args.customers, args.steps))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(runs, indent=2) + "\n")
    print(table(runs))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
