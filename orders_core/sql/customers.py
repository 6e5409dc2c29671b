"""customer_metrics and dim_customers: whole tables replaced inside the engine.

Both tables are replaced as a whole on every run, the way the partitioned steps replace
days: after :func:`orders_core.sql.tables.ensure_tables` (DDL, outside the transaction:
Snowflake commits an open transaction on DDL), one transaction deletes every row and
inserts the new ones with ``INSERT ... SELECT``. A crash or an error before the commit
leaves the previous table, never an empty or a half-written one, and no row passes
through Python. What the assets report comes from one aggregate over the new rows, read
in the same transaction.

- ``analytics.customer_metrics``: :data:`orders_core.metrics.CUSTOMER_METRICS_SELECT`
  as of a day;
- ``warehouse.dim_customers``: every customer of customer_metrics with their
  customer_clv columns (:data:`orders_core.tables.DIM_CLV_COLUMNS`, NULL where the
  customer was not scored).
"""

from __future__ import annotations

from orders_core.metrics import CUSTOMER_METRICS_SELECT
from orders_core.sql.dialect import DUCKDB, render
from orders_core.sql.money import money_sum
from orders_core.sql.tables import METRIC_TYPES, column_list, quoted
from orders_core.tables import CUSTOMER_CLV, CUSTOMER_METRICS, DIM_CLV_COLUMNS, DIM_CUSTOMERS

_REPEAT_CUSTOMERS = "coalesce(sum(CASE WHEN frequency > 0 THEN 1 ELSE 0 END), 0)"


def metrics_statements() -> list[str]:
    """Delete every customer_metrics row; insert the metrics as of a day (bind the ISO day
    three times). In one transaction."""
    columns = column_list(METRIC_TYPES)
    return [
        f"DELETE FROM {quoted(CUSTOMER_METRICS)}",
        f"INSERT INTO {quoted(CUSTOMER_METRICS)} ({columns})"
        f" SELECT {columns} FROM ({CUSTOMER_METRICS_SELECT}) AS metrics",
    ]


def metrics_summary_sql() -> str:
    """One row: customers, repeat customers (a repeat purchase day), total revenue."""
    return (
        f"SELECT count(*) AS customers, {_REPEAT_CUSTOMERS} AS repeat_customers,"
        f" {money_sum('total_revenue')} AS total_revenue"
        f" FROM {quoted(CUSTOMER_METRICS)}"
    )


def dim_statements() -> list[str]:
    """Delete every dim_customers row; insert customer_metrics LEFT JOIN customer_clv. In
    one transaction."""
    columns = column_list([*METRIC_TYPES, *DIM_CLV_COLUMNS])
    selected = ", ".join(
        [
            *(f"metrics.{name}" for name in METRIC_TYPES),
            *(f"scores.{source} AS {name}" for name, source in DIM_CLV_COLUMNS.items()),
        ]
    )
    return [
        f"DELETE FROM {quoted(DIM_CUSTOMERS)}",
        f"INSERT INTO {quoted(DIM_CUSTOMERS)} ({columns}) SELECT {selected}"
        f" FROM {quoted(CUSTOMER_METRICS)} AS metrics"
        f" LEFT JOIN {quoted(CUSTOMER_CLV)} AS scores ON scores.customer_id = metrics.customer_id",
    ]


def dim_summary_sql() -> str:
    """One row: customers, repeat customers, total revenue, customers with a CLV, and the
    rows of customer_metrics (the same as customers unless customer_clv scores a customer
    twice)."""
    return (
        f"SELECT count(*) AS customers, {_REPEAT_CUSTOMERS} AS repeat_customers,"
        f" {money_sum('total_revenue')} AS total_revenue, count(clv) AS customers_with_clv,"
        f" (SELECT count(*) FROM {quoted(CUSTOMER_METRICS)}) AS metrics_rows"
        f" FROM {quoted(DIM_CUSTOMERS)}"
    )


def statements(dialect: str = DUCKDB) -> dict[str, str]:
    """Every statement here in ``dialect`` (what ``tests/snapshots/sql`` keeps)."""
    delete_metrics, insert_metrics = metrics_statements()
    delete_dim, insert_dim = dim_statements()
    return {
        "customer_metrics_delete": render(delete_metrics, dialect),
        "customer_metrics_insert": render(insert_metrics, dialect),
        "customer_metrics_summary": render(metrics_summary_sql(), dialect),
        "dim_customers_delete": render(delete_dim, dialect),
        "dim_customers_insert": render(insert_dim, dialect),
        "dim_customers_summary": render(dim_summary_sql(), dialect),
    }
