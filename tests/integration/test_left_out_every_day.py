"""A range run every day of which is left out, each by another check.

Twenty normal days are published first. Then a range of two: the first day lands a file
the platform cannot read (schema_drift fails it with ERROR), the second is a volume
spike metadata_anomaly holds. Each check fails one day of the two, so neither stops the
run (``asset_checks.partitioned.stops_the_run``) and the cleaning finds no day to clean.
Its failure named the days by check, and the run-failure alert quoted it, held day and
release advice included, and called the drifting day "left out" while "the run's other
days went on": none did, and the held day, which the held-days alert announces, was
named twice. Now the step names each day with its own reason and what to do, and the
alerts say each thing once, as runs of each day alone do: the held-days alert the held
day, the run-failure alert the drifting day. The tables equal those day-by-day runs
leave.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from devtools.simulate import generate
from sensors.orders_anomaly import SENSOR_NAME as ANOMALY_SENSOR
from sensors.run_failure import SENSOR_NAME as RUN_FAILURE_SENSOR
from tests.support.batching import ALL_TABLES
from tests.support.fixture_data import day_dir
from tests.support.local_instance import local_instance
from tests.support.local_platform import local_platform, sensor_resources
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import permanent_failure_message, table_checksums
from tests.support.webhook_server import WebhookServer

pytestmark = pytest.mark.slow

START = dt.date(2025, 1, 6)
HELD = START + dt.timedelta(days=21)
DRIFTING = HELD - dt.timedelta(days=1)


def _run(tmp, landing, batches: list[tuple[dt.date, dt.date]]) -> dict:
    """The history published, then ``batches`` run with the sensors watching: each
    run's result, the alerts posted and every table."""
    defs, job = local_platform(landing, tmp, START)
    with WebhookServer() as server, local_instance() as instance:
        resources = sensor_resources(landing, server.url)
        cursors: dict[str, str | None] = {ANOMALY_SENSOR: None, RUN_FAILURE_SENSOR: None}

        def tick() -> None:
            for name in cursors:
                with dg.build_sensor_context(
                    instance=instance, cursor=cursors[name], definitions=defs, resources=resources
                ) as context:
                    cursors[name] = defs.get_sensor_def(name).evaluate_tick(context).cursor

        history = job.execute_in_process(
            instance=instance, tags=range_tags(START, DRIFTING - dt.timedelta(days=1))
        )
        assert history.success
        tick()
        assert server.posts == []
        results = []
        for first, last in batches:
            results.append(
                job.execute_in_process(
                    instance=instance, tags=range_tags(first, last), raise_on_error=False
                )
            )
            tick()
            tick()  # a later tick says nothing more
        posts = list(server.posts)
        # a release command names the run's own instance and warehouse (held_alert_release)
        paths = [instance.root_directory, str(tmp)]
    return {
        "results": results,
        "posts": posts,
        "paths": paths,
        "tables": table_checksums(str(tmp / "orders.duckdb"), ALL_TABLES),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("left_out_every_day")
    landing = tmp / "landing"
    generate(landing, START, 22, 200, seed=7, anomalies={HELD: "volume_spike"})
    (day_dir(landing, DRIFTING) / "notes.txt").write_text("not orders\n")
    return {
        "range": _run(tmp / "range", landing, [(DRIFTING, HELD)]),
        "days": _run(tmp / "days", landing, [(DRIFTING, DRIFTING), (HELD, HELD)]),
    }


def _without_paths(block: dict, run: dict) -> str:
    """``block`` as JSON, the run's own instance and warehouse folders named alike."""
    text = json.dumps(block, sort_keys=True)
    for path in run["paths"]:
        text = text.replace(path, "<the run's folder>")
    return text


def _by_header(posts: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for post in posts:
        found.setdefault(post["blocks"][0]["text"]["text"], []).append(post)
    return found


def test_the_cleaning_names_each_day_with_its_own_reason(runs):
    (ranged,) = runs["range"]["results"]
    assert not ranged.success
    message = permanent_failure_message(ranged)
    assert message.startswith("No day of this run can be cleaned.")
    assert f"{DRIFTING}: schema_drift not passed: fix the day's landing files" in message
    assert f"{HELD}: held or deferred by metadata_anomaly: release it" in message
    assert "devtools.held" in message


def test_each_day_is_announced_once_by_its_own_alert(runs):
    posts = _by_header(runs["range"]["posts"])
    assert sorted(posts) == ["Orders partitions held", "Orders run failed"]
    (held,) = posts["Orders partitions held"]
    assert f"held by metadata_anomaly: {HELD}." in held["text"]
    assert str(DRIFTING) not in str(held)
    (failed,) = posts["Orders run failed"]
    assert f"stopped by failed blocking checks: {DRIFTING} (schema_drift)" in failed["text"]
    details = failed["blocks"][-1]["text"]["text"]
    assert f"• *{DRIFTING}* `raw_orders` schema_drift:" in details
    # the held day: a pointer to its own alert, not its reasons or what to do again
    assert f"held: {HELD} (the held-days alert)" in failed["text"]
    assert "release it" not in str(failed) and "devtools.held" not in str(failed)
    assert "left out" not in str(failed) and "other days went on" not in str(failed)


def test_the_alerts_say_what_runs_of_each_day_alone_say(runs):
    ranged, alone = _by_header(runs["range"]["posts"]), _by_header(runs["days"]["posts"])
    assert sorted(alone) == sorted(ranged)
    (held,), (held_alone,) = ranged["Orders partitions held"], alone["Orders partitions held"]
    assert "<the run's folder>" in _without_paths(held["blocks"][-1], runs["range"])
    assert _without_paths(held["blocks"][-1], runs["range"]) == _without_paths(
        held_alone["blocks"][-1], runs["days"]
    )
    (failed,), (failed_alone,) = ranged["Orders run failed"], alone["Orders run failed"]
    drift_lines = [
        line for line in failed["blocks"][-1]["text"]["text"].splitlines() if "schema_drift" in line
    ]
    assert drift_lines and all(
        line in failed_alone["blocks"][-1]["text"]["text"] for line in drift_lines
    )


def test_the_tables_equal_day_by_day_runs(runs):
    assert all(not result.success for result in runs["days"]["results"])
    assert runs["range"]["tables"] == runs["days"]["tables"]
