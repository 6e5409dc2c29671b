"""Daily FX rates: landed rows typed and judged, and the rate each order day converts at.

The landing zone's ``fx_rates/`` folder holds CSV files of ``rate_date,currency,rate``:
``rate`` is how many units of the reporting currency (the contract's
``fx.reporting_currency``) one unit of ``currency`` was worth on ``rate_date``. Every
landed row lands in ``staging.fx_rates`` as it was (its text, file and line) with its
typed values and, when it cannot be used, a reason:

- ``malformed_record``: the row could not be read as such (a file without the three
  columns, a record with another number of fields, a file the platform cannot read);
- ``invalid_rate_date``: not an ISO date (``YYYY-MM-DD``) of the calendar;
- ``unknown_currency``: not one of the contract's currency codes;
- ``invalid_rate``: not a plain positive decimal (empty, ``1,08``, ``0``, ``-1``, ``inf``);
- ``reporting_currency_rate``: a rate of the reporting currency other than 1;
- ``conflicting_rate``: another usable row gives another rate for the same currency and
  day: neither is used (which one is right is for the sender to say), the day has no rate.

The same rate landed twice (two files, or a file and its copy) is one rate. A row with a
reason is never used; the fx_rates asset's check names them. Statements are written once
in DuckDB's dialect with ``ORDERS_*`` functions (:mod:`orders_core.sql.dialect`); the
contract's codes, reporting currency and rate age are written into them as literals, so
the SQL snapshots show the rule in force.
"""

from __future__ import annotations

from orders_core.contract import Contract, load_contract
from orders_core.sql.dialect import DUCKDB, ascii_case, render, sql_literal
from orders_core.sql.tables import FX_RATE_TYPES, column_list, quoted
from orders_core.tables import FX_RATES

# The header a rates file must have (any order, any case, surrounding blanks ignored).
RATE_COLUMNS = ("rate_date", "currency", "rate")
# The session table the asset appends each file's text rows to, before typing them.
LOAD_TABLE = "fx_rates_load"
LOAD_TYPES = {
    "landed_rate_date": "VARCHAR",
    "landed_currency": "VARCHAR",
    "landed_rate": "VARCHAR",
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
    "parse_error": "VARCHAR",
}
REASONS = (
    "malformed_record",
    "invalid_rate_date",
    "unknown_currency",
    "invalid_rate",
    "reporting_currency_rate",
    "conflicting_rate",
)
# A plain decimal: digits, an optional fraction, an optional exponent (no sign, no
# thousands separator, no comma); [.] rather than an escape, the same literal on both engines.
_RATE_PATTERN = "[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?"
# Years 0001 to 9999: DuckDB reads '0000-01-02' as a day of 1 BC, Snowflake's
# documentation gives no year 0 (docs/dialects.md); a day of a month it does not have
# (2025-02-30) is NULL to both casts.
_DATE_PATTERN = "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"


def _contract(contract: Contract | None) -> Contract:
    return load_contract() if contract is None else contract


def create_load_sql() -> str:
    """The session table the landed rows are appended to (text, as landed)."""
    columns = ", ".join(f"{name} {kind}" for name, kind in LOAD_TYPES.items())
    return f"CREATE OR REPLACE TEMPORARY TABLE {LOAD_TABLE} ({columns})"


def rates_statements(contract: Contract | None = None) -> list[str]:
    """Delete every fx_rates row; insert every row of the session table, typed and judged.
    In one transaction: a failed run leaves the previous rates."""
    contract = _contract(contract)
    reporting = sql_literal(contract.fx.reporting_currency)
    codes = ", ".join(sql_literal(code) for code in contract.column("currency").allowed or ())
    first_reason = (
        "CASE WHEN parse_error IS NOT NULL THEN 'malformed_record'"
        " WHEN rate_date IS NULL THEN 'invalid_rate_date'"
        f" WHEN currency IS NULL OR NOT ORDERS_IN_SET(currency, {codes}) THEN 'unknown_currency'"
        " WHEN rate IS NULL OR NOT ORDERS_IS_FINITE(rate) OR rate <= 0 THEN 'invalid_rate'"
        f" WHEN currency = {reporting} AND rate <> 1 THEN 'reporting_currency_rate' END"
    )
    usable_rate = "CASE WHEN first_reason IS NULL THEN rate END"
    window = "OVER (PARTITION BY currency, rate_date)"
    typed = (
        "SELECT landed_rate_date, landed_currency, landed_rate, source_file, source_line,"
        " parse_error,"
        f" CASE WHEN ORDERS_MATCH(ORDERS_TRIM(landed_rate_date), {sql_literal(_DATE_PATTERN)})"
        " THEN TRY_CAST(ORDERS_TRIM(landed_rate_date) AS DATE) END AS rate_date,"
        f" {ascii_case('ORDERS_TRIM(landed_currency)', 'upper')} AS currency,"
        f" CASE WHEN ORDERS_MATCH(ORDERS_TRIM(landed_rate), {sql_literal(_RATE_PATTERN)})"
        " THEN ORDERS_TO_DOUBLE(ORDERS_TRIM(landed_rate)) END AS rate"
        f" FROM {LOAD_TABLE}"
    )
    judged = f"SELECT typed.*, {first_reason} AS first_reason FROM ({typed}) AS typed"
    spread = (
        f"SELECT judged.*, min({usable_rate}) {window} AS low, max({usable_rate}) {window}"
        f" AS high FROM ({judged}) AS judged"
    )
    reason = (
        "CASE WHEN first_reason IS NOT NULL THEN first_reason"
        " WHEN low <> high THEN 'conflicting_rate' END"
    )
    detail = (
        "CASE WHEN first_reason = 'malformed_record' THEN parse_error"
        " WHEN first_reason IS NOT NULL THEN 'landed ' || coalesce(landed_rate_date, '<empty>')"
        " || ', ' || coalesce(landed_currency, '<empty>') || ', ' || coalesce(landed_rate,"
        " '<empty>') WHEN low <> high THEN 'another row gives ' || currency || ' another rate"
        " on ' || CAST(rate_date AS VARCHAR) || ': neither is used' END"
    )
    columns = column_list(FX_RATE_TYPES)
    return [
        f"DELETE FROM {quoted(FX_RATES)}",
        f"INSERT INTO {quoted(FX_RATES)} ({columns})"
        " SELECT rate_date, currency, CASE WHEN ORDERS_IS_FINITE(rate) THEN rate END AS rate,"
        f" {reason} AS reason_code, {detail} AS reason_detail, landed_rate_date,"
        " landed_currency, landed_rate, source_file, source_line"
        f" FROM ({spread}) AS spread",
    ]


def rates_summary_sql() -> str:
    """One row over fx_rates: landed rows, usable rows, rows with a reason, the currencies
    and the first and last day with a usable rate."""
    usable = "reason_code IS NULL"
    return (
        "SELECT count(*) AS landed_rows,"
        f" coalesce(sum(CASE WHEN {usable} THEN 1 ELSE 0 END), 0) AS usable_rows,"
        f" coalesce(sum(CASE WHEN {usable} THEN 0 ELSE 1 END), 0) AS quarantined_rows,"
        f" count(DISTINCT CASE WHEN {usable} THEN currency END) AS currencies,"
        f" min(CASE WHEN {usable} THEN rate_date END) AS first_rate_date,"
        f" max(CASE WHEN {usable} THEN rate_date END) AS last_rate_date"
        f" FROM {quoted(FX_RATES)}"
    )


def quarantined_rates_sql() -> str:
    """The rows with a reason, per reason (bind how many rows to list)."""
    return (
        "SELECT reason_code, source_file, source_line, reason_detail"
        f" FROM {quoted(FX_RATES)} WHERE reason_code IS NOT NULL"
        " ORDER BY reason_code, source_file, source_line LIMIT ?"
    )


def reason_counts_sql() -> str:
    """Rows per reason (the usable ones left out)."""
    return (
        f"SELECT reason_code, count(*) AS n FROM {quoted(FX_RATES)}"
        " WHERE reason_code IS NOT NULL GROUP BY reason_code ORDER BY reason_code"
    )


def day_rates_sql(contract: Contract | None = None) -> str:
    """Per currency (but the reporting one) and day: the rate its orders of that day convert
    at, ``rate``, and the day it is of, ``rate_date``: the usable rate of that day, else of
    the latest earlier day at most ``fx.max_rate_age_days`` before it. A subquery without
    parameters; a day with no such rate has no row."""
    contract = _contract(contract)
    ages = ", ".join(f"({age})" for age in range(contract.fx.max_rate_age_days + 1))
    usable = (
        f"SELECT currency, rate_date, min(rate) AS rate FROM {quoted(FX_RATES)}"
        " WHERE reason_code IS NULL"
        f" AND currency <> {sql_literal(contract.fx.reporting_currency)}"
        " GROUP BY currency, rate_date"
    )
    served = (
        "SELECT currency, rate_date, rate, CAST(rate_date + ages.age AS DATE) AS rate_day"
        f" FROM ({usable}) AS usable CROSS JOIN (VALUES {ages}) AS ages(age)"
    )
    return (
        "SELECT currency, rate_day, arg_max(rate, rate_date) AS rate,"
        f" max(rate_date) AS rate_date FROM ({served}) AS served GROUP BY currency, rate_day"
    )


def statements(dialect: str = DUCKDB) -> dict[str, str]:
    """Every statement here in ``dialect`` (what ``tests/snapshots/sql`` keeps)."""
    delete, insert = rates_statements()
    return {
        "fx_rates_load": render(create_load_sql(), dialect),
        "fx_rates_delete": render(delete, dialect),
        "fx_rates_insert": render(insert, dialect),
        "fx_rates_summary": render(rates_summary_sql(), dialect),
        "fx_rates_quarantined": render(quarantined_rates_sql(), dialect),
        "fx_rates_reasons": render(reason_counts_sql(), dialect),
        "fx_day_rates": render(day_rates_sql(), dialect),
    }
