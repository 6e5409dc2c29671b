"""Screenshots of the Dagster UI for the README, taken from a real run.

Writes three weeks of fixture orders into a temporary directory and materializes them into
a temporary Dagster instance: the first two weeks in one run (the CLV models need that
much history), then one run per day (so the plots of every asset have a trend). It starts
``dagster-webserver`` on a free loopback port and saves PNGs of the pages an analyst uses
into ``docs/images/``. Needs Debian's chromium (``make system-deps``).

Run from the repository root: ``.venv/bin/python -m devtools.screenshots``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from playwright.sync_api import Page

from devtools.browser import chromium, expand_all_groups, new_page
from devtools.webserver import materialize_fixture, running_webserver

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
START = dt.date(2025, 1, 1)
VIEWPORT = {"width": 1440, "height": 900}


def _click_icon(page: Page, icon: str) -> None:
    page.get_by_role("button").filter(has=page.get_by_role("img", name=icon)).last.click()


def lineage(page: Page, url: str) -> None:
    page.set_viewport_size({"width": 2000, "height": 900})
    page.goto(f"{url}/asset-groups")
    # Room for the graph, close enough to read each asset's status, checks and kinds.
    page.get_by_text("Hide navigation").click()
    _click_icon(page, "panel_show_right")
    expand_all_groups(page)
    page.get_by_text("dim_customers", exact=True).first.wait_for()
    _click_icon(page, "zoom_in")


def asset_overview(page: Page, url: str) -> None:
    page.goto(f"{url}/assets/warehouse/fct_orders")
    page.get_by_text("customer_email_hash", exact=True).first.wait_for()
    page.get_by_text("At 02:00 AM UTC").wait_for()


def plots(page: Page, url: str) -> None:
    page.goto(f"{url}/assets/cleaned_orders")
    page.get_by_text("Plots", exact=True).click()
    page.get_by_text("Events", exact=True).last.click()
    page.get_by_text("orders/quarantined_rows", exact=True).first.wait_for()
    # .last: the first match is the mention in the description, above the charts.
    heading = page.get_by_text("orders/quarantine_rate", exact=True).last
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")


def checks(page: Page, url: str) -> None:
    page.goto(f"{url}/assets/warehouse/fct_orders?view=checks")
    page.get_by_text("gx_quality", exact=True).first.click()
    page.get_by_text("Passed", exact=True).first.wait_for()


def materialize_dialog(page: Page, url: str) -> None:
    page.goto(f"{url}/assets/raw_orders")
    page.get_by_role("button", name="Materialize…").click()
    page.get_by_text("Backfills all partitions in a single run.").wait_for()


PAGES = {
    "lineage": lineage,
    "asset-fct_orders": asset_overview,
    "plots-cleaned_orders": plots,
    "checks-fct_orders": checks,
    "materialize-dialog": materialize_dialog,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--first-run-days", type=int, default=14)
    parser.add_argument("--out", type=Path, default=IMAGES)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orders-screenshots-") as tmp:
        root = Path(tmp)
        days = [START + dt.timedelta(days=offset) for offset in range(args.days)]
        first = args.first_run_days
        runs = [(days[0], days[first - 1]), *[(day, day) for day in days[first:]]]
        print(f"Materializing {args.days} fixture days in {len(runs)} runs ...")
        workspace = materialize_fixture(root, START, args.days, runs)
        with running_webserver(workspace, root / "webserver.log") as url, chromium() as browser:
            for name, show in PAGES.items():
                page = new_page(browser, VIEWPORT)
                show(page, url)
                # Let charts and status colours finish their entry animation.
                page.wait_for_timeout(1500)
                path = args.out / f"{name}.png"
                page.screenshot(path=path)
                page.close()
                print(
                    f"  {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
                    f"  {path.stat().st_size // 1024} KB"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
