"""The PostgreSQL test harness: skip or fail policy, and a server that really answers."""

import psycopg2
import pytest

from tests.support import postgres
from tests.support.postgres import PostgresServer, PostgresUnavailable, services_required


@pytest.mark.parametrize(
    ("environ", "required"),
    [
        ({}, False),
        ({"CI": ""}, False),
        ({"CI": "false"}, False),
        ({"CI": "true"}, True),
        ({"CI": "1"}, True),
    ],
)
def test_ci_turns_a_missing_server_into_a_failure(environ: dict[str, str], required: bool) -> None:
    assert services_required(environ) is required


def test_missing_binaries_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "find_bin_dir", lambda: None)

    with pytest.raises(PostgresUnavailable, match="postgresql"):
        with postgres.running_postgres():
            pass


@pytest.mark.services
def test_server_listens_on_loopback_only(postgres_server: PostgresServer) -> None:
    connection = psycopg2.connect(postgres_server.dsn("dagster"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW listen_addresses")
            assert cursor.fetchone() == ("127.0.0.1",)
            cursor.execute("SHOW fsync")
            assert cursor.fetchone() == ("off",)
    finally:
        connection.close()
