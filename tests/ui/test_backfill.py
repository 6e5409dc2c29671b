"""A range backfill of every asset launched from the UI runs cleanly (issue 17, part 3).

What a newcomer does, with the real processes: ``make run`` on a few landed days, a new day
lands, ``make ui`` (the local dagster.yaml, the warehouse pool's limit stored first, the
webserver and the daemon with the sensors on by default), then in headless Chromium: the
global lineage, "Materialize all…", a custom partition range over every landed day, "Launch
backfill". The daemon is started right after the launch, so the backfill's first run and the
landing sensor's run for the new day are requested in the same seconds: the run queue must
hold one back. Every run must succeed, no two runs in the warehouse pool may be in progress
at once, no step may wait for the DuckDB lock or be retried, and the warehouse must hold
every day.

Screenshots, server logs and the run timeline land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from functools import partial
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from devtools.browser import expand_all_groups, new_page
from devtools.daemon import local_instance, run_module, running_daemon, store_pool_limit
from devtools.ui_fixture import write_landing
from devtools.webserver import Workspace, graphql, running_webserver
from resources.settings import PlatformSettings
from resources.warehouse_lock import WAITING_MESSAGE
from resources.warehouse_pool import WAREHOUSE_POOL
from tests.support.ui_backfill import (
    FINISHED_BACKFILL,
    SUCCEEDED_BACKFILL,
    RunSpan,
    backfill_ids,
    backfill_status,
    held_back,
    overlapping,
    run_events,
    run_spans,
    timeline,
)

START = dt.date(2025, 1, 1)
# Few days keep the runs short; make run loads all but the last, which lands afterwards.
DAYS = 5
BACKFILL_TIMEOUT_S = 480
POLL_S = 3.0
FINISHED_RUN = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
# What DuckDB says when a second process opens the file, besides our own waiting message.
LOCK_WORDS = (WAITING_MESSAGE, "Conflicting lock", "Could not set lock")


def _landed_workspace(root: Path, log: Path) -> Workspace:
    """`make run` over the first days, then one more day lands (the landing sensor's)."""
    landing = root / "landing"
    settings = PlatformSettings(
        partitions_start=START.isoformat(),
        landing_uri=str(landing),
        duckdb_path=str(root / "orders.duckdb"),
    )
    home = root / "dagster_home"
    local_instance(home)
    loaded = write_landing(landing, START, DAYS - 1)
    workspace = Workspace(settings=settings, dagster_home=home, days=tuple(loaded))
    run_module("devtools.run_local", workspace.environ(), log)
    with dg.DagsterInstance.from_config(str(home)) as instance:  # so a bare `dg dev` is safe
        limits = {pool.name: pool.limit for pool in instance.event_log_storage.get_pool_limits()}
    assert limits.get(WAREHOUSE_POOL) == 1, f"make run left the pool limits at {limits}"
    late = write_landing(landing, loaded[-1] + dt.timedelta(days=1), 1)
    return Workspace(settings=settings, dagster_home=home, days=(*loaded, *late))


def _launch_range_backfill(page: Page, url: str, days: tuple[dt.date, ...], shots: Path) -> str:
    """Lineage -> Materialize all… -> custom range of ``days`` -> Launch backfill."""
    page.goto(f"{url}/asset-groups")
    expect(page.get_by_text("Global asset lineage").first).to_be_visible()
    expand_all_groups(page)
    for name in ("raw_orders", "fct_orders", "dim_customers"):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    page.screenshot(path=shots / "backfill-1-lineage.png")

    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Launch runs to materialize 8 assets")).to_be_visible()
    # The dialog opens on the last 90 days; the fixture's days are older.
    dialog.get_by_text("Show all partitions").click()
    dialog.get_by_role("button", name="Custom").click()
    selection = dialog.get_by_role("textbox").first
    selection.fill(f"[{days[0].isoformat()}...{days[-1].isoformat()}]")
    selection.press("Enter")
    expect(dialog.get_by_text(f"{len(days)} partitions", exact=True)).to_be_visible()
    page.screenshot(path=shots / "backfill-2-range.png")

    dialog.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("dialog").filter(has_text="Backfill preview")
    expect(preview.get_by_text("Backfills all partitions in a single run").first).to_be_visible()
    page.screenshot(path=shots / "backfill-3-preview.png")
    preview.get_by_role("button", name="OK").click()

    dialog.get_by_role("button", name="Launch backfill").click()
    toast = page.get_by_text("Created backfill")
    expect(toast).to_be_visible()
    page.wait_for_timeout(1_000)  # the toast slides in
    page.screenshot(path=shots / "backfill-4-launched.png")
    launched = backfill_ids(partial(graphql, url))
    assert len(launched) == 1, f"expected one backfill, found {launched}"
    assert launched[0] in toast.inner_text()
    return launched[0]


def _wait_until_done(
    page: Page, url: str, backfill_id: str, daemon: subprocess.Popen, shots: Path
) -> tuple[str, str | None, list[RunSpan]]:
    """Poll until the backfill is finished and no run is queued or in progress."""
    gql = partial(graphql, url)
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    queue_shot = False
    while True:
        if daemon.poll() is not None:
            raise AssertionError("dagster-daemon exited during the backfill")
        status, error = backfill_status(gql, backfill_id)
        spans = run_spans(gql)
        if not queue_shot and {"QUEUED", "STARTED"} <= {span.status for span in spans}:
            # What a person sees while the pool holds a run back.
            _show_queue(page, url, shots)
            queue_shot = True
        if status in FINISHED_BACKFILL and all(span.status in FINISHED_RUN for span in spans):
            return status, error, spans
        if time.monotonic() > deadline:
            raise AssertionError(
                f"backfill {backfill_id} still {status} after {BACKFILL_TIMEOUT_S}s:\n"
                + timeline(spans)
            )
        time.sleep(POLL_S)


def _show_queue(page: Page, url: str, shots: Path) -> None:
    """The Runs page while the pool holds a run back, and why it is queued (if still)."""
    page.goto(f"{url}/runs")
    expect(page.get_by_text("Created at")).to_be_visible()  # the runs table has loaded
    page.screenshot(path=shots / "backfill-5-queued.png")
    criteria = page.get_by_text("View queue criteria").first
    try:
        criteria.click(timeout=5_000)
        page.get_by_role("dialog").wait_for(timeout=10_000)
    except PlaywrightTimeoutError:
        return  # the run left the queue meanwhile; the timeline tells the rest
    page.screenshot(path=shots / "backfill-5-queue-criteria.png")
    page.keyboard.press("Escape")


def _lock_or_retry_events(url: str, spans: list[RunSpan]) -> list[str]:
    found = []
    for span in spans:
        for event in run_events(partial(graphql, url), span.run_id):
            message = event.get("message") or ""
            if event["__typename"] == "ExecutionStepUpForRetryEvent" or any(
                word in message for word in LOCK_WORDS
            ):
                found.append(f"{span.run_id[:8]} {event['__typename']}: {message[:200]}")
    return found


@pytest.mark.services
def test_ui_range_backfill_of_all_assets_queues_cleanly_behind_the_warehouse_pool(
    browser: Browser, tmp_path: Path, artifacts_dir: Path
):
    began = time.monotonic()
    make_log = artifacts_dir / "backfill-make.log"
    make_log.write_text("", encoding="utf-8")
    workspace = _landed_workspace(tmp_path, make_log)
    env = workspace.environ()
    store_pool_limit(env, make_log)

    page = new_page(browser)
    with running_webserver(workspace, artifacts_dir / "backfill-webserver.log") as url:
        backfill_id = _launch_range_backfill(page, url, workspace.days, artifacts_dir)
        launched = time.monotonic()
        with running_daemon(env, artifacts_dir / "backfill-daemon.log") as daemon:
            status, error, spans = _wait_until_done(page, url, backfill_id, daemon, artifacts_dir)
        finished = time.monotonic()
        page.goto(f"{url}/runs/b/{backfill_id}")
        expect(page.get_by_text("100% completed").first).to_be_visible()
        page.screenshot(path=artifacts_dir / "backfill-6-completed.png")
        page.goto(f"{url}/runs/b/{backfill_id}?tab=runs")
        expect(page.get_by_text("Success").first).to_be_visible()
        page.screenshot(path=artifacts_dir / "backfill-7-runs.png")
        lock_events = _lock_or_retry_events(url, spans)
    page.close()

    backfill_runs = [span for span in spans if span.backfill_id == backfill_id]
    pooled = [span for span in spans if span.in_pool(WAREHOUSE_POOL)]
    report = (
        f"backfill {backfill_id}: {status}, {len(backfill_runs)} run(s); {len(spans)} run(s) on"
        f" the instance; backfill launch to all runs done {finished - launched:.0f}s, test"
        f" {time.monotonic() - began:.0f}s\n{timeline(spans)}"
    )
    (artifacts_dir / "backfill-timeline.txt").write_text(report + "\n", encoding="utf-8")
    print(report)

    assert status in SUCCEEDED_BACKFILL, f"{error}\n{report}"
    assert backfill_runs, report
    assert all(span.status == "SUCCESS" for span in spans), report
    assert all(span.in_pool(WAREHOUSE_POOL) for span in backfill_runs), report
    assert not overlapping(pooled), f"warehouse runs in progress together:\n{report}"
    # Not vacuous: some run had to wait for the pool. The run queue says so in the daemon
    # log whenever it holds a run back for the pool; the timeline shows it only when the
    # blocking run lasted longer than the queue's polling (runs now take seconds).
    daemon_log = (artifacts_dir / "backfill-daemon.log").read_text(encoding="utf-8")
    blocked = f'is blocked by global concurrency limits: {{"{WAREHOUSE_POOL}"'
    assert held_back(pooled) or blocked in daemon_log, (
        f"no run ever waited for the warehouse pool:\n{report}"
    )
    assert not lock_events, "\n".join(lock_events)
    assert not [word for word in LOCK_WORDS if word in daemon_log], "lock waits in the daemon log"

    with duckdb.connect(workspace.settings.duckdb_path, read_only=True) as conn:
        per_day = dict(
            conn.execute(
                "select partition_date, count(*) from warehouse.fct_orders group by 1"
            ).fetchall()
        )
        customers = conn.execute("select count(*) from warehouse.dim_customers").fetchone()[0]
    assert {_as_date(day) for day, rows in per_day.items() if rows} == set(workspace.days)
    assert customers > 0


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _span(run_id: str, created: float, started: float | None, ended: float | None) -> RunSpan:
    return RunSpan(run_id, "SUCCESS", created, started, ended, pools=(WAREHOUSE_POOL,))


def test_runs_one_after_another_do_not_overlap_and_a_queued_one_was_held_back():
    first = _span("a", 0, 1, 30)
    queued = _span("b", 5, 35, 60)  # requested while "a" ran, started after it ended
    chained = _span("c", 58, 62, 70)  # requested 2 s before "b" ended: not held back
    assert overlapping([first, queued, chained]) == []
    assert held_back([first, queued, chained]) == [(queued, first)]


def test_runs_in_progress_together_overlap():
    first = _span("a", 0, 1, 30)
    assert overlapping([first, _span("b", 2, 29, 40)]) == [(first, _span("b", 2, 29, 40))]
    assert overlapping([_span("c", 0, 1, None), _span("d", 0, 50, 60)])  # "c" still running
    assert overlapping([first, _span("e", 0, None, None)]) == []  # "e" never started
