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
from urllib.parse import quote_from_bytes, unquote_to_bytes

MASK = "<email>"
# local@domain: an unquoted or quoted local part, a host name (a dot is not required:
# "ann@localhost" is still someone's address) or an address literal. A local-part
# character is one of [\w.%+!#$&*/=?^`{|}~-], a host character one of [\w-], or any
# character beyond ASCII that is not whitespace: letters of every script (\w has those),
# but also combining marks, which \w has not. An address typed in decomposed form (NFD:
# "jose" + U+0301 "@example.com") has one right before the "@": with \w alone it was no
# address, its column was not PII and the text was not masked. Each class is written as
# the characters it leaves out (one class is about twice as fast as an alternation).
_LOCAL = r"""[^\s\x00-\x20"'(),:;<>@\[\\\]\x7f]"""
_QUOTED = r'"[^"\r\n]*"'
_HOST = r"[^\s\x00-\x2c./:-@\[-^`{-\x7f]"
_DOMAIN = rf"(?:{_HOST}+(?:\.{_HOST}+)*|\[[^\]\s]*\])"
# An address that starts here (the next one may start right where one ends).
_EMAIL_HERE = re.compile(rf"(?:{_QUOTED}|{_LOCAL}+)@{_DOMAIN}")
# The first address of a text. An unquoted local part starts where a run of its
# characters starts (the lookbehind): the leftmost address starts there anyway, and
# without it a long run with no address after it ("aaa...@!") was scanned again from
# each of its characters (20,000 of them: 1.1 s a value; linear now). To replace every
# address, use :func:`redact_emails`.
EMAIL = re.compile(rf"(?:{_QUOTED}|(?<!{_LOCAL}){_LOCAL}+)@{_DOMAIN}")
# The same idea for the engines' regular expressions (RE2 and POSIX, searched anywhere in
# the value, ORDERS_SEARCH): text that holds an address. Cleaning quarantines free text
# that matches, so it must find every value EMAIL finds (more is only more caution): an
# "@" between two characters that are neither ASCII white space nor "@". Written as
# negated classes, because the engines' shorthands (\w, [A-Za-z]) are ASCII only there and
# missed "josé@exämple.org"; no ".": it matches no line break in either engine. The white
# space is named character by character (tab, line feed, vertical tab, form feed, carriage
# return, space): RE2's [[:space:]] is those six (DuckDB, measured), but Snowflake documents
# its classes only as POSIX ERE's, whose [[:space:]] may take a no-break space too, and
# "a\u00a0@b" would have been no address there (docs/dialects.md).
SQL_HOLDS_EMAIL = "[^\t\n\x0b\x0c\r @]@[^\t\n\x0b\x0c\r @]"
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
    # What EMAIL.sub without the lookbehind gives: after an address, the next one may
    # start at once, even inside a run of local-part characters.
    parts, end = [], 0
    found = EMAIL.search(text)
    while found:
        parts += [text[end : found.start()], MASK]
        end = found.end()
        found = _EMAIL_HERE.match(text, end) or EMAIL.search(text, end)
    return "".join([*parts, text[end:]])


def redact_uri(uri: str) -> str:
    """A landed file's URI with every e-mail address masked, in its name too, where the
    URI percent-encodes it (``ann%40example.org.csv``: :func:`redact_emails` sees no
    address there). A name that holds one is encoded again masked, as the landing
    zones encode names; a URI whose name holds none keeps its name as it is."""
    folder, slash, name = uri.rpartition("/")
    text = unquote_to_bytes(name).decode("utf-8", "surrogateescape")
    if looks_like_email(text):
        name = quote_from_bytes(redact_emails(text).encode("utf-8", "surrogateescape"))
    return redact_emails(folder + slash) + name


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
