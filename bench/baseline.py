"""Child process: what a competent user would write instead of the platform.

No Dagster, no lineage columns, no quarantine table, no raw layer: read every
landing CSV with pyarrow (all columns as text, ragged rows skipped), apply the
same contract rules with plain vectorised pandas, keep the newest version of
each order, hash e-mails with HMAC-SHA256, and write the two published tables,
warehouse.fct_orders and warehouse.dim_customers, with DuckDB (the customer
metrics in SQL). The rules mirror the landing contract so that both contenders
publish the same rows (``bench.run`` compares their rows and money, bench/published.py).

    python -m bench.baseline --landing DIR --duckdb out.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.harness import Timer, emit
from bench.published import published_rows, summary_of
from orders_core.contract import load_contract

COLUMNS = [
    "order_id", "customer_id", "order_ts", "amount", "currency", "quantity",
    "unit_price", "status", "region", "customer_email", "updated_at",
]  # fmt: skip
REQUIRED = ["order_id", "customer_id", "order_ts", "amount", "currency"]
STATUSES = ["placed", "shipped", "delivered", "cancelled", "returned"]
MAX_LENGTH = {"order_id": 128, "customer_id": 128, "region": 64, "customer_email": 320}
DECIMAL = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
INTEGER = r"^\+?\d+(?:\.0*)?$"
TEXT = pd.StringDtype("pyarrow")
# The money columns' bounds, as the contract states them: max, or the bound of the order's
# currency in max_by_currency (JPY 1e9, ...), in that currency's major units.
MONEY_BOUNDS = {
    name: (spec.max, dict(spec.max_by_currency))
    for name in ("amount", "unit_price")
    for spec in [load_contract().column(name)]
}
EMAIL_KEY = b"local-development-only-not-secret"

# Money in the reporting currency, as the platform: each purchase at its currency's rate
# of its order date or the latest earlier one at most MAX_RATE_AGE_DAYS old (an ASOF
# join, over the session table load_rates makes); a purchase without one is left out.
# The rates files are assumed clean.
REPORTING_CURRENCY = "USD"
MAX_RATE_AGE_DAYS = 4
DIM_CUSTOMERS_SQL = f"""
create or replace table warehouse.dim_customers as
with priced as (
    select f.customer_id, f.order_date,
           case when f.currency = '{REPORTING_CURRENCY}' then f.amount
                when f.order_date - r.rate_date <= {MAX_RATE_AGE_DAYS}
                then f.amount * r.rate end as amount
    from warehouse.fct_orders f
    asof left join rates r on r.currency = f.currency and f.order_date >= r.rate_date
    where f.status is null or f.status not in ('cancelled', 'returned')  -- purchases only
), daily as (
    select customer_id, order_date, sum(amount::decimal(38, 12)) as day_amount,
           count(*) as day_orders,
           min(order_date) over (partition by customer_id) as first_day
    from priced where amount is not null
    group by customer_id, order_date
), as_of as (select max(partition_date) as d from warehouse.fct_orders)
select customer_id,
       sum(day_orders)::bigint as order_count,
       (count(*) - 1)::bigint as frequency,
       (max(order_date) - min(order_date))::bigint as recency_days,
       (any_value(as_of.d) - min(order_date))::bigint as tenure_days,
       coalesce(sum(day_amount) filter (where order_date > first_day)
                / nullif(count(*) - 1, 0), 0)::double as monetary_value,
       sum(day_amount)::double as total_revenue,
       min(order_date) as first_order_date, max(order_date) as last_order_date,
       any_value(as_of.d) as as_of_date
from daily, as_of group by customer_id order by customer_id
"""  # noqa: S608 (two constants of this module, never data)


def read_landing(root: Path) -> pd.DataFrame:
    """Every CSV under ``orders/date=*/``, as text, with the day of its folder."""
    frames = []
    for path in sorted(root.glob("orders/date=*/*.csv")):
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=lambda row: "skip"
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(COLUMNS, pa.string()),
                include_columns=COLUMNS,
                include_missing_columns=True,
            ),
        )
        frame = table.to_pandas(types_mapper={pa.string(): TEXT, pa.null(): TEXT}.get)
        frame["partition_date"] = dt.date.fromisoformat(path.parent.name.removeprefix("date="))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def load_rates(conn: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Every rates file under ``fx_rates/`` into the session table ``rates`` (rate_date,
    currency, rate), read by DuckDB itself; an empty table when there is none."""
    files = sorted(str(p) for p in root.glob("fx_rates/*.csv"))
    source = (
        "read_csv($files, header = true, all_varchar = true)"
        if files
        else "(select null as rate_date, null as currency, null as rate where false)"
    )
    conn.execute(
        "create or replace temporary table rates as select distinct"  # noqa: S608 (constants)
        " cast(rate_date as date) as rate_date, upper(trim(currency)) as currency,"
        f" cast(rate as double) as rate from {source}",
        {"files": files} if files else {},
    )


def hash_emails(emails: pd.Series) -> pd.Series:
    """HMAC-SHA256 of each distinct normalised e-mail."""
    codes, uniques = pd.factorize(emails.str.strip().str.lower())
    base = hmac.new(EMAIL_KEY, digestmod=hashlib.sha256)
    digests = []
    for value in uniques:
        mac = base.copy()
        mac.update(value.encode())
        digests.append(mac.hexdigest())
    hashed = np.asarray(digests + [None], dtype=object)[codes]
    return pd.Series(hashed, index=emails.index, dtype=TEXT)


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Typed, valid, deduplicated orders (the contract rules, vectorised)."""
    text = {name: raw[name].str.strip().replace("", None) for name in COLUMNS}
    text["currency"] = text["currency"].str.upper()
    text["status"] = text["status"].str.lower()
    ok = pd.Series(True, index=raw.index)
    for name in REQUIRED:
        ok &= text[name].notna()
    for name, limit in MAX_LENGTH.items():
        ok &= ~(text[name].str.len() > limit).fillna(False)
    order_ts = pd.to_datetime(text["order_ts"], utc=True, format="ISO8601", errors="coerce")
    updated_at = pd.to_datetime(text["updated_at"], utc=True, format="ISO8601", errors="coerce")
    ok &= order_ts.notna() & (text["updated_at"].isna() | updated_at.notna())
    numbers = {}
    for name, pattern, low, high in (
        ("amount", DECIMAL, 0, None),
        ("quantity", INTEGER, 1, 100_000),
        ("unit_price", DECIMAL, 0, None),
    ):
        if high is None:
            default, by_currency = MONEY_BOUNDS[name]
            high = text["currency"].map(by_currency).astype("float64").fillna(default)
        values = text[name]
        well_formed = values.str.match(pattern).fillna(False)
        ok &= values.isna() | well_formed
        number = pd.to_numeric(values.where(well_formed), errors="coerce").astype("float64")
        ok &= ~((number < low) | (number > high))
        numbers[name] = number
    ok &= text["currency"].isna() | text["currency"].str.fullmatch(r"[A-Z]{3}").fillna(False)
    ok &= text["status"].isna() | text["status"].isin(STATUSES)
    order_date = order_ts.dt.date
    ok &= order_date == raw["partition_date"]
    facts = pd.DataFrame(
        {
            "order_id": text["order_id"],
            "customer_id": text["customer_id"],
            "order_ts": order_ts,
            "order_date": order_date,
            "amount": numbers["amount"],
            "currency": text["currency"],
            "quantity": numbers["quantity"].round().astype("Int64"),
            "unit_price": numbers["unit_price"],
            "status": text["status"],
            "region": text["region"],
            "customer_email_hash": text["customer_email"],
            "updated_at": updated_at.fillna(order_ts),
            "partition_date": raw["partition_date"],
        }
    )[ok.to_numpy()]
    # The newest updated_at wins; a stable sort keeps file order on ties, so "last" wins.
    facts = facts.sort_values(["order_id", "updated_at"], kind="stable")
    facts = facts.drop_duplicates("order_id", keep="last").sort_index()
    facts["customer_email_hash"] = hash_emails(facts["customer_email_hash"])
    return facts.reset_index(drop=True)


def publish(facts: pd.DataFrame, landing: Path, database: str) -> None:
    """Write fct_orders from the frame and dim_customers in SQL (in the reporting currency,
    with the landed rates)."""
    with duckdb.connect(database) as conn:
        conn.execute("create schema if not exists warehouse")
        conn.execute("create or replace table warehouse.fct_orders as select * from facts")
        load_rates(conn, landing)
        conn.execute(DIM_CUSTOMERS_SQL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--duckdb", required=True)
    args = parser.parse_args()
    with Timer() as timer:
        started = time.perf_counter()
        raw = read_landing(args.landing)
        read = time.perf_counter()
        facts = clean(raw)
        cleaned = time.perf_counter()
        publish(facts, args.landing, args.duckdb)
        done = time.perf_counter()
    # Counted after the clock, as the platform's tables are (bench.platform_run).
    published = summary_of(args.duckdb)
    emit(
        {
            "seconds": timer.wall_s,
            "cpu_s": timer.cpu_s,
            "step_seconds": {
                "read": round(read - started, 3),
                "clean": round(cleaned - read, 3),
                "write": round(done - cleaned, 3),
            },
            "rows": {"raw": len(raw), **published_rows(published)},
            "published": published,
        }
    )


if __name__ == "__main__":
    main()
