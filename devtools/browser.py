"""Headless Chromium (Debian's package) driven by Playwright; never a downloaded browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
# Generous: the first page load compiles the UI's JavaScript on a cold, busy CI machine.
TIMEOUT_MS = 90_000
expect.set_options(timeout=TIMEOUT_MS)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, viewport: dict[str, int] = VIEWPORT) -> Page:
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def expand_all_groups(page: Page) -> None:
    """The global lineage opens with groups collapsed: open them from the graph's settings."""
    page.get_by_role("img", name="zoom_in").wait_for()  # the graph has been laid out
    buttons = page.get_by_role("button").filter(has=page.get_by_role("img", name="settings"))
    buttons.last.click()  # the first is the navigation's user settings
    page.get_by_text("Expand all groups").filter(visible=True).click()
    page.keyboard.press("Escape")
    page.get_by_text("Collapse all groups").filter(visible=True).wait_for(state="hidden")
