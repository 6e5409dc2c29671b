"""Platform settings: the one place where environment variables are read.

Everything else receives a :class:`PlatformSettings` value, so tests build one
directly instead of patching the environment and reloading modules.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data"
ENVIRONMENTS = ("local", "prod")


def parse_day(value: str, what: str) -> dt.date:
    """Parse a ``YYYY-MM-DD`` day, with an error that names the setting."""
    try:
        return dt.date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"{what} must be a date in YYYY-MM-DD form, got {value!r}") from None


@dataclass(frozen=True)
class PlatformSettings:
    """Resolved configuration of one deployment of the platform."""

    env: str = "local"
    partitions_start: str = "2025-01-01"
    landing_uri: str = str(DEFAULT_DATA_DIR / "landing")
    duckdb_path: str = str(DEFAULT_DATA_DIR / "warehouse.duckdb")
    pii_key_from_env: bool = False
    # Where the UI's "source code" links point; unset means links to local files.
    git_url: str | None = None
    git_branch: str = "main"

    def __post_init__(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise ValueError(f"PLATFORM_ENV must be one of {ENVIRONMENTS}, got {self.env!r}")
        parse_day(self.partitions_start, "ORDERS_PARTITIONS_START")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PlatformSettings:
        """Read the settings from the environment (``os.environ`` by default)."""
        environ = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            env=environ.get("PLATFORM_ENV", defaults.env).strip().lower(),
            partitions_start=environ.get("ORDERS_PARTITIONS_START", defaults.partitions_start),
            landing_uri=environ.get("ORDERS_LANDING_URI", defaults.landing_uri),
            duckdb_path=environ.get("DUCKDB_PATH", defaults.duckdb_path),
            pii_key_from_env=bool(environ.get("PII_HASH_KEY")),
            git_url=environ.get("PLATFORM_GIT_URL") or None,
            git_branch=environ.get("PLATFORM_GIT_BRANCH") or defaults.git_branch,
        )
