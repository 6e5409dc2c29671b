"""customer_clv's step against the number of customers: seconds and peak memory.

customer_clv reads all history, so its memory grows with customers, not with a day: the
day-size curve (``bench.memory_curve``) cannot show it. This builds a warehouse whose
cleaned orders hold N customers (1 to 4 orders each on days of one year, generated in
DuckDB: no frame of them in this process), runs customer_metrics, then customer_clv with
its checks, each in a child process of its own (``bench.step_run``), and prints the
customer_clv step's wall and CPU seconds, the child's peak RSS and the customers the
table holds per N (0: an empty table; that synthetic history has no finite
maximum-likelihood fit, see hunt 85 in bench/RESULTS.md).

``--fit-pairs K`` also times the fit alone, in this process, on the histories and spends
the step reads: K alternating pairs of what customer_clv did until hunt 85 (one
maximum-likelihood fit of each model, then BG/NBD's scores of every history) and what it
does since (``orders_core.clv_ladder.fit_usable_model``: up the penalizer ladder, the
kept fit's scores included), CPU seconds each, with each one's outcome.

``--against TREE --pairs K`` runs customer_clv's step K times in another checkout (a
worktree of the commit to compare with) and in this one, alternating, on each N's one
warehouse: each step's row is printed with its tree.

    python -m bench.clv_memory --customers 1000000 4000000 8000000
    python -m bench.clv_memory --customers 5000000 --fit-pairs 3
    python -m bench.clv_memory --customers 1000000 4000000 8000000 --against /tmp/base --pairs 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

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


# The published table's rows to the last bit, in no order: the trees compared must agree.
TABLE_DIGEST_SQL = """
select count(*), coalesce(bit_xor(hash(customer_id, as_of_date, horizon_months,
    expected_purchases, prob_alive, expected_avg_order_value, clv)), 0)
from analytics.customer_clv
"""


def build(database: str, customers: int) -> int:
    """A warehouse whose cleaned orders hold ``customers`` customers; its order count."""
    with duckdb.connect(database) as conn:
        ensure_tables(lambda sql, params: conn.execute(sql, list(params)).fetchall(),
                      load_contract(), CLEANED_ORDERS, dialect=DUCKDB)  # fmt: skip
        conn.execute(ORDERS_SQL, [customers])
        [(orders,)] = conn.execute("SELECT count(*) FROM staging.cleaned_orders").fetchall()
    return int(orders)


def fit_pairs(database: str, pairs: int) -> dict:
    """CPU seconds of the fit before and after hunt 85 on ``database``'s customer_metrics,
    in ``pairs`` alternating pairs (see the module docstring), and each one's outcome."""
    from orders_core import clv
    from orders_core.clv_ladder import fit_usable_model
    from orders_core.metrics import CLV_HISTORIES_SQL, CLV_SPENDS_SQL, spend_sample_threshold

    with duckdb.connect(database, read_only=True) as conn:
        histories = conn.execute(CLV_HISTORIES_SQL).df()
        spend_customers = conn.execute(
            "select count(*) from analytics.customer_metrics"
            " where frequency > 0 and monetary_value > 0"
        ).fetchone()[0]
        threshold = spend_sample_threshold(int(spend_customers))
        spends = conn.execute(CLV_SPENDS_SQL, [threshold]).df()

    def before() -> str:
        model = clv.fit_clv_model(histories, "days", spends=spends)
        scores = clv.history_scores(histories, model)
        finite = all(np.isfinite(v).all() for v in scores.values())
        return "scores finite" if finite else "scores not finite: table written empty"

    def after() -> str:
        fitted = fit_usable_model(histories, "days", spends)
        if fitted.model is None:
            return f"not fitted: {fitted.reason()}"
        return (f"fitted, penalizers {fitted.model.purchases.penalizer:g} (BG/NBD),"
                f" {fitted.model.spend.penalizer:g} (Gamma-Gamma)")  # fmt: skip

    cpu: dict[str, list[float]] = {"before": [], "after": []}
    outcome = {}
    for _ in range(pairs):
        for name, fit in (("before", before), ("after", after)):
            started = time.process_time()
            outcome[name] = fit()
            cpu[name].append(round(time.process_time() - started, 3))
    return {
        "histories": len(histories),
        "spend_rows": len(spends),
        "fit_cpu_s": cpu,
        "fit_cpu_median_s": {k: statistics.median(v) for k, v in cpu.items()},
        "fit_outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--fit-pairs", type=int, default=0)
    parser.add_argument("--against", type=Path, default=None, help="a checkout to compare with")
    parser.add_argument("--pairs", type=int, default=1)
    args = parser.parse_args()
    trees = [("against", args.against), ("this", None)] if args.against else [("this", None)]
    rows = []
    for n in args.customers:
        with tempfile.TemporaryDirectory(prefix="clv-memory-") as tmp:
            database, home = str(Path(tmp) / "orders.duckdb"), str(Path(tmp) / "home")
            orders = build(database, n)
            common = ["--landing", tmp, "--duckdb", database, "--home", home, "--start", START]
            run_child("step_run", [*common, "--step", "customer_metrics"])
            fits = fit_pairs(database, args.fit_pairs) if args.fit_pairs else {}
            for _ in range(args.pairs):
                for name, tree in trees:
                    figures = run_child("step_run", [*common, "--step", "customer_clv"], tree=tree)
                    with duckdb.connect(database, read_only=True) as conn:
                        [(scored, digest)] = conn.execute(TABLE_DIGEST_SQL).fetchall()
                    row = {
                        "customers": n,
                        "tree": name,
                        "orders": orders,
                        "customer_clv_s": figures["step_seconds"]["customer_clv"],
                        "step_cpu_s": figures["cpu_s"],
                        "peak_rss_mb": figures["peak_rss_mb"],
                        "rss_before_run_mb": figures["rss_before_run_mb"],
                        "scored": scored,
                        "table_digest": digest,
                        **fits,
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print("| customers | tree | orders | customer_clv step (s) | step CPU (s) | peak RSS of the"
          " step process (MiB) | customers scored | table digest |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row['customers']:,} | {row['tree']} | {row['orders']:,} |"
              f" {row['customer_clv_s']:.2f} | {row['step_cpu_s']:.2f} |"
              f" {row['peak_rss_mb']:,.0f} | {row['scored']:,} | {row['table_digest']} |")  # fmt: skip


if __name__ == "__main__":
    main()
