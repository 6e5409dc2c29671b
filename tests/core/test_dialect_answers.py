"""What DuckDB answered before the text functions were written out to give one answer in
both engines (docs/dialects.md), it still answers: ORDERS_LOWER's table is DuckDB's
lower(), character for character; the e-mail search's named white space is RE2's
[[:space:]]; a nested JSON value is one whether or not its non-finite numbers are read
as 0 first."""

from __future__ import annotations

import itertools

import duckdb

from orders_core.pii import SQL_HOLDS_EMAIL
from orders_core.sql.dialect import fold_case, fold_mapping, render
from tests.support.contract_oracle import simple_lower

# Every code point but the surrogates, as DuckDB's chr() takes them.
_CODE_POINTS = "FROM range(0, 1114112) AS t(i) WHERE (i < 55296 OR i > 57343)"


def test_the_folding_table_is_duckdbs_lower_for_every_character():
    with duckdb.connect() as conn:
        changed = conn.execute(
            f"SELECT chr(i::INTEGER), lower(chr(i::INTEGER)) {_CODE_POINTS}"
            " AND lower(chr(i::INTEGER)) <> chr(i::INTEGER) ORDER BY i"
        ).fetchall()
        [(rendered,)] = conn.execute(
            render("SELECT ORDERS_LOWER(?)"), ["ΟΔΟΣ İ\U00010400"]
        ).fetchall()
    upper, lower = fold_mapping()
    assert changed == list(zip(upper, lower, strict=True))
    assert rendered == fold_case("ΟΔΟΣ İ\U00010400") == "οδοσ i\U00010428"


def test_the_folding_is_the_contracts_reading_of_lower_case():
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert fold_case(text) == simple_lower(text)


def test_the_email_search_names_the_white_space_duckdb_read_as_space():
    with duckdb.connect() as conn:
        differ = conn.execute(
            f"SELECT count(*) {_CODE_POINTS} AND regexp_matches('a' || chr(i::INTEGER) || '@b', ?)"
            " <> regexp_matches('a' || chr(i::INTEGER) || '@b', '[^[:space:]@]@[^[:space:]@]')",
            [SQL_HOLDS_EMAIL],
        ).fetchone()[0]
    assert differ == 0


# Before: the value starts like JSON and DuckDB's json_valid takes it as it is.
_CONTAINER_BEFORE = (
    "CASE WHEN substr(t, 1, 1) IN ('[', '{') THEN coalesce(json_valid(t), false) ELSE false END"
)
_OPENINGS = ["[", "[ ", "[1,", "[1 ,\t", '{"a":', '{"a" : ', "[[", '{"NaN":']
_TOKENS = [
    *("NaN", "-NaN", "+NaN", "nan", "NAN", "Infinity", "-Infinity", "inf", "-inf", "INF"),
    *("infinity", "NaNa", "Infinit", "Infinityy", "- NaN", "1", "-0", '"NaN"', '"\\nan"'),
    *('"x,nan"', '"\\\\,inf"', "[NaN]", "true", ""),
]
_CLOSINGS = ["]", "}", ", 2]", " ]", "", "x]", ",]", "]]", "}}", "]}"]


def test_a_nested_value_is_one_whether_its_non_finite_numbers_are_read_as_zero():
    texts = ["".join(parts) for parts in itertools.product(_OPENINGS, _TOKENS, _CLOSINGS)]
    with duckdb.connect() as conn:
        conn.execute("CREATE TABLE texts AS SELECT unnest(?) AS t", [texts])
        differ = conn.execute(
            render(
                f"SELECT t FROM texts WHERE ({_CONTAINER_BEFORE}) <> ORDERS_IS_JSON_CONTAINER(t)"
            )
        ).fetchall()
        containers = conn.execute(
            f"SELECT count(*) FROM texts WHERE {_CONTAINER_BEFORE}"
        ).fetchone()
    assert differ == []
    assert 0 < containers[0] < len(texts)
