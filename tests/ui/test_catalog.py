"""The analyst-facing catalog as declared in the definitions (no services needed)."""

from __future__ import annotations

import dagster as dg
import pytest

from asset_checks.documented_columns import compare_columns
from orders_platform.definitions import DAILY_SCHEDULE, build_definitions
from resources.settings import REPO_ROOT, PlatformSettings

GROUPS = {"ingestion", "staging", "analytics", "warehouse"}
PUBLISHED = (dg.AssetKey(["warehouse", "fct_orders"]), dg.AssetKey(["warehouse", "dim_customers"]))


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    root = tmp_path_factory.mktemp("catalog")
    return build_definitions(
        PlatformSettings(landing_uri=str(root / "landing"), duckdb_path=str(root / "o.duckdb"))
    )


def _specs(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


def test_every_asset_has_description_owner_group_and_at_most_three_kinds(defs):
    for key, spec in _specs(defs).items():
        assert spec.description and len(spec.description) > 150, key
        assert spec.owners, key
        assert spec.group_name in GROUPS, key
        assert "warehouse" in spec.kinds and len(spec.kinds) <= 3, key


def test_columns_and_table_names_are_declared_at_definition_time(defs):
    for key, spec in _specs(defs).items():
        table = spec.metadata["dagster/table_name"]
        assert table.split(".")[-1] == key.path[-1]
        schema = spec.metadata["dagster/column_schema"]
        assert isinstance(schema, dg.TableSchema) and schema.columns, key
        assert all(column.description for column in schema.columns), key


# What a definition shows in every asset's Metadata table: Dagster's standard keys, read by
# the UI (Storage, Columns, column lineage, Source code). The per-day and per-run figures
# come with each materialization.
STANDARD_DEFINITION_KEYS = {
    "dagster/table_name",
    "dagster/column_schema",
    "dagster/column_lineage",
    "dagster/code_references",
}


def test_definitions_show_only_the_standard_table_keys(defs):
    # "schema: staging" and "partition_expr: partition_date" (the conventions of Dagster's
    # database IO managers, which no step here uses) showed on six and four assets' pages,
    # unexplained, next to Storage.
    extra = {
        key.to_user_string(): sorted(set(spec.metadata) - STANDARD_DEFINITION_KEYS)
        for key, spec in _specs(defs).items()
        if set(spec.metadata) - STANDARD_DEFINITION_KEYS
    }
    assert extra == {}


def test_published_tables_trace_every_column_upstream(defs):
    specs = _specs(defs)
    for key in PUBLISHED:
        lineage = specs[key].metadata["dagster/column_lineage"]
        columns = {c.name for c in specs[key].metadata["dagster/column_schema"].columns}
        assert set(lineage.deps_by_column) == columns


def test_source_links_point_to_the_repository_when_one_is_configured(tmp_path):
    settings = PlatformSettings(
        landing_uri=str(tmp_path / "landing"),
        duckdb_path=str(tmp_path / "o.duckdb"),
        git_url="https://github.com/acme/orders-platform",
        git_branch="release",
    )
    specs = _specs(build_definitions(settings))
    references = specs[dg.AssetKey("raw_orders")].metadata["dagster/code_references"]
    (url,) = [ref.url for ref in references.code_references]
    assert url.startswith(
        "https://github.com/acme/orders-platform/tree/release/platform_assets/assets/ingestion.py"
    )


def test_git_settings_come_from_the_environment():
    settings = PlatformSettings.from_env(
        {"PLATFORM_GIT_URL": "https://gitlab.com/acme/orders", "PLATFORM_GIT_BRANCH": "v1"}
    )
    assert (settings.git_url, settings.git_branch) == ("https://gitlab.com/acme/orders", "v1")
    assert PlatformSettings.from_env({"PLATFORM_GIT_URL": ""}).git_url is None


def test_jobs_schedules_sensors_and_checks_have_descriptions(defs):
    repository = defs.get_repository_def()
    described = [
        *repository.get_all_jobs(),
        *repository.schedule_defs,
        *repository.sensor_defs,
    ]
    for definition in described:
        if not definition.name.startswith("__"):
            assert definition.description, definition.name
    for checks_def in defs.asset_checks or []:
        for spec in checks_def.check_specs:
            assert spec.description, spec.key


def test_daily_schedule_runs_yesterdays_partition_at_two_utc(defs):
    schedule = defs.resolve_schedule_def(DAILY_SCHEDULE)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")
    assert schedule.job_name == "orders_pipeline"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_sensors_and_automation_the_readme_describes_are_on_by_default(defs):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    on_by_default = {
        "orders_landing_sensor",
        "fx_rates_sensor",
        "orders_anomaly_sensor",
        "orders_run_failure_sensor",
        "orders_run_canceled_sensor",
        "orders_run_left_out_sensor",
        "default_automation_condition_sensor",
    }
    for name in on_by_default:
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
        assert f"`{name}`" in readme or f"**{name}**" in readme, name
    assert "`make ui` (and a deployment) starts with these six sensors" in readme


def test_compare_columns_reports_both_directions_case_insensitively():
    difference = compare_columns(["order_id", "Amount", "gone"], ["ORDER_ID", "amount", "new"])
    assert difference == {"missing_from_table": ["gone"], "undocumented": ["new"]}
