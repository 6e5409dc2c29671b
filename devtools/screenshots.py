"""Screenshots of the Dagster UI for the README, taken from a real run of the demo.

Runs ``make run``'s own entry point (``python -m devtools.run_local``, in its own process)
on an empty landing zone in a temporary directory: the demo days ending yesterday, one of
them held by the anomaly check, every other day published. It then starts
``dagster-webserver`` on that instance and data, on a free loopback port, and saves PNGs of
the pages an analyst uses into ``docs/images/``. Needs Debian's chromium
(``make system-deps``).

Run from the repository root: ``.venv/bin/python -m devtools.screenshots``.
"""

from __future__ import annotations

import argparse
import functools
import re
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import dagster as dg
from playwright.sync_api import Page

from devtools.browser import chromium, expand_all_groups, new_page
from devtools.demo_env import read_start
from devtools.held import held_partitions
from devtools.typed_paths import as_typed
from devtools.webserver import INSTANCE_YAML, REPO_ROOT, Workspace, running_webserver
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
VIEWPORT = {"width": 1440, "height": 900}
# Tall enough for the first four rows of charts: rows, customers, quarantine and revenue.
PLOTS_VIEWPORT = {"width": 1440, "height": 1180}
# Tall enough for the held day's whole evaluation: its description, then every metadata
# entry down to next_step (what to do) and verdict.
HELD_VIEWPORT = {"width": 1440, "height": 1200}


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


def _button(page: Page, text: str):
    # Buttons' accessible names include their icons' names: match the visible text.
    return page.get_by_role("button").filter(has_text=re.compile(rf"^\s*{text}\s*$"))


def plots(page: Page, url: str) -> None:
    """Per-day metadata of cleaned_orders in "Partitions" mode: one point per demo day."""
    page.set_viewport_size(PLOTS_VIEWPORT)
    page.goto(f"{url}/assets/cleaned_orders")
    _button(page, "Plots").click()
    _button(page, "Partitions").click()
    page.get_by_text("orders/revenue", exact=True).last.wait_for()
    # .last: the first match is the mention in the description, above the charts.
    heading = page.get_by_text("dagster/partition_row_count", exact=True).last
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")


def _partition_plots(page: Page, url: str, asset: str, heading: str) -> None:
    """``asset``'s per-day plots in "Partitions" mode, scrolled to the chart ``heading``."""
    page.set_viewport_size(PLOTS_VIEWPORT)
    page.goto(f"{url}/assets/{asset}")
    _button(page, "Plots").click()
    _button(page, "Partitions").click()
    chart = page.get_by_text(heading, exact=True).last
    chart.wait_for()
    chart.evaluate("element => element.scrollIntoView({block: 'start'})")


def reason_plots(page: Page, url: str) -> None:
    """quarantined_orders: one chart per reason code, from the first code on."""
    _partition_plots(page, url, "quarantined_orders", "orders/quarantined_rows/malformed_record")


def anomaly_plots(page: Page, url: str) -> None:
    """cleaned_orders: each day's anomaly score and the threshold."""
    _partition_plots(page, url, "cleaned_orders", "anomaly/score")


def held(page: Page, url: str, day: str) -> None:
    """The day metadata_anomaly held, with the check's reason and next step, from the check's
    Partitions tab."""
    page.set_viewport_size(HELD_VIEWPORT)
    page.goto(f"{url}/assets/raw_orders?view=checks")
    page.get_by_text("metadata_anomaly", exact=True).first.click()
    page.get_by_text("Partitions", exact=True).last.click()  # the check's tab, not the asset's
    page.get_by_text(day, exact=True).first.click()
    page.get_by_text("Description", exact=True).wait_for()


def checks(page: Page, url: str) -> None:
    page.goto(f"{url}/assets/warehouse/fct_orders?view=checks")
    page.get_by_text("gx_quality", exact=True).first.click()
    page.get_by_text("Passed", exact=True).first.wait_for()


def materialize_dialog(page: Page, url: str) -> None:
    page.goto(f"{url}/assets/raw_orders")
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button").filter(has_text=re.compile(r"^\s*All\s*$")).click()
    page.get_by_text("Backfills all partitions in a single run.").wait_for()


PAGES = {
    "lineage": lineage,
    "asset-fct_orders": asset_overview,
    "plots-cleaned_orders": plots,
    "plots-quarantined_orders": reason_plots,
    "plots-anomaly_score": anomaly_plots,
    "checks-fct_orders": checks,
    "materialize-dialog": materialize_dialog,
}


def run_demo(root: Path, days: int, orders_per_day: int) -> Workspace:
    """``make run`` into ``root`` (landing zone, warehouse, instance), in its own process."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    settings = PlatformSettings(
        landing_uri=str(root / "landing"), duckdb_path=str(root / "orders.duckdb")
    )
    environ = Workspace(settings, home, ()).environ()
    del environ["ORDERS_PARTITIONS_START"]  # the demo chooses it: its first day
    command = [sys.executable, "-m", "devtools.run_local", "--days", str(days)]
    command += ["--orders-per-day", str(orders_per_day)]
    subprocess.run(command, cwd=REPO_ROOT, env=environ, check=True)  # noqa: S603 (fixed argv)
    start = read_start(root / "landing")
    if start is None:
        raise RuntimeError("make run did not record the demo's first day")
    landed = tuple(LocalLandingZone(root=settings.landing_uri).list_days())
    return Workspace(replace(settings, partitions_start=start), home, landed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=45, help="demo days (as make run)")
    parser.add_argument("--orders-per-day", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=IMAGES)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orders-screenshots-") as tmp:
        root = Path(tmp)
        print(f"make run: {args.days} demo days into {root} ...")
        workspace = run_demo(root, args.days, args.orders_per_day)
        with dg.DagsterInstance.from_config(str(workspace.dagster_home)) as instance:
            held_days = [item.partition for item in held_partitions(instance)]
        pages = dict(PAGES)
        if held_days:
            pages["held-raw_orders"] = functools.partial(held, day=held_days[0])
        else:
            print("  no day was held: no held-raw_orders.png this time")
        with running_webserver(workspace, root / "webserver.log") as url, chromium() as browser:
            for name, show in pages.items():
                page = new_page(browser, VIEWPORT)
                show(page, url)
                # Let charts and status colours finish their entry animation.
                page.wait_for_timeout(1500)
                path = args.out / f"{name}.png"
                page.screenshot(path=path)
                page.close()
                print(f"  {as_typed(path)}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
