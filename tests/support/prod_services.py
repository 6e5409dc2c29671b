"""Loopback services for the production tests: moto's S3 server, a fault-injecting proxy and
the production Dagster instance (deploy/dagster.yaml) on a test PostgreSQL database."""

from __future__ import annotations

import http.client
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
import yaml
from moto.server import ThreadedMotoServer
from sqlalchemy.engine import make_url

from tests.support.paths import DEPLOY_DIR

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}
FAULTS = (
    (503, "SlowDown", "Please reduce your request rate."),
    (500, "InternalError", "We encountered an internal error. Please try again."),
    (503, "ServiceUnavailable", "Service is unable to handle request."),
)


@contextmanager
def moto_s3() -> Iterator[str]:
    """Moto's S3 server on 127.0.0.1 and a free port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def deploy_environment(db_url: str) -> dict[str, str]:
    """The variables deploy/dagster.yaml reads, for the database ``db_url``."""
    url = make_url(db_url)
    return {
        "DAGSTER_PG_HOST": str(url.host),
        "DAGSTER_PG_USERNAME": str(url.username),
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": str(url.database),
        "DAGSTER_PG_PORT": str(url.port),
        # As every pod that stores events (deploy/): a range's materializations in one batch.
        "DAGSTER_EVENT_BATCH_SIZE": "1000",
    }


def write_deploy_home(home: Path) -> None:
    """deploy/dagster.yaml in the instance folder ``home``, with two local adjustments: the
    test server has no TLS (sslmode), and compute logs stay off instead of on S3. Run
    launcher and coordinator are kept (in-process runs do not use them)."""
    config = yaml.safe_load((DEPLOY_DIR / "dagster.yaml").read_text(encoding="utf-8"))
    config["storage"]["postgres"]["postgres_db"]["params"] = {"sslmode": "disable"}
    config["compute_logs"] = {
        "module": "dagster._core.storage.noop_compute_log_manager",
        "class": "NoOpComputeLogManager",
    }
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


@contextmanager
def deploy_instance(
    db_url: str, home: Path, patch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    """The instance of deploy/dagster.yaml (:func:`write_deploy_home`) in ``home`` on the
    database ``db_url``, its variables set with ``patch``."""
    for name, value in deploy_environment(db_url).items():
        patch.setenv(name, value)
    write_deploy_home(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


class FaultInjectingProxy:
    """An HTTP proxy on loopback that answers ``rate`` of the requests with an S3 error.

    In every block of ten requests, ``round(10 * rate)`` seeded positions fail and
    the rest are forwarded to ``upstream``, so the fault rate is exact and a
    sequential run sees the same faults every time.
    """

    BLOCK = 10

    def __init__(self, upstream: str, rate: float, seed: int = 0):
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.failing_per_block = round(self.BLOCK * rate)
        self.requests = 0
        self.faults: list[str] = []
        self._rng = random.Random(seed)
        self._block: set[int] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultInjectingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_fault(self, method: str, path: str) -> tuple[int, str, str] | None:
        with self._lock:
            position = self.requests % self.BLOCK
            if position == 0:
                self._block = set(self._rng.sample(range(self.BLOCK), self.failing_per_block))
            self.requests += 1
            if position not in self._block:
                return None
            fault = self._rng.choice(FAULTS)
            self.faults.append(f"{fault[0]} {fault[1]} {method} {path}")
            return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args) -> None:  # noqa: A002 (stdlib signature)
                return

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._next_fault(self.command, self.path)
                if fault:
                    status, code, message = fault
                    xml = (
                        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                        f"<Message>{message}</Message><RequestId>fault</RequestId></Error>"
                    ).encode()
                    self._reply(status, [("Content-Type", "application/xml")], xml)
                    return
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    self._reply(response.status, response.getheaders(), response.read())
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler
