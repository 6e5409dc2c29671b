"""Alerts to a Slack-compatible incoming webhook (``ORDERS_ALERT_WEBHOOK_URL``).

The payload is the one Slack, Mattermost and Rocket.Chat accept: ``{"text": ..., "blocks":
[...]}``. Posting is best effort: a sensor tick must never fail because a chat service is
down, so every error is logged and reported as ``False``.

Alerts quote landed text (column and file names in a check's finding). Slack reads
``<...>`` in message text as a control sequence: ``<!channel>`` notifies everyone in the
channel, ``<https://...|Open the run>`` is a link under words of the sender's choosing.
So the text is sent escaped as Slack asks (``&``, ``<``, ``>`` as ``&amp;``, ``&lt;``,
``&gt;``, shown as the characters): the alert's own formatting (``*bold*``, code) uses
none of them.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import dagster as dg

log = logging.getLogger(__name__)


class AlertWebhook(dg.ConfigurableResource):
    """Where alerts go. An empty ``url`` disables posting (alerts are only logged)."""

    url: str = ""
    timeout_s: float = 5.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def post(self, text: str, blocks: Sequence[Mapping[str, Any]] = ()) -> bool:
        """POST one message; True when the webhook answered 2xx."""
        if not self.enabled:
            return False
        if urlparse(self.url).scheme not in ("http", "https"):
            log.warning("alert webhook URL must be http(s); not posting")
            return False
        payload = {"text": slack_escaped(text), "blocks": [_escaped_block(b) for b in blocks]}
        body = json.dumps(payload).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return 200 <= response.status < 300
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            log.warning("alert webhook post failed: %s", exc)
            return False


def slack_escaped(text: str) -> str:
    """``text`` with Slack's control characters escaped: shown as written, never a
    mention, a link or a channel ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_block(block: Mapping[str, Any]) -> Mapping[str, Any]:
    """A block whose ``mrkdwn`` text is :func:`slack_escaped` (``plain_text`` is shown as
    it is)."""
    text = block.get("text")
    if isinstance(text, Mapping) and text.get("type") == "mrkdwn":
        return {**block, "text": {**text, "text": slack_escaped(text["text"])}}
    return block
