"""orders_run_failure_sensor: every failed run of this code location is posted to the alert
webhook (`ORDERS_ALERT_WEBHOOK_URL`) with the run id, job, partition(s) or range, each failed
step with a one-line error, and the run's path in the Dagster UI. orders_run_canceled_sensor
posts every canceled run the same way: nothing re-requests a canceled run (a sensor's run
key is used once), so the days it was to load or publish wait for it to be re-executed.
orders_run_left_out_sensor posts every run that succeeded but left days out: a blocking
check failed some of its days and not the others, which went on (`stops_the_run` in
`asset_checks/partitioned.py`).

A run that Dagster retries automatically (a lost run worker) is announced by its last attempt
only. Errors are summarised to their first lines with e-mail addresses masked; row values are
never quoted (the full error stays in the run's logs). A run stopped by failed blocking checks
names each day with the check, its finding and what to do about it (one alert per failed
day: customer_metrics leaves out a day failing cleaned_orders' checks, it does not fail
on it). A day metadata_anomaly held is orders_anomaly_sensor's to announce, with every reason (schema_drift too), the drivers and
what to do: a run stopped by held days alone is not posted, and one stopped by other days
too only names the held ones, so each held day is one message. A run in which each day
failed a blocking check, none of them all (one day drifts, another is held), stops at the
step that finds no day left to build on: it is announced as stopped by those checks
(:func:`stopped_by_left_out_days`), each day once, as runs of each day alone are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import dagster as dg

from orders_core import tables
from orders_core.pii import redact_emails
from resources.alerts import AlertWebhook
from resources.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
    SerializableErrorInfo,
)
from resources.instance_history import (
    DEFERRED,
    LEFT_OUT_DAYS,
    failed_blocking_evaluations,
    first_of_its_kind,
)
from sensors.alerting import (
    FIX_LANDING_FILES,
    SECTION_LIMIT,
    UiLinks,
    link_buttons,
    short_finding,
    shortened,
)

SENSOR_NAME = "orders_run_failure_sensor"
CANCELED_SENSOR_NAME = "orders_run_canceled_sensor"
LEFT_OUT_SENSOR_NAME = "orders_run_left_out_sensor"
BLOCKING_CHECK_ERROR = "DagsterAssetCheckFailedError"
MAX_ERROR_CHARS = 300
MAX_STEPS = 10
MAX_BLOCKED_DAYS = 8  # in the details; the text names the first MAX_TEXT_DAYS
MAX_TEXT_DAYS = 5
CUSTOMER_TABLES = "customer_metrics, customer_clv and warehouse/dim_customers"
# "dagster._core.errors.DagsterAssetCheckFailedError: ..." -> "..."
# The class of the error a step fails with once its retry policy has run out.
_RETRIES_EXHAUSTED = "RetryRequestedFromPolicy"
_CLASS_PREFIX = re.compile(r"^[\w.]+(Error|Exception|Failure|Interrupt)\w*:\s*")


@dataclass(frozen=True)
class FailedStep:
    """One failed step: its key, the error class and a one-line summary; ``left_out_days``
    when the step refused because it had to leave every day of the run out (a blocking
    check failed each, none of them all: ``days_left_out`` in
    ``platform_assets/assets/common.py``), and ``by_checks`` once those days are known to
    be the run's failed blocking checks' (:func:`stopped_by_left_out_days`)."""

    step_key: str
    error_class: str
    summary: str
    left_out_days: tuple[str, ...] = ()
    by_checks: bool = False


@dataclass(frozen=True)
class BlockedCheck:
    """A blocking check that failed a day of the run (ERROR): what stopped its steps."""

    partition: str | None
    asset: str  # the asset key as a user string
    check: str
    finding: str  # the check's description, shortened, e-mail addresses masked
    deferred: bool = False  # metadata_anomaly waiting for earlier days, not a hold


def blocked_checks(evaluations: Sequence[dg.AssetCheckEvaluation]) -> tuple[BlockedCheck, ...]:
    """The :class:`BlockedCheck` of each failed blocking evaluation of a run."""
    found = []
    for evaluation in evaluations:
        finding = evaluation.description or "failed"
        if evaluation.check_name == tables.METADATA_ANOMALY:
            finding = finding.split("; ")[0]  # the verdict; the drivers are in the held alert
        finding = short_finding(finding)
        verdict = evaluation.metadata.get("verdict")
        found.append(
            BlockedCheck(
                evaluation.partition,
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                finding,
                deferred=verdict is not None and verdict.value == DEFERRED,
            )
        )
    return tuple(found)


def _next_step(day: str | None, checks: Sequence[BlockedCheck]) -> str:
    """What to do about one blocked day (None: an unpartitioned asset), its worst check
    first: the files, then a hold, then the cleaned or published rows."""
    names = {(c.asset, c.check) for c in checks}
    relaunch = f"`dg launch --assets 'raw_orders*' --partition {day}`"
    if ("raw_orders", tables.SCHEMA_DRIFT) in names:
        return FIX_LANDING_FILES
    if ("raw_orders", tables.METADATA_ANOMALY) in names:
        # Deferred: a held day is left to the held-days alert (RunFailure.held_days).
        return "deferred until the days before it are loaded: orders_anomaly_sensor runs it"
    cleaned = "/".join(tables.CLEANED_ORDERS.key)
    if any(asset == cleaned for asset, _ in names):
        return (
            f"nothing after cleaned_orders is published for it, and {CUSTOMER_TABLES} leave"
            " its orders out until the day passes: land corrected files"
            " (orders_landing_sensor runs the day with the customer tables) or, after a fix"
            f" of the cleaning, {relaunch}"
        )
    if any(asset == "/".join(tables.FCT_ORDERS.key) for asset, _ in names):
        return f"the day's published facts failed their suite: fix the cause, then {relaunch}"
    if day is None:
        assets = ", ".join(sorted({asset for asset, _ in names}))
        return f"nothing built on {assets} runs until its checks pass: materialize it again"
    return f"see the check's metadata in the UI; once fixed, {relaunch}"


def _blocked_days(blocked: Sequence[BlockedCheck]) -> dict[str | None, list[BlockedCheck]]:
    by_day: dict[str | None, list[BlockedCheck]] = {}
    for check in sorted(blocked, key=lambda c: (c.partition or "", c.asset, c.check)):
        by_day.setdefault(check.partition, []).append(check)
    return by_day


def blocked_summary(blocked: Sequence[BlockedCheck]) -> str:
    """The blocked days for the alert's first line: each day with its failed checks."""
    by_day = _blocked_days(blocked)
    shown = [
        f"{day or 'unpartitioned'} ({', '.join(dict.fromkeys(c.check for c in checks))})"
        for day, checks in list(by_day.items())[:MAX_TEXT_DAYS]
    ]
    more = len(by_day) - len(shown)
    return "; ".join(shown) + (f"; and {more} more day(s)" if more > 0 else "")


def blocked_details(
    blocked: Sequence[BlockedCheck],
    days_in_run: int,
    heading: str = "*Blocked days* (nothing after a failed check ran for any day of this run):",
) -> str:
    """Each blocked day: every failed check with its finding, then what to do."""
    by_day = _blocked_days(blocked)
    lines = [heading]
    for day, checks in list(by_day.items())[:MAX_BLOCKED_DAYS]:
        for check in checks:
            lines.append(f"• *{day or '-'}* `{check.asset}` {check.check}: {check.finding}")
        lines.append(f"   → {_next_step(day, checks)}")
    if len(by_day) > MAX_BLOCKED_DAYS:
        lines.append(f"• and {len(by_day) - MAX_BLOCKED_DAYS} more day(s): see the run in the UI")
    if days_in_run > len(by_day) and heading.startswith("*Blocked"):
        lines.append(
            "The run's other days passed: orders_anomaly_sensor runs them again around these"
            " days once this run has ended."
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class RunFailure:
    """What an engineer needs to know about a failed run, without any data from its rows."""

    run_id: str
    job_name: str
    partitions: str | None
    backfill_id: str | None
    failure_reason: str | None
    steps: tuple[FailedStep, ...]
    run_error: str | None
    canceled: bool = False  # the run was canceled (terminated), not failed
    blocked: tuple[BlockedCheck, ...] = ()  # the failed blocking checks, per day
    days_in_run: int = 0
    # the failed blocking checks that left their days out without stopping the run
    left_out: tuple[BlockedCheck, ...] = ()

    @property
    def ui_path(self) -> str:
        """Path of the run in the Dagster UI (prefix it with the UI's address)."""
        return f"/runs/{self.run_id}"

    @property
    def held_by_checks(self) -> bool:
        """True when every failed step is a failed blocking check (a held partition), or
        a step that left out every day because of them."""
        return bool(self.steps) and all(
            s.error_class == BLOCKING_CHECK_ERROR or s.by_checks for s in self.steps
        )

    @property
    def held_days(self) -> list[str]:
        """The days metadata_anomaly held (not deferred): orders_anomaly_sensor's held
        alert announces each, naming every failed check of the day (schema_drift too) and
        what to do, so this alert leaves them to it."""
        return sorted(
            {
                c.partition
                for c in self.blocked
                if c.partition and c.check == tables.METADATA_ANOMALY and not c.deferred
            }
        )

    @property
    def other_blocked(self) -> tuple[BlockedCheck, ...]:
        """The failed blocking checks of the days that are not held."""
        held = set(self.held_days)
        return tuple(c for c in self.blocked if c.partition not in held)

    @property
    def only_held(self) -> bool:
        """True when the held days' checks are all that stopped the run: the held alert
        is the day's one message, and this one would repeat it."""
        return self.held_by_checks and bool(self.held_days) and not self.other_blocked


def summarize_error(error: SerializableErrorInfo | None) -> str:
    """The first lines of an error, class prefix dropped, e-mail addresses masked, truncated."""
    if error is None:
        return ""
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    if not lines:
        return error.cls_name or ""
    lines[0] = _CLASS_PREFIX.sub("", lines[0])
    text = "; ".join(line for line in lines[:4] if line)
    text = redact_emails(text)
    return shortened(text, MAX_ERROR_CHARS)


def last_attempt_error(error: SerializableErrorInfo | None) -> SerializableErrorInfo | None:
    """The error a failed step is reported with: a step whose retry policy ran out fails
    with Dagster's ``RetryRequestedFromPolicy`` ("Exceeded max_retries of 3"), whose cause
    is what went wrong on its last attempt (a Snowflake timeout, an S3 error)."""
    if error is not None and error.cls_name == _RETRIES_EXHAUSTED and error.cause is not None:
        return error.cause
    return error


def partitions_of(tags: Mapping[str, str]) -> str | None:
    """The run's partition or partition range, from Dagster's run tags."""
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start and end:
        return start if start == end else f"{start}...{end}"
    return None


def days_of(tags: Mapping[str, str]) -> int:
    """How many days the run's partition or range covers (0: none)."""
    if PARTITION_NAME_TAG in tags:
        return 1
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if not (start and end):
        return 0
    try:
        return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1
    except ValueError:
        return 0


def describe_failure(
    run: dg.DagsterRun,
    step_failures: Sequence[dg.DagsterEvent],
    failure_event: dg.DagsterEvent | None,
    blocked: Sequence[BlockedCheck] = (),
) -> RunFailure:
    """A :class:`RunFailure` from a failed run, its step failures, its run failure event
    and its failed blocking checks (:func:`blocked_checks`)."""
    steps = []
    for event in step_failures:
        error = event.step_failure_data.error if event.step_failure_data else None
        failure = event.step_failure_data.user_failure_data if event.step_failure_data else None
        left_out = failure.metadata.get(LEFT_OUT_DAYS) if failure is not None else None
        shown = last_attempt_error(error)
        summary = summarize_error(shown)
        if shown is not error:
            summary = shortened(f"{summary} ({summarize_error(error)})", MAX_ERROR_CHARS)
        steps.append(
            FailedStep(
                step_key=event.step_key or "?",
                error_class=(shown.cls_name or "") if shown else "",
                summary=summary,
                left_out_days=tuple(str(left_out.value).split(", ")) if left_out else (),
            )
        )
    run_error = None
    if not steps and failure_event is not None:
        data = failure_event.event_specific_data
        error = getattr(data, "error", None)
        run_error = summarize_error(error) or summarize_error(
            SerializableErrorInfo(failure_event.message or "", [], None)
        )
    return RunFailure(
        run_id=run.run_id,
        job_name=run.job_name,
        partitions=partitions_of(run.tags),
        backfill_id=run.tags.get(BACKFILL_ID_TAG),
        failure_reason=run.tags.get(RUN_FAILURE_REASON_TAG),
        steps=tuple(steps),
        run_error=run_error,
        canceled=run.status == dg.DagsterRunStatus.CANCELED,
        blocked=tuple(blocked),
        days_in_run=days_of(run.tags),
    )


def failure_message(
    failure: RunFailure,
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> tuple[str, list[Mapping[str, Any]]]:
    """Plain text and Slack blocks announcing one failed (or canceled) run, linking the
    run's page in the UI with ``links``."""
    where = f" for {failure.partitions}" if failure.partitions else ""
    others = failure.other_blocked
    held = ", ".join(failure.held_days)
    what = (
        "was canceled"
        if failure.canceled
        else f"stopped by failed blocking checks: {blocked_summary(others)}"
        + (f"; held: {held} (the held-days alert)" if held else "")
        if others
        else f"stopped by held day(s) {held} (the held-days alert)"
        if held
        else "held by a failed blocking check"
        if failure.held_by_checks
        else "failed"
    )
    left = f"; it left out {blocked_summary(failure.left_out)}" if failure.left_out else ""
    text = (
        f"orders: run {failure.run_id[:8]} of {failure.job_name}{where} {what}{left}. "
        f"Open {links.run(failure.run_id) or failure.ui_path} in the Dagster UI."
    )
    facts = [
        f"*Run*: `{failure.run_id}` ({failure.ui_path})",
        f"*Job*: {failure.job_name}",
        f"*Partitions*: {failure.partitions or 'none (unpartitioned)'}",
    ]
    if failure.backfill_id:
        facts.append(f"*Backfill*: {failure.backfill_id}")
    if failure.failure_reason:
        facts.append(f"*Reason*: {failure.failure_reason}")
    if failure.steps:
        shown = [f"• `{s.step_key}`: {s.summary or s.error_class}" for s in failure.steps]
        if len(shown) > MAX_STEPS:
            shown = [*shown[:MAX_STEPS], f"• and {len(shown) - MAX_STEPS} more"]
        details = "*Failed steps*:\n" + "\n".join(shown)
    else:
        details = f"*Error*: {failure.run_error or 'see the run in the UI'}"
    if others:
        details += "\n" + blocked_details(others, failure.days_in_run - len(failure.held_days))
    if held:
        details += (
            f"\n*Held by metadata_anomaly*: {held}: the held-days alert of"
            " orders_anomaly_sensor names every reason and what to do."
        )
    elif failure.held_by_checks:
        details += "\nThe failed checks' findings: the run's page in the UI."
    if failure.canceled:
        details += (
            "\nNothing runs it again: *Re-execute from failure* in the UI finishes it "
            "(its days, what it had not run)."
        )
    if failure.left_out:
        details += "\n" + blocked_details(failure.left_out, failure.days_in_run, LEFT_OUT_HEADING)
    header = "Orders run canceled" if failure.canceled else "Orders run failed"
    blocks: list[Mapping[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": details[:SECTION_LIMIT]}},
        *link_buttons([("Open the run in the Dagster UI", links.run(failure.run_id))]),
    ]
    return text, blocks


LEFT_OUT_HEADING = (
    "*Days left out* (nothing is built on them until they pass; the run's other days went on):"
)


def left_out_message(
    run: dg.DagsterRun,
    left_out: Sequence[BlockedCheck],
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> tuple[str, list[Mapping[str, Any]]]:
    """Plain text and Slack blocks announcing the days a run that succeeded left out: a
    blocking check failed them, and not the run's other days (which went on); the run's
    page in the UI linked with ``links``."""
    partitions = partitions_of(run.tags)
    where = f" for {partitions}" if partitions else ""
    text = (
        f"orders: run {run.run_id[:8]} of {run.job_name}{where} succeeded but left out"
        f" {blocked_summary(left_out)}. Open {links.run(run.run_id) or f'/runs/{run.run_id}'}"
        " in the Dagster UI."
    )
    facts = [
        f"*Run*: `{run.run_id}` (/runs/{run.run_id})",
        f"*Job*: {run.job_name}",
        f"*Partitions*: {partitions or 'none (unpartitioned)'}",
    ]
    details = blocked_details(left_out, days_of(run.tags), LEFT_OUT_HEADING)
    blocks: list[Mapping[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Orders days left out"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": details[:SECTION_LIMIT]}},
        *link_buttons([("Open the run in the Dagster UI", links.run(run.run_id))]),
    ]
    return text, blocks


def left_out_checks(instance: dg.DagsterInstance, run_id: str) -> tuple[BlockedCheck, ...]:
    """The failed blocking checks of a run that left their days out without stopping it,
    but those of the days metadata_anomaly held (not deferred): orders_anomaly_sensor's
    held-days alert announces each, with every reason."""
    found = blocked_checks(failed_blocking_evaluations(instance, run_id, left_out=True))
    return _not_held(found)


def _not_held(found: Sequence[BlockedCheck]) -> tuple[BlockedCheck, ...]:
    held = {c.partition for c in found if c.check == tables.METADATA_ANOMALY and not c.deferred}
    return tuple(c for c in found if c.partition not in held)


def stopped_by_left_out_days(failure: RunFailure, left_out: Sequence[BlockedCheck]) -> RunFailure:
    """``failure`` with the run's failed blocking checks that left their days out
    (``left_out``, :func:`blocked_checks` of them, held days included).

    When every day of the run failed one of them, and no check failed all (one day
    drifts, another is held), Dagster stops nothing: the step that would build on them
    finds no day left and refuses. Those checks stopped the run then, as Dagster's own
    block does when one check fails every day: they are the run's blocked checks (the
    held days left to the held-days alert), and the refusing step says only that it had
    no day left, where its error repeated every day with its reason. Otherwise they are
    what the run left out."""
    steps = failure.steps
    refusing = [s for s in steps if s.left_out_days]
    judged = {c.partition for c in (*failure.blocked, *left_out)}
    if (
        refusing
        and all(s.error_class == BLOCKING_CHECK_ERROR or s.left_out_days for s in steps)
        and all(judged.issuperset(s.left_out_days) for s in refusing)
    ):
        settled = tuple(
            replace(
                s,
                summary=f"{s.summary.split('. ')[0]}: each day failed a blocking check (below)",
                by_checks=True,
            )
            if s.left_out_days
            else s
            for s in steps
        )
        return replace(failure, steps=settled, blocked=(*failure.blocked, *left_out))
    return replace(failure, left_out=_not_held(left_out))


def build_run_left_out_sensor(
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> dg.SensorDefinition:
    """orders_run_left_out_sensor, on by default; its alerts link their run with ``links``."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name=LEFT_OUT_SENSOR_NAME,
        description=(
            "Posts every run of this code location that succeeded but left days out to the"
            " alert webhook (ORDERS_ALERT_WEBHOOK_URL): a blocking check (schema_drift, a"
            " quality suite, reconciliation) failed those days and not the run's others,"
            " which went on. Each day with the check, its finding and what to do. Days"
            " metadata_anomaly held are left to orders_anomaly_sensor's held-days alert."
        ),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def orders_run_left_out_sensor(
        context: dg.RunStatusSensorContext, alert_webhook: AlertWebhook
    ) -> None:
        run = context.dagster_run
        left_out = left_out_checks(context.instance, run.run_id)
        if not left_out:
            return
        _post(context.log, alert_webhook, run.run_id, *left_out_message(run, left_out, links))

    return orders_run_left_out_sensor


def build_run_failure_sensor(
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> dg.SensorDefinition:
    """orders_run_failure_sensor, on by default; its alerts link their run with ``links``."""

    @dg.run_failure_sensor(
        name=SENSOR_NAME,
        description=(
            "Posts every failed run of this code location to the alert webhook "
            "(ORDERS_ALERT_WEBHOOK_URL): run id, job, days, each failed step with a one-line "
            "error (e-mail addresses masked) and the run's path in the UI. A run Dagster "
            "retries automatically is announced by its last attempt only. Days "
            "metadata_anomaly held are left to orders_anomaly_sensor's held-days alert."
        ),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def orders_run_failure_sensor(
        context: dg.RunFailureSensorContext, alert_webhook: AlertWebhook
    ) -> dg.SkipReason | None:
        run = context.dagster_run
        if run.tags.get(WILL_RETRY_TAG) == "true":
            return dg.SkipReason(f"run {run.run_id} failed and will be retried; not announced")
        steps = context.get_step_failure_events()
        blocked = ()
        if any(_failed_check(step) for step in steps):
            blocked = blocked_checks(failed_blocking_evaluations(context.instance, run.run_id))
        failure = stopped_by_left_out_days(
            describe_failure(run, steps, context.failure_event, blocked),
            blocked_checks(failed_blocking_evaluations(context.instance, run.run_id, True)),
        )
        if failure.only_held and not failure.left_out:
            # Logged, not a SkipReason: that would end the tick here, leaving the next
            # failed runs to later ticks.
            context.log.info(
                f"run {run.run_id} stopped by held day(s) {', '.join(failure.held_days)} only:"
                " announced by orders_anomaly_sensor's held-days alert"
            )
            return None
        _announce(context.log, alert_webhook, failure, links)
        return None

    return orders_run_failure_sensor


def build_run_canceled_sensor(
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> dg.SensorDefinition:
    """orders_run_canceled_sensor, on by default: every canceled run, as a failed one."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.CANCELED,
        name=CANCELED_SENSOR_NAME,
        description=(
            "Posts every canceled run of this code location to the alert webhook "
            "(ORDERS_ALERT_WEBHOOK_URL), like orders_run_failure_sensor: no sensor requests "
            "a canceled run again, so its days wait for a re-execution from failure."
        ),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def orders_run_canceled_sensor(
        context: dg.RunStatusSensorContext, alert_webhook: AlertWebhook
    ) -> None:
        run = context.dagster_run
        if first_of_its_kind(context.instance, run.run_id, context.dagster_event):
            failure = describe_failure(run, [], context.dagster_event)
            _announce(context.log, alert_webhook, failure, links)

    return orders_run_canceled_sensor


def _failed_check(event: dg.DagsterEvent) -> bool:
    """Whether a step failure is a failed blocking check."""
    data = event.step_failure_data
    return (
        data is not None and data.error is not None and data.error.cls_name == BLOCKING_CHECK_ERROR
    )


def _announce(log, alert_webhook: AlertWebhook, failure: RunFailure, links: UiLinks) -> None:
    """Log the run's message and post it to the webhook (a failed post is logged)."""
    _post(log, alert_webhook, failure.run_id, *failure_message(failure, links))


def _post(
    log, alert_webhook: AlertWebhook, run_id: str, text: str, blocks: list[Mapping[str, Any]]
) -> None:
    log.warning(text)
    if alert_webhook.enabled and not alert_webhook.post(text, blocks):
        log.warning("alert webhook post failed for run %s", run_id)
