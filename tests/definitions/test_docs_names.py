"""The names the README and docs/*.md give are those the code location defines.

A reader copies asset keys, table names, check names, sensor names, kinds and reason codes
from the docs into the UI's search, a `dg launch --assets` selection or a SQL query: each
must be one the software has, and every asset, check and sensor it has must be documented.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from orders_core.contract import load_contract
from orders_core.sql import cleaning, fx
from orders_core.tables import TABLES
from orders_platform.definitions import build_definitions
from resources.settings import PlatformSettings
from tests.support.paths import REPO

README = REPO / "README.md"
DOCS = (README, *sorted((REPO / "docs").glob("*.md")))


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def table_rows(markdown: str, header: str) -> list[list[str]]:
    """The cells of each row of the Markdown table whose header line starts with
    ``header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def ticked(cell: str) -> list[str]:
    """The names written in backticks in a table cell."""
    return re.findall(r"`([^`]+)`", cell)


@pytest.fixture(scope="module")
def graph():
    defs = build_definitions(PlatformSettings(partitions_start="2025-01-01"))
    return defs.resolve_asset_graph(), defs


def test_the_readme_asset_table_is_every_asset_with_its_table_and_partitioning(graph):
    asset_graph, _ = graph
    rows = table_rows(text(README), "| asset | partitions | table |")
    documented = {
        ticked(asset)[0]: (partitions, ticked(table)[0]) for asset, partitions, table, _ in rows
    }
    # The columns its "what it is" names (not a path such as `fx_rates/*.csv`).
    named_columns = {
        ticked(asset)[0]: [name for name in ticked(what) if re.fullmatch(r"[a-z_]+", name)]
        for asset, _, _, what in rows
    }
    defined = {
        key.to_user_string(): asset_graph.get(key) for key in asset_graph.get_all_asset_keys()
    }
    assert sorted(documented) == sorted(defined)
    for name, (partitions, table) in documented.items():
        node = defined[name]
        assert table == node.metadata["dagster/table_name"], name
        assert partitions.startswith("daily") == (node.partitions_def is not None), name
        columns = {column.name for column in node.metadata["dagster/column_schema"].columns}
        assert [c for c in named_columns[name] if c not in columns] == [], name
    assert "pii_extra_columns_json" in named_columns["raw_orders"]


def test_the_readme_check_table_is_every_check_with_its_assets_and_blocking(graph):
    asset_graph, _ = graph
    rows = table_rows(text(README), "| check | on | blocking |")
    documented: dict[tuple[str, str], str] = {}
    for names, assets, blocking, _ in rows:
        on = [asset.strip() for asset in assets.split(":")[-1].replace("`", "").split(",")]
        for name in ticked(names):
            for asset in on:
                documented[(asset, name)] = blocking
    defined = {
        (key.asset_key.to_user_string(), key.name): asset_graph.get(key).blocking
        for key in asset_graph.asset_check_keys
    }
    assert sorted(documented) == sorted(defined)
    wrong = {
        check: cell
        for check, cell in documented.items()
        if cell.startswith("yes") != defined[check]
    }
    assert wrong == {}


def test_every_sensor_the_docs_name_exists_and_the_readme_names_every_sensor(graph):
    _, defs = graph
    defined = {sensor.name for sensor in defs.sensors or []}
    named = {
        (path.name, name)
        for path in DOCS
        for name in re.findall(r"\b(?!test_)([a-z_]+_sensor)\b", text(path))
    }
    assert sorted(named_ for named_ in named if named_[1] not in defined) == []
    readme = text(README)
    missing = sorted(
        name
        for name in defined
        if name not in readme and not name.startswith("telemetry_run_span_")
    )
    assert missing == []
    assert "telemetry_run_span_*" in readme


def test_the_analyst_view_kinds_table_is_every_asset_s_kinds(graph):
    asset_graph, _ = graph
    rows = table_rows(text(REPO / "docs" / "analyst-view.md"), "| asset | kinds |")
    documented = {
        asset.strip(): sorted(ticked(kinds))
        for assets, kinds in rows
        for asset in assets.split(",")
    }
    defined = {
        key.to_user_string(): sorted(asset_graph.get(key).kinds)
        for key in asset_graph.get_all_asset_keys()
    }
    assert documented == defined


# Backticked names shaped as the cleaning's and the FX rates' reason codes.
REASON_SHAPE = re.compile(
    r"^(missing|invalid|negative|nul_in|formula_like|email_in|conflicting|unknown|malformed"
    r"|newer_version|reporting_currency)_[a-z_]+$"
    r"|^[a-z_]+_(out_of_range|too_long|below_minimum|outside_partition|before_order_ts|mismatch)$"
)


def reason_codes() -> set[str]:
    """Every code the cleaning or the FX rates can give: the contract's rules, the FX
    reasons, and the codes the cleaning's SQL writes as literals."""
    literals = re.findall(r"THEN '([a-z_]+)'", inspect.getsource(cleaning))
    return set(cleaning.reason_codes(load_contract())) | set(fx.REASONS) | set(literals)


def test_every_reason_code_the_docs_name_is_one_the_software_gives():
    codes = reason_codes()
    assert {"malformed_record", "newer_version_rejected", "amount_out_of_range"} <= codes
    named = {
        (path.name, name)
        for path in DOCS
        for name in re.findall(r"`([a-z][a-z0-9_]*)`", text(path))
        if REASON_SHAPE.match(name)
    }
    assert ("README.md", "invalid_amount") in named
    assert sorted(item for item in named if item[1] not in codes) == []
    readme = text(README)
    assert [code for code in fx.REASONS if f"`{code}`" not in readme] == []


@pytest.mark.parametrize(
    ("name", "known"),
    [("invalid_amount", True), ("amount_out_of_range", True), ("conflicting_rates", False)],
)
def test_the_reason_code_list_tells_a_code_from_a_misspelling(name, known):
    assert REASON_SHAPE.match(name)
    assert (name in reason_codes()) is known


def session_tables() -> set[str]:
    """The temporary tables the steps create, by the constant each `CREATE ... TEMPORARY
    TABLE {NAME}` of the platform's code names."""
    found = set()
    for package in ("orders_core", "platform_assets", "asset_checks", "resources", "sensors"):
        for path in sorted((REPO / package).rglob("*.py")):
            constants = re.findall(r"TEMPORARY TABLE \{([A-Z_]+)\}", text(path))
            if constants:
                module = importlib.import_module(
                    ".".join(path.relative_to(REPO).with_suffix("").parts)
                )
                found |= {getattr(module, name) for name in constants}
    return found


def test_production_names_every_table_and_every_session_table():
    """An operator creates the Snowflake schemas, checks no permanent table shadows a
    session table, and queries the tables by these names."""
    production = text(REPO / "docs" / "production.md")
    tables = {f"`{table.qualified.upper()}`" for table in TABLES}
    assert sorted(name for name in tables if name not in production) == []
    temporary = session_tables()
    assert {"orders_classified", "fx_rates_load"} <= temporary
    assert sorted(name for name in temporary if f"`{name}`" not in production) == []


def test_the_readme_counts_the_contract_s_currencies():
    (currency,) = [spec for spec in load_contract().columns if spec.name == "currency"]
    counts = re.findall(r"(\d+) ISO\s+4217 codes", text(README))
    assert counts == [str(len(currency.allowed))]
    per_year = re.findall(r"some ([\d,]+) rows a year for (\d+)\s+currencies", text(README))
    assert [count for _, count in per_year] == [str(len(currency.allowed))]
    rows = int(per_year[0][0].replace(",", ""))
    assert abs(rows - 365 * len(currency.allowed)) < 1000, rows


def test_every_job_and_schedule_the_docs_name_exists(graph):
    _, defs = graph
    defined = {job.name for job in defs.resolve_all_job_defs()} | {
        schedule.name for schedule in defs.schedules or []
    }
    named = {
        (path.name, name)
        for path in DOCS
        for name in re.findall(r"\b(orders_pipeline\w*)", text(path))
    }
    assert ("backfill-runbook.md", "orders_pipeline_daily") in named
    assert sorted(item for item in named if item[1] not in defined) == []
