"""PII and the Dagster instance: the key used to hash customer e-mails before they leave
the raw layer, and the masking of e-mails in what is written to the instance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from orders_core.pii import redact_emails, redact_value
from resources.settings import PlatformSettings

# Published in the repository on purpose: only good for demo data on a laptop.
LOCAL_DEVELOPMENT_KEY = "local-development-only-not-secret"
MIN_KEY_LENGTH = 16


class PiiKeyError(ValueError):
    """The configured PII key must not be used (too short, or the public dev key in prod)."""


class PiiHasher(dg.ConfigurableResource):
    """Holds the HMAC key for PII hashing; in production it comes from PII_HASH_KEY."""

    key: str
    allow_development_key: bool = True

    def key_bytes(self) -> bytes:
        if not self.allow_development_key and self.key == LOCAL_DEVELOPMENT_KEY:
            raise PiiKeyError(
                "PII_HASH_KEY is the public development key, which is refused with"
                " PLATFORM_ENV=prod: set a secret key in the environment"
            )
        if len(self.key) < MIN_KEY_LENGTH:
            raise PiiKeyError(f"PII_HASH_KEY must be at least {MIN_KEY_LENGTH} characters long")
        return self.key.encode("utf-8")


def pii_hasher(settings: PlatformSettings) -> PiiHasher:
    """The PII resource of an environment: the key from PII_HASH_KEY, or locally (only)
    the public development key when that variable is unset.

    In production the key is always read from the environment when a run starts, so
    a code server without the secret still loads its definitions, while a run without
    it fails at once with Dagster's "environment variable not set" error.
    """
    prod = settings.env == "prod"
    use_env = prod or settings.pii_key_from_env
    key = dg.EnvVar("PII_HASH_KEY") if use_env else LOCAL_DEVELOPMENT_KEY
    return PiiHasher(key=key, allow_development_key=not prod)


def redact_metadata_value(value: Any) -> Any:
    """One metadata value with e-mail addresses masked in every text it holds (plain
    values, text, Markdown, JSON and table records); other kinds are returned as they are."""
    if isinstance(value, dg.TextMetadataValue):
        return dg.MetadataValue.text(redact_emails(value.text))
    if isinstance(value, dg.MarkdownMetadataValue):
        return dg.MetadataValue.md(redact_emails(value.md_str))
    if isinstance(value, dg.JsonMetadataValue):
        return dg.MetadataValue.json(redact_value(value.data))
    if isinstance(value, dg.TableMetadataValue):
        return dg.MetadataValue.table(
            records=[dg.TableRecord(redact_value(dict(r.data))) for r in value.records],
            schema=value.schema,
        )
    if isinstance(value, dg.MetadataValue):
        return value
    return redact_value(value)


def redact_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata with e-mail addresses masked in its values (keys are the code's own)."""
    return {key: redact_metadata_value(value) for key, value in metadata.items()}
