"""Platform settings: the one place where environment variables are read.

Everything else receives a :class:`PlatformSettings` value, so tests build one
directly instead of patching the environment and reloading modules.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data"
ENVIRONMENTS = ("local", "prod")
STEP_EXECUTORS = ("multiprocess", "k8s_job")
WAREHOUSE_SCHEMAS = ("raw", "staging", "analytics", "warehouse")
S3_RETRY_MODES = ("standard", "adaptive", "legacy")
SNOWFLAKE_MAX_STATEMENT_TIMEOUT_S = 604_800  # seven days
# An unquoted Snowflake identifier (https://docs.snowflake.com/en/sql-reference/identifiers-syntax):
# it is written into USE SCHEMA as it is, so nothing else may pass.
SNOWFLAKE_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,254}")
# The characters of a URL (RFC 3986: unreserved, reserved and the percent sign).
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
N = TypeVar("N", int, float)


def parse_day(value: str, what: str) -> dt.date:
    """Parse a ``YYYY-MM-DD`` day, with an error that names the setting."""
    try:
        return dt.date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"{what} must be a date in YYYY-MM-DD form, got {value!r}") from None


def is_set(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when the environment gives ``name`` a non-empty value: the user chose it.

    ``make run`` picks the demo's dates only where the user has not chosen them.
    """
    environ = os.environ if environ is None else environ
    return bool(environ.get(name, "").strip())


def read_dotenv(folder: str | None = None) -> list[str]:
    """Read ``folder``'s (the working directory's) ``.env`` into the environment as Dagster's
    CLI reads it for ``make ui``'s ``dg dev`` and ``dg launch`` (its values over exported
    ones); return the names it set. The repository's own commands (``make run``,
    ``devtools.held``, ``devtools.lost_runs``, the pool and the demo's first day) call it
    first, so that they see the instance, landing zone and key the UI's and CLI's runs see."""
    from resources.dagster_internals import get_env_var_dict

    values = get_env_var_dict(folder or os.getcwd())
    os.environ.update(values)
    return list(values)


def require_dagster_home(command: str, environ: Mapping[str, str] | None = None) -> None:
    """Stop ``command``, a repository CLI that reads the Dagster instance, when DAGSTER_HOME
    is not set, naming the instance ``make run`` and ``make ui`` use: Dagster's own error
    suggests ``~/dagster_home``, a new empty instance where no day would be listed held."""
    if not is_set("DAGSTER_HOME", environ):
        raise SystemExit(
            f"{command}: DAGSTER_HOME is not set. `make run` and `make ui` keep their instance"
            " in the repository's .dagster_home: from the repository root,"
            " `export DAGSTER_HOME=$PWD/.dagster_home` (or your own instance's path)."
        )


@dataclass(frozen=True)
class PlatformSettings:
    """Resolved configuration of one deployment of the platform."""

    env: str = "local"
    partitions_start: str = "2025-01-01"
    landing_uri: str = str(DEFAULT_DATA_DIR / "landing")
    duckdb_path: str = str(DEFAULT_DATA_DIR / "orders.duckdb")
    pii_key_from_env: bool = False
    step_executor: str = "multiprocess"
    # Production only: S3 client behaviour (credentials come from boto3's own chain).
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_max_attempts: int = 8
    s3_retry_mode: str = "standard"
    # Production only: which Snowflake secrets are set (their values are read by dg.EnvVar).
    snowflake_key_pair: bool = False
    snowflake_key_passphrase: bool = False
    # Where the UI's "source code" links point; unset means links to local files.
    git_url: str | None = None
    git_branch: str = "main"
    # The Dagster UI's address as the alerts' readers open it (Dagster's own alert sensors'
    # ``webserver_base_url``), a path prefix included: each alert links its run, the held
    # days their partitions' pages. Unset: the alerts give the UI's paths, no link.
    webserver_base_url: str | None = None
    anomaly_threshold: float = 0.75
    anomaly_training_days: int = 56
    # Landed files metadata_anomaly may profile to judge a day whose history holds days
    # raw_orders has not loaded (days run newest first, say), in MiB; beyond it, or at 0,
    # the day is deferred until they are loaded (orders_anomaly_sensor runs it again).
    # Profiling costs what loading them does: 1 GiB is about 6.7M orders of the simulator's
    # CSV (160 bytes each), some 22 s at the 300k orders/s measured (bench/RESULTS.md).
    anomaly_profile_limit_mb: int = 1024
    landing_lookback_days: int = 7
    # Every how many ticks of orders_landing_sensor (a minute apart at the least) its sweep
    # compares every loaded day's files with what raw_orders loaded (late files of days
    # older than the lookback); 0: never.
    landing_sweep_ticks: int = 60
    alert_webhook_from_env: bool = False
    # Seconds a run of the platform's job (and every run its sensors and schedule start) may
    # take before the daemon's run monitoring stops it and marks it failed (the
    # ``dagster/max_runtime`` run tag); 0: no limit. The default is over twice a 31-day range
    # run at the production sizing (5 minutes a day, bench/RESULTS.md), so that with one run
    # in the warehouse pool a hung run cannot hold every other for ever.
    run_max_runtime_s: int = 21_600
    # Production only: limits of every Snowflake session (its STATEMENT_TIMEOUT_IN_SECONDS
    # and LOCK_TIMEOUT), so that a statement stuck in the warehouse, or waiting on a lock
    # another session holds, fails with Snowflake's message instead of holding the run.
    snowflake_statement_timeout_s: int = 10_800
    snowflake_lock_timeout_s: int = 1_800
    # Production only: every Snowflake session's current schema, set at login and made
    # current when a session opens, where the unqualified session-temporary tables (and
    # write_pandas' temporary stage) go. STAGING, one of the platform's own schemas, needs
    # no grant of its own.
    snowflake_schema: str = "STAGING"

    def __post_init__(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise ValueError(f"PLATFORM_ENV must be one of {ENVIRONMENTS}, got {self.env!r}")
        if self.step_executor not in STEP_EXECUTORS:
            raise ValueError(
                f"PLATFORM_STEP_EXECUTOR must be one of {STEP_EXECUTORS}, got {self.step_executor!r}"
            )
        if self.step_executor == "k8s_job" and self.env != "prod":
            raise ValueError("PLATFORM_STEP_EXECUTOR=k8s_job needs PLATFORM_ENV=prod (a cluster)")
        parse_day(self.partitions_start, "ORDERS_PARTITIONS_START")
        if not 0 < self.anomaly_threshold <= 1:
            raise ValueError(
                f"ORDERS_ANOMALY_THRESHOLD must be in (0, 1], got {self.anomaly_threshold!r}"
            )
        if self.anomaly_profile_limit_mb < 0:
            raise ValueError(
                "ORDERS_ANOMALY_PROFILE_LIMIT_MB must be >= 0 (0: never profile, defer),"
                f" got {self.anomaly_profile_limit_mb!r}"
            )
        if self.anomaly_training_days < 14:
            raise ValueError(
                f"ORDERS_ANOMALY_TRAINING_DAYS must be at least 14, got {self.anomaly_training_days!r}"
            )
        if self.landing_lookback_days < 1:
            raise ValueError(
                f"ORDERS_LANDING_LOOKBACK_DAYS must be positive, got {self.landing_lookback_days!r}"
            )
        if self.landing_sweep_ticks < 0:
            raise ValueError(
                "ORDERS_LANDING_SWEEP_TICKS must be >= 0 (0: never sweep),"
                f" got {self.landing_sweep_ticks!r}"
            )
        if Path(self.duckdb_path).stem.lower() in WAREHOUSE_SCHEMAS:
            # DuckDB names the catalog after the file; it would shadow the schema of that name.
            raise ValueError(
                f"DUCKDB_PATH file name {Path(self.duckdb_path).name!r} clashes with a warehouse"
                f" schema ({', '.join(WAREHOUSE_SCHEMAS)}); choose another name, e.g. orders.duckdb"
            )
        if self.s3_retry_mode not in S3_RETRY_MODES:
            raise ValueError(
                f"ORDERS_S3_RETRY_MODE must be one of {S3_RETRY_MODES}, got {self.s3_retry_mode!r}"
            )
        if self.s3_max_attempts < 1:
            raise ValueError(f"ORDERS_S3_MAX_ATTEMPTS must be >= 1, got {self.s3_max_attempts}")
        if self.run_max_runtime_s < 0:
            raise ValueError(
                f"ORDERS_RUN_MAX_RUNTIME_S must be >= 0 (0: no limit), got {self.run_max_runtime_s}"
            )
        if not 1 <= self.snowflake_statement_timeout_s <= SNOWFLAKE_MAX_STATEMENT_TIMEOUT_S:
            raise ValueError(
                "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S must be between 1 and"
                f" {SNOWFLAKE_MAX_STATEMENT_TIMEOUT_S} (Snowflake's maximum),"
                f" got {self.snowflake_statement_timeout_s}"
            )
        if self.snowflake_lock_timeout_s < 1:
            raise ValueError(
                f"ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S must be >= 1, got {self.snowflake_lock_timeout_s}"
            )
        if self.webserver_base_url is not None:
            web_base_url(self.webserver_base_url)
        if not SNOWFLAKE_IDENTIFIER.fullmatch(self.snowflake_schema):
            raise ValueError(
                "ORDERS_SNOWFLAKE_SCHEMA must be an unquoted Snowflake identifier (a letter or"
                " _, then letters, digits, _ or $; at most 255; no database part), got"
                f" {self.snowflake_schema!r}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PlatformSettings:
        """Read the settings from the environment (``os.environ`` by default)."""
        environ = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            env=environ.get("PLATFORM_ENV", defaults.env).strip().lower(),
            # Empty is unset, as for make run: `export ORDERS_PARTITIONS_START=$(python -m
            # devtools.demo_env)` without a demo gives the default, not an error.
            partitions_start=(
                environ["ORDERS_PARTITIONS_START"].strip()
                if is_set("ORDERS_PARTITIONS_START", environ)
                else defaults.partitions_start
            ),
            landing_uri=environ.get("ORDERS_LANDING_URI", defaults.landing_uri),
            duckdb_path=environ.get("DUCKDB_PATH", defaults.duckdb_path),
            pii_key_from_env=bool(environ.get("PII_HASH_KEY")),
            step_executor=environ.get("PLATFORM_STEP_EXECUTOR", defaults.step_executor)
            .strip()
            .lower(),
            s3_endpoint_url=environ.get("ORDERS_S3_ENDPOINT_URL") or None,
            s3_region=environ.get("ORDERS_S3_REGION") or None,
            s3_max_attempts=_number(
                environ, "ORDERS_S3_MAX_ATTEMPTS", defaults.s3_max_attempts, int
            ),
            s3_retry_mode=environ.get("ORDERS_S3_RETRY_MODE", defaults.s3_retry_mode)
            .strip()
            .lower(),
            snowflake_key_pair=bool(environ.get("SNOWFLAKE_PRIVATE_KEY")),
            snowflake_key_passphrase=bool(environ.get("SNOWFLAKE_PRIVATE_KEY_PASSWORD")),
            git_url=environ.get("PLATFORM_GIT_URL") or None,
            git_branch=environ.get("PLATFORM_GIT_BRANCH") or defaults.git_branch,
            webserver_base_url=(
                web_base_url(environ["ORDERS_WEBSERVER_BASE_URL"])
                if is_set("ORDERS_WEBSERVER_BASE_URL", environ)
                else None
            ),
            anomaly_threshold=_number(
                environ, "ORDERS_ANOMALY_THRESHOLD", defaults.anomaly_threshold, float
            ),
            anomaly_training_days=_number(
                environ, "ORDERS_ANOMALY_TRAINING_DAYS", defaults.anomaly_training_days, int
            ),
            anomaly_profile_limit_mb=_number(
                environ,
                "ORDERS_ANOMALY_PROFILE_LIMIT_MB",
                defaults.anomaly_profile_limit_mb,
                int,
            ),
            landing_lookback_days=_number(
                environ, "ORDERS_LANDING_LOOKBACK_DAYS", defaults.landing_lookback_days, int
            ),
            landing_sweep_ticks=_number(
                environ, "ORDERS_LANDING_SWEEP_TICKS", defaults.landing_sweep_ticks, int
            ),
            alert_webhook_from_env=bool(environ.get("ORDERS_ALERT_WEBHOOK_URL")),
            run_max_runtime_s=_number(
                environ, "ORDERS_RUN_MAX_RUNTIME_S", defaults.run_max_runtime_s, int
            ),
            snowflake_statement_timeout_s=_number(
                environ,
                "ORDERS_SNOWFLAKE_STATEMENT_TIMEOUT_S",
                defaults.snowflake_statement_timeout_s,
                int,
            ),
            snowflake_lock_timeout_s=_number(
                environ, "ORDERS_SNOWFLAKE_LOCK_TIMEOUT_S", defaults.snowflake_lock_timeout_s, int
            ),
            # Upper case, as Snowflake folds an unquoted identifier.
            snowflake_schema=(environ.get("ORDERS_SNOWFLAKE_SCHEMA", "").strip().upper())
            or defaults.snowflake_schema,
        )


def web_base_url(value: str) -> str:
    """``ORDERS_WEBSERVER_BASE_URL`` as links are built on it: an http(s) address with a
    host, its path (a prefix the UI is served under) without the trailing slash; an error
    that names the setting for anything else (a query or fragment would end up inside each
    link's path; a space or ``<``, ``>``, ``|``, ``"`` is not a URL's character)."""
    url = value.strip()
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "?" in url
        or "#" in url
        or not URL_CHARACTERS.fullmatch(url)
    ):
        raise ValueError(
            "ORDERS_WEBSERVER_BASE_URL must be the Dagster UI's http(s) address, a path"
            " prefix included, without query or fragment (e.g."
            f" https://dagster.example.com/orders), got {value!r}"
        )
    return url.rstrip("/")


def cli_settings(settings: PlatformSettings) -> str:
    """The settings a `dg` command typed in another shell needs to act on what ``settings``
    describe (`make run`, the UI): the partitions' first day (the demo's is in demo.env,
    which `dg` does not read), and the landing zone and the warehouse when they are not the
    defaults. Never a secret: the PII key, the webhook URL and Snowflake's credentials are
    not among them."""
    defaults = PlatformSettings()
    pairs = {"ORDERS_PARTITIONS_START": settings.partitions_start}
    if settings.landing_uri != defaults.landing_uri:
        pairs["ORDERS_LANDING_URI"] = settings.landing_uri
    if settings.duckdb_path != defaults.duckdb_path:
        pairs["DUCKDB_PATH"] = settings.duckdb_path
    return " ".join(f"{name}={shlex.quote(value)}" for name, value in pairs.items())


def _number(environ: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    """A numeric setting (``kind``: int or float), the default when unset or empty, with an
    error that names the variable."""
    value = environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return kind(value)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, got {value!r}") from None
