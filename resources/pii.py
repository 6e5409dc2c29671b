"""The key used to hash PII (customer e-mails) before it leaves the raw layer."""

from __future__ import annotations

import dagster as dg

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
