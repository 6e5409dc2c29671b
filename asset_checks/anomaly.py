"""metadata_anomaly: hold a day of raw_orders whose load looks unlike its recent history.

A blocking check on ``raw_orders``, partitioned like it. It runs right after
``raw_orders`` in the same run, reads the trailing history of ``raw_orders``
materialization metadata from the instance (a bounded window of partitions), scores
each day of the run with :func:`orders_core.anomaly.judge_partitions` (the same landed
days give the same verdicts however they are batched into runs) and records one
evaluation per day, also in a single-run backfill of a range. If any day is anomalous the check fails with severity ERROR, so nothing downstream
(cleaned_orders onwards) is materialized in that run: the day is **held**.

Releasing a held day (an engineer decided the data is right): run it again with the
check's config ``{"release": true, "reason": "..."}``; the check then passes with
"released by engineer: <reason>". A release is sticky for the landing data it was
given on (its landing fingerprint): later runs of the same files pass as released,
new files are scored again. See ``docs/anomaly_hold.md``.
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg

from asset_checks.partitioned import check_target
from orders_core.anomaly import AnomalyConfig, AnomalyVerdict, judge_partitions
from orders_core.anomaly_features import WEEKDAY_LOOKBACK_WEEKS
from orders_core.calendar import day_keys
from orders_core.tables import METADATA_ANOMALY_OP
from resources.instance_history import (
    CHECK_NAME,
    FINGERPRINT,
    RAW_ORDERS,
    evaluation_values,
    failed_partitions,
    latest_evaluation,
    metadata_values,
    read_history,
)
from resources.telemetry import TelemetryResource

CHECK_OP_NAME = METADATA_ANOMALY_OP


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


def verdict_metadata(verdict: AnomalyVerdict, fingerprint: str) -> dict[str, object]:
    """Check metadata of one scored day: readable in the UI, numeric where it can be plotted."""
    metadata: dict[str, object] = {
        "verdict": verdict.status,
        "threshold": verdict.threshold,
        "z_guard": verdict.z_guard,
        "training_partitions": verdict.training_partitions,
        "drivers": dg.MetadataValue.md(drivers_table(verdict)),
        "landing_fingerprint": fingerprint,
        "released": False,
    }
    if verdict.decided:
        metadata["anomaly_score"] = round(float(verdict.score), 4)
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


def _prior_release(instance: dg.DagsterInstance, day: str, fingerprint: str) -> str | None:
    record = latest_evaluation(instance, day)
    values = evaluation_values(record) if record else {}
    if values.get("released") and values.get("landing_fingerprint") == fingerprint:
        return str(values.get("release_reason", ""))
    return None


def _history_window(days: list[str], config: AnomalyConfig) -> list[str]:
    first = dt.date.fromisoformat(days[0])
    lookback = config.training_window_days + 7 * WEEKDAY_LOOKBACK_WEEKS
    return day_keys(first - dt.timedelta(days=lookback), dt.date.fromisoformat(days[-1]))


def evaluate_days(
    instance: dg.DagsterInstance, days: list[str], config: AnomalyConfig, release: str | None
) -> Iterator[dg.AssetCheckEvaluation]:
    """One evaluation per day of ``days``; ``release`` (a reason) passes them all as released."""
    window = _history_window(days, config)
    history = read_history(instance, window)
    fingerprints = {
        day: str(metadata_values(record).get(FINGERPRINT, ""))
        for day, record in history.raw.items()
    }
    released: dict[str, tuple[str, bool]] = {}
    for day in days:
        if release is not None:
            released[day] = (release, False)
        elif day in fingerprints and (prior := _prior_release(instance, day, fingerprints[day])):
            released[day] = (prior, True)
    to_score = [day for day in days if day in history.raw and day not in released]
    verdicts: dict[str, AnomalyVerdict] = {}
    if to_score:
        held = failed_partitions(instance, window)
        verdicts = {v.partition: v for v in judge_partitions(history.frame, to_score, config, held)}

    for day in days:
        target = check_target(history.raw.get(day))
        passed, severity = True, dg.AssetCheckSeverity.ERROR
        if day in released:
            reason, carried = released[day]
            description, metadata = _released(reason, fingerprints.get(day, ""), carried)
        elif day in verdicts:
            verdict = verdicts[day]
            passed, description = not verdict.is_anomalous, verdict.reason
            metadata = verdict_metadata(verdict, fingerprints[day])
        else:
            description = "raw_orders has no materialization for this day: nothing to judge"
            metadata = {"verdict": "not_materialized", "released": False}
        yield dg.AssetCheckEvaluation(
            asset_key=RAW_ORDERS,
            check_name=CHECK_NAME,
            passed=passed,
            severity=severity,
            description=description,
            metadata=metadata,
            target_materialization_data=target,
            blocking=True,
            partition=day,
        )


def build_anomaly_checks(
    partitions_def: dg.PartitionsDefinition, scoring: AnomalyConfig
) -> list[dg.AssetChecksDefinition]:
    """The metadata_anomaly check on raw_orders with the given scoring settings."""

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
        telemetry: TelemetryResource,
    ) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
        days = list(context.op_execution_context.partition_keys)
        release = config.reason if config.release else None
        with telemetry.check_span(context) as span:
            evaluations = evaluate_days(context.instance, days, scoring, release)
            yield from span.record_events(evaluations)
            if span.failed_partitions:
                held = ", ".join(span.failed_partitions)
                context.log.warning(f"held (anomalous metadata): {held}")
                # Shown on the run in the Runs list and run page: this run stopped on a
                # hold, not on a fault (Dagster has no run status of its own for that).
                context.instance.add_run_tags(
                    context.op_execution_context.run_id, held_run_tags(span.failed_partitions)
                )
            # The check's own output; the per-day evaluations above carry the results.
            yield dg.Output(None)

    return [metadata_anomaly]
