"""What the Snowflake session hands the real connector, where fakesnow cannot show it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import snowflake.connector.pandas_tools

from resources.snowflake_warehouse import SnowflakeSession


def test_append_stages_parquet_whose_logical_types_snowflake_reads(monkeypatch):
    """write_pandas stages the frame as Parquet and loads it with COPY INTO; without
    USE_LOGICAL_TYPE Snowflake reads a timestamp column (pandas writes nanoseconds) as
    an invalid date (https://docs.snowflake.com/en/sql-reference/sql/create-file-format).
    fakesnow's write_pandas inserts the frame as it is, so the call is pinned here."""
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(
        snowflake.connector.pandas_tools,
        "write_pandas",
        lambda *args, **kwargs: calls.append((args, kwargs)),
    )
    rows = pa.table(
        {
            "partition_date": pa.array([dt.date(2025, 1, 2)], pa.date32()),
            "source_line": pa.array([2], pa.int64()),
        }
    )
    connection = object()

    SnowflakeSession(connection).append("raw.orders_raw_load", rows)

    [((conn, frame, table), kwargs)] = calls
    assert conn is connection and table == "ORDERS_RAW_LOAD"
    assert kwargs == {"schema": "RAW", "quote_identifiers": False, "use_logical_type": True}
    assert frame.columns.tolist() == ["PARTITION_DATE", "SOURCE_LINE"]
    assert frame.to_dict("records") == [{"PARTITION_DATE": dt.date(2025, 1, 2), "SOURCE_LINE": 2}]


def test_the_bindings_check_names_what_the_real_connector_refuses():
    """tests/support/snowflake_bindings, which every fakesnow test runs under: NumPy
    scalars and pandas timestamps pass on fakesnow and fail on Snowflake."""
    import numpy as np
    import pandas as pd

    from tests.support.snowflake_bindings import unbindable

    bound = [dt.date(2025, 1, 2), "x", 3, 2.5, b"k", None, True]
    assert unbindable(bound) == []
    refused = unbindable([np.float64(1.5), np.int64(3), pd.Timestamp("2025-01-02"), np.str_("x")])
    assert [why.split(" ")[0] for why in refused] == [
        "numpy.float64",
        "numpy.int64",
        "pandas._libs.tslibs.timestamps.Timestamp",
        "numpy.str_",
    ]


def test_a_read_has_the_dtypes_of_the_same_read_on_duckdb():
    """Warehouse.query's promise, every engine the same dtypes: the real connector's
    fetch_pandas_all is its Arrow result's ``to_pandas()`` (text as objects, a NUMBER with
    a NULL as floats, DATE as datetime.date objects:
    https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-pandas),
    which typed_frame turns into what DuckDB's reads give (frame_from_arrow)."""
    from types import SimpleNamespace

    from snowflake.connector.constants import FIELD_NAME_TO_ID

    from resources.snowflake_warehouse import typed_frame
    from resources.warehouse import frame_from_arrow

    # A DATE from year 1 to 9999, as Snowflake and DuckDB hold it (no nanosecond limit).
    day, n, text = dt.date(1, 1, 1), pa.array([3, None], pa.int64()), ["a", None]
    snowflake = pa.table(
        {
            "CUSTOMER_ID": pa.array(text, pa.string()),
            "ORDERS": n,
            "FIRST_ORDER_DATE": pa.array([day, None], pa.date32()),
            "REVENUE": pa.array([1.5, None], pa.float64()),
            "HELD": pa.array([True, None], pa.bool_()),
        }
    )
    kinds = [("TEXT", 0), ("FIXED", 0), ("DATE", 0), ("FIXED", 2), ("BOOLEAN", 0)]
    cursor = SimpleNamespace(
        fetch_pandas_all=snowflake.to_pandas,
        description=[
            SimpleNamespace(name=name, type_code=FIELD_NAME_TO_ID[kind], scale=scale)
            for name, (kind, scale) in zip(snowflake.column_names, kinds, strict=True)
        ],
    )
    duckdb = pa.table(
        {
            "customer_id": pa.array(text, pa.string()),
            "orders": n,
            "first_order_date": pa.array([day, None], pa.date32()),
            "revenue": pa.array([Decimal("1.5"), None], pa.decimal128(38, 2)),
            "held": pa.array([True, None], pa.bool_()),
        }
    )

    read, expected = typed_frame(cursor), frame_from_arrow(duckdb)

    assert read.dtypes.to_dict() == expected.dtypes.to_dict()
    assert read.astype(object).where(read.notna(), None).values.tolist() == (
        expected.astype(object).where(expected.notna(), None).values.tolist()
    )


def test_the_statements_check_counts_what_snowflake_would_refuse():
    """A call of two statements runs on fakesnow and fails on Snowflake."""
    from tests.support.snowflake_bindings import statements

    assert statements("select 1") == 1
    assert statements("select ';' as semicolon;") == 1
    assert statements("select 1; select 2") == 2
