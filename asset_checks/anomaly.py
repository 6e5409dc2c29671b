"""metadata_anomaly: hold a day of raw_orders whose load looks unlike its recent history.

A blocking check on ``raw_orders``, partitioned like it. It runs right after
``raw_orders`` in the same run, reads the trailing history of ``raw_orders``
materialization metadata from the instance (a bounded window of partitions), scores
each day of the run with :func:`orders_core.anomaly.judge_partitions` (the same landed
days give the same verdicts however they are batched into runs) and records one
evaluation per day, also in a single-run backfill of a range. An anomalous day fails
with severity ERROR and is **held**: nothing downstream (cleaned_orders onwards) is
materialized from it. When every day of the run is held, the evaluations are blocking
and Dagster skips the downstream steps; when some pass, the cleaning cleans those and
leaves the held days alone (:func:`asset_checks.partitioned.stops_the_run`).

A day whose history window holds days that landed but are not loaded yet (days run
newest first, a random batching) is not judged on the shorter history either: those
days are profiled from their landed files, as raw_orders would profile them, and the
day is judged on them as a range run over them would judge it. Only when their files are
larger than ``ORDERS_ANOMALY_PROFILE_LIMIT_MB`` is the day **deferred** (fails the same
way, verdict ``deferred``, naming the days it waits for) and judged when they are loaded
(orders_anomaly_sensor runs it again then). So the verdicts do not depend on the order
the days are run in.

Releasing a held day (an engineer decided the data is right): run it again with the
check's config ``{"release": true, "reason": "..."}``; the check then passes with
"released by engineer: <reason>". A release is sticky for the landing data it was
given on (its landing fingerprint): later runs of the same files pass as released,
new files are scored again. See ``docs/anomaly_hold.md``.
"""

import datetime as dt
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from asset_checks.partitioned import check_target, left_out_metadata, stops_the_run
from orders_core.anomaly import (
    NO_FILE_HELD,
    AnomalyConfig,
    AnomalyVerdict,
    history_lookback_days,
    judge_partitions,
    may_be_decided,
)
from orders_core.anomaly_features import (
    PARTITION,
    history_record,
    nothing_landed,
)
from orders_core.calendar import day_keys
from orders_core.tables import METADATA_ANOMALY_OP
from resources.instance_history import (
    CHECK_NAME,
    DEFERRED,
    FILES_FINGERPRINT,
    FINGERPRINT,
    LANDING_FILES,
    RAW_ORDERS,
    VERDICT_SCORE,
    VERDICT_THRESHOLD,
    History,
    evaluation_values,
    failed_partitions,
    latest_evaluation,
    metadata_values,
    read_history,
    same_landing_files,
)
from resources.landing import LandingZone, partition_days
from resources.telemetry import TelemetryResource

CHECK_OP_NAME = METADATA_ANOMALY_OP
# What a judged day with no landed file (no folder, or nothing readable in it) is called
# first: its drivers alone (bytes, rows and files far below the weekday level) read as
# any drop in volume.
NO_FILE_LANDED = "no file landed for this day, judged as a drop to no orders"
# The days of a judged day's history that were profiled from their landed files (landed,
# not loaded by raw_orders yet) instead of read from raw_orders' metadata.
PROFILED_DAYS = "history_profiled_from_files"


def anomaly_config(threshold: float, training_days: int) -> AnomalyConfig:
    """Scoring settings from ORDERS_ANOMALY_THRESHOLD and ORDERS_ANOMALY_TRAINING_DAYS.

    A day is judged once its training window holds ``AnomalyConfig.min_history`` (14)
    partitions, or half the window if that is shorter.
    """
    min_history = min(AnomalyConfig.min_history, training_days // 2)
    return AnomalyConfig(
        threshold=threshold, training_window_days=training_days, min_history=min_history
    )


class MetadataAnomalyConfig(dg.Config):
    """Release held days: every partition of this run passes as accepted by an engineer."""

    release: bool = False
    reason: str = ""


def drivers_table(verdict: AnomalyVerdict) -> str:
    """The features that moved, as a Markdown table for the UI."""
    if not verdict.drivers:
        return "No features to show: nothing was decided."
    lines = [
        "| feature | value | baseline | z | score drop if reset | meaning |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {d.feature} | {d.value:.4g} | {d.baseline:.4g} | {d.z:+.1f} | "
        f"{d.contribution:.3f} | {d.description} |"
        for d in verdict.drivers
    ]
    return "\n".join(lines)


HELD_DAYS_TAG = "orders/held_days"
_TAGGED_DAYS = 5


def held_run_tags(days: list[str]) -> dict[str, str]:
    """Run tags naming the days a run held (the first few, then how many more)."""
    shown = ", ".join(days[:_TAGGED_DAYS])
    more = len(days) - _TAGGED_DAYS
    return {HELD_DAYS_TAG: f"{shown} (+{more} more)" if more > 0 else shown}


# What a held day's page (raw_orders > Checks > metadata_anomaly > Partitions) tells its
# reader to do; the exact release command of the deployment is in devtools.held and the
# held-days alert.
HELD_NEXT_STEP = (
    "Held: cleaned_orders, quarantined_orders, warehouse/fct_orders and the customer tables"
    " leave this day out until it passes. Review the drivers. If the files are wrong, land"
    " corrected files for the day: orders_anomaly_sensor runs it again. If the data is"
    " right, release it: run raw_orders and its downstream (raw_orders*) for this day with"
    " the metadata_anomaly check's run config release: true and a reason (the command:"
    " python -m devtools.held, or the held-days alert; docs/anomaly_hold.md, Ways out)."
)


def verdict_metadata(verdict: AnomalyVerdict, fingerprint: str) -> dict[str, object]:
    """Check metadata of one scored day: readable in the UI, numeric where it can be plotted."""
    metadata: dict[str, object] = {
        "verdict": verdict.status,
        VERDICT_THRESHOLD: verdict.threshold,
        "z_guard": verdict.z_guard,
        "training_partitions": verdict.training_partitions,
        "drivers": dg.MetadataValue.md(drivers_table(verdict)),
        "landing_fingerprint": fingerprint,
        "released": False,
    }
    if verdict.decided:
        metadata[VERDICT_SCORE] = round(float(verdict.score), 4)
        metadata["max_abs_z"] = round(float(verdict.max_abs_z), 2)
    return metadata


def _released(reason: str, fingerprint: str, carried: bool) -> tuple[str, dict[str, object]]:
    text = reason.strip() or "no reason given"
    description = f"released by engineer: {text}"
    if carried:
        description += " (an earlier release of the same landing files)"
    return description, {
        "verdict": "released",
        "released": True,
        "release_reason": text,
        "landing_fingerprint": fingerprint,
    }


def _prior_release(
    instance: dg.DagsterInstance, day: str, fingerprint: str, files: str | None
) -> str | None:
    """The reason of the day's latest evaluation if it released these landing files: the
    same fingerprint, or the same files (name, size, version) in a zone since moved to
    another ``ORDERS_LANDING_URI``."""
    record = latest_evaluation(instance, day)
    values = evaluation_values(record) if record else {}
    same = same_landing_files(
        values.get("landing_fingerprint"), values.get(LANDING_FILES), fingerprint, files
    )
    if values.get("released") and same:
        return str(values.get("release_reason", ""))
    return None


def _judging_window(
    instance: dg.DagsterInstance,
    days: list[str],
    config: AnomalyConfig,
    judged_too: Collection[str] = (),
) -> tuple[list[str], set[str], set[str]]:
    """The days whose raw_orders metadata judging ``days`` reads; of those before the run,
    the ones whose latest evaluation failed, and of these the deferred ones.

    The window is each run day's lookback, stretched back by the lookback of every
    deferred day in it, and of each day of ``judged_too``: those are judged with the run
    and need their own history.
    """
    start = dt.date.fromisoformat(days[0]) - dt.timedelta(days=history_lookback_days(config))
    last = dt.date.fromisoformat(days[-1])
    deferred_of: dict[str, bool] = {}
    while True:
        window = day_keys(start, last)
        failed = failed_partitions(instance, [day for day in window if day not in days])
        for day in failed - deferred_of.keys():
            deferred_of[day] = _is_deferred(instance, day)
        deferred = {day for day in failed if deferred_of[day]}
        earliest = min([*deferred, *judged_too], default=None)
        reach = (
            dt.date.fromisoformat(earliest) - dt.timedelta(days=history_lookback_days(config))
            if earliest
            else start
        )
        if reach >= start:
            return window, failed, deferred
        start = reach


_NAMED_WAITING = 5


def unloaded_days(
    day: str, loaded: Collection[str], landed: Callable[[], Collection[str]], config: AnomalyConfig
) -> list[str]:
    """The days of ``day``'s history window that landed but raw_orders has not loaded.

    ``landed`` lists the landed days that are partitions (asked only when a day of the
    window is missing from ``loaded``: with a complete history the landing zone is not
    listed)."""
    start = dt.date.fromisoformat(day) - dt.timedelta(days=history_lookback_days(config))
    before = day_keys(start, dt.date.fromisoformat(day))[:-1]
    missing = [key for key in before if key not in loaded]
    if not missing:
        return []
    present = set(landed())
    return [key for key in missing if key in present]


def waiting_days(
    day: str,
    loaded: Collection[str],
    landed: Callable[[], Collection[str]],
    config: AnomalyConfig,
    empty: Collection[str] = (),
) -> list[str]:
    """The :func:`unloaded_days` of ``day`` it must wait for (be deferred until they are
    loaded) when they cannot be profiled.

    A day judged without them would be judged on less history than a range run gives
    it, and could pass where the range run holds it. None are waited for when the day
    could not be decided even with them: its "insufficient history" pass is the range
    run's verdict (only its count of training days is short of the range run's, when
    they are too large to profile). Loaded days in ``empty`` (no landed file) are no
    history: they do not count towards deciding.
    """
    waiting = unloaded_days(day, loaded, landed, config)
    history = [key for key in loaded if key not in empty]
    if waiting and not may_be_decided(day, [*history, *waiting], config):
        return []  # too little history even with them: "insufficient history" either way
    return waiting


def deferred_metadata(waiting: list[str], fingerprint: str) -> tuple[str, dict[str, object]]:
    """Description and metadata of a day whose history window is not loaded yet."""
    shown = ", ".join(waiting[:_NAMED_WAITING])
    more = len(waiting) - _NAMED_WAITING
    named = f"{shown} and {more} more" if more > 0 else shown
    description = (
        f"deferred: {len(waiting)} earlier day(s) of the history window landed but are not "
        f"loaded in raw_orders ({named}); the day is judged once they are (a range run "
        "would judge it on them). orders_anomaly_sensor runs it again then; or run the "
        "days as one range"
    )
    return description, {
        "verdict": DEFERRED,
        "waiting_for": dg.MetadataValue.json(waiting),
        "landing_fingerprint": fingerprint,
        "released": False,
    }


def _is_deferred(instance: dg.DagsterInstance, day: str) -> bool:
    """Whether the latest evaluation of ``day`` (one that failed) deferred it."""
    record = latest_evaluation(instance, day)
    return record is not None and evaluation_values(record).get("verdict") == DEFERRED


#: Profiles raw_orders would record for landed days it has not loaded (day -> metadata),
#: or None when they are too large to profile from their files.
ProfileLanded = Callable[[list[str]], Mapping[str, Mapping[str, object]] | None]


@dataclass(frozen=True)
class _Window:
    """The history judging a run's days reads, and the verdicts before the run it keeps."""

    days: list[str]
    history: History
    failed: set[str]  # days before the run whose latest evaluation failed
    deferred: set[str]  # of those, the deferred ones (judged again with the run)
    profiled: frozenset[str] = frozenset()  # landed, not loaded: profiled from their files


def _read_window(
    instance: dg.DagsterInstance,
    days: list[str],
    config: AnomalyConfig,
    judged_too: Collection[str] = (),
) -> _Window:
    window, failed, deferred = _judging_window(instance, days, config, judged_too)
    return _Window(window, read_history(instance, window), failed, deferred)


def _profiled_window(
    instance: dg.DagsterInstance,
    days: list[str],
    config: AnomalyConfig,
    landed: Callable[[], Collection[str]],
    profile: ProfileLanded,
    window: _Window,
) -> _Window | None:
    """``window`` with every landed day raw_orders has not loaded profiled from its files
    and judged with the run, as a range run over them would judge it (its held-or-not
    shapes the later days' baselines); each stretches the window back by its own lookback.
    None when ``profile`` finds them too large."""
    unloaded: set[str] = set()
    while True:
        first, last = window.days[0], days[-1]
        found = {
            day
            for day in landed()
            if first <= day <= last and day not in window.history.raw and day not in days
        }
        if found <= unloaded:
            break
        unloaded |= found
        window = _read_window(instance, days, config, unloaded)
    profiles = profile(sorted(unloaded))
    if profiles is None:
        return None
    rows = [{PARTITION: day, **history_record(profiles[day])} for day in sorted(profiles)]
    frame = pd.concat([window.history.frame, pd.DataFrame.from_records(rows)], ignore_index=True)
    return _Window(
        window.days,
        History(frame=frame, raw=window.history.raw),
        window.failed,
        window.deferred,
        frozenset(profiles),
    )


def evaluate_days(
    instance: dg.DagsterInstance,
    days: list[str],
    config: AnomalyConfig,
    release: str | None,
    landed: Callable[[], Collection[str]],
    profile: ProfileLanded | None = None,
) -> Iterator[dg.AssetCheckEvaluation]:
    """One evaluation per day of ``days``; ``release`` (a reason) passes them all as released.

    ``landed`` lists the days (partitions) that have landing folders. A day whose history
    window holds a landed day raw_orders has not loaded is not judged on less history:
    ``profile`` gives those days' metadata from their files, and the day is judged on
    them as a range run over them would judge it. Without ``profile``, or when it finds
    them too large, the day is **deferred** (fails, blocking, verdict ``deferred``) until
    they are loaded. Either way a day's verdict does not depend on the order its days
    are run in. Days deferred earlier are judged again here, in date order with the
    run's days, and only their true verdicts (held or not) shape this run's baselines.
    """
    window = _read_window(instance, days, config)
    history = window.history
    fingerprints = {
        day: str(metadata_values(record).get(FINGERPRINT, ""))
        for day, record in history.raw.items()
    }
    # The same files wherever the zone is (name, size, version): loads recorded before
    # raw_orders recorded it have none.
    files_fingerprints = {
        day: str(value)
        for day, record in history.raw.items()
        if (value := metadata_values(record).get(FILES_FINGERPRINT))
    }
    released: dict[str, tuple[str, bool]] = {}
    for day in days:
        if release is not None:
            released[day] = (release, False)
        elif day in fingerprints and (
            prior := _prior_release(instance, day, fingerprints[day], files_fingerprints.get(day))
        ):
            released[day] = (prior, True)
    landed_once = functools.cache(lambda: set(landed()))  # one listing per check at most
    candidates = [day for day in days if day in history.raw and day not in released]

    def waiting_for(window: _Window) -> dict[str, list[str]]:
        loaded = window.history.raw.keys() | window.profiled
        empty = nothing_landed(window.history.frame)
        return {day: waiting_days(day, loaded, landed_once, config, empty) for day in candidates}

    waiting = waiting_for(window)
    # Also a day too early to decide is judged on the profiled days: its "insufficient
    # history" then counts the training days the range run counts (held days out).
    unloaded = any(
        unloaded_days(day, window.history.raw.keys(), landed_once, config) for day in candidates
    )
    if profile is not None and unloaded:
        profiled = _profiled_window(instance, days, config, landed_once, profile, window)
        if profiled is not None:
            window, history = profiled, profiled.history
            waiting = waiting_for(window)
    empty = nothing_landed(history.frame)
    verdicts: dict[str, AnomalyVerdict] = {}
    judged = [day for day in candidates if not waiting[day]]
    if judged:
        # Deferred days before the last judged one (of this run, or deferred earlier),
        # and the days profiled from their files, are judged with it: their
        # held-or-not shapes its baselines as in a range run.
        earlier = {d for d in candidates if waiting[d]} | (window.deferred & history.raw.keys())
        verdicts = {
            v.partition: v
            for v in judge_partitions(
                history.frame,
                [*judged, *(d for d in earlier | window.profiled if d < judged[-1])],
                config,
                window.failed - window.deferred,
            )
        }
    profiled_days = sorted(window.profiled)

    judged_days = []
    for day in days:
        target = check_target(history.raw.get(day))
        passed = True
        if day in released:
            reason, carried = released[day]
            description, metadata = _released(reason, fingerprints.get(day, ""), carried)
        elif waiting.get(day):
            passed = False
            description, metadata = deferred_metadata(waiting[day], fingerprints[day])
        elif day in verdicts:
            verdict = verdicts[day]
            passed, description = not verdict.is_anomalous, verdict.reason
            if day in empty and not description.startswith(NO_FILE_HELD):
                # its drivers read as a drop; say what the drop is
                description = f"{NO_FILE_LANDED}: {description}"
            metadata = verdict_metadata(verdict, fingerprints[day])
            if verdict.is_anomalous:
                metadata["next_step"] = HELD_NEXT_STEP
            if verdict.decided and profiled_days:
                metadata[PROFILED_DAYS] = dg.MetadataValue.json(profiled_days)
        else:
            description = "raw_orders has no materialization for this day: nothing to judge"
            metadata = {"verdict": "not_materialized", "released": False}
        if day in files_fingerprints and metadata.get("verdict") != "not_materialized":
            metadata[LANDING_FILES] = files_fingerprints[day]
        judged_days.append((day, passed, description, metadata, target))
    # A held or deferred day fails with ERROR. Blocking only when every day of the run is
    # held (stops_the_run): with a day that passes, the cleaning leaves the held days alone
    # and cleans the others.
    severity = dg.AssetCheckSeverity.ERROR
    blocking = stops_the_run((passed, severity) for _, passed, *_ in judged_days)
    for day, passed, description, metadata, target in judged_days:
        yield dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS,
            check_name=CHECK_NAME,
            passed=passed,
            severity=severity,
            description=description,
            metadata=left_out_metadata(metadata, not blocking, passed, severity),
            target_materialization_data=target,
            blocking=blocking,
            partition=day,
        )


#: raw_orders' metadata of landed days, from their files (``landing``, the days), or None
#: when they are too large to profile: ``platform_assets``' ``landed_day_profiles``.
ProfileLandingZone = Callable[[LandingZone, list[dt.date]], Mapping[str, Mapping] | None]


def _profiler(
    log, landing: LandingZone, profile_landed: ProfileLandingZone | None
) -> ProfileLanded | None:
    if profile_landed is None:
        return None

    def profile(keys: list[str]) -> Mapping[str, Mapping] | None:
        log.info(
            f"{len(keys)} earlier day(s) of the history landed but are not loaded in"
            " raw_orders: profiling them from their files"
        )
        try:
            return profile_landed(landing, [dt.date.fromisoformat(key) for key in keys])
        except Exception as error:  # noqa: BLE001 (any failure: defer, as without profiles)
            # Not this run's days: their own raw_orders run reports what is wrong with
            # them. The day waits for them, as when they are too large to profile.
            log.warning(
                f"could not profile the landed days not loaded ({error!r}): the days whose"
                " history holds them are deferred until raw_orders loads them"
            )
            return None

    return profile


def build_anomaly_checks(
    partitions_def: dg.PartitionsDefinition,
    scoring: AnomalyConfig,
    profile_landed: ProfileLandingZone | None = None,
) -> list[dg.AssetChecksDefinition]:
    """The metadata_anomaly check on raw_orders with the given scoring settings; with
    ``profile_landed``, a day whose history holds landed days raw_orders has not loaded is
    judged on their profiles instead of deferred (see :func:`evaluate_days`)."""

    @dg.asset_check(
        asset=RAW_ORDERS,
        name=CHECK_NAME,
        blocking=True,
        partitions_def=partitions_def,
        description=(
            "Holds a day whose load metadata (row count, revenue, null rates, duplicates, "
            "schema drift, ...) is unlike its recent history, judged by the noise its counts "
            f"imply (Isolation Forest score >= {scoring.threshold}, one feature beyond "
            f"{scoring.z_guard} sigmas, or a gross change (x4 volume, x3 amounts, 10 points "
            f"of a share, a column) beyond {scoring.gross_z} sigmas, over a "
            f"{scoring.training_window_days}-day window). Held days are not cleaned or "
            "published until their files change or an engineer releases them (run config "
            "release: true, reason: ...)."
        ),
    )
    def metadata_anomaly(
        context: dg.AssetCheckExecutionContext,
        config: MetadataAnomalyConfig,
        landing: LandingZone,
        telemetry: TelemetryResource,
    ) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
        days = list(context.op_execution_context.partition_keys)
        release = config.reason if config.release else None

        def landed() -> list[str]:
            return [day.isoformat() for day in partition_days(landing.list_days(), partitions_def)]

        with telemetry.check_span(context) as span:
            profile = _profiler(context.log, landing, profile_landed)
            evaluations = evaluate_days(context.instance, days, scoring, release, landed, profile)
            yield from span.record_events(evaluations)
            if span.failed_partitions:
                held = ", ".join(span.failed_partitions)
                context.log.warning(
                    f"held or deferred by metadata_anomaly: {held}. Nothing downstream of"
                    " raw_orders is built on those days (the run's other days go on)."
                    " `python -m devtools.held` lists why and the release command; or land"
                    " corrected files for the day."
                )
                # Shown on the run in the Runs list and run page: this run held days (and
                # stopped, if it held them all), not a fault (Dagster has no run status of its own for that).
                context.instance.add_run_tags(
                    context.op_execution_context.run_id, held_run_tags(span.failed_partitions)
                )
            # The check's own output; the per-day evaluations above carry the results.
            yield dg.Output(None)

    return [metadata_anomaly]
