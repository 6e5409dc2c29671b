"""One SQL source, two engines: the thin layer of functions that differ.

Statements are written once, in DuckDB's dialect, with a few functions of our own
(``ORDERS_*``) where DuckDB and Snowflake have no common spelling. :func:`render` gives a
statement in a target dialect: sqlglot transpiles the standard part, then each
``ORDERS_*`` call is replaced by that dialect's template, with its arguments rendered in
the same dialect. Everything else (window functions, CASE, casts, joins) is sqlglot's.

Adding a function: add its templates for every dialect in :data:`TEMPLATES`; the corpus
cleaned on both engines (``tests/prod/test_sql_engines.py``, fakesnow for Snowflake) and
the quality SQL on both (``tests/prod/test_quality_sql.py``) exercise them.

Rendering is sqlglot parsing and generating SQL, about 0.5 s for the statements of one
run: a fifth of a small run, paid again by every run and step process. So rendered
statements are also kept on disk (:func:`render_cache_dir`), keyed by the statement, the
dialect, this module's source and sqlglot's version: a process renders a statement only
if no process rendered it before. A cache that cannot be read or written is skipped.
"""

from __future__ import annotations

import hashlib
import os
import string
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

#: Where rendered statements are kept between processes; empty turns the disk cache off.
RENDER_CACHE_VARIABLE = "ORDERS_SQL_CACHE_DIR"

DUCKDB = "duckdb"
SNOWFLAKE = "snowflake"
DIALECTS = (DUCKDB, SNOWFLAKE)

# Python's str.strip() set of whitespace, so that a value stripped here is stripped as
# a person reading it would expect (a no-break space or an ideographic space included).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


@cache
def fold_mapping() -> tuple[str, str]:
    """How e-mails (before their HMAC) and the reordered-header scan's cells are
    lower-cased, the same in both engines by construction (``ORDERS_LOWER``): every
    character Unicode's simple lower-case mapping changes, and what it maps it to, one
    character for one (Python's Unicode database: ``str.lower``'s first character, so
    ``İ`` is ``i``, where the full mapping gives ``i`` and a combining dot).

    DuckDB's lower() is that mapping (1,433 characters of Unicode 14.0, each compared with
    DuckDB's answer in tests/core/test_dialect_answers.py, which fails when a Python or a
    DuckDB of another Unicode version makes them differ). Snowflake's LOWER follows the
    full mapping with context and the column's collation
    (https://docs.snowflake.com/en/sql-reference/functions/lower): 'İ' becomes 'i' and a
    combining dot, a word-final 'Σ' 'ς', a 'tr' collation lowers 'I' to 'ı'; the same
    address got another hash in production. Its TRANSLATE maps characters one
    for one and ignores collation
    (https://docs.snowflake.com/en/sql-reference/functions/translate). Built at first use
    (0.08 s): loading the definitions does not pay for it."""
    upper, lower = [], []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        folded = chr(code).lower()
        if folded != chr(code):
            upper.append(chr(code))
            lower.append(folded[0])
    return "".join(upper), "".join(lower)


# Case is folded only in text of ASCII letters. The engines fold other text differently:
# Snowflake's UPPER maps 'ß' to 'SS' (its documented example,
# https://docs.snowflake.com/en/sql-reference/functions/upper), DuckDB's to 'ẞ', so the
# currency 'ßp' was SSP, a valid code, in production only; DuckDB lowers 'İ' to a plain
# 'i' ('SHİPPED' a valid status). Coded values (the orders' currency and status, an FX
# rate's currency) take ASCII letters only, so other text is judged as it landed, in both
# engines. Snowflake folds even ASCII letters by the column's collation ('i' COLLATE 'tr'
# is 'İ'): its form is TRANSLATE of the 26 letters, which ignores collation.
def ascii_case(value: str, how: str) -> str:
    """SQL of ``value`` (an expression) upper- or lower-cased (``how``) when it is ASCII
    letters only, else as it is."""
    if how not in ("upper", "lower"):
        raise ValueError(f"unknown case {how!r}; expected 'upper' or 'lower'")
    folded = f"ORDERS_ASCII_{how.upper()}({value})"
    return f"CASE WHEN ORDERS_MATCH({value}, '^[A-Za-z]+$') THEN {folded} ELSE {value} END"


def fold_case(text: str) -> str:
    """``text`` lower-cased as ``ORDERS_LOWER`` does in either engine: each character as
    :func:`fold_mapping` maps it, read character by character (the cleaning checks the
    engine's HMAC of a known e-mail in every run: building the whole table took 0.09 s
    of each cleaning step)."""
    return "".join(
        folded[0] if (folded := character.lower()) != character else character for character in text
    )


# Text that matched the strict ISO-8601 layout (orders_core.sql.cleaning.TIMESTAMP, upper
# case) rewritten for Snowflake into a format its AUTO detection lists
# (https://docs.snowflake.com/en/sql-reference/date-time-input-output, "Supported formats
# for AUTO detection": YYYY-MM-DD["T"| ]HH24:MI[:SS[.FF]]TZH:TZM). The layout also takes
# forms that list leaves out and DuckDB reads: a 'Z', an offset of hours only ('+05') or
# without its colon ('+0530') after a 'T' or after minutes, no offset after a date only.
# TRY_CAST of such text is NULL in Snowflake: the order was quarantined as
# invalid_order_ts in production only. So 'Z' becomes +00:00, '+05' +05:00, '+0530'
# +05:30; no offset is +00:00 (UTC, whatever the session's time zone) and a date alone
# is its midnight.
_SNOWFLAKE_ISO_TEXT = (
    "CASE WHEN LENGTH({0}) = 10 THEN {0} || ' 00:00+00:00'"
    " WHEN RIGHT({0}, 1) = 'Z' THEN LEFT({0}, LENGTH({0}) - 1) || '+00:00'"
    # REGEXP_LIKE matches the whole value, as in ORDERS_MATCH
    " WHEN REGEXP_LIKE({0}, '.*[+-][0-9]{{2}}') THEN {0} || ':00'"
    " WHEN REGEXP_LIKE({0}, '.*[+-][0-9]{{4}}')"
    " THEN LEFT({0}, LENGTH({0}) - 2) || ':' || RIGHT({0}, 2)"
    " WHEN REGEXP_LIKE({0}, '.*[+-][0-9]{{2}}:[0-9]{{2}}') THEN {0}"
    " ELSE {0} || '+00:00' END"
)
_SNOWFLAKE_INSTANT = f"TRY_CAST({_SNOWFLAKE_ISO_TEXT} AS TIMESTAMP_TZ)"

# A non-finite number where a JSON value stands (after '[', ',' or ':' and JSON's white
# space): NaN, Infinity, -Infinity as Python's json writes a nested value the reader
# keeps, and nan, inf, INF... which DuckDB's json_valid takes too. Snowflake's
# documentation does not say whether TRY_PARSE_JSON takes any of them
# (https://docs.snowflake.com/en/sql-reference/functions/parse_json), so a region '[NaN]'
# could be a nested value (invalid_region) locally and published as text in production.
# Both engines replace each such token with 0 before parsing (group 1 kept): the verdict
# no longer asks the parser about them. Inside a JSON string the replacement keeps the
# string a string (no quote or backslash is written, and a backslash never precedes the
# match).
NON_FINITE_JSON = "([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)"

# {0}, {1}, ... are the rendered arguments. Each template is parsed in its own dialect.
TEMPLATES: dict[str, dict[str, str]] = {
    # text without the surrounding whitespace (the WHITESPACE set), '' as NULL
    "ORDERS_TRIM": {
        # trim with a character set is slow per value: only when an end is whitespace.
        # substr, not left/right: the same first and last character, half the cost
        DUCKDB: "nullif(CASE WHEN contains({ws}, substr({0}, 1, 1))"
        " OR contains({ws}, substr({0}, -1)) THEN trim({0}, {ws}) ELSE {0} END, '')",
        # ::VARCHAR: harmless in Snowflake, and keeps fakesnow from dropping the set
        SNOWFLAKE: "NULLIF(TRIM({0}::VARCHAR, {ws}), '')",
    },
    # lower case by Unicode's simple mapping (fold_mapping), whatever the engine,
    # its Unicode version or a collation. DuckDB's lower() is that mapping and costs
    # 0.02 s per million e-mails where translate() with the table costs over 9 s
    "ORDERS_LOWER": {
        DUCKDB: "lower({0})",
        SNOWFLAKE: "TRANSLATE({0}, {fold_from}, {fold_to})",
    },
    # ASCII letters upper- or lower-cased, other characters as they are (ascii_case)
    "ORDERS_ASCII_UPPER": {
        DUCKDB: "upper({0})",
        SNOWFLAKE: f"TRANSLATE({{0}}, '{string.ascii_lowercase}', '{string.ascii_uppercase}')",
    },
    "ORDERS_ASCII_LOWER": {
        DUCKDB: "lower({0})",
        SNOWFLAKE: f"TRANSLATE({{0}}, '{string.ascii_uppercase}', '{string.ascii_lowercase}')",
    },
    # the whole value matches the regular expression (RE2 in both engines)
    "ORDERS_MATCH": {
        DUCKDB: "regexp_full_match({0}, {1})",
        SNOWFLAKE: "REGEXP_LIKE({0}, {1})",
    },
    # the regular expression matches somewhere in the value (Python's re.search, as
    # GX's regex expectations read it; RE2 / POSIX ERE)
    "ORDERS_SEARCH": {
        DUCKDB: "regexp_matches({0}, {1})",
        SNOWFLAKE: "(REGEXP_INSTR({0}, {1}) > 0)",
    },
    # a DOUBLE from text that already matched a strict number pattern; NULL when it does
    # not fit (1e400)
    "ORDERS_TO_DOUBLE": {
        DUCKDB: "try_cast({0} AS DOUBLE)",
        SNOWFLAKE: "TRY_TO_DOUBLE({0})",
    },
    # a finite double (no inf, no nan)
    "ORDERS_IS_FINITE": {
        DUCKDB: "isfinite({0})",
        # no ISFINITE in Snowflake; NaN sorts above +inf there, so this excludes it too
        SNOWFLAKE: "(ABS({0}) <= 1.7976931348623157e308)",
    },
    # an instant from ISO-8601 text that already matched the strict layout; a value
    # without an offset is read as UTC (DuckDB's session time zone is UTC; Snowflake's
    # text is given +00:00, see _SNOWFLAKE_ISO_TEXT).
    # Microseconds, digits beyond them dropped: DuckDB's TIMESTAMPTZ holds no more, and
    # Snowflake's TIMESTAMP_TZ (nanoseconds) would otherwise keep 9-digit fractions
    # (Parquet's ns timestamps land as such text), so the engines stored other instants and
    # could rank an order's versions otherwise (.0000009 newer than .0000001, a tie in DuckDB)
    "ORDERS_TO_UTC": {
        DUCKDB: "try_cast({0} AS TIMESTAMPTZ)",
        SNOWFLAKE: "CONVERT_TIMEZONE('UTC', DATEADD(NANOSECOND, -MOD(DATE_PART(NANOSECOND,"
        f" {_SNOWFLAKE_INSTANT}), 1000), {_SNOWFLAKE_INSTANT}))",
    },
    # an instant of UTC years 1 to 9999, those ISO-8601's four digits write (an offset can
    # take a value out of them: 9999-12-31T23:59:59-01:00 is year 10000 in UTC)
    "ORDERS_IN_YEARS_1_TO_9999": {
        DUCKDB: "(epoch_us({0}) BETWEEN -62135596800000000 AND 253402300799999999)",
        # its UTC date, as ORDERS_UTC_DATE reads it (DATE_PART(EPOCH_MICROSECOND) or YEAR
        # would do in Snowflake; fakesnow takes neither of a cast's nanosecond instant)
        SNOWFLAKE: "(CAST(CONVERT_TIMEZONE('UTC', {0}) AS DATE)"
        " BETWEEN CAST('0001-01-01' AS DATE) AND CAST('9999-12-31' AS DATE))",
    },
    # the UTC calendar date of an instant
    "ORDERS_UTC_DATE": {
        DUCKDB: "cast(timezone('UTC', {0}) AS DATE)",
        SNOWFLAKE: "CAST(CONVERT_TIMEZONE('UTC', {0}) AS DATE)",
    },
    # a 64-bit hash of a value: equal values hash alike (in one statement), so rows whose
    # hash repeats include every row whose value repeats; grouping by it is cheaper than
    # by long text (the uniqueness expectations, orders_core.sql.quality)
    "ORDERS_HASH": {
        DUCKDB: "hash({0})",
        SNOWFLAKE: "HASH({0})",
    },
    # microseconds since 1970-01-01 00:00 UTC of an instant (or of a timestamp without
    # a zone, read as UTC), exact; differences of these are plain integer arithmetic,
    # where date_diff of TIMESTAMPTZ goes through the time zone library per row (10x
    # dearer in DuckDB). Not milliseconds: DuckDB's epoch_ms rounds to the nearest.
    "ORDERS_EPOCH_US": {
        DUCKDB: "epoch_us({0})",
        SNOWFLAKE: "DATE_PART(EPOCH_MICROSECOND, {0})",
    },
    # a JSON array or object (a nested value where a scalar is expected), its non-finite
    # numbers (NON_FINITE_JSON) read as 0 first
    "ORDERS_IS_JSON_CONTAINER": {
        # CASE: JSON is parsed only for the values that start like JSON
        DUCKDB: "CASE WHEN substr({0}, 1, 1) IN ('[', '{{') THEN coalesce(json_valid("
        "regexp_replace({0}, {non_finite}, '\\1 0 ', 'g')), false) ELSE false END",
        # 'd': duplicate keys allowed, as DuckDB's json_valid allows them; Snowflake's
        # default ('s', strict) fails {"a": 1, "a": 2}, which then passed as plain text.
        # VERBATIM_: sqlglot drops TRY_PARSE_JSON's second argument. REGEXP_REPLACE
        # replaces every occurrence (https://docs.snowflake.com/en/sql-reference/functions/regexp_replace)
        SNOWFLAKE: "COALESCE(LEFT({0}, 1) IN ('[', '{{') AND VERBATIM_TRY_PARSE_JSON("
        "REGEXP_REPLACE({0}, {non_finite}, '\\\\1 0 '), 'd') IS NOT NULL, FALSE)",
    },
    # HMAC-SHA256 (RFC 2104) of UTF-8 text as lower-case hex, from the padded keys
    # (``pii.hmac_pads``): H((K ^ opad) || H((K ^ ipad) || m))
    "ORDERS_HMAC_HEX": {
        DUCKDB: "sha256({2} || unhex(sha256({1} || encode({0}))))",
        SNOWFLAKE: "LOWER(SHA2({2} || SHA2_BINARY({1} || TO_BINARY({0}, 'UTF-8'), 256), 256))",
    },
    # the value is one of the literals that follow. DuckDB compares a list of literals
    # one by one (the 160 ISO currency codes: 0.12 s per million rows), and looks a
    # subquery's up in a hash table (0.006 s). Snowflake keeps the list: it allows an
    # IN subquery only in a WHERE clause, and these tests sit in CASE and aggregates
    "ORDERS_IN_SET": {
        DUCKDB: "{0} IN (SELECT member FROM (VALUES {rows}) AS value_set(member))",
        SNOWFLAKE: "{0} IN ({rest})",
    },
    # the present parts joined with a separator (NULL parts skipped; NULL when none)
    "ORDERS_JOIN_PRESENT": {
        DUCKDB: "nullif(concat_ws({0}, {rest}), '')",
        # CONCAT_WS is NULL when any part is; each present part is prefixed instead
        SNOWFLAKE: "NULLIF(SUBSTR({prefixed}, LENGTH({0}) + 1), '')",
    },
}


def columns_statement(schema: str, table: str, dialect: str) -> tuple[str, list[object]]:
    """A statement reading the columns of ``schema.table`` in order, as rows of (name,
    type, numeric scale or NULL), and its values.

    On DuckDB, ``pragma_table_info`` of the one table: DuckDB answers
    ``information_schema.columns`` from every column of its catalog, its own system views'
    included, and the first such query on a connection (every step opens one) builds them
    all: 11 to 18 ms, against 0.5 ms (bench/RESULTS.md, session 36). Its type names carry
    their scale (``DECIMAL(18,2)``), as ``information_schema``'s do there; Snowflake's
    ``information_schema`` gives it apart (``NUMBER``, 2).
    """
    if dialect == DUCKDB:
        return "SELECT name, type, NULL FROM pragma_table_info(?)", [f"{schema}.{table}"]
    return (
        "SELECT column_name, data_type, numeric_scale FROM information_schema.columns"
        " WHERE lower(table_schema) = ? AND lower(table_name) = ? ORDER BY ordinal_position",
        [schema.lower(), table.lower()],
    )


# A template's call of ``VERBATIM_<NAME>(...)`` is written ``<NAME>(...)`` with its
# arguments as they are, for a function whose arguments sqlglot would rewrite or drop.
# The prefix comes off once the whole statement is expanded: a template's arguments are
# rendered to text and parsed again with it, and a call nested in another template
# (ORDERS_IS_JSON_CONTAINER in ORDERS_JOIN_PRESENT's reason detail) would otherwise lose
# its arguments to that second parse.
VERBATIM = "VERBATIM_"


def _verbatim(node):
    from sqlglot import exp

    if isinstance(node, exp.Anonymous) and node.name.upper().startswith(VERBATIM):
        node.set("this", node.name[len(VERBATIM) :].upper())
    return node


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal (quotes doubled), the same on both engines."""
    return "'" + text.replace("'", "''") + "'"


def code_table_join(
    alias: str, columns: Sequence[str], rows: Mapping[str, Sequence[str]], on: str
) -> str:
    """A LEFT JOIN to a VALUES table ``alias(code, *columns)`` of ``rows`` (code -> the
    SQL of its values, in code order) on ``alias.code = on``: one hash join per row, where
    a CASE over code sets costs two to four times as much (``python -m bench.bound_lookup``).
    The contract's tables per currency (the cleaning's bounds, the profile's divisors)."""
    values = ",\n    ".join(
        "(" + ", ".join([sql_literal(code), *rows[code]]) + ")" for code in sorted(rows)
    )
    return (
        f"\n  LEFT JOIN (VALUES\n    {values}\n  ) AS {alias}(code, {', '.join(columns)})"
        f" ON {alias}.code = {on}"
    )


def _expand(node, dialect: str):
    import sqlglot
    from sqlglot import exp

    if not isinstance(node, exp.Anonymous) or node.name.upper() not in TEMPLATES:
        return node
    # Arguments first, so that nested ORDERS_* calls are expanded too.
    args = [arg.transform(_expand, dialect).sql(dialect=dialect) for arg in node.expressions]
    template = TEMPLATES[node.name.upper()][dialect]
    fold_from, fold_to = fold_mapping() if "{fold_from}" in template else ("", "")
    prefixed = " || ".join(f"COALESCE({args[0]} || {arg}, '')" for arg in args[1:])
    text = template.format(
        *args,
        ws=sql_literal(WHITESPACE),
        non_finite=sql_literal(NON_FINITE_JSON),
        fold_from=sql_literal(fold_from),
        fold_to=sql_literal(fold_to),
        rest=", ".join(args[1:]),
        rows=", ".join(f"({arg})" for arg in args[1:]),
        prefixed=prefixed or "''",
    )
    return sqlglot.parse_one(text, read=dialect)


@cache
def render(sql: str, dialect: str = DUCKDB) -> str:
    """``sql`` (DuckDB dialect with ``ORDERS_*`` functions) as ``dialect`` runs it."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; expected one of {DIALECTS}")
    folder = render_cache_dir()
    if folder is None:
        return _render(sql, dialect)
    path = folder / f"{_cache_key(sql, dialect)}.sql"
    # Bytes, not text mode: a statement's literals hold \r, which newline translation
    # would turn into \n.
    try:
        return path.read_bytes().decode("utf-8", "surrogatepass")
    except OSError:
        pass
    rendered = _render(sql, dialect)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then renamed: a reader never sees half.
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(rendered.encode("utf-8", "surrogatepass"))
        os.replace(handle.name, path)
    except OSError:
        pass
    return rendered


def render_cache_dir() -> Path | None:
    """The disk cache of rendered statements: ``$ORDERS_SQL_CACHE_DIR`` (empty: none),
    else ``orders-platform/sql`` in the user's cache folder (``$XDG_CACHE_HOME`` or
    ``~/.cache``)."""
    configured = os.environ.get(RENDER_CACHE_VARIABLE)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:  # a user without a home (some containers): no disk cache
            return None
    return Path(base) / "orders-platform" / "sql"


# This module's source as it was imported: read when the key is first needed, a source
# edited since (a test run while the templates change) keyed the old templates' renderings
# under the new source, and later processes read them back.
_SOURCE = Path(__file__).read_bytes()


@cache
def _code_version() -> str:
    """What rendering depends on besides the statement: this module as imported, sqlglot
    and the Unicode database the case-folding table is read from."""
    from importlib.metadata import version

    versions = version("sqlglot") + unicodedata.unidata_version
    return hashlib.sha256(_SOURCE + versions.encode()).hexdigest()


def _cache_key(sql: str, dialect: str) -> str:
    text = f"{_code_version()}\0{dialect}\0{sql}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def without_duckdb_hints(tree):
    """``tree`` (a sqlglot expression, changed in place) without DuckDB's planning hints,
    for another engine: ``[NOT] MATERIALIZED`` on a CTE (Snowflake plans CTEs itself and
    has no such syntax)."""
    from sqlglot import exp

    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    return tree


def _render(sql: str, dialect: str) -> str:
    import sqlglot  # at first use: loading the definitions does not pay for the parser

    statements = []
    for tree in sqlglot.parse(sql, read=DUCKDB):
        if tree is None:
            continue
        rendered = tree.transform(_expand, dialect, copy=True).transform(_verbatim)
        if dialect != DUCKDB:
            rendered = without_duckdb_hints(rendered)
        statements.append(rendered.sql(dialect=dialect, pretty=True))
    return ";\n".join(statements)
