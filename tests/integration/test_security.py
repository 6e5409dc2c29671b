"""Security: bound SQL, validated identifiers and partitions, keyed PII hashing, no secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import orders_core.sql.cleaning as sql_cleaning
import orders_core.sql.run as sql_run
from resources.pii import LOCAL_DEVELOPMENT_KEY, PiiHasher, PiiKeyError, pii_hasher
from resources.settings import REPO_ROOT, PlatformSettings
from resources.warehouse import quoted_identifier
from tests.support.pipeline_helpers import permanent_failure_message, run_range

HOSTILE_NAMES = ['orders"; drop table x; --', "a b", "", "1abc", "ok.name", "x" * 300]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_identifiers_that_are_not_plain_names_are_refused(name):
    with pytest.raises(ValueError, match="not a valid SQL identifier"):
        quoted_identifier(name)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-01-01'; drop table raw.raw_orders; --", "2025-01-02", "does not match format"),
        ("2025-01-02", "2025-01-01", "is empty: is it reversed"),
        ("1999-01-01", "1999-01-02", "is not a day of the orders partitions"),
    ],
)
def test_garbage_partition_ranges_fail_clearly_before_any_sql(
    settings, instance, start, end, message
):
    try:
        result = run_range(settings, instance, start, end, raise_on_error=False)
    except ValueError as error:
        assert message in str(error)
    else:
        assert not result.success
        failures = [e for e in result.all_events if e.is_step_failure]
        assert [e.step_key for e in failures] == ["raw_orders"]
        assert message in failures[0].step_failure_data.user_failure_data.description
        assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    # The range never reaches SQL: no order table is created. fx_rates, the one step that
    # takes no partition, loads the rates as in any run.
    assert _tables(settings.duckdb_path) <= {"staging.fx_rates"}, "no order may be written"


def _tables(duckdb_path: str) -> set[str]:
    if not Path(duckdb_path).exists():
        return set()
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    return {name for (name,) in rows}


def test_prod_refuses_to_run_without_a_pii_key_or_with_the_public_one():
    prod_env = {"PLATFORM_ENV": "prod", "ORDERS_LANDING_URI": "s3://bucket/orders"}
    unset = pii_hasher(PlatformSettings.from_env(prod_env))
    assert isinstance(unset.key, dg.EnvVar), "prod never falls back to the development key"
    prod = pii_hasher(PlatformSettings.from_env({**prod_env, "PII_HASH_KEY": "x"}))
    assert isinstance(prod.key, dg.EnvVar) and prod.allow_development_key is False
    with pytest.raises(PiiKeyError, match="public development key"):
        PiiHasher(key=LOCAL_DEVELOPMENT_KEY, allow_development_key=False).key_bytes()
    with pytest.raises(PiiKeyError, match="at least 16 characters"):
        PiiHasher(key="short", allow_development_key=False).key_bytes()

    local = pii_hasher(PlatformSettings())
    assert local.key_bytes() == LOCAL_DEVELOPMENT_KEY.encode()
    keyed = pii_hasher(PlatformSettings.from_env({"PII_HASH_KEY": "k"}))
    assert isinstance(keyed.key, dg.EnvVar), "a key in the environment always wins"


def test_cleaning_stops_before_hashing_when_the_engine_gives_another_hmac(
    settings, instance, monkeypatch
):
    # An engine whose SHA-256 of BINARY were another function's (Snowflake documents its
    # message as text) would give every customer a stable but foreign id: no failure.
    monkeypatch.setattr(
        sql_run, "hmac_probe_select", lambda: f"SELECT 'ab12' FROM {sql_cleaning.PADS_TABLE}"
    )
    result = run_range(settings, instance, "2025-01-01", "2025-01-03", raise_on_error=False)
    assert not result.success
    message = permanent_failure_message(result)
    assert "HMAC-SHA256 of a known e-mail is 'ab12'" in message
    assert "no row was written" in message
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.raw_orders").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM staging.cleaned_orders").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM staging.quarantined_orders").fetchone()[0] == 0


def test_ruff_security_rules_pass_on_the_whole_repository():
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "S", "--output-format", "concise", "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout


def detect_secrets(*paths: str) -> subprocess.CompletedProcess:
    hook = REPO_ROOT / ".venv" / "bin" / "detect-secrets-hook"
    return subprocess.run(
        [
            str(hook) if hook.exists() else "detect-secrets-hook",
            "--baseline",
            ".secrets.baseline",
            *paths,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )


def test_the_secret_scanner_passes_the_repository_and_catches_a_planted_secret(tmp_path):
    baseline = (REPO_ROOT / ".secrets.baseline").read_text()
    assert json.loads(baseline)["results"] == {}, "audit new findings instead of baselining them"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert detect_secrets(*tracked).returncode == 0

    planted = tmp_path / "settings_prod.py"
    # Built at run time so that this file itself holds no secret-looking literal.
    planted.write_text(
        f'AWS_ACCESS_KEY_ID = "{"AKIA" + "Q3EXAMPLE7XK2P9WZ"[:16]}"\n'
        f'db_password = "{"Tr0ub4dor" + "&3-horse-battery"}"\n'
    )
    caught = detect_secrets(str(planted))
    assert caught.returncode != 0
    assert "AWS Access Key" in caught.stdout and "Secret Keyword" in caught.stdout
    assert (REPO_ROOT / ".secrets.baseline").read_text() == baseline
