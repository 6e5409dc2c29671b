"""Deterministic demo order generator: landing files with a known customer truth.

Usage::

    python -m devtools.simulate --landing data/landing --start 2025-01-01 \\
        --days 30 --orders-per-day 5000 --seed 7 --format csv \\
        [--anomaly 2025-01-10=volume_spike ...] [--no-dirt] [--no-seasonality]

Writes ``<landing>/orders/date=YYYY-MM-DD/part-000.<ext>`` (plus ``part-001``
with order updates and, for some days, ``late-000`` written after all other
files) and ``<landing>/fx_rates/rates-YYYY-MM-DD.csv`` (the day's EUR and GBP rates to
USD, :mod:`devtools.simulate_fx`), and prints a JSON summary. The same arguments give
the same bytes.

Customers follow the BG/NBD and Gamma-Gamma truths of
:mod:`devtools.simulate_truth`. The business opens on ``start``: every
customer's first order is in the window, new customers arrive each day, and
the daily acquisition is calibrated analytically (from E[X(t)]) so that the
expected order volume is ``orders_per_day`` every day (times the weekday
multiplier with seasonality). Realised days scatter around it by about 1% at
5,000 orders a day (Poisson-like noise); a 28-day mean lands within 0.5%.

Seasonality multiplies the purchase rate by
:data:`devtools.simulate_population.WEEKDAY_MULTIPLIERS` (mean 1).
Repeat purchases then follow BG/NBD in "business time" (the calendar stretched
by the multipliers), so the truth holds exactly over whole weeks; pass
``seasonality=False`` for the plain calendar-time process.

Every column is text in every format (CSV, JSON Lines strings, Parquet
``string``), so malformed values reach the files as a source would send them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from devtools.simulate_dirt import (
    check_anomalies,
    draw_updates,
    reshape_orders,
    soil_day,
)
from devtools.simulate_fx import daily_rates, in_order_currency, write_rates
from devtools.simulate_population import day_epoch, simulate_orders
from devtools.simulate_render import EXTENSIONS, FORMATS, render_orders, write_table
from devtools.simulate_truth import (
    TRUE_BGNBD,
    TRUE_GAMMA_GAMMA,
    BGNBDTruth,
    GammaGammaTruth,
    simulate_customer_summaries,
)
from resources.settings import PlatformSettings

__all__ = [
    "TRUE_BGNBD",
    "TRUE_GAMMA_GAMMA",
    "BGNBDTruth",
    "DayCounts",
    "GammaGammaTruth",
    "SimulationSummary",
    "generate",
    "main",
    "simulate_customer_summaries",
]


@dataclass(frozen=True)
class DayCounts:
    """What was written for one day partition."""

    files: int
    rows: int
    orders: int
    duplicates: int
    updates: int
    malformed: int
    nulled_customer_ids: int
    late_rows: int


@dataclass(frozen=True)
class SimulationSummary:
    """Counts of one generator run; totals are sums over ``per_day``.

    ``rows = orders + duplicates + updates + malformed_rows``: orders are the
    distinct well-formed order ids (simulated orders, after any volume anomaly),
    malformed rows carry their own order ids, and ``nulled_customer_ids`` counts
    orders that a ``null_burst`` left without customer_id.
    """

    customers: int
    per_day: dict[dt.date, DayCounts]
    anomalies: dict[dt.date, str] = field(default_factory=dict)

    def _total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.per_day.values())

    @property
    def files(self) -> int:
        return self._total("files")

    @property
    def rows(self) -> int:
        return self._total("rows")

    @property
    def orders(self) -> int:
        return self._total("orders")

    @property
    def duplicates(self) -> int:
        return self._total("duplicates")

    @property
    def updates(self) -> int:
        return self._total("updates")

    @property
    def malformed_rows(self) -> int:
        return self._total("malformed")

    @property
    def nulled_customer_ids(self) -> int:
        return self._total("nulled_customer_ids")

    @property
    def late_rows(self) -> int:
        return self._total("late_rows")

    @property
    def late_files(self) -> int:
        return sum(1 for counts in self.per_day.values() if counts.late_rows)

    def to_dict(self) -> dict:
        """JSON-ready summary (what the CLI prints)."""
        totals = ("files", "rows", "orders", "duplicates", "updates", "malformed_rows")
        more = ("nulled_customer_ids", "late_files", "late_rows")
        return {
            "customers": self.customers,
            **{name: getattr(self, name) for name in totals + more},
            "anomalies": {str(day): name for day, name in sorted(self.anomalies.items())},
            "per_day": {str(day): dataclasses.asdict(c) for day, c in self.per_day.items()},
        }


def _clear_partition(directory: Path) -> None:
    """Remove files an earlier run wrote here, so a re-run leaves the same set."""
    for pattern in ("part-*", "late-*"):
        for path in directory.glob(pattern):
            path.unlink()


def generate(
    landing_root: Path,
    start: dt.date,
    days: int,
    orders_per_day: int,
    seed: int,
    fmt: str = "csv",
    anomalies: Mapping[dt.date, str] | None = None,
    dirty: bool = True,
    seasonality: bool = True,
    progress: bool = False,
) -> SimulationSummary:
    """Write ``days`` daily partitions of demo orders under ``landing_root/orders``.

    Deterministic for the arguments. Existing ``part-*``/``late-*`` files of the
    written days are replaced. ``anomalies`` maps a day of the window to a name
    in :data:`devtools.simulate_dirt.ANOMALIES`.
    """
    landing_root = Path(landing_root)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    if days < 1 or orders_per_day < 1:
        raise ValueError("days and orders_per_day must be positive")
    anomalies = check_anomalies(anomalies)
    window = [start + dt.timedelta(days=i) for i in range(days)]
    outside = sorted(set(anomalies) - set(window))
    if outside:
        raise ValueError(f"anomaly days outside the window {start}..{window[-1]}: {outside}")

    orders, n_customers = simulate_orders(
        start, days, orders_per_day, np.random.default_rng([seed, 0]), seasonality
    )
    bounds = np.searchsorted(orders["day"].to_numpy(), np.arange(days + 1))
    rates = daily_rates(start, days, seed)
    per_day: dict[dt.date, DayCounts] = {}
    late_files = []
    for i, day in enumerate(tqdm(window, desc="simulate", unit="day", disable=not progress)):
        rng = np.random.default_rng([seed, 1, i])
        frame = orders.iloc[bounds[i] : bounds[i + 1]].assign(
            seq=np.arange(1, bounds[i + 1] - bounds[i] + 1)
        )
        # values are drawn in the reporting currency; each order is priced in its own
        frame = in_order_currency(frame, rates[day])
        write_rates(landing_root, day, rates[day])
        anomaly = anomalies.get(day)
        frame = reshape_orders(frame, anomaly, day_epoch(day), rng)
        updates = draw_updates(frame, rng) if dirty else frame.iloc[:0]
        next_seq = int(frame["seq"].max()) + 1 if len(frame) else 1
        files, dirt = soil_day(
            render_orders(frame, day),
            render_orders(updates, day),
            day,
            next_seq,
            anomaly,
            dirty,
            rng,
        )
        directory = landing_root / "orders" / f"date={day:%Y-%m-%d}"
        directory.mkdir(parents=True, exist_ok=True)
        _clear_partition(directory)
        for stem, table in files.items():
            path = directory / f"{stem}.{EXTENSIONS[fmt]}"
            if stem.startswith("late-"):
                late_files.append((table, path))
            else:
                write_table(table, path, fmt)
        per_day[day] = DayCounts(
            files=len(files),
            rows=sum(table.num_rows for table in files.values()),
            orders=len(frame),
            duplicates=dirt.duplicates,
            updates=len(updates),
            malformed=dirt.malformed,
            nulled_customer_ids=dirt.nulled_customer_ids,
            late_rows=dirt.late_rows,
        )
    # Late files go last so that their modification times follow every on-time file.
    for table, path in late_files:
        write_table(table, path, fmt)
    return SimulationSummary(customers=n_customers, per_day=per_day, anomalies=anomalies)


def _parse_anomaly(text: str) -> tuple[dt.date, str]:
    day, sep, name = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected DAY=NAME, got {text!r}")
    try:
        return dt.date.fromisoformat(day), name
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad day in {text!r}; use YYYY-MM-DD") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; prints the summary as JSON."""
    settings = PlatformSettings.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m devtools.simulate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--landing", default=settings.landing_uri, help="landing directory")
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, default=settings.partitions_start, help="first day"
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders-per-day", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument(
        "--anomaly", type=_parse_anomaly, action="append", default=[], metavar="DAY=NAME"
    )
    parser.add_argument("--no-dirt", action="store_true", help="clean files only")
    parser.add_argument("--no-seasonality", action="store_true", help="flat weekdays")
    args = parser.parse_args(argv)
    if "://" in args.landing:
        parser.error(f"the simulator writes to a local directory, not {args.landing}")
    try:
        summary = generate(
            Path(args.landing),
            args.start,
            args.days,
            args.orders_per_day,
            args.seed,
            fmt=args.format,
            anomalies=dict(args.anomaly),
            dirty=not args.no_dirt,
            seasonality=not args.no_seasonality,
            progress=sys.stderr.isatty(),
        )
    except ValueError as error:
        parser.error(str(error))
    json.dump(summary.to_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
