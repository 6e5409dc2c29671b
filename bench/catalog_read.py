"""Child process: what a step's first read of a table's columns costs on a new connection.

Every step that writes opens its own DuckDB connection and reads the columns of its tables
(``orders_core.sql.tables.ensure_tables``). DuckDB answers ``information_schema.columns``
from every column of its catalog, its own system views' included, and a new connection
builds them at the first such query; ``pragma_table_info`` reads the one table's
(``orders_core.sql.dialect.columns_statement``). Each round opens a fresh connection to a
file holding the platform's tables (``--duckdb``, e.g. a run's warehouse; else a new one),
runs one variant once and closes; the variants alternate. Reports the median and least
wall and CPU milliseconds of each; both must read the same columns.

    python -m bench.catalog_read --rounds 21
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from bench.harness import emit
from orders_core.contract import load_contract
from orders_core.sql.dialect import DUCKDB, columns_statement
from orders_core.sql.tables import create_statements

# What ensure_tables read before (bench/RESULTS.md, session 36).
INFORMATION_SCHEMA = (
    "SELECT column_name, data_type, numeric_scale FROM information_schema.columns"
    " WHERE lower(table_schema) = ? AND lower(table_name) = ?"
)


def variants() -> dict[str, tuple[str, list[object]]]:
    return {
        "information_schema": (INFORMATION_SCHEMA, ["warehouse", "fct_orders"]),
        "pragma_table_info": columns_statement("warehouse", "fct_orders", DUCKDB),
    }


def measure(database: str, rounds: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants()}
    columns: dict[str, list] = {}
    for round_ in range(rounds):
        names = list(variants()) if round_ % 2 == 0 else list(variants())[::-1]
        for name in names:
            sql, params = variants()[name]
            conn = duckdb.connect(database)
            try:
                conn.execute("SET TimeZone = 'UTC'")
                wall, cpu = time.perf_counter(), time.process_time()
                rows = conn.execute(sql, params).fetchall()
                samples[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            finally:
                conn.close()
            columns[name] = [(str(n).lower(), str(t)) for n, t, _ in rows]
    if columns["information_schema"] != columns["pragma_table_info"]:
        raise AssertionError(f"the variants read other columns: {columns}")
    return {
        name: {
            "wall_ms_median": round(1000 * statistics.median(w for w, _ in s), 2),
            "wall_ms_min": round(1000 * min(w for w, _ in s), 2),
            "cpu_ms_median": round(1000 * statistics.median(c for _, c in s), 2),
            "cpu_ms_min": round(1000 * min(c for _, c in s), 2),
        }
        for name, s in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", help="a warehouse file holding the platform's tables")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as work:
        database = args.duckdb
        if database is None:
            database = str(Path(work) / "orders.duckdb")
            with duckdb.connect(database) as conn:
                for statement in create_statements(load_contract()):
                    conn.execute(statement)
        emit({"rounds": args.rounds, "variants": measure(database, args.rounds)})


if __name__ == "__main__":
    main()
