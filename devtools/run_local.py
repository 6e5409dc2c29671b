"""``make run``: the demo on the embedded default, start to finish.

On an empty landing zone it generates ``--days`` demo days ending yesterday (UTC), with a
volume spike injected a few days before the end, and takes the demo's first day as the
first daily partition: the partitions match the data (no sea of missing days, and the
UI's per-partition plots, which read the latest 120 partitions, show every demo day).
That day is recorded in ``<landing>/demo.env`` so later ``make run`` and ``make ui``
use the same partitions. An ORDERS_PARTITIONS_START you set always wins (the demo then
starts on it); an ORDERS_LANDING_URI you set is used as the landing zone.

It then materializes every asset for the landed days on the instance in DAGSTER_HOME (so
``make ui`` shows it), printing each step as it finishes, in two stages of range runs:
**load and judge** (raw_orders and its checks, all days in one run), then **publish**
(everything downstream, one run for all days). When the blocking ``metadata_anomaly``
check holds days, the first run stops there, and the normal days are published in one
run per stretch of consecutive normal days (customer metrics and CLV once, in the last);
a held day's downstream is never planned, so the UI shows it missing, not failed. The
held days are listed at the end with why and how to release them.

Exit code: 0 when every landed day is published or held by metadata_anomaly (a hold is
the platform doing its job); 1 when a run failed for any other reason, or nothing ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import duckdb

from devtools.demo_env import FILE_NAME, VARIABLE, recorded_start, write_start
from orders_core.tables import METADATA_ANOMALY, METADATA_ANOMALY_OP, RAW_ORDERS
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings, is_set, parse_day
from sensors.alerting import release_command

SUMMARY = (
    (
        "select count(*), count(distinct partition_date), coalesce(sum(amount), 0)"
        " from warehouse.fct_orders",
        "warehouse.fct_orders       {:,} orders over {} days, revenue {:,.2f}",
    ),
    (
        "select count(*), count(*) filter (where frequency > 0) from warehouse.dim_customers",
        "warehouse.dim_customers    {:,} customers, {:,} with repeat purchases",
    ),
    (
        "select count(*), count(distinct reason_code) from staging.quarantined_orders",
        "staging.quarantined_orders {:,} rows rejected ({} distinct reason codes)",
    ),
)
# Progress comes from the event log (devtools.run_progress); Dagster's own console
# logger would print every event, and a held day's check failure as a stack trace.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
DEMO_ANOMALY = "volume_spike"
ANOMALY_DAYS_BEFORE_END = 4
STAGE_TAG = "orders/make_run"  # load (raw_orders and its checks) or publish (downstream)


def quiet_warnings() -> None:
    """Dagster's beta, preview and deprecation notices say nothing about the data."""
    for category in (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@dataclass(frozen=True)
class Demo:
    """The demo days to generate: first day, count, and the injected anomaly."""

    start: dt.date
    days: int
    anomaly_day: dt.date | None

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)


def plan_demo(days: int, yesterday: dt.date, start: dt.date | None, anomaly: bool = True) -> Demo:
    """``days`` days ending yesterday, or from ``start`` (the user's) up to yesterday at most."""
    if start is None:
        start = yesterday - dt.timedelta(days=days - 1)
    else:
        days = min(days, (yesterday - start).days + 1)
        if days < 1:
            raise ValueError(f"{VARIABLE}={start} is not before today (UTC)")
    offset = days - 1 - ANOMALY_DAYS_BEFORE_END
    anomaly_day = start + dt.timedelta(days=offset) if anomaly and offset > 0 else None
    return Demo(start=start, days=days, anomaly_day=anomaly_day)


def stretches(days: list[str], held: set[str]) -> list[tuple[str, str]]:
    """(first, last) of each run of consecutive days of ``days`` not in ``held``."""
    found: list[tuple[str, str]] = []
    current: list[str] = []
    for day in [*days, None]:
        if day is not None and day not in held:
            current.append(day)
        elif current:
            found.append((current[0], current[-1]))
            current = []
    return found


def _seconds(total: float) -> str:
    minutes, seconds = divmod(round(total), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _why(description: str, drivers: int = 3) -> list[str]:
    """The check's verdict, then its top drivers (the description is "verdict; driver; ...")."""
    parts = [part.strip() for part in description.split("; ") if part.strip()]
    return parts[: 1 + drivers] or ["metadata_anomaly failed"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make run",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n")[-1],
    )
    parser.add_argument("--days", type=int, default=45, help="demo days to generate if empty")
    parser.add_argument("--orders-per-day", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-anomaly", action="store_true", help="generate the demo without an injected anomaly"
    )
    args = parser.parse_args(argv)
    quiet_warnings()
    started = time.perf_counter()
    # Imported after the warning filters: building the definitions emits Dagster's notices.
    from devtools.run_progress import watch_run
    from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
    from resources.telemetry_setup import configure_telemetry
    from sensors.run_telemetry import emit_finished_run_span

    settings = PlatformSettings.from_env()
    if settings.env != "local":
        parser.error("make run uses the embedded default; unset PLATFORM_ENV or set it to local")
    landing_root = Path(settings.landing_uri)
    landing = LocalLandingZone(root=settings.landing_uri)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    users_start = is_set(VARIABLE)
    source = "yours" if users_start else "the default"
    if not landing.list_days():
        from devtools.simulate import generate

        try:
            demo = plan_demo(
                args.days,
                yesterday,
                parse_day(settings.partitions_start, VARIABLE) if users_start else None,
                anomaly=not args.no_anomaly,
            )
        except ValueError as error:
            parser.error(str(error))
        spike = f", a volume spike on {demo.anomaly_day}" if demo.anomaly_day else ""
        print(
            f"Landing zone {landing_root} is empty: generating {demo.days} demo days "
            f"{demo.start}...{demo.end} ({args.orders_per_day:,} orders a day{spike})."
        )
        generate(
            landing_root=landing_root,
            start=demo.start,
            days=demo.days,
            orders_per_day=args.orders_per_day,
            seed=args.seed,
            anomalies={demo.anomaly_day: DEMO_ANOMALY} if demo.anomaly_day else None,
        )
        if not users_start:
            settings = replace(settings, partitions_start=demo.start.isoformat())
            source = f"the demo's first day, saved in {write_start(landing_root, demo.start)}"
    elif recorded := recorded_start(settings):
        settings = replace(settings, partitions_start=recorded)
        source = f"the demo's first day, from {landing_root / FILE_NAME}"
    print(f"Daily partitions start {settings.partitions_start} ({source}).")

    first_allowed = parse_day(settings.partitions_start, VARIABLE)
    landed = landing.list_days()
    days = [d.isoformat() for d in landed if first_allowed <= d <= yesterday]
    if len(days) < len(landed):
        print(
            f"  ({len(landed) - len(days)} landed days outside {first_allowed}...{yesterday} left out)"
        )
    if not days:
        print("No landed day falls inside the partitions; nothing to run.")
        return 1

    defs = build_definitions(settings)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    graph = defs.resolve_asset_graph()
    downstream = dg.AssetSelection.assets(RAW_ORDERS.key).downstream(include_self=False)
    below_raw = sorted(downstream.resolve(graph), key=lambda key: key.to_user_string())
    partitioned = [key for key in below_raw if graph.get(key).partitions_def is not None]
    raw_orders = dg.AssetKey(RAW_ORDERS.key)
    telemetry = configure_telemetry()

    with dg.DagsterInstance.get() as instance:

        def run(label: str, first: str, last: str, selection=None, extra_tags=None):
            run_id = str(uuid.uuid4())
            count = len(days[days.index(first) : days.index(last) + 1])
            print(f"{label}: {first}...{last} ({count} days), run {run_id[:8]}")
            began = time.perf_counter()
            with watch_run(instance, run_id, held_check=METADATA_ANOMALY) as tally:
                result = job.execute_in_process(
                    instance=instance,
                    run_id=run_id,
                    asset_selection=selection,
                    tags={
                        "dagster/asset_partition_range_start": first,
                        "dagster/asset_partition_range_end": last,
                        **(extra_tags or {}),
                    },
                    run_config=QUIET_LOGS,
                    raise_on_error=False,
                )
            failure = None if result.success else result.get_run_failure_event().message
            # No daemon watches an in-process run: close its trace here (a no-op untraced).
            emit_finished_run_span(telemetry, instance, result.dagster_run, failure)
            if tally.skipped_steps:
                print(f"  ({len(tally.skipped_steps)} steps skipped)")
            took = _seconds(time.perf_counter() - began)
            if result.success:
                print(f"  run {run_id[:8]} succeeded in {took}")
            elif set(tally.failed_steps) == {METADATA_ANOMALY_OP}:
                print(f"  run {run_id[:8]} stopped by the hold in {took} (the UI shows it failed)")
            else:
                print(f"  run {run_id[:8]} FAILED in {took}")
            return result, tally

        # Load and judge first, publish after: a held day's downstream is then never
        # planned, so the UI shows it missing (not failed), and the judged normal days are
        # published by ranges, with customer metrics and CLV computed once, at the end.
        result, tally = run(
            "Load and judge: raw_orders and its checks",
            days[0],
            days[-1],
            [raw_orders],
            {STAGE_TAG: "load"},
        )
        held = {
            check.partition: check
            for check in tally.failed_checks
            if check.check == METADATA_ANOMALY and check.partition
        }
        other_failures = {k: m for k, m in tally.failed_steps.items() if k != METADATA_ANOMALY_OP}
        ok = result.success or (bool(held) and not other_failures and bool(tally.failed_steps))
        if ok:
            normal = stretches(days, set(held))
            if held:
                print(
                    f"metadata_anomaly held {', '.join(sorted(held))}. Publishing the "
                    f"{len(days) - len(held)} other days in {len(normal)} run(s)."
                )
            for i, (first, last) in enumerate(normal, start=1):
                last_run = i == len(normal)
                # Customer metrics and CLV cover all history: computed once, in the last run.
                selection = below_raw if last_run else partitioned
                label = "Publish: everything downstream of raw_orders"
                if len(normal) > 1:
                    label = f"Publish {i}/{len(normal)}: " + (
                        "everything downstream of raw_orders" if last_run else "daily tables"
                    )
                published, _ = run(label, first, last, selection, {STAGE_TAG: "publish"})
                ok = ok and published.success

        print(f"Warehouse {settings.duckdb_path}:")
        with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
            for sql, line in SUMMARY:
                print("  " + line.format(*conn.execute(sql).fetchone()))
        if held:
            home = instance.root_directory
            print(f"{len(held)} day(s) held by metadata_anomaly, not published (the others are):")
            for day, check in sorted(held.items()):
                verdict, *drivers = _why(check.description)
                print(f"  {day}  {verdict}")
                for driver in drivers:
                    print(f"      {driver}")
            print("  Review the day, then release it (from the repository root):")
            for day in sorted(held):
                print(f"    DAGSTER_HOME={home} .venv/bin/{release_command(day)}")
            print(
                f"  List held days and why: DAGSTER_HOME={home} .venv/bin/python -m devtools.held"
            )
            print("  Or replace the day's files: orders_anomaly_sensor re-runs it (`make ui`).")
        elif not ok:
            for step, message in (other_failures or tally.failed_steps).items():
                print(f"FAILED {step}: {message}")
    outcome = "done" if ok else "FAILED (exit code 1)"
    print(f"{outcome.capitalize()} in {_seconds(time.perf_counter() - started)}.", end=" ")
    print("Browse it with `make ui` (http://127.0.0.1:3000).")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
