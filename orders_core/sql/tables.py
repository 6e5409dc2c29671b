"""Column types of the tables the SQL steps write, and their DDL.

The steps create their tables themselves (no IO manager moves their rows), so the types
are stated here once; the asset metadata the UI shows is built from the same map.
"""

from __future__ import annotations

import re

from orders_core.contract import Contract
from orders_core.sql.cleaning import raw_columns
from orders_core.sql.dialect import columns_statement
from orders_core.tables import (
    CLEANED_ORDERS,
    CLEANED_ORDERS_COLUMNS,
    CUSTOMER_CLV,
    CUSTOMER_METRICS,
    DIM_CUSTOMERS,
    FCT_ORDERS,
    FCT_ORDERS_COLUMNS,
    FX_RATES,
    QUARANTINED_ORDERS,
    RAW_ORDERS,
    Table,
)

_CLEANED_TYPES = {
    "order_id": "VARCHAR",
    "customer_id": "VARCHAR",
    "order_ts": "TIMESTAMP WITH TIME ZONE",
    "order_date": "DATE",
    "amount": "DOUBLE",
    "currency": "VARCHAR",
    "quantity": "BIGINT",
    "unit_price": "DOUBLE",
    "status": "VARCHAR",
    "region": "VARCHAR",
    "customer_email_hash": "VARCHAR",
    "updated_at": "TIMESTAMP WITH TIME ZONE",
    "extra_columns_json": "VARCHAR",
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
    "partition_date": "DATE",
}

# What orders_core.metrics.CUSTOMER_METRICS_SQL returns: analytics.customer_metrics.
METRIC_TYPES = {
    "customer_id": "VARCHAR",
    "order_count": "BIGINT",
    "frequency": "BIGINT",
    "recency_days": "BIGINT",
    "tenure_days": "BIGINT",
    "monetary_value": "DOUBLE",
    "total_revenue": "DOUBLE",
    "first_order_date": "DATE",
    "last_order_date": "DATE",
    "as_of_date": "DATE",
}
# analytics.customer_clv: a customer's scores as of customer_metrics' day.
CLV_TYPES = {
    "customer_id": "VARCHAR",
    "as_of_date": "DATE",
    "horizon_months": "BIGINT",
    "expected_purchases": "DOUBLE",
    "prob_alive": "DOUBLE",
    "expected_avg_order_value": "DOUBLE",
    "clv": "DOUBLE",
}
# staging.fx_rates: every landed rate row, typed (NULL where it does not parse), its reason
# when it cannot be used (NULL: usable), its landed text and lineage.
FX_RATE_TYPES = {
    "rate_date": "DATE",
    "currency": "VARCHAR",
    "rate": "DOUBLE",
    "reason_code": "VARCHAR",
    "reason_detail": "VARCHAR",
    "landed_rate_date": "VARCHAR",
    "landed_currency": "VARCHAR",
    "landed_rate": "VARCHAR",
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
}
# The customer_clv columns of warehouse.dim_customers (as customer_clv stores them).
DIM_CLV_TYPES = {
    "expected_purchases": "DOUBLE",
    "prob_alive": "DOUBLE",
    "expected_avg_order_value": "DOUBLE",
    "clv": "DOUBLE",
    "clv_horizon_months": "BIGINT",
    "clv_as_of_date": "DATE",
}


# The SQL type a contract type is typed to in cleaned_orders and fct_orders.
CONTRACT_SQL_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "decimal": "DOUBLE",
    "integer": "BIGINT",
}
# cleaned_orders' columns that no contract column of its name makes: derived, lineage.
_NOT_FROM_CONTRACT = (
    "order_date",
    "extra_columns_json",
    "source_file",
    "source_line",
    "partition_date",
)


# The contract columns the platform keys on or sums, and what for.
_KEYED = {
    "order_id": "fct_orders has one row per order_id",
    "customer_id": "the customer tables have one row per customer_id",
    "order_ts": "its UTC date is the partition day",
    "amount": "the revenue figures and reconciliation sum it",
}


def _typed_name(name: str, pii: bool) -> str:
    """The cleaned_orders column a contract column is typed to (PII as its keyed hash)."""
    return f"{name}_hash" if pii else name


def contract_misfits(contract: Contract) -> list[str]:
    """What in ``contract`` the typed tables (cleaned_orders, fct_orders) cannot hold.

    Their columns are set in code (``orders_core/tables.py``, the cleaning's
    ``cleaned_select``), so a contract column they do not have, one they type otherwise,
    or one of theirs the contract no longer names would fail every cleaning run with an
    engine error (or, a decimal ``quantity``, round it into BIGINT): said here instead.
    """
    carried = {
        name: _CLEANED_TYPES[name]
        for name in CLEANED_ORDERS_COLUMNS
        if name not in _NOT_FROM_CONTRACT
    }
    table = quoted(CLEANED_ORDERS)
    found, named = [], set()
    for spec in contract.columns:
        target = _typed_name(spec.name, spec.pii)
        named.add(target)
        wanted = "VARCHAR" if spec.pii else CONTRACT_SQL_TYPES[spec.type]
        if not spec.pii and f"{target}_hash" in carried:
            named.add(f"{target}_hash")
            found.append(
                f"contract column {spec.name!r} must stay pii: true: {table} holds only"
                f" its keyed hash, {target}_hash"
            )
        elif target not in carried:
            found.append(
                f"contract column {spec.name!r} ({spec.type}{', pii' if spec.pii else ''})"
                f" is not a column of {table} or warehouse.fct_orders"
            )
        elif spec.pii and spec.type != "string":
            found.append(f"contract column {spec.name!r} is PII: its type must be string")
        elif carried[target] != wanted:
            found.append(
                f"contract column {spec.name!r} is {spec.type} ({wanted}), but {table}"
                f" stores {target} as {carried[target]}"
            )
    # What the platform keys on or sums must be there on every published row.
    for name, role in _KEYED.items():
        if name in contract.column_names and not contract.column(name).required:
            found.append(f"contract column {name!r} must stay required: {role}")
    # The rules across days (orders_core/sql/facts.py) and the partition rule of the
    # cleaning are written for these: the contract cannot move them.
    for setting, value, implemented in (
        ("partition_column", contract.partition_column, "order_ts"),
        ("dedup.key", contract.dedup_key, "order_id"),
        ("dedup.order_by", contract.dedup_order_by, "updated_at"),
    ):
        if value != implemented:
            found.append(f"{setting} is {value!r}: the platform implements {implemented!r} only")
    for target in carried:
        source = target.removesuffix("_hash")
        if target not in named and source not in contract.column_names:
            found.append(
                f"{table} column {target!r} is made from contract column {source!r}"
                + (" (pii: true)" if target != source else "")
                + ", which the contract no longer names"
            )
    return found


def require_contract_fits(contract: Contract) -> None:
    """Raise ``ValueError`` naming every :func:`contract_misfits` and what to do."""
    found = contract_misfits(contract)
    if found:
        raise ValueError(
            "orders_core/contract.yaml does not fit the typed tables (staging.cleaned_orders,"
            " warehouse.fct_orders), whose columns are set in code:\n  - "
            + "\n  - ".join(found)
            + "\nNothing was run. Undo that change of the contract: a column landed"
            " beyond the contract needs none (it is kept in extra_columns_json and"
            " reported by schema_drift), and adding, removing or retyping a typed"
            " column is a change of code (README, 'Changing the contract')."
        )


def _raw_type(name: str) -> str:
    return {"source_line": "BIGINT", "partition_date": "DATE"}.get(name, "VARCHAR")


def table_types(contract: Contract) -> dict[Table, dict[str, str]]:
    """SQL types of every column of the tables the SQL steps write, in column order."""
    raw = {name: _raw_type(name) for name in raw_columns(contract)}
    return {
        RAW_ORDERS: raw,
        CLEANED_ORDERS: {name: _CLEANED_TYPES[name] for name in CLEANED_ORDERS_COLUMNS},
        QUARANTINED_ORDERS: {**raw, "reason_code": "VARCHAR", "reason_detail": "VARCHAR"},
        FCT_ORDERS: {name: _CLEANED_TYPES[name] for name in FCT_ORDERS_COLUMNS},
        CUSTOMER_METRICS: dict(METRIC_TYPES),
        CUSTOMER_CLV: dict(CLV_TYPES),
        DIM_CUSTOMERS: {**METRIC_TYPES, **DIM_CLV_TYPES},
        FX_RATES: dict(FX_RATE_TYPES),
    }


def quoted(table: Table) -> str:
    """``schema.name`` unquoted: Snowflake folds unquoted names to upper case, which is
    how every other statement (and a person at the console) names them."""
    return f"{table.schema}.{table.name}"


def create_statements(contract: Contract, *tables: Table) -> list[str]:
    """``CREATE SCHEMA/TABLE IF NOT EXISTS`` for ``tables`` (all when none given)."""
    types = table_types(contract)
    statements = []
    for table in tables or tuple(types):
        columns = ", ".join(f"{name} {kind}" for name, kind in types[table].items())
        statements.append(f"CREATE SCHEMA IF NOT EXISTS {table.schema}")
        statements.append(f"CREATE TABLE IF NOT EXISTS {quoted(table)} ({columns})")
    return statements


def column_list(names) -> str:
    return ", ".join(names)


class TableTypeMismatchError(Exception):
    """A warehouse table has a column of another type than the platform writes there."""


# What a column type is, whatever the engine calls it (DuckDB's names, then Snowflake's):
# a column whose type is of another kind than the platform's would round, truncate or
# shift what the platform writes into it (DECIMAL(18,2) money, a TIMESTAMP without time
# zone, a date as text). DuckDB's FLOAT is 32-bit where Snowflake's is a double: both
# read as a double, for the name cannot tell them apart.
_TYPE_KINDS = {
    "VARCHAR": "text",
    "TEXT": "text",
    "STRING": "text",
    "BIGINT": "integer",
    "INTEGER": "integer",
    "HUGEINT": "integer",
    "DOUBLE": "double",
    "FLOAT": "double",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIMESTAMP_TZ": "timestamp with time zone",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP_NTZ": "timestamp without time zone",
}


# The scale a type's name carries (DuckDB's DECIMAL(18,2)), where no scale is given apart.
_NAMED_SCALE = re.compile(r"\(\s*\d+\s*,\s*(\d+)\s*\)")


def type_kind(data_type: str, scale: object = None) -> str:
    """The kind of a column's type (as :func:`orders_core.sql.dialect.columns_statement`
    reads it): an exact number of scale 0 is an integer (Snowflake's BIGINT is
    NUMBER(38,0)), of another scale a decimal. Without ``scale``, the scale is the one the
    name carries (DuckDB's ``DECIMAL(18,2)``)."""
    name = str(data_type).strip().upper()
    base = name.split("(")[0].strip()
    if base in ("DECIMAL", "NUMBER", "NUMERIC"):
        if scale is None and (named := _NAMED_SCALE.search(name)):
            scale = int(named[1])
        return "integer" if not scale else f"decimal of scale {scale}"
    return _TYPE_KINDS.get(base, name)


def ensure_tables(execute, contract: Contract, *tables: Table, dialect: str) -> None:
    """Create ``tables`` if needed and add the columns an older version did not have
    (a new lineage column, a new contract column), so a warehouse written by an earlier
    release keeps working. ``execute(sql, params)`` runs a statement of the engine of
    ``dialect`` (the session's) and returns rows.

    Raises :class:`TableTypeMismatchError`, before any column is added, when a column the
    platform writes is of another kind in the warehouse (altered by hand, or written by
    another tool): naming each such column, its type and the platform's, and what to do.
    """
    for statement in create_statements(contract, *tables):
        execute(statement, ())
    types = table_types(contract)
    missing, retyped = [], []
    for table in tables or tuple(types):
        found = {
            str(name).lower(): (str(data_type), type_kind(data_type, scale))
            for name, data_type, scale in execute(
                *columns_statement(table.schema, table.name, dialect)
            )
        }
        for name, kind in types[table].items():
            if name not in found:
                missing.append(f"ALTER TABLE {quoted(table)} ADD COLUMN {name} {kind}")
            elif found[name][1] != type_kind(kind):
                retyped.append(
                    f"{quoted(table)}.{name} is {found[name][0]} ({found[name][1]}) in the"
                    f" warehouse, where the platform writes {kind}"
                )
    if retyped:
        raise TableTypeMismatchError(
            "The warehouse's tables do not have the column types the platform writes,"
            " which would change the values written (rounded, truncated, shifted):\n  - "
            + "\n  - ".join(retyped)
            + "\nNothing was written. Give each column its type back, or drop the table"
            " and run its days again (docs/backfill-runbook.md, 'A warehouse column of"
            " another type')."
        )
    for statement in missing:
        execute(statement, ())
