"""The message posted when partitions are held: what was held, why, and what to do."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from orders_core.pii import redact_emails
from orders_core.tables import METADATA_ANOMALY_OP as CHECK_OP_NAME
from orders_core.tables import RAW_ORDERS
from resources.settings import REPO_ROOT, PlatformSettings, cli_settings

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
class UiLinks:
    """Links into the Dagster UI served at ``base_url`` (``ORDERS_WEBSERVER_BASE_URL``, a path
    prefix included), as Dagster's own alert sensors give them (their ``webserver_base_url``:
    ``/runs/<run id>`` under it, in a link button); without it, none (None), and an alert
    names the UI's paths as before.

    The routes are the UI's own: an asset's page ``/assets/<key path>`` with
    ``?view=partitions`` (its partitions view) and ``&partition=<key>`` (one partition's
    page there), each part percent-encoded as the UI encodes it (``encodeURIComponent``)."""

    base_url: str | None = None

    def _url(self, path: str) -> str | None:
        return f"{self.base_url.rstrip('/')}{path}" if self.base_url else None

    def run(self, run_id: str) -> str | None:
        """The run's page."""
        return self._url(f"/runs/{quote(run_id, safe='')}")

    def partitions(self, asset_path: Sequence[str], partition: str | None = None) -> str | None:
        """The asset's partitions view, on ``partition``'s page when one is given."""
        query = {"view": "partitions"} | ({"partition": partition} if partition else {})
        path = "/".join(quote(part, safe="") for part in asset_path)
        return self._url(f"/assets/{path}?{urlencode(query, quote_via=quote)}")


def link_buttons(links: Sequence[tuple[str, str | None]]) -> list[Mapping[str, Any]]:
    """An ``actions`` block of link buttons (label, URL; the links that are None left out),
    as Dagster's Slack sensor links its run: the URL is the button's own field, never
    Slack markup in the message's text, so nothing in it needs Slack's escaping and no
    landed text can forge a link. No link, no block."""
    buttons = [button(label, url) for label, url in links if url]
    return [{"type": "actions", "elements": buttons}] if buttons else []


def button(label: str, url: str) -> Mapping[str, Any]:
    """A link button (Slack shows at most 75 characters of its label)."""
    return {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "url": url}


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
    return (
        f"{dg_cli} launch --assets 'raw_orders*' --partition {partition}"
        f" --config-json '{release_config()}'"
    )


def release_config(reason: str = "<why the data is right>") -> str:
    """The release's run config, as JSON (which the UI's launchpad also takes as YAML)."""
    return (
        f'{{"ops": {{"{CHECK_OP_NAME}": {{"config": {{"release": true, "reason": "{reason}"}}}}}}}}'
    )


@dataclass(frozen=True)
class ReleaseAdvice:
    """How the held-days alert tells its reader to release a day, true where it is read.

    On a deployment (``ui_job``, PLATFORM_ENV=prod) from the Dagster UI: the release is a
    run of ``ui_job`` with the check's release config, and a terminal's ``dg launch`` would
    run outside the run queue (docs/anomaly_hold.md), where the image has no checkout to
    run it from anyway. Locally, a command to paste into any shell: it goes to the
    ``project`` (``dg launch`` runs only there, and reads its ``.env``) and names the
    instance the sensor reads and the ``settings`` the UI runs with
    (:func:`resources.settings.cli_settings`); without them it ran on a temporary instance,
    where the cleaning refuses, or on the default landing zone and warehouse. No secret is
    printed: with ``pii_key_from_env`` the message says that PII_HASH_KEY must be set.
    """

    ui_job: str | None = None
    project: str = ""
    settings: str = ""
    dg_cli: str = "dg"
    pii_key_from_env: bool = False

    def step(self, partition: str, dagster_home: str | None) -> str:
        """What to do to release ``partition`` after review, for the instance whose
        directory is ``dagster_home``."""
        if self.ui_job:
            return (
                "Release after review from the Dagster UI (a terminal's `dg launch` would run"
                " outside the run queue): *Jobs > "
                f"{self.ui_job} > Materialize all… (arrow) > Open launchpad*, partition"
                f" `{partition}`, config `{release_config()}` with your reason, then"
                " *Materialize*. Why it is held: *Assets > raw_orders > Checks >"
                " metadata_anomaly*."
            )
        prefix = " ".join(
            part
            for part in (
                f"cd {shlex.quote(self.project)} &&" if self.project else "",
                f"DAGSTER_HOME={shlex.quote(dagster_home)}" if dagster_home else "",
                self.settings,
            )
            if part
        )
        dg_cli = f"{prefix} {self.dg_cli}" if prefix else self.dg_cli
        key = (
            " PII_HASH_KEY (not shown) must be set as for the UI: in the project's .env, or"
            " exported in that shell."
            if self.pii_key_from_env
            else ""
        )
        return (
            "Release after review from any shell, your reason in place of the"
            f" placeholder.{key}\n`{release_command(partition, dg_cli)}`"
        )


def release_advice(settings: PlatformSettings, job_name: str) -> ReleaseAdvice:
    """The held-days alert's release step for the deployment ``settings`` describe: from the
    UI in production, else a command run from this project with the ``dg`` beside this
    Python (``.venv/bin/dg`` in a checkout; ``dg`` from PATH when there is none)."""
    if settings.env == "prod":
        return ReleaseAdvice(ui_job=job_name)
    dg = Path(sys.executable).with_name("dg")
    if not dg.exists():
        dg_cli = "dg"
    else:
        dg_cli = str(dg.relative_to(REPO_ROOT) if dg.is_relative_to(REPO_ROOT) else dg)
    return ReleaseAdvice(
        project=str(REPO_ROOT),
        settings=cli_settings(settings),
        dg_cli=shlex.quote(dg_cli),
        pii_key_from_env=settings.pii_key_from_env,
    )


def held_message(
    notices: Sequence[HeldNotice],
    part: str = "",
    advice: ReleaseAdvice = ReleaseAdvice(),  # noqa: B008 (frozen, never mutated)
    dagster_home: str | None = None,
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> tuple[str, list[Mapping[str, Any]]]:
    """Plain text and Slack blocks for newly held partitions (at most
    :data:`MAX_HELD_PER_POST`: :func:`held_messages` splits more); ``part`` says which
    message of several this is; each day's release step from ``advice`` for the instance
    in ``dagster_home``; with ``links``, each day links its partition's page in the UI and
    the message raw_orders' partitions view."""
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
    every_day = links.partitions(RAW_ORDERS.key)
    if every_day:
        text += f" In the Dagster UI: {every_day}"
    blocks: list[Mapping[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Orders partitions held"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        *link_buttons([("raw_orders partitions in the Dagster UI", every_day)]),
    ]
    for notice in notices:
        score = "n/a" if notice.score is None else f"{notice.score:.3f}"
        if notice.schema_drift:
            step = drift_first(notice.schema_drift)
            step = f"→ {step[0].upper()}{step[1:]}"
        else:
            step = advice.step(notice.partition, dagster_home)
        # The step whole, the explanation shortened to what is left: a command cut short
        # would run something else.
        head = shortened(
            f"*{notice.partition}* (anomaly score {score})\n{notice.description}",
            max(SECTION_LIMIT - len(step) - 1, MAX_FINDING_CHARS),
        )
        body = f"{head}\n{step}"
        section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": body}}
        if day_page := links.partitions(RAW_ORDERS.key, notice.partition):
            section["accessory"] = button(f"Open {notice.partition}", day_page)
        blocks.append(section)
    return text, blocks


def held_messages(
    notices: Sequence[HeldNotice],
    advice: ReleaseAdvice = ReleaseAdvice(),  # noqa: B008 (frozen, never mutated)
    dagster_home: str | None = None,
    links: UiLinks = UiLinks(),  # noqa: B008 (frozen, never mutated)
) -> list[tuple[str, list[Mapping[str, Any]], list[str]]]:
    """:func:`held_message` of every :data:`MAX_HELD_PER_POST` notices, oldest day first,
    each with the days it names: one message Slack accepts per group of days (a day's
    link is its section's button: no block more)."""
    ordered = sorted(notices, key=lambda n: n.partition)
    groups = [
        ordered[start : start + MAX_HELD_PER_POST]
        for start in range(0, len(ordered), MAX_HELD_PER_POST)
    ]
    messages = []
    for number, group in enumerate(groups, start=1):
        part = f" (message {number} of {len(groups)})" if len(groups) > 1 else ""
        text, blocks = held_message(group, part, advice, dagster_home, links)
        messages.append((text, blocks, [n.partition for n in group]))
    return messages
