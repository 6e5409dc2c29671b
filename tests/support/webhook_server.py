"""A local stand-in for a Slack incoming webhook, on 127.0.0.1, for tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def slack_shown(text: str) -> str:
    """A posted ``mrkdwn`` text as Slack shows it (and a reader copies it): its ``&amp;``,
    ``&lt;`` and ``&gt;`` as the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class WebhookServer:
    """Keeps every JSON body POSTed to it; answers ``status`` (200 unless told otherwise)."""

    def __init__(self, status: int = 200) -> None:
        self.posts: list[dict] = []
        self.status = status
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.posts.append(json.loads(body))
                self.send_response(server.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                return

        return Handler

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
