"""The alerts' links into the UI (ORDERS_WEBSERVER_BASE_URL) open the pages they name, in a
real headless Chromium on a real dagster-webserver: a held day's button its partition's
page, a failed run's button the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from devtools.browser import new_page
from devtools.webserver import Workspace, graphql, running_webserver
from sensors.alerting import HeldNotice, UiLinks, held_message
from sensors.run_failure import RunFailure, failure_message

pytestmark = pytest.mark.services


RAW_REVENUE = """
query ($partitions: [String!]) {
  assetNodes(assetKeys: [{path: ["raw_orders"]}]) {
    latestMaterializationByPartition(partitions: $partitions) {
      partition
      metadataEntries { label ... on FloatMetadataEntry { floatValue } }
    }
  }
}
"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser)
    yield page
    page.close()


@pytest.fixture(scope="module")
def prefixed_ui_url(ui_workspace: Workspace, artifacts_dir: Path) -> Iterator[str]:
    """The same workspace's UI served under a path prefix, as behind a proxy."""
    log = artifacts_dir / f"webserver-prefixed-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    with running_webserver(ui_workspace, log, path_prefix="/dagster") as url:
        yield url


def _buttons(blocks) -> list[dict]:
    """Every link button of an alert's blocks: a section's accessory, an actions block's."""
    found = [b["accessory"] for b in blocks if "accessory" in b]
    return found + [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("served", ["at the root", "under a path prefix"])
def test_a_held_days_button_opens_its_partition_of_raw_orders(
    page: Page, ui_workspace: Workspace, artifacts_dir: Path, request, served
):
    ui_url = request.getfixturevalue("ui_url" if served == "at the root" else "prefixed_ui_url")
    # A day whose revenue no other day has: the page shows that day's materialization.
    days = [day.isoformat() for day in ui_workspace.days]
    data = graphql(ui_url, RAW_REVENUE, {"partitions": days})
    revenue = {
        event["partition"]: entry["floatValue"]
        for event in data["assetNodes"][0]["latestMaterializationByPartition"]
        for entry in event["metadataEntries"]
        if entry["label"] == "orders/revenue"
    }
    values = list(revenue.values())
    day = next(d for d in days[1:] if values.count(revenue[d]) == 1)
    # The base URL as a person pastes it, with a trailing slash.
    links = UiLinks(f"{ui_url}/")
    _, blocks = held_message([HeldNotice(day, "anomalous: test", 0.9)], links=links)
    (day_button,) = [b for b in _buttons(blocks) if b["text"]["text"] == f"Open {day}"]

    page.goto(day_button["url"])

    expect(page.get_by_role("tab", name="Partitions")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("row", name=f"orders/revenue {revenue[day]}")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"alert-link-held-day-{served.replace(' ', '-')}.png")


def test_a_failed_runs_button_opens_the_run(page: Page, ui_url: str, artifacts_dir: Path):
    runs = graphql(ui_url, "{ runsOrError(limit: 1) { ... on Runs { results { runId } } } }")
    (run_id,) = [run["runId"] for run in runs["runsOrError"]["results"]]
    failure = RunFailure(run_id, "orders_pipeline", None, None, None, (), "boom")
    _, blocks = failure_message(failure, UiLinks(ui_url))
    (run_button,) = _buttons(blocks)

    page.goto(run_button["url"])

    expect(page.get_by_text(run_id[:8]).first).to_be_visible()
    page.screenshot(path=artifacts_dir / "alert-link-run.png")
