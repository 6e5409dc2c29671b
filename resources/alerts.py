"""Alerts to a Slack-compatible incoming webhook (``ORDERS_ALERT_WEBHOOK_URL``).

The payload is the one Slack, Mattermost and Rocket.Chat accept: ``{"text": ..., "blocks":
[...]}``. Posting is best effort: a sensor tick must never fail because a chat service is
down, so every error is logged and reported as ``False``.
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
        body = json.dumps({"text": text, "blocks": list(blocks)}).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return 200 <= response.status < 300
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            log.warning("alert webhook post failed: %s", exc)
            return False
