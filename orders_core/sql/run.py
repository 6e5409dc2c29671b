"""The statements of one cleaning run over some days, in the order a step runs them.

Kept apart from the asset so the order of statements (DDL and session tables first,
then one transaction replacing the days, then the reconciliation of what was stored)
is plain code that tests and the benchmark run as the step does.
"""

from __future__ import annotations

from dataclasses import dataclass

from orders_core.contract import Contract
from orders_core.sql.cleaning import (
    SettleVersions,
    classify_statements,
    cleaned_select,
    day_summary_select,
    hmac_probe_select,
    pads_statements,
    quarantined_select,
    raw_columns,
    reason_counts_select,
    reconciliation_select,
    superseded_amounts_select,
)
from orders_core.sql.tables import column_list, quoted
from orders_core.tables import (
    CLEANED_ORDERS,
    CLEANED_ORDERS_COLUMNS,
    QUARANTINED_ORDERS,
    RAW_ORDERS,
)

DAYS = "partition_date BETWEEN ? AND ?"


@dataclass(frozen=True)
class CleaningRun:
    """Statements (DuckDB dialect with ORDERS_* functions) of a cleaning run; the ones
    with ``?`` take the first and last day (``reconciliation``: four times over)."""

    prepare: tuple[str, ...]
    insert_pads: str
    hmac_probe: str  # the engine's answer for HMAC_PROBE (orders_core.cleaning.hmac_probe_error)
    classify: tuple[str, SettleVersions]  # the first takes the days; then settle_versions
    day_summary: str
    reason_counts: str
    replace: tuple[str, ...]
    reconciliation: str


def cleaning_run(contract: Contract) -> CleaningRun:
    create_pads, insert_pads = pads_statements()
    cleaned, quarantined = quoted(CLEANED_ORDERS), quoted(QUARANTINED_ORDERS)
    quarantined_columns = column_list([*raw_columns(contract), "reason_code", "reason_detail"])
    return CleaningRun(
        prepare=(create_pads,),
        insert_pads=insert_pads,
        hmac_probe=hmac_probe_select(),
        classify=classify_statements(contract, quoted(RAW_ORDERS), DAYS),
        day_summary=day_summary_select(),
        reason_counts=reason_counts_select(),
        replace=(
            f"DELETE FROM {cleaned} WHERE {DAYS}",
            f"DELETE FROM {quarantined} WHERE {DAYS}",
            f"INSERT INTO {cleaned} ({column_list(CLEANED_ORDERS_COLUMNS)}) " + cleaned_select(),
            f"INSERT INTO {quarantined} ({quarantined_columns}) "
            + quarantined_select(contract, quoted(RAW_ORDERS), DAYS),
        ),
        # the superseded rows are counted where the classification holds them
        reconciliation=reconciliation_select(
            quoted(RAW_ORDERS),
            cleaned,
            quarantined,
            f"({superseded_amounts_select()}) AS superseded",
        ),
    )


LOAD_TABLE = "orders_raw_load"


@dataclass(frozen=True)
class RawLoad:
    """Statements of a raw_orders run. Files the engine does not load itself are appended
    one at a time to the session table ``LOAD_TABLE`` (after ``create_load``); one
    transaction then deletes the days (``delete``, the first and last day bound), loads
    the other files straight into the table (where the engine can load inside a
    transaction) and moves the session table's rows in (``insert``)."""

    create_load: str
    delete: str
    insert: str
    reordered_header: str  # takes the first and last day twice: see reordered_header_sql


def raw_load(contract: Contract) -> RawLoad:
    raw = quoted(RAW_ORDERS)
    columns = column_list(raw_columns(contract))
    delete = f"DELETE FROM {raw} WHERE {DAYS}"
    return RawLoad(
        create_load=f"CREATE OR REPLACE TEMPORARY TABLE {LOAD_TABLE} AS"
        f" SELECT {columns} FROM {raw} WHERE 1 = 0",
        delete=delete,
        insert=f"INSERT INTO {raw} ({columns}) SELECT {columns} FROM {LOAD_TABLE}",
        reordered_header=reordered_header_sql(contract),
    )


# parse_error of the records of a file from a line that repeats its header with the
# columns in another order (the line number is put after it).
REORDERED_HEADER_ERROR = "header_reordered"


def _spellings(name: str) -> str:
    """A contract column's name as a header cell may spell it, lower case (``order_id``,
    ``order id``, ``order-id``), as SQL literals."""
    found = dict.fromkeys([name, name.replace("_", " "), name.replace("_", "-")])
    return ", ".join(f"'{spelling}'" for spelling in found)


def reordered_header_sql(contract: Contract) -> str:
    """Mark broken the records of a file read with the wrong header: from a line that
    repeats the file's header with its columns in another order (two exports
    concatenated), each record's values sit under the first header's columns, and an
    order would be published with its fields swapped (its order id as the customer's).

    Such a line is a record none of whose contract values is anything but a contract
    column's name (two at least), one of them another column's. It and every record after
    it in its file get ``parse_error`` (``malformed_record`` in quarantine, values and
    line kept); a header repeated as it was needs nothing (its own line is quarantined by
    the contract's rules). Bound: the first and last day, twice."""
    raw = quoted(RAW_ORDERS)
    names = contract.column_names
    every = ", ".join(_spellings(name) for name in names)
    # ORDERS_TRIM, Python's whitespace as the reader strips header names: a bare trim()
    # strips blanks only in Snowflake (https://docs.snowflake.com/en/sql-reference/functions/trim)
    # where DuckDB's also strips no-break and other Unicode spaces, so a repeated header
    # with such a cell was caught locally and published with swapped fields in production.
    value = {name: f"ORDERS_LOWER(ORDERS_TRIM({name}))" for name in names}
    named = " AND ".join(f"({name} IS NULL OR {value[name]} IN ({every}))" for name in names)
    present = " + ".join(f"CASE WHEN {name} IS NULL THEN 0 ELSE 1 END" for name in names)
    moved = " OR ".join(f"{value[name]} NOT IN ({_spellings(name)})" for name in names)
    first = (
        f"SELECT source_file, min(source_line) AS line FROM {raw}"  # noqa: S608 (contract identifiers)
        f" WHERE {DAYS} AND parse_error IS NULL AND {named} AND {present} >= 2 AND ({moved})"
        " GROUP BY source_file"
    )
    error = (
        f"'{REORDERED_HEADER_ERROR}: line ' || CAST(header.line AS VARCHAR) || ' repeats the"
        " file''s header with its columns in another order (files concatenated?): it and the"
        " records after it are not read with the file''s header'"
    )
    return (
        f"UPDATE {raw} AS landed SET parse_error = {error}"  # noqa: S608 (contract identifiers)
        f" FROM ({first}) AS header WHERE landed.source_file = header.source_file"
        " AND landed.source_line >= header.line AND landed.partition_date BETWEEN ? AND ?"
        " AND landed.parse_error IS NULL"
    )
