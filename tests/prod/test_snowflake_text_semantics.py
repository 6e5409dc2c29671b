"""Text functions whose answers differ between DuckDB and Snowflake give one answer by
construction: the Snowflake rendering run by fakesnow with LOWER and UPPER as Snowflake
documents them (full Unicode case mapping: tests/support/snowflake_case.py) publishes what
DuckDB publishes (docs/dialects.md)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from orders_core.contract import load_contract
from orders_core.sql.dialect import DUCKDB, SNOWFLAKE, render
from orders_core.sql.fx import LOAD_TABLE, create_load_sql, rates_statements
from orders_core.sql.tables import create_statements
from orders_core.tables import FX_RATES, RAW_ORDERS
from tests.support import snowflake_case
from tests.support.fakesnow_cleaning import fakesnow_session, snowflake_clean
from tests.support.order_fixtures import clean, csv_bytes, landed, order_rows, raw_frame
from tests.support.paths import REPO

pytestmark = pytest.mark.services
CONTRACT = load_contract()
SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "sql"

# Addresses whose lower case Unicode's full mapping (Snowflake's LOWER) gives otherwise
# than its simple one (DuckDB's lower): a word-final capital sigma, a dotted capital I;
# and a plain one.
EMAILS = ["ΟΔΟΣ@example.gr", "İNCİ@example.com.tr", "Ann@Example.COM", "jörg@exämple.de"]


def test_an_email_hashes_alike_under_snowflakes_documented_lower():
    rows = order_rows(len(EMAILS))
    for row, email in zip(rows, EMAILS, strict=True):
        row["customer_email"] = email
    raw = raw_frame([landed("emails.csv", csv_bytes(rows))])
    duck = clean(raw).cleaned.sort_values("source_line")
    snow, quarantined = snowflake_clean(raw, documented_case=True)
    assert quarantined.empty
    assert list(snow.sort_values("source_line")["customer_email_hash"]) == list(
        duck["customer_email_hash"]
    )


# Text columns holding nested JSON with non-finite numbers, as the reader writes a JSON
# Lines value [1, NaN] and as typed: invalid_<column> in DuckDB, whose json_valid takes
# them, and so whatever a Snowflake parser makes of them. And text that only looks so.
NON_FINITE = ["[NaN]", "[1, -Infinity]", '{"a": nan}', "[Infinity, [NaN]]", '["x,nan"]']
NOT_JSON = ["[NaNa] west", "[nan", "{inf}"]


def test_nested_json_with_non_finite_numbers_is_judged_alike_by_a_strict_parser():
    values = NON_FINITE + NOT_JSON
    rows = order_rows(2 * len(values))
    columns = ["region"] * len(values) + ["customer_email"] * len(values)
    for row, column, value in zip(rows, columns, values + values, strict=True):
        row[column] = value
    raw = raw_frame([landed("nested.csv", csv_bytes(rows))])
    duck = clean(raw)
    snow_cleaned, snow_quarantined = snowflake_clean(raw, strict_json=True)
    invalid = {"invalid_region", "invalid_customer_email"}
    assert set(duck.quarantined["reason_code"]) == invalid
    assert len(duck.quarantined) == 2 * len(NON_FINITE)
    duck_verdicts = sorted(
        zip(duck.quarantined["source_line"], duck.quarantined["reason_code"], strict=True)
    )
    snow_verdicts = sorted(
        zip(
            snow_quarantined["source_line"].astype(int),
            snow_quarantined["reason_code"],
            strict=True,
        )
    )
    assert snow_verdicts == duck_verdicts
    assert sorted(snow_cleaned["source_line"].astype(int)) == sorted(duck.cleaned["source_line"])


def _fx_reasons(dialect: str, landed_rows: list[tuple[str, str, str]]) -> list[str | None]:
    """The reason_code of each landed FX row (in order) in ``dialect``: DuckDB, or the
    Snowflake rendering under fakesnow with the documented UPPER."""
    load = pa.table(
        {
            "landed_rate_date": [r[0] for r in landed_rows],
            "landed_currency": [r[1] for r in landed_rows],
            "landed_rate": [r[2] for r in landed_rows],
            "source_file": ["rates.csv"] * len(landed_rows),
            "source_line": list(range(2, 2 + len(landed_rows))),
            "parse_error": pa.nulls(len(landed_rows), pa.string()),
        }
    )
    statements = [*create_statements(CONTRACT, FX_RATES), create_load_sql()]
    judge = rates_statements(CONTRACT)
    select = f"SELECT reason_code FROM {FX_RATES.qualified} ORDER BY source_line"
    if dialect == DUCKDB:
        with duckdb.connect() as conn:
            for sql in [*statements, f"INSERT INTO {LOAD_TABLE} SELECT * FROM load", *judge]:
                conn.execute(render(sql))
            return [code for (code,) in conn.execute(select).fetchall()]
    with fakesnow_session() as (conn, cursor):
        snowflake_case.register(conn)
        for sql in statements:
            cursor.execute(render(sql, SNOWFLAKE))
        for values in zip(
            *(load.column(i).to_pylist() for i in range(load.num_columns)), strict=True
        ):
            cursor.execute(f"INSERT INTO {LOAD_TABLE} VALUES (?, ?, ?, ?, ?, ?)", list(values))
        for sql in judge:
            cursor.execute(snowflake_case.as_documented(render(sql, SNOWFLAKE)))
        cursor.execute(select)
        return [code for (code,) in cursor.fetchall()]


def test_an_fx_currency_is_judged_alike_under_snowflakes_documented_upper():
    # 'ßp' is 'SSP' (South Sudanese pound) to Unicode's full upper case, 'ẞP' to DuckDB's.
    landed_rows = [("2025-01-02", "ßp", "0.0077"), ("2025-01-02", " eur ", "1.04")]
    assert _fx_reasons(DUCKDB, landed_rows) == ["unknown_currency", None]
    assert _fx_reasons(SNOWFLAKE, landed_rows) == ["unknown_currency", None]


def test_an_fx_rate_of_year_zero_is_an_invalid_date_in_both_engines():
    # DuckDB's cast read it as a day of 1 BC; Snowflake documents no year 0.
    landed_rows = [("0000-01-02", "EUR", "1.04"), ("2025-02-30", "EUR", "1.04")]
    assert _fx_reasons(DUCKDB, landed_rows) == ["invalid_rate_date"] * 2
    assert _fx_reasons(SNOWFLAKE, landed_rows) == ["invalid_rate_date"] * 2


# The case functions the Snowflake statements may call: UPPER of a timestamp's text (no
# character beyond ASCII has a full upper case made of the layout's characters, so the
# layout refuses it either way: docs/dialects.md) and LOWER of SHA2's hex digest. Landed
# text is folded by TRANSLATE (ORDERS_LOWER, ORDERS_ASCII_UPPER, ORDERS_ASCII_LOWER),
# which neither the Unicode mapping nor a collation changes. LOWER of the catalog's
# schema and table names (information_schema.columns, the column read every step runs
# first) compares them with the platform's own ASCII names, never landed text.
_TIMESTAMP_TEXT = {"t_order_ts", "t_updated_at"}
_CATALOG_NAMES = {"table_schema", "table_name"}


@pytest.mark.parametrize(
    "snapshot", sorted(p.name for p in SNAPSHOTS.glob("*.snowflake.sql")), ids=str
)
def test_snowflake_statements_fold_case_only_where_the_engines_agree(snapshot):
    sql = (SNAPSHOTS / snapshot).read_text(encoding="utf-8")
    unguarded = []
    for tree in sqlglot.parse(sql, read=SNOWFLAKE):
        for node in tree.find_all(exp.Lower, exp.Upper):
            argument = node.this.sql(dialect=SNOWFLAKE)
            if isinstance(node, exp.Upper) and argument in _TIMESTAMP_TEXT:
                continue
            if isinstance(node, exp.Lower) and isinstance(node.this, exp.SHA2):
                continue
            if isinstance(node, exp.Lower) and argument.lower() in _CATALOG_NAMES:
                continue
            unguarded.append(re.sub(r"\s+", " ", node.sql(dialect=SNOWFLAKE))[:120])
    assert unguarded == []


def test_the_runbook_s_query_finds_the_days_whose_email_hashes_change_on_snowflake():
    """The runbook's query (hunt 68) for the days holding an e-mail that is not ASCII, run
    as written on the platform's raw_orders table in (fake) Snowflake: it names exactly
    the days of EMAILS' non-ASCII addresses, not the plain one's nor a day without one."""
    runbook = (REPO / "docs" / "backfill-runbook.md").read_text(encoding="utf-8")
    (query,) = re.findall(r"```sql\n(SELECT DISTINCT partition_date FROM raw\.raw_orders.*?)```",
                          runbook, flags=re.DOTALL)  # fmt: skip
    days = {"2025-01-01": EMAILS[0], "2025-01-02": EMAILS[2], "2025-01-03": None,
            "2025-01-04": EMAILS[3]}  # fmt: skip
    with fakesnow_session() as (_, cursor):
        for sql in create_statements(CONTRACT, RAW_ORDERS):
            cursor.execute(render(sql, SNOWFLAKE))
        for day, email in days.items():
            cursor.execute(
                "INSERT INTO raw.raw_orders (order_id, customer_email, partition_date)"
                " VALUES (?, ?, ?)",
                [f"o-{day}", email, day],
            )
        cursor.execute(query.strip().rstrip(";"))
        found = [str(day) for (day,) in cursor.fetchall()]
    assert found == ["2025-01-01", "2025-01-04"]
