"""orders_anomaly_sensor: follows the `metadata_anomaly` verdicts and un-holds what it can.

The decision itself is taken in the run, by the blocking `metadata_anomaly` check on
`raw_orders` (see `asset_checks/anomaly.py`), so a held day's downstream never runs.
This sensor reads the check executions recorded since its last tick (a record-id cursor:
a tick costs the new records, never all of history) and, per day:

- **newly held** (latest evaluation failed): remembered in the cursor with the landing
  fingerprint it was judged on, and alerted (webhook + log; at most MAX_HELD_PER_POST days
  a message, and the days of a message the webhook did not accept posted again on the
  next tick while they are held: it is the one message naming a held day's reasons);
- **normal day of a blocked range**: a range run now publishes its normal days itself
  (a check failing some days of a run leaves those out alone:
  `stops_the_run` in `asset_checks/partitioned.py`), but a range an earlier version of the
  platform stopped as a whole when a blocking check failed one day (a `metadata_anomaly`
  hold, a `schema_drift` error) is still followed: once the run has ended, the days
  that passed every blocking check are run again with
  what the blocked run planned (`raw_orders` and downstream), so one bad day does not
  hold a month (a day that failed another check waits for its files to change: the
  landing sensor runs it then); the first tick also looks for such runs that ended
  before the sensor started, and follows those still going;
- **held, files changed** (landing fingerprint differs from the judged one): re-run the
  day (`raw_orders` and downstream), once per fingerprint; but while a run in flight has
  the day's verdict planned (a range that includes it), that run judges the files it
  lists: the day waits for its verdict, re-run after it only if still held on other
  files (at once, the re-run repeated that run with the same results); the same files
  (name, size, version) in a zone moved to another ORDERS_LANDING_URI are not a change;
- **deferred** (its history window held landed days not loaded yet, e.g. days run newest
  first, whose files were larger than ORDERS_ANOMALY_PROFILE_LIMIT_MB: smaller ones the
  check profiles and judges the day at once): no alert; once every day it waits for has a raw_orders materialization, the
  day is run again (`raw_orders` and downstream) and judged on the full history;
- **released** by an engineer in a run that did not include `cleaned_orders`: run the
  day's downstream (the release is sticky for those files, so the check passes).

The days of one tick become as few runs as possible: consecutive days as one range run,
and the unpartitioned downstream (`customer_metrics`, `customer_clv`,
`warehouse/dim_customers`) once, after the days: in the same run when the tick needs a
single run, otherwise as one more run requested when all of the tick's runs have finished.
Run keys (`<day>:<fingerprint>~<id>[:released]`, `<id>` the raw_orders materialization the
run replaces; `<day>:<fingerprint>~<id>@<digest>:history` for a deferred day, `<digest>`
naming the days it waited for; `<first>...<last>:<digest>[:history]` for a range,
`downstream:<digest>`) make each request happen once.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace

import dagster as dg

from orders_core.calendar import day_keys
from resources.alerts import AlertWebhook
from resources.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
    DagsterEventType,
)
from resources.instance_history import (
    CLEANED_ORDERS,
    COMPLETED,
    DEFERRED,
    DRIFT_KEY,
    LANDING_FILES,
    RAW_ORDERS,
    drift_finding,
    evaluation_of,
    evaluation_values,
    executions_since,
    failed_blocking_evaluations,
    failed_partitions,
    latest_evaluation,
    latest_execution,
    latest_execution_id,
    latest_executions,
    latest_storage_ids,
    runs_by_id,
    same_landing_files,
    schema_drift_failure,
    schema_drift_unjudged,
)
from resources.landing import LandingZone, files_fingerprint, fingerprint
from resources.telemetry import TelemetryResource
from sensors.alerting import HeldNotice, ReleaseAdvice, UiLinks, held_messages
from sensors.batching import Awaiting, DayWork, JobAssets, plan_runs

SENSOR_NAME = "orders_anomaly_sensor"
FAILED = AssetCheckExecutionRecordStatus.FAILED
# How many of the latest failed runs the first tick looks through for range runs blocked
# before the sensor started (see _blocked_before_start), and of the latest runs in flight
# for verdicts to follow (see _await_runs_in_flight).
FIRST_TICK_FAILED_RUNS = 50
RUNS_IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass
class SensorState:
    """The cursor: last record seen, evaluations in flight, and held days."""

    after_id: int = 0
    pending: dict[str, int] = field(default_factory=dict)  # day -> PLANNED record id
    # day -> {"fingerprint", "files" (LANDING_FILES, "" if not recorded), "requested"}
    held: dict[str, dict[str, str]] = field(default_factory=dict)
    downstream: Awaiting = field(default_factory=Awaiting)
    # day -> {"fingerprint", "waiting" (days it waits for), "requested"}
    deferred: dict[str, dict] = field(default_factory=dict)
    # Held days whose alert the webhook did not accept: posted again on the next tick.
    unposted: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "after_id": self.after_id,
                "pending": self.pending,
                "held": self.held,
                "downstream": self.downstream.to_dict(),
                "deferred": self.deferred,
                "unposted": self.unposted,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> "SensorState":
        data = json.loads(text)
        return cls(
            data["after_id"],
            data["pending"],
            data["held"],
            Awaiting.from_dict(data.get("downstream")),
            data.get("deferred", {}),
            data.get("unposted", []),
        )


@dataclass
class TickOutcome:
    """What one tick decided; the sensor turns it into a SensorResult."""

    state: SensorState
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    held: list[HeldNotice] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    # (day, anomaly score or None, held) of every evaluation read this tick
    judged: list[tuple[str, float | None, bool]] = field(default_factory=list)


def _notice(day: str, record: AssetCheckExecutionRecord, drift: str | None) -> HeldNotice:
    """The held alert's entry for ``day``, with the day's schema_drift failure ``drift``
    if any (:func:`schema_drift_failure`): a release cannot publish such a day, its files
    must be fixed first."""
    evaluation = evaluation_of(record)
    score = evaluation_values(record).get("anomaly_score")
    description = (evaluation.description if evaluation else None) or "metadata_anomaly failed"
    return HeldNotice(day, description, float(score) if score is not None else None, drift)


def _drift_to_come(instance: dg.DagsterInstance, day: str, run_id: str, running: bool) -> bool:
    """Whether the held alert of ``day`` waits: its run (``running``) has yet to judge the
    day's schema_drift, and the alert says whether the day also fails it (fix the files,
    not release). The day is read again, as pending, until the run has judged it."""
    return running and schema_drift_unjudged(instance, day, run_id)


def _bootstrap(instance: dg.DagsterInstance, outcome: TickOutcome) -> None:
    """First tick: take the held days as they stand instead of replaying history (a day
    whose run is still to judge its schema_drift waits for it, as on a later tick).

    A few statements whatever the number of held days: their latest verdicts, their runs
    and their schema_drift executions are each read for all of them at once (one query
    per day each cost four statements a held day)."""
    outcome.state.after_id = latest_execution_id(instance)
    failed = sorted(failed_partitions(instance))
    records = latest_executions(instance, failed, completed_only=True)
    held = []
    for day, record in sorted(records.items()):
        values = evaluation_values(record)
        fp = str(values.get("landing_fingerprint", ""))
        if values.get("verdict") == DEFERRED:
            outcome.state.deferred[day] = _deferral(fp, values)
        else:
            held.append((day, record, fp))
    runs = runs_by_id(instance, {record.run_id for _, record, _ in held})
    running = {
        day
        for day, record, _ in held
        if (run := runs.get(record.run_id)) is not None and not run.is_finished
    }
    drift_planned = latest_executions(instance, running, check_key=DRIFT_KEY)
    drift_judged = latest_executions(
        instance, [day for day, _, _ in held], completed_only=True, check_key=DRIFT_KEY
    )
    for day, record, fp in held:
        planned = drift_planned.get(day)
        if planned is not None and planned.run_id == record.run_id:
            if planned.status not in COMPLETED:  # its run is still to judge schema_drift
                outcome.state.pending[day] = record.id  # alerted as on a later tick
                continue
        outcome.state.held[day] = _held_entry(fp, evaluation_values(record))
        outcome.held.append(_notice(day, record, drift_finding(drift_judged.get(day))))
    outcome.decisions.append(
        f"started: {len(outcome.state.held)} held and "
        f"{len(outcome.state.deferred)} deferred partition(s) found"
    )


def _run_days(run: dg.DagsterRun) -> list[str]:
    """The days a run was launched for, from Dagster's partition tags."""
    tags = run.tags
    if PARTITION_NAME_TAG in tags:
        return [tags[PARTITION_NAME_TAG]]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if not (start and end):
        return []
    return day_keys(dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def _blocked_before_start(instance: dg.DagsterInstance) -> list[AssetCheckExecutionRecord]:
    """First tick: the latest verdicts of the days of range runs that a blocking check
    stopped before the sensor started (among the last :data:`FIRST_TICK_FAILED_RUNS`
    failed runs), read as if they had just completed, so their normal days are run again.

    The sensor otherwise starts after every existing record: a range backfilled before
    it was turned on, and blocked by one held day, left its other days unpublished.
    """
    failed = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]),
        limit=FIRST_TICK_FAILED_RUNS,
    )
    records = []
    for run in failed:
        days = _run_days(run)
        if len(days) < 2 or _blocked_days(instance, run) is None:
            continue
        for day in days:
            latest = latest_execution(instance, day)
            if latest is not None and latest.run_id == run.run_id and latest.status in COMPLETED:
                records.append(latest)
    return records


def _await_runs_in_flight(instance: dg.DagsterInstance, state: SensorState) -> None:
    """First tick: follow the verdicts of the runs still going (among the latest
    :data:`FIRST_TICK_FAILED_RUNS`) as pending ones, since the cursor starts after their
    records: a range such a run planned may yet end blocked (its normal days to run
    again), a verdict still planned may yet hold its day."""
    going = instance.get_runs(
        filters=dg.RunsFilter(statuses=RUNS_IN_FLIGHT), limit=FIRST_TICK_FAILED_RUNS
    )
    for run in going:
        for day in _run_days(run):
            latest = latest_execution(instance, day)
            if latest is not None and latest.run_id == run.run_id:
                state.pending[day] = latest.id


def _held_entry(fp: str, values: dict[str, object]) -> dict[str, str]:
    """A held day's cursor entry: the landing files its verdict was given on, by location
    (``fp``) and by name, size and version (:data:`LANDING_FILES`)."""
    return {"fingerprint": fp, "files": str(values.get(LANDING_FILES, "")), "requested": ""}


def _same_files(held: dict[str, str] | None, fp: str, files: str) -> bool:
    """Whether a held day's entry names the same landing files: the same fingerprint, or
    the same files (name, size, version) in a zone moved since (entries of cursors written
    before :data:`LANDING_FILES` have no ``files``: only the fingerprint counts there)."""
    if held is None:
        return False
    return same_landing_files(held["fingerprint"], held.get("files"), fp, files)


def _deferral(fp: str, values: dict[str, object]) -> dict:
    waiting = values.get("waiting_for")
    return {
        "fingerprint": fp,
        "waiting": sorted(str(d) for d in waiting) if isinstance(waiting, list) else [],
        "requested": "",
    }


def _ready_deferrals(
    instance: dg.DagsterInstance, state: SensorState, landing: LandingZone
) -> list[str]:
    """Deferred days not yet re-requested whose awaited days all have a raw_orders
    materialization now (one query for all of them) or no longer have a landing folder
    (withdrawn before they were loaded: the check no longer waits for them, and the day
    waited for ever)."""
    open_days = {d: w for d, w in state.deferred.items() if not w["requested"]}
    awaited = {day for w in open_days.values() for day in w["waiting"]}
    settled = set(latest_storage_ids(instance, RAW_ORDERS, awaited))
    if awaited - settled:
        settled |= awaited - {day.isoformat() for day in landing.list_days()}
    return sorted(d for d, w in open_days.items() if set(w["waiting"]) <= settled)


def _completed_records(
    instance: dg.DagsterInstance, state: SensorState
) -> list[AssetCheckExecutionRecord]:
    """Check executions completed since the last tick, oldest first; in-flight ones wait."""
    done = []
    for day, record_id in list(state.pending.items()):
        latest = latest_execution(instance, day)
        if latest is None or latest.id != record_id:
            del state.pending[day]  # superseded by a newer run of the day (read below)
        elif latest.status in COMPLETED:
            del state.pending[day]
            done.append(latest)
        elif _run_finished(instance, latest.run_id):
            del state.pending[day]  # the run ended before the check ran (raw_orders failed)
    for record in executions_since(instance, state.after_id):
        state.after_id = max(state.after_id, record.id)
        if record.partition is None:
            continue
        if record.status in COMPLETED:
            done.append(record)
        else:
            state.pending[record.partition] = record.id
    return sorted(done, key=lambda r: r.id)


def _run_finished(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is None or run.is_finished


def _planned_assets(instance: dg.DagsterInstance, run_id: str) -> frozenset[dg.AssetKey]:
    """Assets a run planned to materialize."""
    return frozenset(
        instance.get_asset_keys_for_run(
            run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        )
    )


def _blocked_days(instance: dg.DagsterInstance, run: dg.DagsterRun) -> frozenset[str] | None:
    """The days a failed run's blocking checks failed (any check, e.g. ``schema_drift``):
    None when the run did not fail on a blocking check."""
    if run.status != dg.DagsterRunStatus.FAILURE:
        return None
    failed = failed_blocking_evaluations(instance, run.run_id)
    return frozenset(e.partition for e in failed if e.partition) if failed else None


def _alert_again(instance: dg.DagsterInstance, outcome: TickOutcome) -> None:
    """The held days whose alert the webhook did not accept on an earlier tick, still held
    and not alerted this tick: their notices again (the sensor posts them)."""
    alerted = {notice.partition for notice in outcome.held}
    for day in outcome.state.unposted:
        if day in outcome.state.held and day not in alerted:
            record = latest_evaluation(instance, day)
            if record is not None and record.status == FAILED:
                outcome.held.append(_notice(day, record, schema_drift_failure(instance, day)))
    outcome.state.unposted = []


def post_held(
    log: dg.DagsterLogManager,
    alert_webhook: AlertWebhook,
    notices: list[HeldNotice],
    advice: ReleaseAdvice,
    dagster_home: str | None,
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> list[str]:
    """Log and post the held-days alert, one message per group of days Slack accepts,
    each day's release step from ``advice`` (for the instance in ``dagster_home``), its
    links into the UI from ``links``; the
    days of the messages the webhook did not accept (after the first refused, the rest are
    not tried: a tick waits on one timeout at most)."""
    unposted: list[str] = []
    for text, blocks, days in held_messages(notices, advice, dagster_home, links):
        log.warning(text)
        if alert_webhook.enabled and (unposted or not alert_webhook.post(text, blocks)):
            unposted += days
    if unposted:
        log.warning(
            f"alert webhook post failed for {', '.join(unposted)}; the hold is still in place,"
            " the alert is posted again on the next tick"
        )
    return unposted


def evaluate_tick(
    instance: dg.DagsterInstance, cursor: str | None, landing: LandingZone, job: JobAssets
) -> TickOutcome:
    """One tick of the sensor, without Dagster's sensor context (see module docstring)."""
    outcome = TickOutcome(SensorState.from_json(cursor) if cursor else SensorState())
    state = outcome.state
    records = []
    if cursor is None:
        _bootstrap(instance, outcome)
        records = _blocked_before_start(instance)
        _await_runs_in_flight(instance, state)
    records = sorted(
        {r.id: r for r in [*records, *_completed_records(instance, state)]}.values(),
        key=lambda r: r.id,
    )
    planned_by_run: dict[str, frozenset[dg.AssetKey]] = {}
    runs: dict[str, dg.DagsterRun | None] = {}
    blocked_by_run: dict[str, frozenset[str] | None] = {}

    def planned(run_id: str) -> frozenset[dg.AssetKey]:
        if run_id not in planned_by_run:
            planned_by_run[run_id] = _planned_assets(instance, run_id)
        return planned_by_run[run_id]

    def running(run_id: str) -> bool:
        if run_id not in runs:
            runs[run_id] = instance.get_run_by_id(run_id)
        return runs[run_id] is not None and not runs[run_id].is_finished

    def blocked(run_id: str) -> frozenset[str] | None:
        """The days a finished run's blocking checks failed (None: not blocked)."""
        if run_id not in blocked_by_run:
            run = None if running(run_id) else runs[run_id]
            blocked_by_run[run_id] = None if run is None else _blocked_days(instance, run)
        return blocked_by_run[run_id]

    work: list[DayWork] = []
    latest = {r.partition: r for r in records}
    for day, record in sorted(latest.items()):
        values = evaluation_values(record)
        fp = str(values.get("landing_fingerprint", ""))
        score = values.get("anomaly_score")
        outcome.judged.append(
            (day, float(score) if score is not None else None, record.status == FAILED)
        )
        if record.status == FAILED and values.get("verdict") == DEFERRED:
            state.held.pop(day, None)
            state.deferred[day] = _deferral(fp, values)
            waiting = len(state.deferred[day]["waiting"])
            outcome.decisions.append(f"{day}: deferred until {waiting} earlier day(s) are loaded")
            continue
        state.deferred.pop(day, None)
        if record.status == FAILED:
            if _drift_to_come(instance, day, record.run_id, running(record.run_id)):
                state.pending[day] = record.id
                continue
            entry = _held_entry(fp, values)
            if not _same_files(state.held.get(day), entry["fingerprint"], entry["files"]):
                drift = schema_drift_failure(instance, day)
                outcome.held.append(_notice(day, record, drift))
            state.held[day] = entry
            outcome.decisions.append(f"{day}: held ({values.get('verdict')})")
            continue
        was_held = state.held.pop(day, None) is not None
        if values.get("released"):
            outcome.decisions.append(f"{day}: released ({values.get('release_reason')})")
            if was_held and CLEANED_ORDERS not in planned(record.run_id):
                work.append(DayWork(day, fp, job.all, "anomaly-release", ":released"))
        elif CLEANED_ORDERS in planned(record.run_id) and running(record.run_id):
            # Whether a blocking check of another day (or another check of this one)
            # blocked the run is known when it ends: read the day again next tick.
            state.pending[day] = record.id
        elif CLEANED_ORDERS in planned(record.run_id) and (blocked_days := blocked(record.run_id)):
            if day in blocked_days:  # e.g. schema_drift: its files must change first
                outcome.decisions.append(f"{day}: blocked by another check, left to its files")
            else:
                outcome.decisions.append(f"{day}: normal day of a blocked range run, re-run")
                assets = planned(record.run_id) | {RAW_ORDERS}
                work.append(DayWork(day, fp, assets, "anomaly-unblock"))
        elif was_held:
            outcome.decisions.append(f"{day}: no longer held ({values.get('verdict')})")
    # The held days' files in one listing (on S3 one request per page of keys, not one a
    # held day).
    listed = landing.files_of_days(dt.date.fromisoformat(day) for day in state.held)
    for day, held in sorted(state.held.items()):
        files = listed[dt.date.fromisoformat(day)]
        now = fingerprint(files)
        if now in (held["fingerprint"], held["requested"]):
            continue
        if _same_files(held, now, files_fingerprint(files)):
            # The zone moved (ORDERS_LANDING_URI), its files kept: the day would be judged
            # on the same rows and held again. Said once: the new location is remembered.
            held["fingerprint"] = now
            outcome.decisions.append(
                f"{day}: held, the same files at another location (ORDERS_LANDING_URI"
                " moved), not run again"
            )
            continue
        if day in state.pending:
            # A run in flight planned the day's verdict (a range run that includes it):
            # it judges the files it lists, the new ones if the fix landed before. Its
            # verdict is read once it completes; the day is re-run then only if it is
            # still held on other files than these, where a re-run now would repeat it.
            outcome.decisions.append(
                f"{day}: held, landing files changed; a run in flight judges the day,"
                " re-run after it only if it judged other files"
            )
            continue
        held["requested"] = now
        outcome.decisions.append(f"{day}: held, landing files changed, re-run")
        work.append(DayWork(day, now, job.all, "anomaly-refresh"))
    for day in _ready_deferrals(instance, state, landing):
        deferral = state.deferred[day]
        digest = hashlib.sha256(",".join(deferral["waiting"]).encode()).hexdigest()[:8]
        deferral["requested"] = digest
        outcome.decisions.append(f"{day}: deferred, the days it waited for are loaded, re-run")
        work.append(
            DayWork(
                day,
                deferral["fingerprint"],
                job.all,
                "anomaly-deferred",
                ":history",
                history=digest,
            )
        )
    _alert_again(instance, outcome)
    # Each run key names the raw_orders materialization the run replaces: the daemon skips
    # a key used before, and a day's files can go back to an earlier state.
    loaded = latest_storage_ids(instance, RAW_ORDERS, [w.day for w in work])
    work = [replace(w, replaces=loaded.get(w.day)) for w in work]
    plan = plan_runs(instance, SENSOR_NAME, work, job, state.downstream, "anomaly-downstream")
    outcome.run_requests += plan.run_requests
    outcome.decisions += plan.decisions
    return outcome


# The sensor's page shows this as plain text (the module's docstring above is for the code).
DESCRIPTION = (
    "Follows the metadata_anomaly verdicts of raw_orders, which hold a day that looks wrong"
    " (nothing downstream of raw_orders is built for it). It alerts each newly held day with"
    " its reasons and release step, runs a held day again when its landing files change or"
    " an engineer releases it, and runs a deferred day once the days before it are loaded."
    " Why a day is held: Assets > raw_orders > Checks > metadata_anomaly > Partitions."
    " Details: docs/anomaly_hold.md."
)


def build_anomaly_sensor(
    job_name: str,
    job: JobAssets,
    advice: ReleaseAdvice = ReleaseAdvice(),  # noqa: B008 (frozen, never mutated)
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> dg.SensorDefinition:
    """orders_anomaly_sensor, requesting runs of ``job_name`` (the assets of ``job``); its
    alert tells how to release a held day as ``advice`` says (:func:`release_advice`) and
    links the held days' pages in the UI with ``links``."""

    @dg.sensor(
        name=SENSOR_NAME,
        job_name=job_name,
        minimum_interval_seconds=60,
        description=DESCRIPTION,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def orders_anomaly_sensor(
        context: dg.SensorEvaluationContext,
        landing: LandingZone,
        alert_webhook: AlertWebhook,
        telemetry: TelemetryResource,
    ) -> dg.SensorResult:
        with telemetry.sensor_span(context, SENSOR_NAME) as span:
            outcome = evaluate_tick(context.instance, context.cursor, landing, job)
            for day, score, held in outcome.judged:
                span.record_anomaly(day, score, held=held, asset_key=RAW_ORDERS.to_user_string())
            span.record_decisions(outcome.decisions, outcome.run_requests)
        if outcome.held:
            # The instance the release must be recorded in: the one this sensor reads.
            home = context.instance.root_directory
            outcome.state.unposted = post_held(
                context.log, alert_webhook, outcome.held, advice, home, links
            )
        for decision in outcome.decisions:
            context.log.info(decision)
        summary = "; ".join(outcome.decisions) or "no new metadata_anomaly evaluations"
        held = ", ".join(sorted(outcome.state.held)) or "none"
        deferred = ", ".join(sorted(outcome.state.deferred)) or "none"
        return dg.SensorResult(
            run_requests=outcome.run_requests,
            cursor=outcome.state.to_json(),
            skip_reason=(
                None if outcome.run_requests else f"{summary}. Held: {held}. Deferred: {deferred}"
            ),
        )

    return orders_anomaly_sensor
