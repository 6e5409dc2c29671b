"""The documented_columns checks: one step evaluates the checks a run selects, each on its
own asset, against the columns the warehouse really has."""

from __future__ import annotations

import dagster as dg
import duckdb

from asset_checks.documented_columns import CHECK_NAME, build_documented_columns_checks
from resources.telemetry import TelemetryResource
from resources.warehouse import DuckDBWarehouse


def _documented(name: str, columns: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        name,
        metadata={
            "dagster/table_name": f"staging.{name}",
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c, "VARCHAR") for c in columns]
            ),
        },
    )


SPECS = [
    _documented("kept", ["order_id", "Amount"]),  # the table has them, names in other case
    _documented("drifted", ["order_id", "gone"]),  # the table lost one, gained one
    _documented("missing", ["order_id"]),  # no table
    dg.AssetSpec("undocumented_asset"),  # no table name or schema: no check
]


def _evaluate(tmp_path, selection: list[str]) -> dict[str, dg.AssetCheckEvaluation]:
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as conn:
        conn.execute("create schema staging")
        conn.execute("create table staging.kept (ORDER_ID varchar, amount double)")
        conn.execute("create table staging.drifted (order_id varchar, added varchar)")
    assets = [dg.AssetsDefinition(specs=[spec]) for spec in SPECS]
    checks = build_documented_columns_checks(assets)
    keys = [dg.AssetCheckKey(dg.AssetKey(name), CHECK_NAME) for name in selection]
    result = dg.materialize(
        [*assets, *checks],
        resources={"warehouse": DuckDBWarehouse(database=path), "telemetry": TelemetryResource()},
        selection=dg.AssetSelection.checks(*keys),
    )
    assert result.success
    return {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}


def test_one_check_per_documented_table_in_one_step():
    (check,) = build_documented_columns_checks(
        [dg.AssetsDefinition(specs=[spec]) for spec in SPECS]
    )
    assert {key.asset_key.to_user_string() for key in check.check_keys} == {
        "kept",
        "drifted",
        "missing",
    }
    assert {key.name for key in check.check_keys} == {CHECK_NAME}


def test_each_table_is_judged_by_its_own_columns(tmp_path):
    evaluations = _evaluate(tmp_path, ["kept", "drifted", "missing"])
    assert evaluations["kept"].passed
    assert evaluations["kept"].metadata["undocumented"].value == "none"
    drifted = evaluations["drifted"]
    assert not drifted.passed and drifted.severity == dg.AssetCheckSeverity.WARN
    assert drifted.metadata["missing_from_table"].value == "gone"
    assert drifted.metadata["undocumented"].value == "added"
    assert not evaluations["missing"].passed
    assert "does not exist" in evaluations["missing"].description


def test_a_run_evaluates_only_the_checks_it_selects(tmp_path):
    assert set(_evaluate(tmp_path, ["drifted"])) == {"drifted"}
