"""Snowflake's case conversion as its documentation gives it, and a JSON parser that
refuses non-finite numbers, for statements run by fakesnow (DuckDB underneath, whose lower
and upper map one character to one and whose json_valid takes NaN and Infinity).

Snowflake's UPPER follows Unicode's full mapping ('ß' is 'SS', its documented example:
https://docs.snowflake.com/en/sql-reference/functions/upper) and so, by the same rules,
its LOWER ('İ' is 'i' and a combining dot, a word-final 'Σ' is 'ς'): Python's
``str.upper`` and ``str.lower`` apply those rules. :func:`as_documented` points a
rendered statement's LOWER and UPPER at such functions, :func:`register` creates them on a
fakesnow connection; what only the real engine could show is then seen here.

Snowflake's documentation does not say whether TRY_PARSE_JSON takes NaN or Infinity
(https://docs.snowflake.com/en/sql-reference/functions/parse_json):
:func:`with_strict_json` points a statement's TRY_PARSE_JSON at a parser that refuses them
(Python's json otherwise), so a verdict that depended on the answer shows here.
"""

from __future__ import annotations

import json
import re

from duckdb.sqltypes import VARCHAR

_CALL = re.compile(r"\b(LOWER|UPPER)\(", re.IGNORECASE)
PREFIX = "SNOWFLAKE_DOCUMENTED_"


def as_documented(sql: str) -> str:
    """``sql`` (a Snowflake rendering) with LOWER and UPPER as documented."""
    return _CALL.sub(lambda call: f"{PREFIX}{call.group(1).upper()}(", sql)


def with_strict_json(sql: str) -> str:
    """``sql`` (a Snowflake rendering) with TRY_PARSE_JSON refusing non-finite numbers."""
    return re.sub(r"\bTRY_PARSE_JSON\(", f"{PREFIX}STRICT_JSON(", sql, flags=re.IGNORECASE)


def _refuse(constant: str):
    raise ValueError(f"{constant} is no JSON number")


def _strict_json(text: str | None, _mode: str | None) -> str | None:
    """``text`` when it is JSON without NaN or Infinity (duplicate keys allowed), else NULL."""
    if text is None:
        return None
    try:
        json.loads(text, parse_constant=_refuse)
    except ValueError:
        return None
    return text


def register(conn) -> None:
    """The documented LOWER and UPPER, and the strict JSON parser, on a fakesnow
    connection's DuckDB."""
    duck = conn._duck_conn  # fakesnow's own DuckDB connection: no public handle
    duck.create_function(f"{PREFIX}LOWER", str.lower, [VARCHAR], VARCHAR)
    duck.create_function(f"{PREFIX}UPPER", str.upper, [VARCHAR], VARCHAR)
    duck.create_function(
        f"{PREFIX}STRICT_JSON", _strict_json, [VARCHAR, VARCHAR], VARCHAR, null_handling="special"
    )
