"""ensure_tables reads Snowflake's own type names: the tables the platform created pass,
a column of another kind (money as NUMBER(18,2)) is refused by name, as on DuckDB."""

from __future__ import annotations

import pytest

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import TableTypeMismatchError, ensure_tables
from tests.support.prod_pipeline import snowflake_warehouse

pytestmark = pytest.mark.services


def test_snowflake_tables_as_created_pass_and_a_decimal_money_column_is_refused(
    fake_snowflake,
):
    every = tuple(tables.TABLES)
    with snowflake_warehouse().session() as session:
        ensure_tables(session.execute, load_contract(), *every, dialect=session.dialect)
        ensure_tables(
            session.execute, load_contract(), *every, dialect=session.dialect
        )  # TEXT, FLOAT, NUMBER(38,0)...
        session.execute("DROP TABLE analytics.customer_clv")
        session.execute(
            "CREATE TABLE analytics.customer_clv (customer_id VARCHAR, as_of_date DATE,"
            " horizon_months NUMBER(38,0), expected_purchases FLOAT, prob_alive FLOAT,"
            " expected_avg_order_value FLOAT, clv NUMBER(18,2))"
        )
        with pytest.raises(TableTypeMismatchError) as refused:
            ensure_tables(
                session.execute, load_contract(), tables.CUSTOMER_CLV, dialect=session.dialect
            )
    assert (
        "analytics.customer_clv.clv is NUMBER (decimal of scale 2) in the warehouse,"
        " where the platform writes DOUBLE"
    ) in str(refused.value)
