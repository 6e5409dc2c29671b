"""What a person sees in the Dagster UI, in a real headless Chromium.

Screenshots of each page land in tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from devtools.browser import CHROMIUM, chromium, expand_all_groups, new_page
from tests.support.ui import FIXTURE_DAYS, under_ci

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium"
        if under_ci():
            pytest.fail(message)
        pytest.skip(message)
    with chromium() as browser:
        yield browser


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
