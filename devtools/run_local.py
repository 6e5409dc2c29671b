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
(everything downstream, with fx_rates reloaded, one run for all days). When the blocking ``metadata_anomaly``
check holds days, or ``schema_drift`` fails days with ERROR, the normal days are
published in one run per stretch of consecutive normal days (customer metrics and CLV
once, in the last); a held day's downstream is never planned, so the UI shows it
missing, not failed. The held days are listed at the end with why and how to release
them, the drifting days with their findings.

Exit code: 0 when every landed day is published or held by metadata_anomaly (a hold is
the platform doing its job); 1 when a day failed another blocking check (its files need
fixing; the other days are published), a run failed, or nothing ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import time
import uuid
import warnings
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import duckdb

from devtools.demo_env import FILE_NAME, VARIABLE, recorded_start, write_start
from devtools.run_progress import FailedCheck, RunTally, watch_run
from orders_core.tables import (
    FX_RATES,
    METADATA_ANOMALY,
    METADATA_ANOMALY_OP,
    RAW_ORDERS,
    SCHEMA_DRIFT,
)
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings, cli_settings, is_set, parse_day, read_dotenv
from resources.warehouse_pool import ensure_warehouse_pool
from sensors.alerting import drift_first, release_command

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


def calendar(first: str, last: str) -> list[str]:
    """Every day from ``first`` to ``last``, both included: what a range run covers."""
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def stretches(days: list[str], held: set[str]) -> list[tuple[str, str]]:
    """(first, last) of each run of consecutive calendar days from the first of ``days``
    to the last not in ``held``. A range run covers the days between landed ones too (a
    gap without a landed file), which metadata_anomaly judges, and may hold, as drops."""
    found: list[tuple[str, str]] = []
    current: list[str] = []
    for day in [*(calendar(days[0], days[-1]) if days else []), None]:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make run",
        description=(
            "Generate the demo if the landing zone is empty (days ending yesterday, one "
            "injected anomaly), load and judge every landed day, publish the days not held, "
            "and list the held ones with the release command."
        ),
        epilog=__doc__.split("\n\n")[-1],
    )
    parser.add_argument(
        "--days", type=int, default=45, help="demo days to generate, ending yesterday (45)"
    )
    parser.add_argument("--orders-per-day", type=int, default=2000, help="demo volume (2000)")
    parser.add_argument("--seed", type=int, default=7, help="demo random seed (7)")
    parser.add_argument(
        "--no-anomaly", action="store_true", help="generate the demo without an injected anomaly"
    )
    return parser


def prepare_landing(
    settings: PlatformSettings, args: argparse.Namespace, yesterday: dt.date
) -> PlatformSettings:
    """Generate the demo if the landing zone is empty; return the settings to run with."""
    from devtools.simulate import generate

    landing_root = Path(settings.landing_uri)
    users_start = is_set(VARIABLE)
    source = "yours" if users_start else "the default"
    if not LocalLandingZone(root=settings.landing_uri).list_days():
        users_day = parse_day(settings.partitions_start, VARIABLE) if users_start else None
        demo = plan_demo(args.days, yesterday, users_day, anomaly=not args.no_anomaly)
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
    else:
        if given := demo_options(args):
            print(
                f"Landing zone {landing_root} has files: {', '.join(given)} shape only a demo"
                " generated on an empty one, so they are ignored (empty it, or for the"
                " defaults `rm -rf data .dagster_home`, to generate another)."
            )
        if recorded := recorded_start(settings):
            settings = replace(settings, partitions_start=recorded)
            source = f"the demo's first day, from {landing_root / FILE_NAME}"
    print(f"Daily partitions start {settings.partitions_start} ({source}).")
    return settings


def demo_options(args: argparse.Namespace) -> list[str]:
    """The options of ``args`` set to other than their defaults (all of them shape the demo)."""
    defaults = vars(_parser().parse_args([]))
    return [
        "--" + name.replace("_", "-")
        for name, value in vars(args).items()
        if value != defaults.get(name)
    ]


@dataclass
class Runner:
    """Range runs of the all-assets job, in process, each printed step by step."""

    job: dg.JobDefinition
    instance: dg.DagsterInstance
    days: list[str]
    telemetry: object

    def run(
        self,
        label: str,
        first: str,
        last: str,
        selection: list[dg.AssetKey],
        tags: dict[str, str],
    ) -> tuple[dg.ExecuteInProcessResult, RunTally]:
        from sensors.run_telemetry import emit_finished_run_span

        run_id = str(uuid.uuid4())
        count = len(calendar(first, last))
        landed = sum(first <= day <= last for day in self.days)
        days = f"{count} days" + (f", {landed} landed" if landed != count else "")
        print(f"{label} {first}...{last} ({days}), run {run_id[:8]}")
        began = time.perf_counter()
        with watch_run(self.instance, run_id, held_check=METADATA_ANOMALY) as tally:
            result = self.job.execute_in_process(
                instance=self.instance,
                run_id=run_id,
                asset_selection=selection,
                tags={
                    "dagster/asset_partition_range_start": first,
                    "dagster/asset_partition_range_end": last,
                    **tags,
                },
                run_config=QUIET_LOGS,
                raise_on_error=False,
            )
        failure = None if result.success else result.get_run_failure_event().message
        # No daemon watches an in-process run: close its trace here (a no-op untraced).
        emit_finished_run_span(self.telemetry, self.instance, result.dagster_run, failure)
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


def _failures(
    result: dg.ExecuteInProcessResult, tally: RunTally, held: Collection[str] = ()
) -> dict[str, str]:
    """What failed in a run, other than the metadata_anomaly step when it held days."""
    found = {
        step: message
        for step, message in tally.failed_steps.items()
        if not (step == METADATA_ANOMALY_OP and held)
    }
    if not result.success and not tally.failed_steps:
        found["run"] = result.get_run_failure_event().message
    return found


def _blocking_failures(checks: list[FailedCheck]) -> list[FailedCheck]:
    """The failures with ERROR of the blocking checks other than the anomaly hold (all the
    platform's checks that fail with ERROR are blocking)."""
    return [c for c in checks if c.check != METADATA_ANOMALY and c.severity == "ERROR"]


def report_blocked(checks: list[FailedCheck]) -> None:
    """The days a blocking check other than the anomaly hold failed (with ERROR), each with
    the check's own words, and what to do: the step's failure names the check only."""
    blocked = _blocking_failures(checks)
    if not blocked:
        return
    print("Failed blocking checks (nothing is built on those days):")
    for check in sorted(blocked, key=lambda c: (c.partition or "", c.check)):
        unreadable = check.metadata.get("unreadable_files")
        extra = f"; unreadable files: {unreadable}" if unreadable else ""
        print(
            f"  {check.partition or '-'}  {check.check} on {check.asset}: {check.description}{extra}"
        )
    print("  Fix those days' landing files, then `make run` again (it runs every landed day).")


def report_held(
    held: dict[str, FailedCheck],
    dagster_home: str,
    drift: dict[str, str] | None = None,
    settings: str = "",
) -> None:
    """Each held day with the check's verdict and top drivers, and how to release it (the
    command prefixed with ``settings``, :func:`cli_settings`); a day that also fails
    schema_drift (``drift``: day -> finding) with the fix of its files instead, which a
    release could not replace."""
    drift = drift or {}
    print(f"Held by metadata_anomaly, not published: {len(held)} day(s).")
    for day, check in sorted(held.items()):
        verdict, *drivers = _why(check.description)
        print(f"  {day}  {verdict}")
        for driver in drivers:
            print(f"      {driver}")
        if day in drift:
            print(f"      {drift_first(drift[day])}")
    releasable = sorted(set(held) - set(drift))
    if releasable:
        print("  Review the day; if its data is right, release it (from the repository root):")
    # The listing prints release commands too: it needs the same settings as they do.
    home = f"DAGSTER_HOME={shlex.quote(dagster_home)}"
    prefix = " ".join(part for part in (home, settings) if part)
    for day in releasable:
        print(f"    {prefix} {release_command(day, '.venv/bin/dg')}")
    print(f"  Held days and why: {prefix} .venv/bin/python -m devtools.held")
    print("  Or land corrected files for the day: orders_anomaly_sensor re-runs it.")


def print_warehouse(duckdb_path: str) -> None:
    print(f"Warehouse {duckdb_path}:")
    try:
        with duckdb.connect(duckdb_path, read_only=True) as conn:
            for sql, line in SUMMARY:
                print("  " + line.format(*conn.execute(sql).fetchone()))
    except duckdb.Error as error:  # nothing published yet: the failure is reported below
        print(f"  not readable: {str(error).splitlines()[0]}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if names := read_dotenv():
        print(f"Read .env as Dagster's CLI does (over exported values): {', '.join(names)}")
    quiet_warnings()
    # Imported after the warning filters: building the definitions emits Dagster's notices.
    from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
    from resources.telemetry_setup import configure_telemetry

    settings = PlatformSettings.from_env()
    if settings.env != "local":
        parser.error("make run uses the embedded default; unset PLATFORM_ENV or set it to local")
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    try:
        settings = prepare_landing(settings, args, yesterday)
    except ValueError as error:
        parser.error(str(error))
    first_allowed = parse_day(settings.partitions_start, VARIABLE)
    landed = LocalLandingZone(root=settings.landing_uri).list_days()
    days = [d.isoformat() for d in landed if first_allowed <= d <= yesterday]
    if len(days) < len(landed):
        outside = len(landed) - len(days)
        print(f"  ({outside} landed days outside {first_allowed}...{yesterday} left out)")
    if not days:
        print("No landed day falls inside the partitions; nothing to run.")
        return 1

    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    raw_orders = dg.AssetKey(RAW_ORDERS.key)
    downstream = dg.AssetSelection.assets(raw_orders).downstream(include_self=False)
    below_raw = sorted(downstream.resolve(graph), key=lambda key: key.to_user_string())
    daily = [key for key in below_raw if graph.get(key).partitions_def is not None]
    # The customer tables convert with the rates landed now: reloaded in the same run.
    fx_rates = dg.AssetKey(FX_RATES.key)

    with dg.DagsterInstance.get() as instance:
        # Before `make ui` or a bare `dg dev` queues runs here (resources/warehouse_pool.py).
        ensure_warehouse_pool(instance)
        # Days loaded before whose folder is gone: loaded again without files, which
        # withdraws what those files published.
        window = (first_allowed.isoformat(), yesterday.isoformat())
        gone = sorted(
            day
            for day in instance.get_materialized_partitions(raw_orders)
            if window[0] <= day <= window[1] and day not in days
        )
        if gone:
            print(f"  {len(gone)} day(s) loaded before have no folder now: loaded again, empty")
            days = sorted({*days, *gone})
        runner = Runner(defs.resolve_job_def(ALL_ASSETS_JOB), instance, days, configure_telemetry())
        # Load and judge first, publish after: a held day's downstream is then never
        # planned, so the UI shows it missing (not failed), and the judged normal days are
        # published by ranges, with customer metrics and CLV computed once, at the end.
        result, tally = runner.run(
            "Load and judge (raw_orders and its checks)",
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
        failures = _failures(result, tally, held)
        blocked = list(tally.failed_checks)
        # Days another blocking check failed with ERROR (schema_drift): not published
        # either, and `make run` fails on them (their files need fixing).
        drifting = {c.partition for c in _blocking_failures(blocked) if c.partition}
        unpublished = set(held) | drifting
        if not failures:
            normal = stretches(days, unpublished)
            if unpublished:
                named = [
                    f"metadata_anomaly held {', '.join(sorted(held))}" if held else "",
                    f"schema_drift failed {', '.join(sorted(drifting - set(held)))}"
                    if drifting - set(held)
                    else "",
                ]
                print(
                    f"{'; '.join(n for n in named if n)}. Publishing the "
                    f"{len(set(days) - unpublished)} other landed days in {len(normal)} run(s)."
                )
            for i, (first, last) in enumerate(normal, start=1):
                # Customer metrics and CLV cover all history: computed once, in the last run.
                last_run = i == len(normal)
                label = "Publish (everything downstream of raw_orders)"
                if len(normal) > 1:
                    what = "daily tables, customers, CLV" if last_run else "daily tables"
                    label = f"Publish {i}/{len(normal)} ({what})"
                selection = [fx_rates, *below_raw] if last_run else daily
                result, tally = runner.run(label, first, last, selection, {STAGE_TAG: "publish"})
                failures = _failures(result, tally)
                blocked += tally.failed_checks
                if failures:
                    break
        print_warehouse(settings.duckdb_path)
        if held:
            drift = {
                c.partition: c.description
                for c in blocked
                if c.check == SCHEMA_DRIFT and c.severity == "ERROR" and c.partition in held
            }
            report_held(held, instance.root_directory, drift, cli_settings(settings))
    for step, message in failures.items():
        print(f"FAILED {step}: {message}")
    # Every day a blocking check failed with ERROR, in any run (the publish runs' quality
    # checks too): left out while the run's other days went on.
    failed_days = {c.partition for c in _blocking_failures(blocked) if c.partition} - set(held)
    for check in sorted(
        {c.check for c in _blocking_failures(blocked) if c.partition in failed_days}
    ):
        days_failed = sorted(
            c.partition for c in _blocking_failures(blocked) if c.check == check and c.partition
        )
        print(f"FAILED {check}: {', '.join(days_failed)} not published")
    if failures or failed_days:
        report_blocked(blocked)
    took = _seconds(time.perf_counter() - started)
    published = len(set(days) - set(held) - failed_days)
    if failures or failed_days:
        print(
            f"FAILED after {took} (exit code 1; {published} days published). Runs and logs:"
            " `make ui` (http://127.0.0.1:3000)."
        )
        return 1
    summary = f"{published} days published"
    if held:
        summary += f", {len(held)} held (exit code 0: a hold is not a failure)"
    print(f"Done in {took}: {summary}. Browse it with `make ui` (http://127.0.0.1:3000).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
