"""Benchmark the CLV fit and scoring on simulated customer_metrics (whole days).

Run from the repository root: ``./.venv/bin/python -m bench.bench_clv [sizes ...]``.
Prints a table and writes bench/results/clv.json. Target: 1,000,000 customers fitted
(BG/NBD + Gamma-Gamma) in under 60 s on a 2-core machine.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

from platform_assets import clv
from tests.clv_simulation import simulate_daily_metrics

RESULTS = Path(__file__).parent / "results" / "clv.json"
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
    payload = {"machine": platform.platform(), "python": platform.python_version(), "true_params": truth}
    RESULTS.write_text(json.dumps({**payload, "runs": rows}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
