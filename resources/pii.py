"""The key used to hash PII (customer e-mails) before it leaves the raw layer."""

from __future__ import annotations

import dagster as dg

LOCAL_DEVELOPMENT_KEY = "local-development-only-not-secret"


class PiiHasher(dg.ConfigurableResource):
    """Holds the HMAC key for PII hashing; in production it comes from PII_HASH_KEY."""

    key: str

    def key_bytes(self) -> bytes:
        if len(self.key) < 16:
            raise ValueError("PII_HASH_KEY must be at least 16 characters long")
        return self.key.encode("utf-8")
