"""Child process: CLV fit time (BG/NBD + Gamma-Gamma) for 100,000 and 1,000,000 customers.

Customer summaries come from the generator's truth
(``simulate_customer_summaries``); the fit is ``orders_core.clv.fit_clv_model``.
Until that module is on main, every size is reported as null with a note.

    python -m bench.clv_fit --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util

from bench.harness import Timer, emit
from devtools.simulate import simulate_customer_summaries

OBSERVATION_DAYS = 365


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    sizes = [str(n) for n in args.sizes]
    if importlib.util.find_spec("orders_core.clv") is None:
        emit({"clv_fit_s": dict.fromkeys(sizes), "note": "orders_core/clv.py is not on main yet"})
        return
    clv = importlib.import_module("orders_core.clv")
    seconds = {}
    for n in args.sizes:
        metrics = simulate_customer_summaries(n, OBSERVATION_DAYS, seed=n)
        with Timer() as timer:
            clv.fit_clv_model(metrics)
        seconds[str(n)] = timer.wall_s
    emit(
        {
            "clv_fit_s": seconds,
            "note": f"fit_clv_model on simulated summaries, {OBSERVATION_DAYS} days",
        }
    )


if __name__ == "__main__":
    main()
