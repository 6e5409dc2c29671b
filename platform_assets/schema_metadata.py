"""Table metadata shown in the UI: column schema, table name and column lineage.

Declared on the asset definitions (so the Columns tab and lineage show before the first
run) and emitted again at materialization time from the frame actually written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def _sql_type(dtype: object) -> str:
    # Any time zone ("UTC", "Etc/UTC" as read back from the warehouse) is stored as an instant.
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "TIMESTAMP WITH TIME ZONE"
    return _TYPES.get(str(dtype), str(dtype).upper())


def frame_sql_types(frame: pd.DataFrame) -> dict[str, str]:
    """SQL type of each column of a DataFrame as the warehouse stores it."""
    return {name: _sql_type(dtype) for name, dtype in frame.dtypes.items()}


def same_name_lineage(upstream: dg.AssetKey, columns: Iterable[str]) -> dg.TableColumnLineage:
    """Column lineage where each column comes from the upstream column of the same name."""
    return dg.TableColumnLineage(
        deps_by_column={
            name: [dg.TableColumnDep(asset_key=upstream, column_name=name)] for name in columns
        }
    )


def table_metadata(
    table_name: str,
    columns: Mapping[str, str],
    descriptions: Mapping[str, str],
    lineage: dg.TableColumnLineage | None = None,
) -> dict[str, object]:
    """The standard ``dagster/*`` table keys for one warehouse table."""
    metadata: dict[str, object] = {
        "dagster/table_name": table_name,
        "dagster/column_schema": column_schema(columns, descriptions),
    }
    if lineage is not None:
        metadata["dagster/column_lineage"] = lineage
    return metadata
