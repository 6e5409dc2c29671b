"""Table metadata shown in the UI: column schema, table name and column lineage.

Declared on the asset definitions (so the Columns tab and lineage show before the first
run) and emitted again at materialization time, from the types the SQL steps create
their tables with (orders_core.sql.tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import dagster as dg


def column_schema(columns: Mapping[str, str], descriptions: Mapping[str, str]) -> dg.TableSchema:
    """A TableSchema from column name -> SQL type, with analyst-facing descriptions."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=sql_type, description=descriptions.get(name))
            for name, sql_type in columns.items()
        ]
    )


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
