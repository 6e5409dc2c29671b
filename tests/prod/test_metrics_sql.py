"""One source of SQL: metrics.py runs on DuckDB as written and on Snowflake after transpiling."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot

from orders_core import metrics
from resources.snowflake_warehouse import SnowflakeWarehouse, snowflake_resource, snowflake_sql
from resources.warehouse import DuckDBWarehouse
from tests.support.prod_tables import canonical_rows

pytestmark = pytest.mark.services

STATEMENTS = {
    name: value
    for name, value in vars(metrics).items()
    if name.endswith("_SQL") and isinstance(value, str)
}
# customer, UTC day, amount: repeat buyers, same-day orders, a single purchase, a late order.
ORDERS = [
    ("c-1", "2025-01-01", 10.0),
    ("c-1", "2025-01-01", 5.0),
    ("c-1", "2025-01-04", 20.0),
    ("c-1", "2025-01-09", 40.0),
    ("c-2", "2025-01-03", 7.5),
    ("c-3", "2025-01-02", 1.0),
    ("c-3", "2025-01-12", 3.0),
]


def _cleaned_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array([o[0] for o in ORDERS], dtype="string"),
            "order_date": pd.array(
                [pd.Timestamp(o[1]).date() for o in ORDERS], dtype=pd.ArrowDtype(pa.date32())
            ),
            "amount": [o[2] for o in ORDERS],
            "order_id": [f"o-{i}" for i in range(len(ORDERS))],
            "updated_at": pd.to_datetime([o[1] for o in ORDERS], utc=True),
            "source_file": "orders.csv",
            "source_line": range(1, len(ORDERS) + 1),
        }
    ).assign(partition_date=lambda f: f["order_date"])


def _duckdb(tmp_path) -> DuckDBWarehouse:
    path = str(tmp_path / "metrics.duckdb")
    with duckdb.connect(path) as conn:
        conn.register("incoming", _cleaned_orders())
        conn.execute("create schema staging")
        conn.execute("create table staging.cleaned_orders as select * from incoming")
    return DuckDBWarehouse(database=path)


def _snowflake():
    with dg.build_resources(
        {
            "warehouse": SnowflakeWarehouse(
                snowflake=snowflake_resource(key_pair=False, key_passphrase=False)
            )
        }
    ) as resources:
        warehouse = resources.warehouse
    with warehouse.snowflake.get_connection() as conn:
        cursor = conn.cursor()
        cursor.execute("create schema if not exists staging")
        cursor.execute(
            "create table staging.cleaned_orders (customer_id varchar, order_date date,"
            " amount float, order_id varchar, updated_at timestamp_tz, source_file varchar,"
            " source_line bigint, partition_date date)"
        )
        cursor.executemany(
            "insert into staging.cleaned_orders values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (c, d, a, f"o-{i}", f"{d}T00:00:00Z", "orders.csv", i + 1, d)
                for i, (c, d, a) in enumerate(ORDERS)
            ],
        )
    return warehouse


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_statement_transpiles_to_snowflake(name):
    translated = snowflake_sql(STATEMENTS[name])
    assert sqlglot.parse_one(translated, read="snowflake")
    assert translated.count("?") == STATEMENTS[name].count("?")


@pytest.mark.parametrize("as_of", ["2025-01-09", "2025-01-12", "2025-01-02"])
def test_customer_metrics_are_the_same_on_duckdb_and_snowflake(tmp_path, fake_snowflake, as_of):
    local = _duckdb(tmp_path).query(metrics.CUSTOMER_METRICS_SQL, [as_of] * 3)
    prod = _snowflake().query(metrics.CUSTOMER_METRICS_SQL, [as_of] * 3)

    assert list(prod.columns) == list(local.columns)
    assert canonical_rows(prod) == canonical_rows(local)
    c1 = local.set_index("customer_id").loc["c-1"] if as_of != "2025-01-02" else None
    if c1 is not None:
        # days 1, 4, 9: two repeat days spending 20 and 40
        assert (c1["order_count"], c1["frequency"], c1["recency_days"]) == (4, 2, 8)
        assert c1["monetary_value"] == 30.0


def test_latest_day_is_the_same_on_duckdb_and_snowflake(tmp_path, fake_snowflake):
    local = _duckdb(tmp_path).query(metrics.LATEST_DAY_SQL)
    prod = _snowflake().query(metrics.LATEST_DAY_SQL)

    assert canonical_rows(prod) == canonical_rows(local) == [("2025-01-12",)]


def test_a_duckdb_only_construct_is_translated(tmp_path, fake_snowflake):
    sql = (
        "select count(*) filter (where amount > 5) as big,"
        " date_diff('day', min(order_date), max(order_date)) as span"
        " from staging.cleaned_orders"
    )
    translated = snowflake_sql(sql)

    assert "FILTER" not in translated.upper()
    assert canonical_rows(_snowflake().query(sql)) == canonical_rows(_duckdb(tmp_path).query(sql))
