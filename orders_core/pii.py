"""Recognise and mask e-mail addresses, the PII that landed files carry.

Landed values are PII in clear and may only stay in ``raw.raw_orders`` and
``staging.quarantined_orders``. Anything else built from landed text (check
descriptions and metadata, log lines, error messages, column names reported as
drift) goes through :func:`redact_emails` first. The pattern is deliberately broad:
masking a word that merely looks like an address costs nothing, missing one leaks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "<email>"
# local@domain: an unquoted or quoted local part, a host name (a dot is not required:
# "ann@localhost" is still someone's address) or an address literal.
EMAIL = re.compile(
    r"""(?:"[^"\r\n]*"|[\w.%+!#$&*/=?^`{|}~-]+)@(?:[\w-]+(?:\.[\w-]+)*|\[[^\]\s]*\])"""
)
# The same idea for the engines' regular expressions (RE2 and POSIX, whole value): text
# that holds an address anywhere. Cleaning quarantines free text that matches.
SQL_HOLDS_EMAIL = r"^.*[A-Za-z0-9._%+!#$&*/=?^`{|}~-]+@[A-Za-z0-9-]+.*$"
# EMAIL's search, for the engine (RE2, partial match), on text that plain_csv.json_safe
# accepts (printable ASCII, no quote: no quoted local part, \w is [A-Za-z0-9_]).
SQL_EMAIL_IN_JSON_SAFE = r"[A-Za-z0-9_.%+!#$&*/=?^`{|}~-]@([A-Za-z0-9_-]|\[[^\]\s]*\])"
# A column name that says it holds e-mail addresses ("email", "E-Mail Address",
# "contact_mail", "mailbox", ...), whatever its case.
EMAIL_NAME = re.compile(r"mail", re.IGNORECASE)


def looks_like_email(text: str | None) -> bool:
    """True when the text holds something shaped like an e-mail address."""
    return text is not None and "@" in text and EMAIL.search(text) is not None


def redact_emails(text: str) -> str:
    """The text with every e-mail-like part replaced by ``<email>``."""
    if "@" not in text:
        return text
    return EMAIL.sub(MASK, text)


def names_email(name: str) -> bool:
    """True when a landed column name says e-mail or is itself an address (a header
    that is really a data row)."""
    return EMAIL_NAME.search(name) is not None or looks_like_email(name)


def holds_emails(values: Iterable[str | None]) -> bool:
    """True when any of the values looks like an e-mail address."""
    return any(looks_like_email(value) for value in values)


def redact_value(value: object) -> object:
    """A JSON-like value (text, numbers, lists, dicts) with e-mails masked in every text,
    keys included."""
    if isinstance(value, str):
        return redact_emails(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if type(value) in (list, tuple):  # not named tuples: they are records of their own
        return type(value)(redact_value(v) for v in value)
    return value
