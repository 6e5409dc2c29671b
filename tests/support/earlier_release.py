"""A warehouse and an instance as a release before the reporting currency left them.

Built by DDL and recorded events, not by running old code: the customer tables hold
amounts of every currency summed as they landed (a customer of one 500 EUR order has
``total_revenue`` 500), ``staging.fx_rates`` does not exist yet, and the instance holds
materializations of customer_metrics and customer_clv without the version of their rows
(that metadata key is newer), customer_clv's blocking checks passed on its latest one.
"""

from __future__ import annotations

import dagster as dg
import duckdb
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from orders_core import tables
from orders_core.tables import TABLE_VERSION_METADATA, TABLE_VERSIONS

CUSTOMER_METRICS = dg.AssetKey("customer_metrics")
CUSTOMER_CLV = dg.AssetKey("customer_clv")
CLV_BLOCKING_CHECKS = (
    "clv_finite_and_non_negative",
    "model_parameters_finite_and_positive",
    "no_missing_or_infinite_values",
    "prob_alive_within_unit_interval",
)
# The earlier release's DDL (session 33) of the three customer tables.
_METRICS = (
    "customer_id VARCHAR, order_count BIGINT, frequency BIGINT, recency_days BIGINT,"
    " tenure_days BIGINT, monetary_value DOUBLE, total_revenue DOUBLE,"
    " first_order_date DATE, last_order_date DATE, as_of_date DATE"
)
_CLV = (
    "customer_id VARCHAR, as_of_date DATE, horizon_months BIGINT, expected_purchases DOUBLE,"
    " prob_alive DOUBLE, expected_avg_order_value DOUBLE, clv DOUBLE"
)
_DIM_CLV = (
    "expected_purchases DOUBLE, prob_alive DOUBLE, expected_avg_order_value DOUBLE,"
    " clv DOUBLE, clv_horizon_months BIGINT, clv_as_of_date DATE"
)
# Two customers as the earlier release computed them: one of a 500 EUR order, summed
# as 500, and one of 40 USD.
METRIC_ROWS = [
    ("C-EUR", 1, 0, 0, 3, 0.0, 500.0, "2025-01-01", "2025-01-01", "2025-01-04"),
    ("C-USD", 1, 0, 0, 2, 0.0, 40.0, "2025-01-02", "2025-01-02", "2025-01-04"),
]
CLV_ROWS = [
    ("C-EUR", "2025-01-04", 12, 0.4, 0.9, 480.0, 190.0),
    ("C-USD", "2025-01-04", 12, 0.4, 0.9, 45.0, 17.0),
]


def earlier_release_customer_tables(duckdb_path: str, instance: dg.DagsterInstance) -> None:
    """Replace the customer tables of ``duckdb_path`` (created if need be) by the earlier
    release's, drop ``staging.fx_rates``, and record that release's materializations of
    customer_metrics and customer_clv on ``instance``."""
    with duckdb.connect(duckdb_path) as conn:
        conn.execute("DROP TABLE IF EXISTS staging.fx_rates")
        for schema, table, columns, rows in (
            ("analytics", "customer_metrics", _METRICS, METRIC_ROWS),
            ("analytics", "customer_clv", _CLV, CLV_ROWS),
            ("warehouse", "dim_customers", f"{_METRICS}, {_DIM_CLV}", []),
        ):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            conn.execute(f"CREATE OR REPLACE TABLE {schema}.{table} ({columns})")
            for row in rows:
                conn.execute(
                    f"INSERT INTO {schema}.{table} VALUES ({', '.join('?' * len(row))})",
                    list(row),
                )
        conn.execute(
            "INSERT INTO warehouse.dim_customers SELECT m.*, c.expected_purchases,"
            " c.prob_alive, c.expected_avg_order_value, c.clv, c.horizon_months,"
            " c.as_of_date FROM analytics.customer_metrics m"
            " LEFT JOIN analytics.customer_clv c USING (customer_id)"
        )
    for key in (CUSTOMER_METRICS, CUSTOMER_CLV):
        instance.report_runless_asset_event(
            dg.AssetMaterialization(key, metadata={"dagster/row_count": len(METRIC_ROWS)})
        )
    (clv,) = instance.fetch_materializations(CUSTOMER_CLV, limit=1).records
    for name in CLV_BLOCKING_CHECKS:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=CUSTOMER_CLV,
                check_name=name,
                passed=True,
                target_materialization_data=AssetCheckEvaluationTargetMaterializationData(
                    storage_id=clv.storage_id, run_id=clv.run_id, timestamp=clv.timestamp
                ),
            )
        )


def metrics_of_this_release(instance: dg.DagsterInstance) -> None:
    """A materialization of customer_metrics as this release records it (the version of its
    rows stated), for tests that write its table themselves and run customer_clv alone."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            CUSTOMER_METRICS,
            metadata={TABLE_VERSION_METADATA: TABLE_VERSIONS[tables.CUSTOMER_METRICS]},
        )
    )


def customer_rows(duckdb_path: str, table: str) -> list[tuple]:
    """Every row of ``table``, sorted."""
    with duckdb.connect(duckdb_path, read_only=True) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall())
