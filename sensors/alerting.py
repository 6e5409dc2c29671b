"""The message posted when partitions are held: what was held, why, and what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orders_core.pii import redact_emails
from orders_core.tables import METADATA_ANOMALY_OP as CHECK_OP_NAME

# Slack rejects a section text longer than 3000 characters.
SECTION_LIMIT = 2900
# Days per held-days message: Slack rejects a message of more than 50 blocks
# (invalid_blocks); a day is one section, after the header and the summary.
MAX_HELD_PER_POST = 20
MAX_FINDING_CHARS = 160
# What to do about a day that fails schema_drift: the same words in the run-failure alert,
# the held alert, devtools.held and make run.
FIX_LANDING_FILES = (
    "fix the day's landing files: orders_landing_sensor loads the day again when they"
    " change (findings in the check's metadata)"
)
# Why a held day that also fails schema_drift is not offered a release.
DRIFT_BEFORE_RELEASE = "a release cannot publish it while schema_drift fails"


@dataclass(frozen=True)
class HeldNotice:
    """One newly held partition and the check's explanation of it."""

    partition: str
    description: str
    score: float | None
    # The day's failed schema_drift finding, when the day fails it too (fix that first).
    schema_drift: str | None = None


def shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis saying where."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_finding(description: str) -> str:
    """A check's finding for an alert line: e-mail addresses masked, shortened."""
    return shortened(redact_emails(description), MAX_FINDING_CHARS)


def drift_first(finding: str) -> str:
    """What to do about a held day that also fails schema_drift, one line: the same step
    the run-failure alert gives for the day."""
    return (
        f"also fails schema_drift ({short_finding(finding)}); {DRIFT_BEFORE_RELEASE}. First"
        f" {FIX_LANDING_FILES}; metadata_anomaly judges the corrected files again"
    )


def release_command(partition: str, dg_cli: str = "dg") -> str:
    """The CLI that releases one held partition after review (``dg_cli``: how the reader
    calls ``dg``, ``.venv/bin/dg`` from a checkout)."""
    config = (
        f'{{"ops": {{"{CHECK_OP_NAME}": {{"config": {{"release": true, '
        f'"reason": "<why the data is right>"}}}}}}}}'
    )
    return (
        f"{dg_cli} launch --assets 'raw_orders*' --partition {partition} --config-json '{config}'"
    )


def held_message(
    notices: Sequence[HeldNotice], part: str = ""
) -> tuple[str, list[Mapping[str, Any]]]:
    """Plain text and Slack blocks for newly held partitions (at most
    :data:`MAX_HELD_PER_POST`: :func:`held_messages` splits more); ``part`` says which
    message of several this is."""
    days = ", ".join(n.partition for n in notices)
    text = (
        f"orders: {len(notices)} partition(s) held by metadata_anomaly{part}: {days}. "
        "Downstream tables are not updated for them until new files land or an engineer "
        "releases them."
    )
    drifted = [n.partition for n in notices if n.schema_drift]
    if drifted:
        text += (
            f" {', '.join(drifted)} also fail(s) schema_drift: fix the landing files first"
            " (a release cannot publish them)."
        )
    blocks: list[Mapping[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Orders partitions held"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
    ]
    for notice in notices:
        score = "n/a" if notice.score is None else f"{notice.score:.3f}"
        head = f"*{notice.partition}* (anomaly score {score})\n{notice.description}\n"
        if notice.schema_drift:
            step = drift_first(notice.schema_drift)
            body = f"{head}→ {step[0].upper()}{step[1:]}"
        else:
            body = f"{head}Release after review:\n`{release_command(notice.partition)}`"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:SECTION_LIMIT]}})
    return text, blocks


def held_messages(
    notices: Sequence[HeldNotice],
) -> list[tuple[str, list[Mapping[str, Any]], list[str]]]:
    """:func:`held_message` of every :data:`MAX_HELD_PER_POST` notices, oldest day first,
    each with the days it names: one message Slack accepts per group of days."""
    ordered = sorted(notices, key=lambda n: n.partition)
    groups = [
        ordered[start : start + MAX_HELD_PER_POST]
        for start in range(0, len(ordered), MAX_HELD_PER_POST)
    ]
    messages = []
    for number, group in enumerate(groups, start=1):
        part = f" (message {number} of {len(groups)})" if len(groups) > 1 else ""
        text, blocks = held_message(group, part)
        messages.append((text, blocks, [n.partition for n in group]))
    return messages
