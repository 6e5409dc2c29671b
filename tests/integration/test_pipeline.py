"""The whole graph, materialized against fixtures on the embedded default."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass

import dagster as dg
import duckdb
import pandas as pd
import pytest

from resources.settings import PlatformSettings
from tests.support import paths
from tests.support.fixture_data import (
    DAY1,
    DAY2,
    DAY3,
    build_landing,
    day_dir,
    order,
    write_csv,
)
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import materializations, run_range, table_checksums


@dataclass(frozen=True)
class RangeRun:
    """The fixtures' three days run once as one range: what three tests read of it."""

    settings: PlatformSettings
    expected: dict
    success: bool
    events: dict


# The same graph over the same landing zone, which three tests only read (the warehouse
# read only, the run's events): run once for the module, as conftest's fixtures would.
@pytest.fixture(scope="module")
def range_run(tmp_path_factory) -> RangeRun:
    folder = tmp_path_factory.mktemp("range")
    expected = build_landing(folder / "landing")
    settings = PlatformSettings(
        landing_uri=str(folder / "landing"),
        duckdb_path=str(folder / "orders.duckdb"),
        partitions_start="2025-01-01",
    )
    with local_instance() as instance:
        result = run_range(settings, instance, "2025-01-01", "2025-01-03")
        return RangeRun(settings, expected, result.success, materializations(result))


def test_every_asset_materializes_and_reconciles_per_day(range_run):
    expected = range_run.expected
    assert range_run.success
    events = range_run.events
    for day, counts in expected.items():
        key = day.isoformat()
        cleaned = events[("cleaned_orders", key)]
        assert events[("raw_orders", key)]["dagster/row_count"] == counts["raw"]
        assert cleaned["dagster/row_count"] == counts["cleaned"]
        assert cleaned["orders/quarantined_rows"] == counts["quarantined"]
        assert cleaned["orders/superseded_rows"] == counts["superseded"]
        assert counts["raw"] == counts["cleaned"] + counts["quarantined"] + counts["superseded"]
        assert events[("warehouse/fct_orders", key)]["dagster/row_count"] == counts["cleaned"]
    assert events[("raw_orders", DAY3.isoformat())]["orders/note"] == "no landed rows for this day"
    assert ("customer_metrics", None) in events and ("warehouse/dim_customers", None) in events


def test_customer_metrics_match_hand_computed_values(range_run):
    assert range_run.success
    with duckdb.connect(range_run.settings.duckdb_path, read_only=True) as conn:
        dim = conn.execute("select * from warehouse.dim_customers order by customer_id").df()
    dim = dim.set_index("customer_id")
    # as of 2025-01-03, the latest materialized day (empty, but materialized)
    expected = {
        "alice": (3, 1, 1, 2, 30.00, 45.25),
        "bob": (2, 1, 1, 2, 40.00, 65.00),
        "dave": (1, 0, 0, 2, 0.00, 7.00),
        "erin": (1, 0, 0, 1, 0.00, 60.00),
    }
    assert sorted(dim.index) == sorted(expected)
    columns = [
        "order_count",
        "frequency",
        "recency_days",
        "tenure_days",
        "monetary_value",
        "total_revenue",
    ]
    for customer, values in expected.items():
        assert tuple(dim.loc[customer, columns]) == pytest.approx(values)
    assert set(pd.to_datetime(dim["as_of_date"]).dt.date) == {DAY3}
    # Four customers are too few to fit a CLV model: the CLV columns are published empty.
    assert dim[["expected_purchases", "prob_alive", "clv", "clv_horizon_months"]].isna().all(None)


def test_no_pii_in_clear_outside_the_raw_layer(range_run):
    assert range_run.success
    with duckdb.connect(range_run.settings.duckdb_path, read_only=True) as conn:
        for table in ("staging.cleaned_orders", "warehouse.fct_orders", "warehouse.dim_customers"):
            columns = [r[0] for r in conn.execute(f"describe {table}").fetchall()]  # noqa: S608
            assert "customer_email" not in columns
            text = conn.execute(f"select * from {table}").df().to_csv()  # noqa: S608
            assert "example.com" not in text.lower()


def test_rerunning_days_leaves_tables_identical(settings, instance):
    assert run_range(settings, instance, "2025-01-01", "2025-01-03").success
    first = table_checksums(settings.duckdb_path)
    assert run_range(settings, instance, "2025-01-01", "2025-01-03").success
    assert run_range(settings, instance, "2025-01-02", "2025-01-02").success
    assert table_checksums(settings.duckdb_path) == first


def test_a_corrected_file_replaces_the_day_without_leftovers(settings, landing, instance):
    root, _ = landing
    assert run_range(settings, instance, "2025-01-01", "2025-01-03").success
    write_csv(
        day_dir(root, DAY1) / "part-000.csv",
        [order("A1", "alice", "2025-01-01T09:00:00Z", "11.00")],
    )
    (day_dir(root, DAY1) / "part-001.csv").unlink()
    assert run_range(settings, instance, "2025-01-01", "2025-01-01").success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        day1 = conn.execute(
            "select order_id, amount from warehouse.fct_orders where partition_date = ?", [DAY1]
        ).fetchall()
        day2 = conn.execute(
            "select count(*) from warehouse.fct_orders where partition_date = ?", [DAY2]
        ).fetchone()[0]
    assert day1 == [("A1", 11.0)]
    assert day2 == 3


def test_as_of_can_be_configured(settings, instance):
    config = {"ops": {"customer_metrics": {"config": {"as_of": "2025-01-01"}}}}
    assert run_range(settings, instance, "2025-01-01", "2025-01-03", run_config=config).success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        dim = conn.execute(
            "select customer_id, order_count from warehouse.dim_customers"
        ).fetchall()
    assert sorted(dim) == [("alice", 2), ("bob", 1), ("dave", 1)]


@pytest.mark.slow
def test_cli_materializes_a_range_in_one_run(settings, tmp_path, monkeypatch):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ORDERS_LANDING_URI": settings.landing_uri,
        "DUCKDB_PATH": settings.duckdb_path,
        "ORDERS_PARTITIONS_START": "2025-01-01",
    }
    (tmp_path / "home").mkdir()
    command = [
        os.path.join(os.path.dirname(sys.executable), "dagster"),
        "asset",
        "materialize",
        "-m",
        "orders_platform.definitions",
        "--select",
        "*",
        "--partition-range",
        "2025-01-01...2025-01-03",
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with dg.DagsterInstance.get() as inst:
        runs = inst.get_runs()
    assert len(runs) == 1
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2025-01-01"
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        assert conn.execute("select count(*) from warehouse.fct_orders").fetchone()[0] == 7


def plotted_per_day() -> dict[str, list[str]]:
    """The metadata keys docs/analyst-view.md says each daily asset plots per day: its
    "What is plotted" bullets that start with one asset."""
    text = (paths.REPO / "docs" / "analyst-view.md").read_text(encoding="utf-8")
    section = text.split("What is plotted:\n", 1)[1].split("\n\n", 1)[0]
    plotted = {}
    for bullet in section.split("\n- ")[1:]:
        if match := re.match(r"-? ?`([a-z_/]+)`: ", bullet):
            asset = match.group(1)
            keys = re.findall(r"`([a-z_]+/[a-z_<>/]+)`", bullet[match.end() :])
            plotted[asset] = [key for key in keys if key != asset]
    return plotted


def has_key(recorded: dict, key: str) -> bool:
    """``key`` is recorded; a key naming a family (``orders/null_rate/<column>``): one of it."""
    if "<" in key:
        return any(name.startswith(key.split("<", 1)[0]) for name in recorded)
    return key in recorded


def test_the_analyst_view_s_per_day_plots_are_recorded_on_every_day(settings, instance):
    """Each key the analyst view lists for a daily asset is on each day's materialization
    (`<column>` and `<currency>` name a family: at least one key of it)."""
    plotted = plotted_per_day()
    assert sorted(plotted) == [
        "cleaned_orders",
        "quarantined_orders",
        "raw_orders",
        "warehouse/fct_orders",
    ]
    assert "orders/null_rate/<column>" in plotted["raw_orders"]
    result = run_range(settings, instance, "2025-01-01", "2025-01-02")
    assert result.success
    events = materializations(result)
    missing = []
    for asset, keys in plotted.items():
        for day in (DAY1, DAY2):
            recorded = events[(asset, day.isoformat())]
            missing += [(asset, day.isoformat(), k) for k in keys if not has_key(recorded, k)]
    assert missing == []


def test_every_fx_key_the_docs_name_is_recorded(settings, instance):
    """The FX rates' metadata keys (`fx/...`) the README and docs name are on fx_rates' or
    customer_metrics' materialization of a run."""
    docs = [paths.REPO / "README.md", *sorted((paths.REPO / "docs").glob("*.md"))]
    named = {key for doc in docs for key in re.findall(r"`(fx/[a-z_]+)`", doc.read_text("utf-8"))}
    assert {"fx/landing_fingerprint", "fx/without_rate"} <= named
    result = run_range(settings, instance, "2025-01-01", "2025-01-01")
    assert result.success
    events = materializations(result)
    recorded = set(events[("fx_rates", None)]) | set(events[("customer_metrics", None)])
    assert sorted(named - recorded) == []
