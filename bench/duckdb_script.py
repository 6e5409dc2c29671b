"""Child process: the same work as :mod:`bench.baseline`, in plain DuckDB SQL.

The fastest thing a user could write: DuckDB reads every landing CSV as text, applies
the landing contract's rules, keeps the newest version of each order, hashes e-mails
with HMAC-SHA256 (RFC 2104 over DuckDB's sha256) and writes warehouse.fct_orders and
warehouse.dim_customers, all inside DuckDB's multi-threaded engine. No raw layer, no
quarantine table, no per-day metadata, no checks, no orchestration. It is here to
show how far the platform is from the engine's own speed, and what that costs.

    python -m bench.duckdb_script --landing DIR --duckdb out.duckdb
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from bench.baseline import (
    DIM_CUSTOMERS_SQL,
    EMAIL_KEY,
    MAX_LENGTH,
    MONEY_BOUNDS,
    STATUSES,
    load_rates,
)
from bench.harness import Timer, emit
from bench.published import published_rows, summary_of
from orders_core.cleaning import hmac_pads

DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
INTEGER = r"\+?[0-9]+(?:\.0*)?"
COLUMNS = (
    "order_id", "customer_id", "order_ts", "amount", "currency", "quantity",
    "unit_price", "status", "region", "customer_email", "updated_at",
)  # fmt: skip

TRIMMED = ",\n".join(f"nullif(trim({c}), '') as {c}" for c in COLUMNS)
LENGTHS = " and ".join(f"coalesce(length({c}) <= {n}, true)" for c, n in MAX_LENGTH.items())
STATUS_LIST = ", ".join(f"'{s}'" for s in STATUSES)
# The bound of an order's currency (max_by_currency), joined by code; max for the others.
_CODES = sorted({code for _, table in MONEY_BOUNDS.values() for code in table})
BOUNDS = ", ".join(
    f"('{code}', "
    + ", ".join(repr(table.get(code, default)) for default, table in MONEY_BOUNDS.values())
    + ")"
    for code in _CODES
)
MAX_AMOUNT, MAX_UNIT_PRICE = (default for default, _ in MONEY_BOUNDS.values())

# Built from this module's constants only; the landing files and the key are bound.
FCT_ORDERS_SQL = f"""
create or replace table warehouse.fct_orders as
with landed as (
    select {TRIMMED},
           cast(regexp_extract(filename, 'date=([0-9-]+)', 1) as date) as partition_date,
           filename, row_number() over () as landed_line
    from read_csv($files, all_varchar = true, header = true, filename = true,
                  union_by_name = true, null_padding = true, ignore_errors = true)
), typed as (
    select landed.*,
           try_cast(order_ts as timestamptz) as order_ts_utc,
           try_cast(updated_at as timestamptz) as updated_at_utc,
           if(regexp_full_match(amount, '{DECIMAL}'), try_cast(amount as double), null) as amount_n,
           if(regexp_full_match(quantity, '{INTEGER}'), try_cast(quantity as double), null)
               as quantity_n,
           if(regexp_full_match(unit_price, '{DECIMAL}'), try_cast(unit_price as double), null)
               as unit_price_n,
           coalesce(bounds.max_amount, {MAX_AMOUNT!r}) as amount_max,
           coalesce(bounds.max_unit_price, {MAX_UNIT_PRICE!r}) as unit_price_max
    from landed
    left join (values {BOUNDS}) as bounds(code, max_amount, max_unit_price)
        on bounds.code = upper(landed.currency)
), valid as (
    select * from typed
    where order_id is not null and customer_id is not null and amount_n is not null
      and order_ts_utc is not null and upper(currency) is not null
      and regexp_full_match(upper(currency), '[A-Z]{{3}}')
      and (updated_at is null or updated_at_utc is not null)
      and {LENGTHS}
      and amount_n between 0 and amount_max
      and (quantity is null or quantity_n between 1 and 100000)
      and (unit_price is null or unit_price_n between 0 and unit_price_max)
      and (status is null or lower(status) in ({STATUS_LIST}))
      and cast(timezone('UTC', order_ts_utc) as date) = partition_date
)
select order_id, customer_id, order_ts_utc as order_ts,
       cast(timezone('UTC', order_ts_utc) as date) as order_date,
       amount_n as amount, upper(currency) as currency,
       cast(round(quantity_n) as bigint) as quantity, unit_price_n as unit_price,
       lower(status) as status, region,
       sha256($outer || unhex(sha256($inner || encode(lower(customer_email)))))
           as customer_email_hash,
       coalesce(updated_at_utc, order_ts_utc) as updated_at, partition_date
from valid
qualify row_number() over (
    partition by order_id order by coalesce(updated_at_utc, order_ts_utc) desc, landed_line desc
) = 1
"""  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--duckdb", required=True)
    args = parser.parse_args()
    files = sorted(str(p) for p in args.landing.glob("orders/date=*/*.csv"))
    inner, outer = hmac_pads(EMAIL_KEY)
    with Timer() as timer, duckdb.connect(args.duckdb) as conn:
        conn.execute("create schema if not exists warehouse")
        conn.execute(FCT_ORDERS_SQL, {"files": files, "inner": inner, "outer": outer})
        load_rates(conn, args.landing)
        conn.execute(DIM_CUSTOMERS_SQL)
    # Counted after the clock, as the platform's tables are (bench.platform_run).
    published = summary_of(args.duckdb)
    emit({"seconds": timer.wall_s, "cpu_s": timer.cpu_s, "rows": published_rows(published),
          "published": published})  # fmt: skip


if __name__ == "__main__":
    main()
