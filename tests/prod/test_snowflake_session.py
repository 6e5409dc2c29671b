"""What the Snowflake session hands the real connector, where fakesnow cannot show it."""

from __future__ import annotations

import datetime as dt

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
