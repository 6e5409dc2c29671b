"""A throwaway PostgreSQL server for tests, from the distribution's server binaries.

The server lives in a temporary directory, listens on a free loopback port only, trusts local
connections (nothing leaves the machine) and is stopped and deleted afterwards. Durability
settings are off because the data is thrown away.

On Debian/Ubuntu the binaries come from the ``postgresql`` package, under
``/usr/lib/postgresql/<major>/bin``. ``initdb`` refuses to run as root, so under root every
server command runs as the ``postgres`` system user (created by that package) via ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

SERVER_USER = "postgres"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or a user allowed to run them) are missing."""


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens and where its files are."""

    bin_dir: Path
    base_dir: Path
    port: int
    host: str = "127.0.0.1"

    def dsn(self, db_name: str) -> str:
        """libpq connection URL of one database (for psycopg2 and PostgreSQL tools)."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{db_name}"

    def url(self, db_name: str) -> str:
        """SQLAlchemy URL of one database, naming the psycopg2 driver Dagster installs.

        SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which is not installed.
        """
        return f"postgresql+psycopg2://{SUPERUSER}@{self.host}:{self.port}/{db_name}"

    def create_database(self, db_name: str, template: str = "") -> str:
        """Create an empty database (a plain identifier), or a copy of the database
        ``template`` (which nobody may be connected to), and return its SQLAlchemy URL."""
        for name in filter(None, (db_name, template)):
            if not name.isidentifier():
                raise ValueError(f"database name must be a plain identifier, got {name!r}")
        connection = psycopg2.connect(self.dsn("postgres"))
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                copy = f" TEMPLATE {template}" if template else ""
                cursor.execute(f"CREATE DATABASE {db_name}{copy}")
        finally:
            connection.close()
        return self.url(db_name)


def services_required(environ: Mapping[str, str]) -> bool:
    """Whether a missing service must fail the tests instead of skipping them (under CI)."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_bin_dir() -> Path | None:
    """The newest installed server's ``bin`` directory, or ``None`` if there is none."""
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    if candidates:
        return max(candidates, key=lambda path: int(path.parent.name))
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user() -> list[str]:
    """Command prefix that drops root to the ``postgres`` user (empty when not root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, and there is no {SERVER_USER!r} user to run PostgreSQL as "
            "(it comes with the Debian package `postgresql`)"
        ) from None
    return ["runuser", "-u", SERVER_USER, "--"]


def _run(command: list[str]) -> None:
    """Run a server command, raising with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


@contextmanager
def running_postgres(db_names: tuple[str, ...] = ("dagster",)) -> Iterator[PostgresServer]:
    """Start a private PostgreSQL server with the given databases; stop and delete it after."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql/*/bin or on PATH; "
            "install the Debian package `postgresql`"
        )
    prefix = _as_server_user()
    base_dir = Path(tempfile.mkdtemp(prefix="orders-pg-"))
    if prefix:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(base_dir, user.pw_uid, user.pw_gid)
    data_dir, log_file = base_dir / "data", base_dir / "server.log"
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=free_loopback_port())
    started = False
    try:
        _run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", SUPERUSER]
            + ["--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"]
        )
        options = (
            f"-c listen_addresses={server.host} -p {server.port} -k {base_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            [*prefix, str(bin_dir / "pg_ctl"), "start", "-D", str(data_dir), "-l", str(log_file)]
            + ["-w", "-t", str(START_TIMEOUT_S), "-o", options]
        )
        started = True
        for db_name in db_names:
            _run(
                [*prefix, str(bin_dir / "createdb"), "-h", server.host, "-p", str(server.port)]
                + ["-U", SUPERUSER, db_name]
            )
        yield server
    finally:
        if started:
            _run([*prefix, str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "fast"])
        shutil.rmtree(base_dir, ignore_errors=True)
