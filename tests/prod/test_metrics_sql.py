"""One source of SQL: metrics.py runs on DuckDB as written and on Snowflake after transpiling;
the whole-table replacements of customer_metrics and dim_customers give the same rows on both."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot

from orders_core import metrics, tables
from orders_core.contract import load_contract
from orders_core.sql.customers import (
    dim_statements,
    dim_summary_sql,
    metrics_statements,
    metrics_summary_sql,
    not_purchase_summary_sql,
)
from orders_core.sql.tables import FX_RATE_TYPES, ensure_tables
from resources.snowflake_warehouse import (
    snowflake_sql,
)
from resources.warehouse import DuckDBWarehouse, Warehouse
from tests.support.prod_pipeline import snowflake_warehouse
from tests.support.prod_tables import canonical_rows

pytestmark = pytest.mark.services

STATEMENTS = {
    name: value
    for name, value in vars(metrics).items()
    if name.endswith("_SQL") and isinstance(value, str)
}
# customer, UTC day, amount[, status]: repeat buyers, same-day orders, a single purchase, a
# late order (no status: a purchase). Cancelled and returned orders are no purchase: c-1's
# cancelled order of the 10th is no purchase day (nor a holdout purchase), c-2's return
# is no revenue, and c-4, who bought nothing else, is no customer of customer_metrics.
ORDERS = [
    ("c-1", "2025-01-01", 10.0),
    ("c-1", "2025-01-01", 5.0),
    ("c-1", "2025-01-04", 20.0),
    ("c-1", "2025-01-09", 40.0),
    ("c-1", "2025-01-10", 80.0, "cancelled"),
    ("c-2", "2025-01-03", 7.5, "delivered"),
    ("c-2", "2025-01-03", 2.5, "returned"),
    ("c-3", "2025-01-02", 1.0),
    ("c-3", "2025-01-12", 3.0),
    ("c-4", "2025-01-05", 9.0, "cancelled"),
    ("c-4", "2025-01-06", 6.0, "returned"),
]


# The orders are in the reporting currency: the rates table is there, with no rate needed
# (conversion on both engines: tests/prod/test_prod_pipeline.py, EUR orders landed on S3).
FX_RATES_DDL = (
    "create table staging.fx_rates ("
    + ", ".join(f"{name} {kind}" for name, kind in FX_RATE_TYPES.items())
    + ")"
)


def _status(order: tuple) -> str | None:
    return order[3] if len(order) > 3 else None


def _cleaned_orders(orders=ORDERS) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array([o[0] for o in orders], dtype="string"),
            "order_date": pd.array(
                [pd.Timestamp(o[1]).date() for o in orders], dtype=pd.ArrowDtype(pa.date32())
            ),
            "amount": [o[2] for o in orders],
            "currency": "USD",
            "order_id": [f"o-{i}" for i in range(len(orders))],
            "updated_at": pd.to_datetime([o[1] for o in orders], utc=True),
            "source_file": "orders.csv",
            "source_line": range(1, len(orders) + 1),
            "status": pd.array([_status(o) for o in orders], dtype="string"),
        }
    ).assign(partition_date=lambda f: f["order_date"])


def _duckdb(tmp_path, orders=ORDERS) -> DuckDBWarehouse:
    path = str(tmp_path / "metrics.duckdb")
    with duckdb.connect(path) as conn:
        conn.register("incoming", _cleaned_orders(orders))
        conn.execute("create schema staging")
        conn.execute("create table staging.cleaned_orders as select * from incoming")
        conn.execute(FX_RATES_DDL)
    return DuckDBWarehouse(database=path)


def _snowflake(orders=ORDERS):
    warehouse = snowflake_warehouse()
    with warehouse.snowflake.get_connection() as conn:
        cursor = conn.cursor()
        cursor.execute("create schema if not exists staging")
        cursor.execute(
            "create table staging.cleaned_orders (customer_id varchar, order_date date,"
            " amount float, order_id varchar, updated_at timestamp_tz, source_file varchar,"
            " source_line bigint, partition_date date, status varchar, currency varchar)"
        )
        cursor.execute(FX_RATES_DDL)
        cursor.executemany(
            "insert into staging.cleaned_orders values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (o[0], o[1], o[2], f"o-{i}", f"{o[1]}T00:00:00Z", "orders.csv", i + 1, o[1])
                + (_status(o), "USD")
                for i, o in enumerate(orders)
            ],
        )
    return warehouse


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_statement_transpiles_to_snowflake(name):
    translated = snowflake_sql(STATEMENTS[name])
    assert sqlglot.parse_one(translated, read="snowflake")
    assert translated.count("?") == STATEMENTS[name].count("?")
    # NULL over no row in Snowflake, where DuckDB's filtered count is 0 (see below)
    assert "COUNT_IF" not in translated.upper()


@pytest.mark.parametrize("as_of", ["2025-01-09", "2025-01-12", "2025-01-02"])
def test_customer_metrics_are_the_same_on_duckdb_and_snowflake(tmp_path, fake_snowflake, as_of):
    local = _duckdb(tmp_path).query(metrics.CUSTOMER_METRICS_SQL, [as_of] * 3)
    prod = _snowflake().query(metrics.CUSTOMER_METRICS_SQL, [as_of] * 3)

    assert list(prod.columns) == list(local.columns)
    assert canonical_rows(prod) == canonical_rows(local)
    c1 = local.set_index("customer_id").loc["c-1"] if as_of != "2025-01-02" else None
    if c1 is not None:
        # days 1, 4, 9: two repeat days spending 20 and 40 (the 10th's order is cancelled)
        assert (c1["order_count"], c1["frequency"], c1["recency_days"]) == (4, 2, 8)
        assert (c1["monetary_value"], c1["total_revenue"]) == (30.0, 75.0)
        c2 = local.set_index("customer_id").loc["c-2"]
        # the returned order of the 3rd is no revenue
        assert (c2["order_count"], c2["total_revenue"]) == (1, 7.5)
    assert "c-4" not in set(local["customer_id"])


def test_withheld_days_are_left_out_the_same_on_duckdb_and_snowflake(tmp_path, fake_snowflake):
    """Days whose cleaning has not passed its checks (customer_metrics' withheld days):
    none of their rows count, on either engine, in the metrics and in CLV's holdout."""
    withheld = [dt.date(2025, 1, 4), dt.date(2025, 1, 9)]
    local, prod = _duckdb(tmp_path), _snowflake()
    sql = metrics.customer_metrics_select(len(withheld)) + "order by customer_id"
    params = metrics.metrics_params("2025-01-12", withheld)
    rows = {name: w.query(sql, params) for name, w in (("local", local), ("prod", prod))}
    assert canonical_rows(rows["prod"]) == canonical_rows(rows["local"])
    c1 = rows["local"].set_index("customer_id").loc["c-1"]
    # only day 1's two orders are left: no repeat purchase day
    assert (c1["order_count"], c1["frequency"], c1["total_revenue"]) == (2, 0, 15.0)
    every = local.query(metrics.CUSTOMER_METRICS_SQL, metrics.metrics_params("2025-01-12"))
    assert every.set_index("customer_id").loc["c-1", "order_count"] == 4

    holdout = metrics.holdout_histories_sql(len(withheld))
    params = metrics.holdout_summary_params("2025-01-03", "2025-01-12", withheld)
    assert holdout.count("?") == len(params)
    held = {name: w.query(holdout, params) for name, w in (("local", local), ("prod", prod))}
    assert canonical_rows(held["prod"]) == canonical_rows(held["local"])
    # c-3 bought again on the 12th (kept); c-1's 4th and 9th are left out
    assert int(held["local"]["holdout_purchases"].sum()) == 1


def test_orders_that_are_no_purchase_are_counted_the_same_on_duckdb_and_snowflake(
    tmp_path, fake_snowflake
):
    """What customer_metrics leaves out is counted in its metadata: the cancelled and
    returned orders, and the customers who have nothing else (c-4), on both engines; a
    withheld day's orders count in neither."""
    summaries = {}
    for name, warehouse in (("local", _duckdb(tmp_path)), ("prod", _snowflake())):
        with warehouse.session() as session:
            ensure_tables(
                session.execute, load_contract(), tables.CUSTOMER_METRICS, dialect=session.dialect
            )
            for as_of, withheld in (
                ("2025-01-12", []),
                ("2025-01-05", []),
                ("2025-01-12", [dt.date(2025, 1, 5), dt.date(2025, 1, 6)]),
            ):
                delete, insert = metrics_statements(len(withheld))
                with session.transaction():
                    session.execute(delete)
                    session.execute(insert, metrics.metrics_params(as_of, withheld))
                    (row,) = session.execute(
                        not_purchase_summary_sql(len(withheld)), [*withheld, as_of]
                    )
                summaries.setdefault(name, []).append(tuple(int(value) for value in row))
    # as of the 12th: c-1's cancelled, c-2's returned, c-4's two; c-4 has no purchase.
    # As of the 5th: c-2's return and c-4's first. c-4's days withheld: c-4 is nowhere.
    assert summaries == {"local": [(4, 1), (2, 1), (2, 0)], "prod": [(4, 1), (2, 1), (2, 0)]}


def test_money_sums_are_exact_decimals_on_both_engines(tmp_path, fake_snowflake):
    # A tenth on each of ten days: 1.0 exactly as decimals, 0.9999999999999999 as a double
    # sum (in any order). fakesnow turns SUM(x) into SUM(TRY_CAST(x AS DOUBLE)) unless x is
    # already a cast, so the sums over the days' decimal amounts must cast explicitly; and
    # a decimal divided in Snowflake is a NUMBER rounded to 12 places, in DuckDB a double:
    # the mean is divided as doubles in both.
    orders = [("c-9", f"2025-01-{day:02d}", 0.1) for day in range(1, 11)]
    orders += [("c-8", "2025-01-01", 1.0), *(("c-8", f"2025-01-0{d}", 10.0 / 3) for d in (2, 3, 4))]
    local = _duckdb(tmp_path, orders).query(metrics.CUSTOMER_METRICS_SQL, ["2025-01-10"] * 3)
    prod = _snowflake(orders).query(metrics.CUSTOMER_METRICS_SQL, ["2025-01-10"] * 3)

    for frame in (local, prod):
        row = frame.set_index("customer_id").loc["c-9"]
        assert (row["total_revenue"], row["monetary_value"]) == (1.0, 0.1)
    columns = ["customer_id", "total_revenue", "monetary_value"]
    assert prod[columns].values.tolist() == local[columns].values.tolist()
    # Snowflake divides a NUMBER(38, 12) to 12 places (33.333333333333, not the double
    # 33.333333333333336): the mean's sum is a double before it is divided.
    rendered = " ".join(snowflake_sql(metrics.CUSTOMER_METRICS_SQL).upper().split())
    assert "AS DOUBLE) / NULLIF(COUNT(*) - 1, 0)" in rendered


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


def test_clv_customers_of_an_empty_customer_metrics_are_zero_on_both_engines(
    tmp_path, fake_snowflake
):
    """A deployment whose every landed row was quarantined has no customer: customer_clv
    writes an empty table and says why. Snowflake's COUNT_IF (what a DuckDB ``count(*)
    filter (where ...)`` transpiles to) is NULL over no row, where DuckDB's filtered count
    is 0: the step failed in production on ``int(NULL)`` and published nothing."""
    counts = {}
    for name, warehouse in (("local", _duckdb(tmp_path)), ("prod", _snowflake())):
        with warehouse.session() as session:
            ensure_tables(
                session.execute, load_contract(), tables.CUSTOMER_METRICS, dialect=session.dialect
            )
        (count,) = warehouse.query(metrics.CLV_CUSTOMERS_SQL)["spend_customers"]
        counts[name] = None if pd.isna(count) else int(count)

    assert counts == {"local": 0, "prod": 0}


# customer_clv as the CLV step stores it: c-1 and c-3 scored, c-2 not.
SCORES = [
    ("c-1", "2025-01-09", 12, 2.5, 0.9, 31.0, 70.0),
    ("c-3", "2025-01-09", 12, 0.4, 1.0, 2.0, 0.75),
]


def _replace_whole_tables(warehouse: Warehouse) -> tuple[tuple, tuple]:
    """Write customer_clv, then replace customer_metrics twice (as of 2025-01-12, then
    2025-01-09) and dim_customers, as the assets do; the two summaries."""
    with warehouse.session() as session:
        ensure_tables(
            session.execute,
            load_contract(),
            tables.CUSTOMER_METRICS,
            tables.DIM_CUSTOMERS,
            dialect=session.dialect,
        )
        session.execute(
            "CREATE TABLE analytics.customer_clv (customer_id VARCHAR, as_of_date DATE,"
            " horizon_months BIGINT, expected_purchases DOUBLE, prob_alive DOUBLE,"
            " expected_avg_order_value DOUBLE, clv DOUBLE)"
        )
        for row in SCORES:
            session.execute(
                "INSERT INTO analytics.customer_clv VALUES (?, CAST(? AS DATE), ?, ?, ?, ?, ?)",
                row,
            )
        delete, insert = metrics_statements()
        for as_of in ("2025-01-12", "2025-01-09"):
            with session.transaction():
                session.execute(delete)
                session.execute(insert, [as_of] * 3)
                (metrics_summary,) = session.execute(metrics_summary_sql())
        with session.transaction():
            for statement in dim_statements():
                session.execute(statement)
            (dim_summary,) = session.execute(dim_summary_sql())
    return tuple(metrics_summary), tuple(dim_summary)


def test_whole_table_replacements_are_the_same_on_duckdb_and_snowflake(tmp_path, fake_snowflake):
    local, prod = _duckdb(tmp_path), _snowflake()
    summaries = {name: _replace_whole_tables(w) for name, w in (("local", local), ("prod", prod))}

    read = "select * from {} order by customer_id"
    for table in (tables.CUSTOMER_METRICS, tables.DIM_CUSTOMERS):
        here, there = (w.query(read.format(table.qualified)) for w in (local, prod))
        assert list(there.columns) == list(here.columns), table
        assert canonical_rows(there) == canonical_rows(here), table
    # Replaced, not appended: the rows of the last run only, as the query gives them.
    expected = local.query(metrics.CUSTOMER_METRICS_SQL, ["2025-01-09"] * 3)
    assert canonical_rows(local.query(read.format("analytics.customer_metrics"))) == (
        canonical_rows(expected)
    )
    dim = local.query(read.format("warehouse.dim_customers")).set_index("customer_id")
    assert list(dim.columns[-6:]) == [
        "expected_purchases",
        "prob_alive",
        "expected_avg_order_value",
        "clv",
        "clv_horizon_months",
        "clv_as_of_date",
    ]
    assert dim.loc["c-1", "clv"] == 70.0 and dim.loc["c-1", "clv_horizon_months"] == 12
    assert pd.isna(dim.loc["c-2", "clv"]) and pd.isna(dim.loc["c-2", "clv_horizon_months"])
    assert dim.loc["c-2", "frequency"] == 0 and dim.loc["c-1", "frequency"] == 2

    # customers, repeat customers, revenue (+ customers with a CLV, customer_metrics rows)
    as_numbers = {
        name: tuple(tuple(float(v) for v in summary) for summary in pair)
        for name, pair in summaries.items()
    }
    assert (
        as_numbers["prod"] == as_numbers["local"] == ((3.0, 1.0, 83.5), (3.0, 1.0, 83.5, 2.0, 3.0))
    )


def _cdnow_metrics(warehouse: Warehouse) -> pd.DataFrame:
    """customer_metrics of the CDNOW calibration sample (2357 customers) in ``warehouse``."""
    from tests.support.paths import FIXTURES

    raw = pd.read_csv(FIXTURES / "cdnow_calibration_summary.csv")
    rows = pa.table(
        {
            "customer_id": raw["ID"].astype(str),
            "frequency": raw["x"].astype("int64"),
            "recency_days": (raw["t_x"] * 7).round().astype("int64"),
            "tenure_days": (raw["T"] * 7).round().astype("int64"),
            "monetary_value": raw["zbar"],
            "as_of_date": pa.array([pd.Timestamp("1997-09-30").date()] * len(raw), pa.date32()),
        }
    )
    with warehouse.session() as session:
        ensure_tables(
            session.execute, load_contract(), tables.CUSTOMER_METRICS, dialect=session.dialect
        )
        session.append(tables.CUSTOMER_METRICS.qualified, rows)
    return rows.to_pandas()


def test_customer_clv_is_scored_the_same_in_duckdb_and_snowflake(tmp_path, fake_snowflake):
    """customer_clv's fit inputs, its histories table (bulk-loaded into a session table of
    each engine) and its INSERT ... SELECT give the same customers the same scores."""
    from orders_core import clv
    from platform_assets.assets.clv import CLVConfig, _history_table, _publish

    local, prod = _duckdb(tmp_path), _snowflake()
    customers = _cdnow_metrics(local)
    _cdnow_metrics(prod)
    inputs = {
        name: (w.query(metrics.CLV_HISTORIES_SQL), w.query(metrics.CLV_SPENDS_SQL, ["g"]))
        for name, w in (("local", local), ("prod", prod))
    }
    for here, there in zip(inputs["local"], inputs["prod"], strict=True):
        assert canonical_rows(there) == canonical_rows(here)
    threshold = [metrics.spend_sample_threshold(946, sample=100)]
    sample = {
        name: w.query(metrics.CLV_SPENDS_SQL, threshold)
        for name, w in (("local", local), ("prod", prod))
    }
    assert 0 < sample["local"]["customers"].sum() < 946
    assert canonical_rows(sample["prod"]) == canonical_rows(sample["local"])  # the same draw
    config = CLVConfig(time_unit="weeks", horizon_months=6)
    histories, spends = inputs["local"]
    model = clv.fit_clv_model(histories, config.time_unit, spends=spends)
    assert clv.fit_clv_model(inputs["prod"][0], config.time_unit, spends=inputs["prod"][1]) == model
    summaries, scores = {}, {}
    for name, warehouse in (("local", local), ("prod", prod)):
        with warehouse.session() as session:
            table = _history_table(
                inputs[name][0], clv.history_scores(inputs[name][0], model, horizon_months=6)
            )
            summaries[name] = _publish(session, table, model, config)
        scores[name] = warehouse.query(
            "select * from analytics.customer_clv order by customer_id"
        ).rename(columns=str.lower)
    assert summaries["local"]["scored"] == summaries["prod"]["scored"] == len(customers)
    for key, value in summaries["local"].items():
        assert float(summaries["prod"][key]) == pytest.approx(float(value), rel=1e-12), key
    assert scores["prod"]["customer_id"].tolist() == scores["local"]["customer_id"].tolist()
    for column in clv.SCORE_COLUMNS:
        np.testing.assert_allclose(
            scores["prod"][column], scores["local"][column], rtol=1e-14, err_msg=column
        )
    assert (scores["prod"]["horizon_months"] == 6).all()
