"""Benchmark the CLV fit and scoring on simulated customer_metrics (whole days).

Run from the repository root: ``./.venv/bin/python -m bench.bench_clv [sizes ...]``.
Prints a table and writes bench/results/clv.json. Target: 1,000,000 customers fitted
(BG/NBD + Gamma-Gamma) in under 60 s on a 2-core machine.

``./.venv/bin/python -m bench.bench_clv --recovery SEEDS`` instead measures how far the
estimates land from the simulator's truth (of purchases: see
``devtools.clv_simulation.purchase_share``) on landing data the size of the whole-graph
test (tests/test_clv_graph.py), over SEEDS seeds: mean, standard deviation and bias per
parameter, and the tolerance |bias| + 4 sd that the test's bounds are chosen from. Writes
bench/results/clv_recovery.json.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from devtools.clv_simulation import (
    landing_transactions,
    purchase_share,
    simulate_daily_metrics,
)
from devtools.simulate import TRUE_BGNBD, TRUE_GAMMA_GAMMA, generate
from orders_core import clv, clv_validation

RESULTS = Path(__file__).parent / "results" / "clv.json"
RECOVERY_RESULTS = Path(__file__).parent / "results" / "clv_recovery.json"
# The whole-graph test's landing data: tests/test_clv_graph.py.
RECOVERY_START, RECOVERY_DAYS, RECOVERY_ORDERS_PER_DAY = dt.date(2025, 1, 1), 120, 300
PURCHASES = clv.BGNBDParams(r=0.25, alpha=30.0, a=0.8, b=2.5)  # alpha in days
SPEND = clv.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
MAX_TENURE_DAYS = 730


def run(n: int) -> dict[str, float | int | bool]:
    """Simulate n customers, fit both models and score them; return timings and estimates."""
    metrics = simulate_daily_metrics(n, PURCHASES, SPEND, MAX_TENURE_DAYS, seed=n)
    x, t_x, T, monetary = clv.summary_arrays(metrics)
    start = time.perf_counter()
    purchases = clv.fit_bgnbd(x, t_x, T)
    fitted_bgnbd = time.perf_counter()
    spend = clv.fit_gamma_gamma(x, monetary)
    fitted = time.perf_counter()
    clv.score_customers(metrics, clv.CLVModel(purchases, spend, "days"))
    scored = time.perf_counter()
    distinct = len(metrics[["frequency", "recency_days", "tenure_days"]].drop_duplicates())
    return {
        "customers": n,
        "distinct_rows": distinct,
        "bgnbd_fit_s": round(fitted_bgnbd - start, 3),
        "gamma_gamma_fit_s": round(fitted - fitted_bgnbd, 3),
        "fit_s": round(fitted - start, 3),
        "score_s": round(scored - fitted, 3),
        "converged": purchases.converged and spend.converged,
        "bgnbd_iterations": purchases.iterations,
        **{f"est_{k}": round(v, 4) for k, v in vars(purchases.params).items()},
        **{f"est_{k}": round(v, 4) for k, v in vars(spend.params).items()},
    }


def main(sizes: list[int]) -> None:
    """Run each size, print a table and write the JSON results."""
    rows = [run(n) for n in sizes]
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    truth = {**vars(PURCHASES), **vars(SPEND)}
    payload = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "true_params": truth,
    }
    RESULTS.write_text(json.dumps({**payload, "runs": rows}, indent=2))
    print(f"wrote {RESULTS}")


def _estimates(model: clv.CLVModel) -> dict[str, float]:
    """Parameters plus the combinations the data pin down best."""
    b, g = model.purchases.params, model.spend.params
    return {
        **vars(b),
        **vars(g),
        "rate": b.r / b.alpha,
        "dropout": b.a / (b.a + b.b),
        "mean_value": g.mean_value,
    }


def recovery(seeds: int) -> None:
    """Fit on ``seeds`` generated landing zones; print and write the spread of estimates."""
    as_of = RECOVERY_START + dt.timedelta(days=RECOVERY_DAYS - 1)
    rows = []
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as tmp:
            generate(
                Path(tmp),
                RECOVERY_START,
                RECOVERY_DAYS,
                RECOVERY_ORDERS_PER_DAY,
                seed,
                dirty=False,
                seasonality=False,
            )
            transactions = landing_transactions(Path(tmp))
        summary = clv_validation.calibration_holdout_summary(transactions, as_of)
        rows.append(_estimates(clv.fit_clv_model(summary)))
    estimates = pd.DataFrame(rows)
    # The fit sees purchases only: the orders' process thinned (purchase_share), whose
    # alpha is the orders' alpha / share.
    share = purchase_share()
    truth = pd.Series(
        {
            **vars(TRUE_BGNBD),
            "alpha": TRUE_BGNBD.alpha / share,
            **vars(TRUE_GAMMA_GAMMA),
            "rate": TRUE_BGNBD.r / TRUE_BGNBD.alpha * share,
            "dropout": TRUE_BGNBD.a / (TRUE_BGNBD.a + TRUE_BGNBD.b),
            "mean_value": TRUE_GAMMA_GAMMA.mean_transaction_value,
        }
    )
    table = pd.DataFrame({"truth": truth, "mean": estimates.mean(), "sd": estimates.std()})
    table["rel_bias"] = table["mean"] / table["truth"] - 1
    table["rel_tolerance"] = table["rel_bias"].abs() + 4 * table["sd"] / table["truth"]
    print(f"{seeds} seeds, {RECOVERY_DAYS} days x {RECOVERY_ORDERS_PER_DAY} orders/day")
    print(table.round(4).to_string())
    RECOVERY_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RECOVERY_RESULTS.write_text(
        json.dumps({"seeds": seeds, "table": table.round(6).to_dict(orient="index")}, indent=2)
    )
    print(f"wrote {RECOVERY_RESULTS}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--recovery"]:
        recovery(int(sys.argv[2]) if len(sys.argv) > 2 else 30)
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
