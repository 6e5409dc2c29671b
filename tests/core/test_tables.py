"""The shared names agree with the contract and with each other."""

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import DIM_CLV_TYPES, METRIC_TYPES, table_types


def test_asset_paths_are_the_public_keys():
    assert [t.path for t in tables.TABLES] == [
        "raw_orders",
        "cleaned_orders",
        "quarantined_orders",
        "customer_metrics",
        "customer_clv",
        "warehouse/fct_orders",
        "warehouse/dim_customers",
        "fx_rates",
    ]
    assert tables.FCT_ORDERS.qualified == "warehouse.fct_orders"


def test_published_columns_hold_no_lineage_and_no_pii_in_clear():
    contract = load_contract()
    pii = {c.name for c in contract.columns if c.pii}
    assert pii and not pii & set(tables.FCT_ORDERS_COLUMNS)
    assert not set(tables.RAW_LINEAGE_COLUMNS) & set(tables.FCT_ORDERS_COLUMNS)
    assert set(tables.FCT_ORDERS_COLUMNS) < set(tables.CLEANED_ORDERS_COLUMNS)


def test_dim_customers_is_the_metrics_then_the_clv_columns():
    types = table_types(load_contract())
    assert list(DIM_CLV_TYPES) == list(tables.DIM_CLV_COLUMNS)
    assert types[tables.CUSTOMER_METRICS] == METRIC_TYPES
    assert list(types[tables.DIM_CUSTOMERS]) == [*METRIC_TYPES, *tables.DIM_CLV_COLUMNS]


def test_every_non_pii_contract_column_is_cleaned_and_judged():
    contract = load_contract()
    judged = {c.name for c in contract.columns if not c.pii}
    assert judged <= set(tables.QUALITY_COLUMNS)
    assert judged <= set(tables.CLEANED_ORDERS_COLUMNS)


def test_the_release_op_is_named_as_dagster_names_check_ops():
    assert tables.METADATA_ANOMALY_OP == "raw_orders_metadata_anomaly"
