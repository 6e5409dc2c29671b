"""customer_clv's step against the number of customers: seconds and peak memory.

customer_clv reads all history, so its memory grows with customers, not with a day: the
day-size curve (``bench.memory_curve``) cannot show it. This builds a warehouse whose
cleaned orders hold N customers (1 to 4 orders each on days of one year, generated in
DuckDB: no frame of them in this process), runs customer_metrics, then customer_clv with
its checks, each in a child process of its own (``bench.step_run``), and prints the
customer_clv step's seconds and the child's peak RSS per N.

    python -m bench.clv_memory --customers 1000000 4000000 8000000
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import duckdb

from bench.harness import run_child
from orders_core.contract import load_contract
from orders_core.sql.dialect import DUCKDB
from orders_core.sql.tables import ensure_tables
from orders_core.tables import CLEANED_ORDERS

START = "2024-01-01"
DAYS = 365

# Customer c places 1 + hash(c) % 4 orders, each on a day and for an amount drawn by a
# hash of (c, k): the same table every time, for any N.
ORDERS_SQL = f"""
INSERT INTO staging.cleaned_orders (order_id, customer_id, order_ts, order_date, amount,
    currency, quantity, unit_price, status, region, updated_at, source_file, source_line,
    partition_date)
SELECT 'O' || c || '-' || k, 'C' || c, CAST(day AS TIMESTAMPTZ), day, amount, 'USD', 1,
    amount, 'placed', 'eu', CAST(day AS TIMESTAMPTZ), 'synthetic.csv', c * 4 + k, day
FROM (
    SELECT c, k,
        DATE '{START}' + CAST(hash(c, k, 'day') % {DAYS} AS INTEGER) AS day,
        round(5 + (hash(c, k, 'amount') % 20000) / 100.0, 2) AS amount
    FROM range(?) AS customers(c), range(4) AS orders(k)
    WHERE k <= hash(c) % 4
)
"""  # noqa: S608 (constants of this module)


def build(database: str, customers: int) -> int:
    """A warehouse whose cleaned orders hold ``customers`` customers; its order count."""
    with duckdb.connect(database) as conn:
        ensure_tables(lambda sql, params: conn.execute(sql, list(params)).fetchall(),
                      load_contract(), CLEANED_ORDERS, dialect=DUCKDB)  # fmt: skip
        conn.execute(ORDERS_SQL, [customers])
        [(orders,)] = conn.execute("SELECT count(*) FROM staging.cleaned_orders").fetchall()
    return int(orders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 4_000_000])
    args = parser.parse_args()
    rows = []
    for n in args.customers:
        with tempfile.TemporaryDirectory(prefix="clv-memory-") as tmp:
            database, home = str(Path(tmp) / "orders.duckdb"), str(Path(tmp) / "home")
            orders = build(database, n)
            common = ["--landing", tmp, "--duckdb", database, "--home", home, "--start", START]
            run_child("step_run", [*common, "--step", "customer_metrics"])
            figures = run_child("step_run", [*common, "--step", "customer_clv"])
        row = {
            "customers": n,
            "orders": orders,
            "customer_clv_s": figures["step_seconds"]["customer_clv"],
            "peak_rss_mb": figures["peak_rss_mb"],
            "rss_before_run_mb": figures["rss_before_run_mb"],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("| customers | orders | customer_clv step (s) | peak RSS of the step process (MiB) |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['customers']:,} | {row['orders']:,} | {row['customer_clv_s']:.2f} |"
              f" {row['peak_rss_mb']:,.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
