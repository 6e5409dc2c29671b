"""Checks that each table's documented columns are the columns it really has.

The UI shows every table's columns (``dagster/column_schema``) from the asset
definitions, before anything runs. These checks compare that documentation with the
table in the warehouse after each materialization, so an analyst reading the
Columns tab never reads about a column that is gone or misses one that was added.
"""

from collections.abc import Iterable, Iterator

import dagster as dg

from resources.telemetry import TelemetryResource
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

# The columns of the tables named by the bound values (``schema.table``, lower case).
COLUMNS_SQL = (
    "select lower(table_schema) as table_schema, lower(table_name) as table_name, column_name"
    " from information_schema.columns where lower(table_schema) || '.' || lower(table_name)"
    " in ({tables}) order by table_schema, table_name, ordinal_position"
)
CHECK_NAME = "documented_columns"


def compare_columns(documented: list[str], actual: list[str]) -> dict[str, list[str]]:
    """Columns missing from the table and columns the documentation does not mention."""
    actual_lower = {name.lower() for name in actual}
    documented_lower = {name.lower() for name in documented}
    return {
        "missing_from_table": [n for n in documented if n.lower() not in actual_lower],
        "undocumented": [n for n in actual if n.lower() not in documented_lower],
    }


def _verdict(
    check_key: dg.AssetCheckKey, table: str, columns: list[str], actual: list[str]
) -> dg.AssetCheckResult:
    """The documented_columns verdict of one table, from its columns in the warehouse."""
    if not actual:
        return dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{table} does not exist in the warehouse.",
            metadata={"table": table},
        )
    difference = compare_columns(columns, actual)
    return dg.AssetCheckResult(
        asset_key=check_key.asset_key,
        check_name=check_key.name,
        passed=not any(difference.values()),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "table": table,
            "columns": len(actual),
            "missing_from_table": ", ".join(difference["missing_from_table"]) or "none",
            "undocumented": ", ".join(difference["undocumented"]) or "none",
        },
    )


def warehouse_columns(warehouse: Warehouse, tables: Iterable[str]) -> dict[str, list[str]]:
    """The columns of each ``schema.table`` (lower-cased names), in order; one query."""
    wanted = sorted({table.lower() for table in tables})
    found: dict[str, list[str]] = {table: [] for table in wanted}
    if not wanted:
        return found
    rows = warehouse.query(COLUMNS_SQL.format(tables=", ".join("?" * len(wanted))), wanted)
    for schema, name, column in rows.itertuples(index=False):
        found[f"{schema}.{name}"].append(column)
    return found


def build_documented_columns_checks(
    assets: Iterable[dg.AssetsDefinition],
) -> list[dg.AssetChecksDefinition]:
    """A ``documented_columns`` check on every asset whose definition declares a table
    name and a column schema.

    One multi-asset check (one step, one query of the catalog) evaluates whichever of
    them a run selects; each still shows on its own asset. A step per table cost a run
    about 40 ms each (its events and a warehouse connection) for one small query.
    """
    tables: dict[dg.AssetKey, tuple[str, list[str]]] = {}
    for assets_def in assets:
        for key in assets_def.keys:
            metadata = assets_def.specs_by_key[key].metadata
            table = metadata.get("dagster/table_name")
            schema = metadata.get("dagster/column_schema")
            if isinstance(table, str) and isinstance(schema, dg.TableSchema):
                tables[key] = (table, [column.name for column in schema.columns])
    if not tables:
        return []
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            description=(
                f"The columns of {table} are exactly the documented ones (Columns tab): "
                "none missing, none undocumented. Names are compared case-insensitively, "
                "so the check means the same in DuckDB and Snowflake."
            ),
        )
        for key, (table, _) in tables.items()
    ]

    @dg.multi_asset_check(specs=specs, name=CHECK_NAME, can_subset=True, pool=WAREHOUSE_POOL)
    def documented_columns(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ) -> Iterator[dg.AssetCheckResult]:
        selected = [spec.key for spec in specs if spec.key in context.selected_asset_check_keys]
        actual = warehouse_columns(warehouse, (tables[k.asset_key][0] for k in selected))
        for check_key in selected:
            table, columns = tables[check_key.asset_key]
            with telemetry.check_span(context, check_key) as span:
                yield span.record_check(_verdict(check_key, table, columns, actual[table.lower()]))

    return [documented_columns]
