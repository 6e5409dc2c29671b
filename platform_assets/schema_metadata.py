"""Column schema metadata (``dagster/column_schema``) shown in the UI's Columns tab."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import pandas as pd

_TYPES = {
    "string": "VARCHAR",
    "object": "VARCHAR",
    "float64": "DOUBLE",
    "Float64": "DOUBLE",
    "int64": "BIGINT",
    "Int64": "BIGINT",
    "bool": "BOOLEAN",
    "datetime64[ns, UTC]": "TIMESTAMP WITH TIME ZONE",
    "datetime64[us, UTC]": "TIMESTAMP WITH TIME ZONE",
    "date32[day][pyarrow]": "DATE",
}


def column_schema(columns: Mapping[str, str], descriptions: Mapping[str, str]) -> dg.TableSchema:
    """A TableSchema from column name -> SQL type, with analyst-facing descriptions."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=sql_type, description=descriptions.get(name))
            for name, sql_type in columns.items()
        ]
    )


def frame_sql_types(frame: pd.DataFrame) -> dict[str, str]:
    """SQL type of each column of a DataFrame as the warehouse stores it."""
    return {
        name: _TYPES.get(str(dtype), str(dtype).upper()) for name, dtype in frame.dtypes.items()
    }
