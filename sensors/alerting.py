"""The message posted when partitions are held: what was held, why, and what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orders_core.tables import METADATA_ANOMALY_OP as CHECK_OP_NAME

# Slack rejects a section text longer than 3000 characters.
SECTION_LIMIT = 2900


@dataclass(frozen=True)
class HeldNotice:
    """One newly held partition and the check's explanation of it."""

    partition: str
    description: str
    score: float | None


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


def held_message(notices: Sequence[HeldNotice]) -> tuple[str, list[Mapping[str, Any]]]:
    """Plain text and Slack blocks for newly held partitions."""
    days = ", ".join(n.partition for n in notices)
    text = (
        f"orders: {len(notices)} partition(s) held by metadata_anomaly: {days}. "
        "Downstream tables are not updated for them until new files land or an engineer "
        "releases them."
    )
    blocks: list[Mapping[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Orders partitions held"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
    ]
    for notice in notices:
        score = "n/a" if notice.score is None else f"{notice.score:.3f}"
        body = (
            f"*{notice.partition}* (anomaly score {score})\n{notice.description}\n"
            f"Release after review:\n`{release_command(notice.partition)}`"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:SECTION_LIMIT]}})
    return text, blocks
