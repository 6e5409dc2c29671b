"""orders_landing_sensor: loads days whose landing files are new or changed.

Each tick lists the day folders once, then lists the files of only a few days: the days
after the newest one it has seen (new folders, at most `max_new_days` per tick, so a
first tick over years of folders is spread out), and the last `lookback_days` folders
again, which is where late files arrive (a day among those whose folder has gone counts
as a day without files). A folder that appears for an older day (files of a day that
had none, landed late) is listed too: the cursor keeps a digest of the folders up to
the newest day, and when it changes, the days among them that `raw_orders` never
materialized are loaded (else such a day was never loaded, and the anomaly check
deferred every later day whose history window holds it, for ever). The first tick (no
cursor: days run before the sensor was on) also loads again, with no files, a day among
the folders it lists whose folder is gone though `raw_orders` loaded files for it. A day whose
landing fingerprint differs from
the one recorded by its latest `raw_orders` materialization (or that was never
materialized) is loaded: `raw_orders` and everything downstream.

A day whose files are the same (names, sizes, versions) as its latest load, at another
location (`ORDERS_LANDING_URI` moved to a copy of the zone), is not loaded again: its
orders are the same. Every `ORDERS_LANDING_SWEEP_TICKS`-th tick (60; 0: never) also
sweeps the loaded days outside the lookback: their files added, removed or rewritten, or their folder gone, since
raw_orders loaded them, are loaded with the tick's other days; when more of them differ
than a sweep reloads on its own (the lookback, or 5% of the loaded days), or they differ
only by where the landing zone is, it requests none of them and alerts once
(`sensors/landing_sweep.py`).

The days of one tick are loaded in as few runs as possible: consecutive days as one
range run (run key `<first>...<last>:<digest>`, or `<day>:<fingerprint>~<id>` for a lone day,
`<id>` the raw_orders materialization the run replaces, so that files going back to an
earlier state are loaded again),
and the unpartitioned downstream (`customer_metrics`, `customer_clv`,
`warehouse/dim_customers`) once, after all of them. Held days are left to
`orders_anomaly_sensor`, which re-runs them when their files change.

Entries of `orders/` that belong to no day (a file directly under it, a folder that
names no day such as `date=2026-13-45`, `Date=...` or `dt=...`, a linked folder, a
folder of a day before the first partition) are never read, and no day's run sees them:
the tick names them, from the listing of `orders/` it makes anyway (every tick's
outcome in the UI says so while they are there), and when they change it logs a warning
and posts them to the alert webhook, once. They hold no day and fail no run.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import dagster as dg

from orders_core.landing_formats import display_name
from orders_core.pii import redact_emails
from resources.alerts import AlertWebhook
from resources.instance_history import (
    FILES_FINGERPRINT,
    FINGERPRINT,
    RAW_ORDERS,
    failed_partitions,
    latest_materializations,
    latest_storage_ids,
    metadata_values,
)
from resources.landing import (
    LandingZone,
    RefusedFile,
    days_of_folders,
    files_fingerprint,
    fingerprint,
    folder_day,
    misnamed_folder_day,
    partition_days,
)
from resources.telemetry import TelemetryResource
from sensors.batching import Awaiting, DayWork, JobAssets, plan_runs
from sensors.landing_sweep import sweep_landing

SENSOR_NAME = "orders_landing_sensor"
MAX_NEW_DAYS = 400
MAX_OUTSIDE_NAMES = 10


@dataclass
class LandingTick:
    """Requests and the next cursor of one tick."""

    cursor: str
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    # The entries of orders/ that no day reads, and the alert about them when they changed.
    outside_days: list[RefusedFile] = field(default_factory=list)
    alert: str | None = None
    # The sweep's alert: days it found changed that it did not reload on its own.
    sweep_alert: str | None = None


def before_first_day(
    folders: list[str], partitions_def: dg.PartitionsDefinition
) -> list[RefusedFile]:
    """The day folders among ``folders`` whose day comes before the first partition: no
    run is ever asked for their day (later days' folders are read once their day comes)."""
    start = getattr(partitions_def, "start", None)
    if start is None:
        return []
    first = start.date()
    return [
        RefusedFile(
            f"orders/{name}/",
            f"names a day before the first partition day {first.isoformat()}"
            " (ORDERS_PARTITIONS_START): not read",
        )
        for name in folders
        if (day := folder_day(name) or misnamed_folder_day(name)) is not None and day < first
    ]


def outside_days_text(entries: list[RefusedFile]) -> str:
    """One line naming the entries no day reads (the first ``MAX_OUTSIDE_NAMES``), each
    as ``display_name`` shows it: a line break in a name would forge a line of the log."""
    named = "; ".join(
        redact_emails(f"{display_name(e.name)} {e.reason}") for e in entries[:MAX_OUTSIDE_NAMES]
    )
    more = len(entries) - MAX_OUTSIDE_NAMES
    return (
        f"{len(entries)} landing entries outside the days' folders, never read: {named}"
        + (f"; and {more} more" if more > 0 else "")
        + ". Move the files into orders/date=YYYY-MM-DD/ (their UTC day) or remove them."
    )


def candidate_days(
    days: list[dt.date], newest_seen: str | None, lookback_days: int, max_new_days: int
) -> list[dt.date]:
    """Days to list this tick: the newest seen folders again, then new ones (capped)."""
    seen = [d for d in days if newest_seen and d.isoformat() <= newest_seen]
    new = [d for d in days if not newest_seen or d.isoformat() > newest_seen]
    return seen[-lookback_days:] + new[:max_new_days]


def folders_digest(days: list[str]) -> str:
    """A short digest of a list of day keys (the folders up to the newest day)."""
    return hashlib.sha256("\n".join(days).encode()).hexdigest()[:16]


def late_folders(
    instance: dg.DagsterInstance, older: list[str], digest: str | None, listed_now: set[str]
) -> list[str]:
    """Days of ``older`` (the folders up to the newest day seen) that raw_orders never
    materialized, looked up only when their digest differs from ``digest`` (a folder
    appeared, or went, among them); days in ``listed_now`` are listed anyway."""
    if digest == folders_digest(older):
        return []
    unlisted = [day for day in older if day not in listed_now]
    loaded = latest_storage_ids(instance, RAW_ORDERS, unlisted)
    return [day for day in unlisted if day not in loaded]


def gone_before_first_tick(
    instance: dg.DagsterInstance, watched: list[dt.date], present: set[str]
) -> dict[str, str]:
    """The days between the first and last of ``watched`` that raw_orders loaded from
    files but whose folder is gone, each with the fingerprint of no file: on a first tick
    (no cursor yet: the days were run before the sensor was on, then their folder went)
    no earlier tick saw them, and they would keep what their files published for ever.
    Two queries, for the days without a folder in that span (none when there is none)."""
    if not watched:
        return {}
    first, last = min(watched), max(watched)
    span = ((first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days))
    missing = [day for day in span if day not in present]
    if not missing:
        return {}
    empty = fingerprint([])
    return {
        day: empty
        for day, record in latest_materializations(instance, RAW_ORDERS, missing).items()
        if str(metadata_values(record).get(FINGERPRINT, "")) != empty
    }


def evaluate_landing(
    instance: dg.DagsterInstance,
    cursor: str | None,
    landing: LandingZone,
    partitions_def: dg.PartitionsDefinition,
    lookback_days: int,
    job: JobAssets,
    max_new_days: int = MAX_NEW_DAYS,
    sweep_ticks: int = 0,
) -> LandingTick:
    """One tick of the landing sensor, without Dagster's sensor context; every
    ``sweep_ticks``-th tick (0: none) with a sweep (:mod:`sensors.landing_sweep`)."""
    if missing := landing.missing_root():
        # A mistyped ORDERS_LANDING_URI, or a clone before `make run` made data/landing:
        # said on every tick (its days are neither new nor gone), and the cursor kept.
        return LandingTick(cursor=cursor or "", decisions=[f"nothing requested: {missing}"])
    state = json.loads(cursor) if cursor else {"newest": None, "seen": {}}
    awaiting = Awaiting.from_dict(state.get("downstream"))
    orders = landing.scan_orders()  # one listing of orders/: its folders and strays
    listed = partition_days(days_of_folders(orders.day_folders), partitions_def)
    outside = sorted(
        [*orders.outside_days, *before_first_day(orders.day_folders, partitions_def)],
        key=lambda entry: entry.name,
    )
    days = candidate_days(listed, state["newest"], lookback_days, max_new_days)
    watched = list(days)
    if state["newest"]:
        older = [d.isoformat() for d in listed if d.isoformat() <= state["newest"]]
        late = late_folders(instance, older, state.get("folders"), {d.isoformat() for d in days})
        watched += [dt.date.fromisoformat(day) for day in late]
    # One listing of them all (on S3 a request per page of keys, not one a day).
    files = {d.isoformat(): listed for d, listed in landing.files_of_days(watched).items()}
    now = {day: fingerprint(listed) for day, listed in files.items()}
    # A watched day whose folder is gone (on S3, the prefix of a deleted last file) has
    # no files now: loaded again, it withdraws what its files had published.
    present = {d.isoformat() for d in listed}
    now |= {day: fingerprint([]) for day in state["seen"] if day not in present}
    if not state["newest"]:
        now |= gone_before_first_tick(instance, watched, present)
    changed = [day for day, fp in now.items() if state["seen"].get(day) != fp]
    tick = LandingTick(cursor="", outside_days=outside)
    outside_digest = folders_digest([f"{e.name}\0{e.reason}" for e in outside])
    if outside:
        tick.decisions.append(outside_days_text(outside))
        if state.get("outside") != outside_digest:
            tick.alert = f"orders landing zone: {tick.decisions[-1]}"
    work: list[DayWork] = []
    if changed:
        records = latest_materializations(instance, RAW_ORDERS, changed)
        values = {day: metadata_values(record) for day, record in records.items()}
        loaded = {day: str(value.get(FINGERPRINT, "")) for day, value in values.items()}
        held = failed_partitions(instance, changed)
        for day in changed:
            if loaded.get(day) == now[day]:
                continue
            if (
                day in files
                and day in values
                and values[day].get(FILES_FINGERPRINT) == (files_fingerprint(files[day]))
            ):
                tick.decisions.append(
                    f"{day}: the same files at another location (ORDERS_LANDING_URI moved),"
                    " not loaded again"
                )
                continue
            if day in held:
                tick.decisions.append(f"{day}: files changed but held; orders_anomaly_sensor")
                continue
            why = (
                "new"
                if day not in loaded
                else "folder gone"
                if day not in present
                else "files changed"
            )
            tick.decisions.append(f"{day}: {why}, load")
            replaces = records[day].storage_id if day in records else None
            work.append(DayWork(day, now[day], job.all, "landing", replaces=replaces))
    ticks = state.get("ticks", 0) + 1
    sweep_state = state.get("sweep")
    if sweep_ticks and state["newest"] and ticks >= sweep_ticks:
        ticks = 0
        newest_seen = state["newest"]
        sweep = sweep_landing(
            instance,
            landing,
            [d for d in listed if d.isoformat() <= newest_seen and d.isoformat() not in now],
            [
                key
                for key in partitions_def.get_partition_keys()
                if key <= newest_seen and key not in now
            ],
            lookback_days,
            job,
            sweep_state,
        )
        work += sweep.work
        tick.decisions += sweep.decisions
        tick.sweep_alert = sweep.alert
        sweep_state = sweep.state
    plan = plan_runs(instance, SENSOR_NAME, work, job, awaiting, "landing-downstream")
    tick.run_requests += plan.run_requests
    tick.decisions += plan.decisions
    newest = max([state["newest"] or "", *now], default="") or None
    known = [d.isoformat() for d in listed if newest and d.isoformat() <= newest]
    # Only the days the next tick lists again need their fingerprint remembered.
    keep = set(known[-lookback_days:])
    seen = {day: fp for day, fp in {**state["seen"], **now}.items() if day in keep}
    folders = folders_digest(known)
    tick.cursor = json.dumps(
        {
            "newest": newest,
            "seen": seen,
            "folders": folders,
            "outside": outside_digest if outside else None,
            "downstream": awaiting.to_dict(),
            "ticks": ticks,
            "sweep": sweep_state,
        },
        sort_keys=True,
    )
    return tick


# The sensor's page shows this as plain text (the module's docstring above is for the code).
DESCRIPTION = (
    "Loads the days whose landing files are new or changed (also a day whose folder lands"
    " late): raw_orders and everything downstream, consecutive days in one run, the"
    " customer tables once after them. Every tick lists the last ORDERS_LANDING_LOOKBACK_DAYS"
    " days; every ORDERS_LANDING_SWEEP_TICKS-th tick sweeps the older ones. Held days are left to orders_anomaly_sensor. Each"
    " tick names the landing entries no day reads (a file directly under orders/, a folder"
    " that names no day). Details: README, Checks, holds and sensors."
)


def build_landing_sensor(
    job_name: str,
    partitions_def: dg.PartitionsDefinition,
    lookback_days: int,
    job: JobAssets,
    sweep_ticks: int = 0,
) -> dg.SensorDefinition:
    """orders_landing_sensor over ``partitions_def``, requesting runs of ``job_name`` (the
    assets of ``job``), sweeping every ``sweep_ticks``-th tick (0: never)."""

    @dg.sensor(
        name=SENSOR_NAME,
        job_name=job_name,
        minimum_interval_seconds=60,
        description=DESCRIPTION,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def orders_landing_sensor(
        context: dg.SensorEvaluationContext,
        landing: LandingZone,
        alert_webhook: AlertWebhook,
        telemetry: TelemetryResource,
    ) -> dg.SensorResult:
        with telemetry.sensor_span(context, SENSOR_NAME) as span:
            tick = evaluate_landing(
                context.instance,
                context.cursor,
                landing,
                partitions_def,
                lookback_days,
                job,
                sweep_ticks=sweep_ticks,
            )
            span.record_decisions(tick.decisions, tick.run_requests)
        for alert, what in (
            (tick.alert, "landing entries outside the days"),
            (tick.sweep_alert, "the sweep's days not reloaded"),
        ):
            if alert:
                context.log.warning(alert)
                if alert_webhook.enabled and not alert_webhook.post(alert):
                    context.log.warning(f"alert webhook post failed ({what})")
        for decision in tick.decisions:
            context.log.info(decision)
        return dg.SensorResult(
            run_requests=tick.run_requests,
            cursor=tick.cursor,
            skip_reason=None
            if tick.run_requests
            else "; ".join(tick.decisions) or "no new or changed landing files",
        )

    return orders_landing_sensor
