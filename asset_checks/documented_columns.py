"""Checks that each table's documented columns are the columns it really has.

The UI shows every table's columns (``dagster/column_schema``) from the asset
definitions, before anything runs. These checks compare that documentation with the
table in the warehouse after each materialization, so an analyst reading the
Columns tab never reads about a column that is gone or misses one that was added.
"""

from collections.abc import Iterable

import dagster as dg

from resources.telemetry import TelemetryResource
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

COLUMNS_SQL = (
    "select column_name from information_schema.columns"
    " where lower(table_schema) = lower(?) and lower(table_name) = lower(?)"
    " order by ordinal_position"
)


def compare_columns(documented: list[str], actual: list[str]) -> dict[str, list[str]]:
    """Columns missing from the table and columns the documentation does not mention."""
    actual_lower = {name.lower() for name in actual}
    documented_lower = {name.lower() for name in documented}
    return {
        "missing_from_table": [n for n in documented if n.lower() not in actual_lower],
        "undocumented": [n for n in actual if n.lower() not in documented_lower],
    }


def _documented_columns_check(key: dg.AssetKey, table: str, columns: list[str]):
    @dg.asset_check(
        asset=key,
        name="documented_columns",
        pool=WAREHOUSE_POOL,
        description=(
            f"The columns of {table} are exactly the documented ones (Columns tab): "
            "none missing, none undocumented. Names are compared case-insensitively, "
            "so the check means the same in DuckDB and Snowflake."
        ),
    )
    def documented_columns(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ) -> dg.AssetCheckResult:
        with telemetry.check_span(context) as span:
            return span.record_check(_compare(warehouse, table, columns))

    return documented_columns


def _compare(warehouse: Warehouse, table: str, columns: list[str]) -> dg.AssetCheckResult:
    """The documented_columns verdict of one table."""
    schema, name = table.split(".", 1)
    actual = warehouse.query(COLUMNS_SQL, [schema, name])["column_name"].tolist()
    if not actual:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{table} does not exist in the warehouse.",
            metadata={"table": table},
        )
    difference = compare_columns(columns, actual)
    return dg.AssetCheckResult(
        passed=not any(difference.values()),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "table": table,
            "columns": len(actual),
            "missing_from_table": ", ".join(difference["missing_from_table"]) or "none",
            "undocumented": ", ".join(difference["undocumented"]) or "none",
        },
    )


def build_documented_columns_checks(
    assets: Iterable[dg.AssetsDefinition],
) -> list[dg.AssetChecksDefinition]:
    """One check per asset whose definition declares a table name and a column schema."""
    checks = []
    for assets_def in assets:
        for key in assets_def.keys:
            metadata = assets_def.specs_by_key[key].metadata
            table = metadata.get("dagster/table_name")
            schema = metadata.get("dagster/column_schema")
            if isinstance(table, str) and isinstance(schema, dg.TableSchema):
                columns = [column.name for column in schema.columns]
                checks.append(_documented_columns_check(key, table, columns))
    return checks
