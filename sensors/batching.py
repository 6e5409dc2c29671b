"""Few runs for many days: the run requests the landing and anomaly sensors make.

A sensor decides per day (load it, re-run it, run its downstream), but one run per day
would re-run the unpartitioned assets (customer_metrics, customer_clv,
warehouse/dim_customers: a CLV fit each time) once per day. So the days of one tick are
requested as few runs as possible:

* consecutive days wanting the same work become **one range run** (the
  `dagster/asset_partition_range_start`/`_end` tags, as a single-run backfill makes);
  a lone day keeps a plain partition run;
* when a tick has **one** such run, it also carries the unpartitioned downstream: the
  run orders the steps, so they run once, after the days;
* when it has **several**, they carry the partitioned assets only, and the
  unpartitioned downstream is **awaited**: remembered in the sensor's cursor with the
  run keys it waits for, and requested as one run on the first tick at which every one
  of those runs has finished (whatever the run queue's limits and order). It is not
  requested if something else (the automation sensor, an engineer) materialized all of
  it after the last of those runs ended. A day that has not passed cleaned_orders'
  blocking checks does not hold it back: customer_metrics leaves such a day out, as
  fct_orders does.

A run key the daemon never turned into a run (it drops a tick it cannot resume) would
block the downstream for ever; a key still without a run after `MISSING_TICKS` ticks
counts as never submitted. A run that failed and that Dagster will retry (a lost run
worker) has not finished until its retry, which keeps its run key, has (or, when no retry
comes, for `MISSING_TICKS` ticks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from orders_core.calendar import DAYS_PER_RUN
from resources.warehouse_pool import PLATFORM_RUN_TAGS

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Tags the sensor daemon puts on every run it creates for a sensor's RunRequest.
RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
TRIGGER_TAG = "orders/trigger"
MISSING_TICKS = 5


@dataclass(frozen=True)
class JobAssets:
    """The assets of the job the sensors target, by whether they are partitioned."""

    partitioned: frozenset[dg.AssetKey]
    unpartitioned: frozenset[dg.AssetKey]

    @classmethod
    def of(cls, assets: Iterable[dg.AssetsDefinition]) -> JobAssets:
        """Split the assets of a code location (all of them are in the job)."""
        partitioned: set[dg.AssetKey] = set()
        unpartitioned: set[dg.AssetKey] = set()
        for asset in assets:
            (partitioned if asset.partitions_def else unpartitioned).update(asset.keys)
        return cls(frozenset(partitioned), frozenset(unpartitioned))

    @property
    def all(self) -> frozenset[dg.AssetKey]:
        return self.partitioned | self.unpartitioned


@dataclass(frozen=True)
class DayWork:
    """One day a sensor wants run: which assets, why, and the landing files it saw."""

    day: str
    fingerprint: str
    assets: frozenset[dg.AssetKey]
    trigger: str
    key_suffix: str = ""  # e.g. ":released", kept at the end of the run key
    # Storage id of the day's raw_orders materialization the run replaces (None: never
    # loaded), part of the run key: the daemon skips a request whose run key this sensor
    # used before, so a key of the files alone would skip a day whose files went back to
    # an earlier state (a file moved out and back, keeping its mtime; on S3, the same
    # content re-uploaded, the same ETag), leaving the other state loaded.
    replaces: int | None = None
    # What else the day's run depends on, beyond its files (a deferred day: the digest of
    # the days it waited for), part of the run key too. Kept out of ``key_suffix``, which
    # consecutive days must share to run as one range.
    history: str = ""

    @property
    def state(self) -> str:
        """What the run loads over what: the run key's part for this day."""
        state = self.fingerprint if self.replaces is None else f"{self.fingerprint}~{self.replaces}"
        return f"{state}@{self.history}" if self.history else state


@dataclass
class Awaiting:
    """Unpartitioned assets to materialize once the runs of ``run_keys`` have finished.

    ``run_keys`` maps each awaited run key to the number of ticks it has had no run.
    """

    run_keys: dict[str, int] = field(default_factory=dict)
    assets: list[str] = field(default_factory=list)  # asset keys as user strings

    def to_dict(self) -> dict:
        return {"run_keys": dict(sorted(self.run_keys.items())), "assets": sorted(self.assets)}

    @classmethod
    def from_dict(cls, data: dict | None) -> Awaiting:
        data = data or {}
        return cls(dict(data.get("run_keys", {})), list(data.get("assets", [])))


@dataclass
class Plan:
    """What one tick requests, and what it tells the operator about it."""

    run_requests: list[dg.RunRequest] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def _range_key(first: str, last: str) -> str:
    return first if first == last else f"{first}...{last}"


def _groups(work: Sequence[DayWork], job: JobAssets) -> list[list[DayWork]]:
    """Runs of consecutive days wanting the same partitioned assets for the same reason,
    at most ``DAYS_PER_RUN`` days each (as the assets' backfill policy)."""
    groups: list[list[DayWork]] = []
    for item in sorted(work, key=lambda w: w.day):
        if groups:
            last = groups[-1][-1]
            next_day = dt.date.fromisoformat(last.day) + dt.timedelta(days=1)
            if (
                len(groups[-1]) < DAYS_PER_RUN
                and item.day == next_day.isoformat()
                and item.trigger == last.trigger
                and item.key_suffix == last.key_suffix
                and item.assets & job.partitioned == last.assets & job.partitioned
            ):
                groups[-1].append(item)
                continue
        groups.append([item])
    return groups


def _group_request(
    group: list[DayWork], selection: frozenset[dg.AssetKey], job: JobAssets
) -> dg.RunRequest:
    first, last = group[0], group[-1]
    asset_selection = None if selection == job.all else sorted(selection, key=str)
    if len(group) == 1:
        return dg.RunRequest(
            run_key=f"{first.day}:{first.state}{first.key_suffix}",
            partition_key=first.day,
            asset_selection=asset_selection,
            tags={**PLATFORM_RUN_TAGS, TRIGGER_TAG: first.trigger},
        )
    states = "\n".join(f"{w.day}:{w.state}" for w in group)
    digest = hashlib.sha256(states.encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"{first.day}...{last.day}:{digest}{first.key_suffix}",
        asset_selection=asset_selection,
        tags={
            **PLATFORM_RUN_TAGS,
            TRIGGER_TAG: first.trigger,
            RANGE_START_TAG: first.day,
            RANGE_END_TAG: last.day,
        },
    )


@dataclass(frozen=True)
class _Settled:
    finished: bool  # every awaited run has finished (or was never submitted)
    last_end: float | None  # when the last of them ended


def sensor_runs(instance: dg.DagsterInstance, sensor_name: str, run_key: str) -> list[dg.RunRecord]:
    """The run records ``sensor_name`` started under ``run_key``, newest first (a retry
    keeps the key): one query."""
    return list(
        instance.get_run_records(
            dg.RunsFilter(tags={RUN_KEY_TAG: run_key, SENSOR_NAME_TAG: sensor_name})
        )
    )


def _settle(instance: dg.DagsterInstance, sensor_name: str, awaiting: Awaiting) -> _Settled:
    """Look up the awaited runs (one query per run key); count ticks of missing ones."""
    finished, last_end = True, None
    for run_key in list(awaiting.run_keys):
        records = sensor_runs(instance, sensor_name, run_key)
        if not records:
            awaiting.run_keys[run_key] += 1
            finished &= awaiting.run_keys[run_key] >= MISSING_TICKS
            continue
        runs = [record.dagster_run for record in records]
        going = any(not run.is_finished for run in runs)
        # A failed run Dagster will retry (a lost run worker: dagster.yaml's run_retries)
        # whose retry is not launched yet: the retry, under the same run key, runs the days
        # again. Its ticks are counted as a missing key's: a retry Dagster never launches
        # (the job renamed, a run group gone) must not hold the downstream for ever.
        retrying = not going and any(run.is_complete_and_waiting_to_retry for run in runs)
        awaiting.run_keys[run_key] = awaiting.run_keys[run_key] + 1 if retrying else 0
        if going or (retrying and awaiting.run_keys[run_key] < MISSING_TICKS):
            finished = False
        for record in records:
            if record.dagster_run.is_finished and record.end_time is not None:
                last_end = max(last_end or 0.0, record.end_time)
    return _Settled(finished, last_end)


def _stale(
    instance: dg.DagsterInstance, assets: Iterable[str], since: float | None
) -> list[dg.AssetKey]:
    """The assets not materialized after ``since`` (all of them when it is unknown)."""
    keys = [dg.AssetKey.from_user_string(a) for a in sorted(assets)]
    if since is None:
        return keys
    stale = []
    for key in keys:
        event = instance.get_latest_materialization_event(key)
        if event is None or event.timestamp <= since:
            stale.append(key)
    return stale


def plan_runs(
    instance: dg.DagsterInstance,
    sensor_name: str,
    work: Sequence[DayWork],
    job: JobAssets,
    awaiting: Awaiting,
    downstream_trigger: str,
) -> Plan:
    """The run requests for this tick's ``work``; updates ``awaiting`` (see module docstring)."""
    plan = Plan()
    settled = _settle(instance, sensor_name, awaiting) if awaiting.run_keys else None
    ready = settled is None or settled.finished
    groups = _groups(work, job)
    wanted = {key.to_user_string() for item in work for key in item.assets & job.unpartitioned}
    if len(groups) == 1 and ready:
        (group,) = groups
        selection = frozenset().union(*(w.assets for w in group)) | {
            dg.AssetKey.from_user_string(a) for a in awaiting.assets
        }
        plan.run_requests.append(_group_request(group, selection, job))
        plan.decisions.append(
            f"{_range_key(group[0].day, group[-1].day)}: one run"
            + (" with the unpartitioned downstream" if selection & job.unpartitioned else "")
        )
        awaiting.run_keys.clear()
        awaiting.assets.clear()
        return plan
    awaiting.assets = sorted(set(awaiting.assets) | wanted)
    for group in groups:
        selection = frozenset().union(*(w.assets for w in group)) & job.partitioned
        request = _group_request(group, selection, job)
        plan.run_requests.append(request)
        if awaiting.assets:
            awaiting.run_keys[str(request.run_key)] = 0
        plan.decisions.append(f"{_range_key(group[0].day, group[-1].day)}: one run")
    if groups and awaiting.assets:
        plan.decisions.append(
            f"downstream ({', '.join(awaiting.assets)}) once {len(awaiting.run_keys)} run(s) "
            "have finished"
        )
    elif not groups and settled is not None and not settled.finished:
        plan.decisions.append(
            f"downstream ({', '.join(awaiting.assets)}) waits for {len(awaiting.run_keys)} "
            "run(s) to finish"
        )
    elif not groups and settled is not None:
        stale = _stale(instance, awaiting.assets, settled.last_end)
        digest = hashlib.sha256("\n".join(sorted(awaiting.run_keys)).encode()).hexdigest()[:16]
        if stale:
            plan.run_requests.append(
                dg.RunRequest(
                    run_key=f"downstream:{digest}",
                    asset_selection=stale,
                    tags={**PLATFORM_RUN_TAGS, TRIGGER_TAG: downstream_trigger},
                )
            )
            names = ", ".join(k.to_user_string() for k in stale)
            plan.decisions.append(f"the awaited runs have finished: run {names} once")
        elif awaiting.assets:
            plan.decisions.append("the awaited runs have finished; downstream already fresh")
        awaiting.run_keys.clear()
        awaiting.assets.clear()
    return plan
