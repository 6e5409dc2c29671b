"""What a person sees in the Dagster UI, in a real headless Chromium.

Screenshots of each page land in tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from devtools.browser import expand_all_groups, new_page
from devtools.webserver import Workspace, graphql
from orders_core.code_versions import code_versions
from orders_core.contract import load_contract
from orders_core.sql.cleaning import reason_codes
from platform_assets.assets.staging import QUARANTINED_BY_REASON
from tests.support.ui import FIXTURE_DAYS

pytestmark = pytest.mark.services

ASSET_NAMES = (
    "raw_orders",
    "cleaned_orders",
    "quarantined_orders",
    "customer_metrics",
    "customer_clv",
    "fct_orders",
    "dim_customers",
)
GROUPS = ("ingestion", "staging", "analytics", "warehouse")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser)
    yield page
    page.close()


def _visible(page: Page, text: str, exact: bool = True) -> None:
    expect(page.get_by_text(text, exact=exact).first).to_be_visible()


def test_global_lineage_shows_every_asset_in_its_group(
    page: Page, ui_url: str, artifacts_dir: Path
):
    page.goto(f"{ui_url}/asset-groups")
    _visible(page, "Global asset lineage")
    expand_all_groups(page)
    for name in (*GROUPS, *ASSET_NAMES):
        _visible(page, name)
    page.screenshot(path=artifacts_dir / "lineage.png")


def test_asset_page_tells_an_analyst_what_the_table_is(
    page: Page, ui_url: str, artifacts_dir: Path
):
    page.goto(f"{ui_url}/assets/warehouse/fct_orders")
    _visible(page, "Order facts for reporting and BI", exact=False)
    for text in ("Columns", "customer_email_hash", "Owners", "analytics", "warehouse.fct_orders"):
        _visible(page, text)
    _visible(page, "Keyed SHA-256 of the normalised e-mail", exact=False)
    _visible(page, "At 02:00 AM UTC")
    _visible(page, "warehouse.py", exact=False)
    page.screenshot(path=artifacts_dir / "asset-fct_orders.png", full_page=True)

    page.get_by_role("tab", name="Partitions").click()
    _visible(page, f"Materialized ({FIXTURE_DAYS})")
    _visible(page, "Failed (0)")
    page.screenshot(path=artifacts_dir / "asset-fct_orders-partitions.png")

    page.get_by_role("tab", name="Checks").click()
    _visible(page, "documented_columns")
    _visible(page, "Succeeded")
    page.screenshot(path=artifacts_dir / "asset-fct_orders-checks.png")


def test_materialize_dialog_offers_a_single_run_partition_backfill(
    page: Page, ui_url: str, artifacts_dir: Path
):
    page.goto(f"{ui_url}/assets/raw_orders")
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Launch runs to materialize raw_orders")).to_be_visible()
    for text in (
        "Partition selection",
        "Failed and missing",
        "Backfills all partitions in a single run.",
    ):
        expect(dialog.get_by_text(text, exact=True).first).to_be_visible()
    expect(dialog.get_by_role("button", name="Launch backfill")).to_be_visible()
    page.screenshot(path=artifacts_dir / "materialize-dialog.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


# The two queries behind Overview > Metadata > Plots in "Partitions" mode (Dagster 1.13's
# webapp: LatestAssetPartitionsQuery, then AssetPartitionEventsQuery): the latest 120
# partition keys counted back from today, then the latest materialization of each.
UI_PARTITION_LIMIT = 120
LATEST_PARTITIONS = """
query LatestAssetPartitionsQuery($assetKey: AssetKeyInput!, $limit: Int!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode { partitionKeyConnection(limit: $limit, ascending: false) { results } }
  }
}
"""
PARTITION_EVENTS = """
query AssetPartitionEventsQuery($assetKey: AssetKeyInput!, $partitions: [String!]!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      latestMaterializationByPartition(partitions: $partitions) {
        partition
        metadataEntries {
          label
          ... on IntMetadataEntry { intValue }
          ... on FloatMetadataEntry { floatValue }
        }
      }
    }
  }
}
"""
# Each chart is a react-chartjs-2 <Line>; its props hold one label per partition key and
# one point per label (NaN where the partition has no materialization). Returns, per
# chart heading, the labels that have a finite point.
CHART_POINTS = """() => {
  const charts = {};
  for (const canvas of document.querySelectorAll('canvas')) {
    const key = Object.keys(canvas).find(k => k.startsWith('__reactFiber'));
    let fiber = key ? canvas[key] : null;
    for (let depth = 0; fiber && depth < 10; depth++, fiber = fiber.return) {
      const data = fiber.memoizedProps && fiber.memoizedProps.data;
      if (!data || !data.datasets) continue;
      let box = canvas.parentElement;
      while (box && !(box.innerText || '').trim()) box = box.parentElement;
      const heading = box ? box.innerText.trim().split(String.fromCharCode(10))[0] : '';
      const points = data.datasets[0].data;
      charts[heading] = data.labels.filter((_, i) => Number.isFinite(points[i] && points[i].y));
      break;
    }
  }
  return charts;
}"""


def test_cleaned_orders_plots_one_point_per_day_in_partitions_mode(
    page: Page, ui_url: str, ui_workspace: Workspace, artifacts_dir: Path
):
    days = [day.isoformat() for day in ui_workspace.days]
    asset = {"path": ["cleaned_orders"]}
    node = graphql(ui_url, LATEST_PARTITIONS, {"assetKey": asset, "limit": UI_PARTITION_LIMIT})
    keys = node["assetNodeOrError"]["partitionKeyConnection"]["results"]
    assert set(days) <= set(keys), "fixture days outside the partitions the UI plots"
    node = graphql(ui_url, PARTITION_EVENTS, {"assetKey": asset, "partitions": keys})
    plotted = {
        event["partition"]: {
            e["label"]: e.get("intValue", e.get("floatValue")) for e in event["metadataEntries"]
        }
        for event in node["assetNodeOrError"]["latestMaterializationByPartition"]
        if event
    }
    assert sorted(plotted) == days
    for day in days:
        assert isinstance(plotted[day]["dagster/row_count"], int), day
        assert plotted[day]["orders/revenue"] > 0, day

    page.goto(f"{ui_url}/assets/cleaned_orders")
    # The buttons' accessible names include their icons' names: match their text.
    page.get_by_role("button").filter(has_text=re.compile(r"^\s*Plots\s*$")).click()
    page.get_by_role("button").filter(has_text=re.compile(r"^\s*Partitions\s*$")).click()
    revenue = page.get_by_text("orders/revenue", exact=True).last
    expect(revenue).to_be_visible()
    page.wait_for_function(f"() => ({CHART_POINTS})()['orders/revenue']?.length >= {len(days)}")
    charts = page.evaluate(CHART_POINTS)
    for heading in ("dagster/row_count", "orders/revenue", "orders/quarantine_rate"):
        assert charts[heading] == days, heading
    revenue.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.screenshot(path=artifacts_dir / "plots-cleaned_orders-partitions.png")


def test_quarantined_orders_plots_every_reason_code_on_every_day(
    page: Page, ui_url: str, ui_workspace: Workspace, artifacts_dir: Path
):
    # One chart per reason code, a point on every day, 0 on a day without that reason: the
    # reasons were one JSON entry, which the UI does not plot.
    days = [day.isoformat() for day in ui_workspace.days]
    codes = reason_codes(load_contract())
    page.goto(f"{ui_url}/assets/quarantined_orders")
    page.get_by_role("button").filter(has_text=re.compile(r"^\s*Plots\s*$")).click()
    page.get_by_role("button").filter(has_text=re.compile(r"^\s*Partitions\s*$")).click()
    first = f"{QUARANTINED_BY_REASON}{codes[0]}"
    page.wait_for_function(f"() => ({CHART_POINTS})()['{first}']?.length >= {len(days)}")
    charts = page.evaluate(CHART_POINTS)
    reasons = {h: points for h, points in charts.items() if h.startswith(QUARANTINED_BY_REASON)}
    assert sorted(reasons) == sorted(f"{QUARANTINED_BY_REASON}{code}" for code in codes)
    assert {h: points for h, points in reasons.items() if points != days} == {}
    heading = page.get_by_text(first, exact=True).last
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=artifacts_dir / "plots-quarantined_orders-reasons.png")


def test_the_asset_page_shows_its_code_version(page: Page, ui_url: str):
    page.goto(f"{ui_url}/assets/quarantined_orders")
    page.get_by_text("Compute details", exact=True).click()
    _visible(page, "Code version")
    _visible(page, code_versions(load_contract())["quarantined_orders"])
