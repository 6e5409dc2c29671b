"""orders_landing_sensor's sweep: late files of days older than its lookback.

A tick lists the files of its last ``ORDERS_LANDING_LOOKBACK_DAYS`` folders and of new
ones only. Every ``ORDERS_LANDING_SWEEP_TICKS``-th tick also sweeps every other loaded
day: one listing of all the day folders (on S3 one paginated walk of ``orders/``), the
latest raw_orders materialization of every day up to the newest seen (two instance
queries), and the days whose landing fingerprint differs from the one it recorded (a
file added, removed or rewritten; a folder gone) are loaded again with the tick's other
days. Which days are loaded depends on the listing and the instance only, never on the
clock; the tick count only says when to look.

A fingerprint also changes when no row did: it digests each file's full URI and version,
so ``ORDERS_LANDING_URI`` pointed at a copy of the zone, or files copied with new
modification times (S3: new ETags), change every day's. Reloading them all would run
years of history again and judge its holds anew, so the sweep loads nothing on its own:

* of a day whose files have the same names, sizes and versions as raw_orders loaded
  (``orders/landing_files``), only somewhere else (the zone moved): nothing changed but
  the lineage column ``source_file``;
* of any day, when more days differ than :func:`mass_bound` (the lookback, or 5% of the
  loaded days if more): a copy with new versions, days recorded by a release before
  ``orders/landing_files``, or files really rewritten en masse, which a person decides.

Either way it alerts once (log and the alert webhook) with the count, example days, the
likely causes and the command that reloads them by hand, and again only when the set of
such days changes. A day it requested is not requested again while its files and its
latest load stay the same (its run still going, or failed: the run failure sensor says
so). Held days are left to orders_anomaly_sensor, as on any tick.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

from resources.instance_history import (
    FILES_FINGERPRINT,
    FINGERPRINT,
    RAW_ORDERS,
    failed_partitions,
    latest_materializations,
    metadata_values,
)
from resources.landing import LandingZone, files_fingerprint, fingerprint
from sensors.batching import DayWork, JobAssets

# A sweep reloads on its own at most this share of the loaded days (or the lookback).
MASS_SHARE = 0.05
EXAMPLE_DAYS = 5


@dataclass
class Sweep:
    """What one sweep wants loaded, says and alerts, and its part of the next cursor."""

    work: list[DayWork] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    alert: str | None = None
    state: dict = field(default_factory=dict)


def mass_bound(lookback_days: int, loaded_days: int) -> int:
    """The most days one sweep reloads on its own: the lookback, or 5% of the loaded days."""
    return max(lookback_days, math.ceil(MASS_SHARE * loaded_days))


def reload_command(days: Iterable[str]) -> str:
    """The command that loads ``days`` again by hand: one range run from the first to the
    last (days between whose files did not change load to the same rows)."""
    ordered = sorted(days)
    span = ordered[0] if len(ordered) == 1 else f"{ordered[0]}...{ordered[-1]}"
    option = "--partition" if len(ordered) == 1 else "--partition-range"
    return f"dg launch --assets 'raw_orders*' {option} {span}"


def _examples(days: list[str]) -> str:
    shown = ", ".join(days[:EXAMPLE_DAYS])
    return shown + (f" and {len(days) - EXAMPLE_DAYS} more" if len(days) > EXAMPLE_DAYS else "")


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def sweep_landing(
    instance: dg.DagsterInstance,
    landing: LandingZone,
    folders: list[dt.date],
    loaded_span: list[str],
    lookback_days: int,
    job: JobAssets,
    state: dict | None,
) -> Sweep:
    """Compare the files of ``folders`` (day folders the tick did not list otherwise) with
    the latest raw_orders loads of the days of ``loaded_span`` (every day up to the newest
    seen that the tick did not list otherwise); ``state``: the last sweep's."""
    state = state or {}
    requested: dict[str, str] = state.get("requested", {})
    files = {day.isoformat(): listed for day, listed in landing.files_of_days(folders).items()}
    records = latest_materializations(instance, RAW_ORDERS, loaded_span)
    differ: dict[str, DayWork] = {}
    why: dict[str, str] = {}
    moved: list[str] = []
    earlier: list[str] = []  # recorded before orders/landing_files
    for day in sorted(records):
        values = metadata_values(records[day])
        now = files.get(day, [])
        if str(values.get(FINGERPRINT, "")) == fingerprint(now):
            continue
        if FILES_FINGERPRINT not in values:
            earlier.append(day)
        elif day in files and str(values[FILES_FINGERPRINT]) == files_fingerprint(now):
            moved.append(day)
            continue
        why[day] = "folder gone" if day not in files else "files changed"
        differ[day] = DayWork(
            day, fingerprint(now), job.all, "landing", replaces=records[day].storage_id
        )
    sweep = Sweep()
    pending = {day: work for day, work in differ.items() if requested.get(day) != work.state}
    kept = {day: work.state for day, work in differ.items() if day not in pending}
    if kept:
        sweep.decisions.append(
            f"sweep: {len(kept)} day(s) requested by the last sweep, their files and load"
            " unchanged since: not requested again"
        )
    bound = mass_bound(lookback_days, len(records))
    alerts: list[str] = []
    if moved:
        alerts.append(
            f"{len(moved)} loaded days ({_examples(moved)}) have the same files (names, sizes,"
            " versions) as raw_orders loaded, at another location: ORDERS_LANDING_URI points"
            " at a moved or copied landing zone. Not reloaded: their orders are the same,"
            " only raw_orders.source_file names the old location. To load them from the new"
            f" one anyway: {reload_command(moved)}"
        )
    mass = sorted(pending) if len(pending) > bound else []
    if mass:
        days = mass
        gone = sum(why[day] == "folder gone" for day in days)
        alerts.append(
            f"{len(days)} loaded days ({_examples(days)}) differ from the files raw_orders"
            f" loaded ({gone} of them with no folder now), more than the {bound} a sweep"
            " reloads on its own (ORDERS_LANDING_LOOKBACK_DAYS, or 5% of the"
            f" {len(records)} loaded days): nothing requested. Likely causes:"
            " ORDERS_LANDING_URI points at a copy of the landing zone whose files were"
            " copied with new modification times or versions (ETags), or at only part"
            f" of it; {sum(day in pending for day in earlier)} of them were loaded by a"
            " release before orders/landing_files, which cannot tell a moved zone from"
            " changed files; or the files were really rewritten. Compare a day's files"
            " with its raw_orders metadata, then reload them by hand:"
            f" {reload_command(days)}"
        )
        pending = {}
    if alerts:
        digest = _digest(
            [f"moved {day}:{records[day].storage_id}" for day in moved]
            + [f"{day}:{differ[day].state}" for day in mass]
        )
        text = "orders landing sweep: " + " ".join(alerts)
        sweep.decisions.append(text)
        if state.get("alerted") != digest:
            sweep.alert = text
        sweep.state["alerted"] = digest
    held = failed_partitions(instance, sorted(pending)) if pending else set()
    for day, work in sorted(pending.items()):
        if day in held:
            sweep.decisions.append(f"{day}: files changed but held; orders_anomaly_sensor")
            continue
        sweep.decisions.append(f"{day}: {why[day]} (sweep), load")
        sweep.work.append(work)
        kept[day] = work.state
    sweep.state["requested"] = dict(sorted(kept.items()))
    return sweep
