"""List the partitions held by the metadata_anomaly check, with why and how to release them.

    python -m devtools.held            # table of held days (instance in $DAGSTER_HOME)
    python -m devtools.held --json     # the same as JSON

A day is held when its latest ``metadata_anomaly`` evaluation failed. A **deferred** day
(verdict ``deferred``: earlier landed days of its history window were not loaded when it
ran) is listed with the range to load instead of a release: orders_anomaly_sensor runs
it again once those days are loaded. A day whose latest run ended (failed, canceled)
before the check judged it again is still held or deferred: it is listed with that run,
to re-execute from failure. A day that also fails ``schema_drift`` is listed with that
finding and the fix of its landing files instead of a release, which could not publish it.
A day whose latest ``raw_orders`` load metadata_anomaly has not judged (its run is judging
it now, stopped before the check or failed in it, or ran raw_orders without it) is listed
apart, as **not judged**: nothing downstream is built on it until the check judges it, so
it is listed with the run judging it, or the stopped run to re-execute and the command that
runs the day again with its checks.
See ``docs/anomaly_hold.md`` for releasing a day from the UI
or the CLI.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import dagster as dg

from devtools.demo_env import recorded_start
from devtools.typed_paths import as_typed
from resources.instance_history import (
    COMPLETED,
    DEFERRED,
    DRIFT_KEY,
    FINGERPRINT,
    RAW_ORDERS,
    drift_finding,
    evaluation_of,
    evaluation_values,
    failed_partitions,
    latest_executions,
    latest_materializations,
    latest_storage_ids,
    metadata_values,
    runs_by_id,
    unjudged_loads,
    unjudged_runs,
)
from resources.settings import PlatformSettings, cli_settings, read_dotenv, require_dagster_home
from sensors.alerting import drift_first, release_command

# The verdict of a listed day whose latest raw_orders load metadata_anomaly has not judged.
NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class HeldPartition:
    """One held day: its score, the check's explanation and the run that held it."""

    partition: str
    score: float | None
    threshold: float | None
    verdict: str
    reason: str
    run_id: str
    landing_fingerprint: str
    waiting_for: tuple[str, ...] = ()  # a deferred day: the days it waits for
    # The day's latest run, when it ended before the check judged the day again (a re-run
    # that failed or was canceled), and how it ended (FAILURE, CANCELED).
    stopped_run: str = ""
    stopped_status: str = ""
    # Of waiting_for, the days raw_orders has not loaded yet.
    unloaded: tuple[str, ...] = ()
    # The day's failed schema_drift finding: its files must be fixed before anything else.
    schema_drift: str | None = None
    # A day not judged: the run that is judging it (in progress, or retried by Dagster).
    judging_run: str = ""


def held_partitions(instance: dg.DagsterInstance) -> list[HeldPartition]:
    """Every partition whose latest metadata_anomaly evaluation failed, oldest first (a
    few queries for all of them: their verdicts, stopped runs, schema_drift findings and
    the days they wait for are each read at once)."""
    days = sorted(failed_partitions(instance))
    verdicts = latest_executions(instance, days, completed_only=True)
    stopped_runs = unjudged_runs(instance, days)
    drift = latest_executions(instance, days, completed_only=True, check_key=DRIFT_KEY)
    waiting_for = {
        day: tuple(str(d) for d in evaluation_values(record).get("waiting_for") or ())
        for day, record in verdicts.items()
    }
    loaded = latest_storage_ids(
        instance, RAW_ORDERS, sorted({d for waiting in waiting_for.values() for d in waiting})
    )
    held = []
    for day, record in sorted(verdicts.items()):
        values = evaluation_values(record)
        evaluation = evaluation_of(record)
        score, threshold = values.get("anomaly_score"), values.get("threshold")
        stopped = stopped_runs.get(day)
        waiting = waiting_for[day]
        held.append(
            HeldPartition(
                partition=day,
                score=float(score) if score is not None else None,
                threshold=float(threshold) if threshold is not None else None,
                verdict=str(values.get("verdict", "")),
                reason=(evaluation.description if evaluation else None) or "",
                run_id=record.run_id,
                landing_fingerprint=str(values.get("landing_fingerprint", "")),
                waiting_for=waiting,
                stopped_run=stopped.run_id if stopped else "",
                stopped_status=stopped.status.value if stopped else "",
                unloaded=tuple(d for d in waiting if d not in loaded),
                schema_drift=drift_finding(drift.get(day)),
            )
        )
    return held


def unjudged_partitions(instance: dg.DagsterInstance) -> list[HeldPartition]:
    """Every day whose latest raw_orders load metadata_anomaly has not judged and whose
    latest verdict is not a hold (a held day is listed as held, with its stopped run),
    oldest first: verdict :data:`NOT_JUDGED`, the run that loaded it in ``run_id``, and
    the run that stopped before judging it, if any, in ``stopped_run``."""
    days = unjudged_loads(instance)
    days = sorted(days - failed_partitions(instance, sorted(days))) if days else []
    loads = latest_materializations(instance, RAW_ORDERS, days)
    latest = latest_executions(instance, days)
    stopped_runs = unjudged_runs(instance, days)
    judging_runs = runs_by_id(
        instance,
        {
            record.run_id
            for day, record in latest.items()
            if record.status not in COMPLETED and day not in stopped_runs
        },
    )
    listed = []
    for day in days:
        load = loads[day]
        stopped = stopped_runs.get(day)
        judging = None
        if day in latest and stopped is None:
            judging = judging_runs.get(latest[day].run_id)
        if judging is not None and not judging.is_finished:
            reason = (
                f"its latest load (run {load.run_id[:8]}) is being judged by run"
                f" {judging.run_id[:8]} ({judging.status.value}): nothing to do until it ends"
            )
        elif judging is not None:
            reason = (
                f"its latest load (run {load.run_id[:8]}) has no verdict yet: Dagster is"
                f" retrying run {judging.run_id[:8]}, which judges it"
            )
        elif stopped is not None:
            reason = f"its latest load (run {load.run_id[:8]}) has no metadata_anomaly verdict"
        else:
            reason = f"loaded by run {load.run_id[:8]} without metadata_anomaly"
        listed.append(
            HeldPartition(
                partition=day,
                score=None,
                threshold=None,
                verdict=NOT_JUDGED,
                reason=reason,
                run_id=load.run_id,
                landing_fingerprint=str(metadata_values(load).get(FINGERPRINT, "")),
                stopped_run=stopped.run_id if stopped else "",
                stopped_status=stopped.status.value if stopped else "",
                judging_run=judging.run_id if judging else "",
            )
        )
    return listed


def format_table(held: Sequence[HeldPartition], dg_cli: str = "dg") -> str:
    """Human-readable listing with the release command of each day, then the days not
    judged (:func:`unjudged_partitions`) with what to do; its commands start with
    ``dg_cli`` (the ``dg`` the reader types, ``.venv/bin/dg`` from a checkout)."""
    unjudged = [item for item in held if item.verdict == NOT_JUDGED]
    held = [item for item in held if item.verdict != NOT_JUDGED]
    lines = [f"{len(held)} held partition(s):" if held else "No partition is held."]
    for item in held:
        score = "n/a" if item.score is None else f"{item.score:.3f}"
        lines += [
            f"- {item.partition}  score {score}  run {item.run_id[:8]}",
            f"    {item.reason}",
        ]
        if item.stopped_run:
            lines.append(
                f"    its latest run {item.stopped_run[:8]} ended {item.stopped_status} before "
                f"the check judged it: re-execute it from failure (/runs/{item.stopped_run})"
            )
        if item.schema_drift:
            lines.append(f"    {drift_first(item.schema_drift)}")
        elif item.verdict == DEFERRED and item.waiting_for:
            # A stopped re-run of a day whose days are loaded only needs re-executing; one
            # started without them would be deferred again.
            if item.unloaded or not item.stopped_run:
                lines.append(
                    f"    load first: {load_command(item.unloaded or item.waiting_for, dg_cli)}"
                )
        else:
            lines.append(f"    release: {release_command(item.partition, dg_cli)}")
    if unjudged:
        lines.append(
            f"{len(unjudged)} day(s) loaded but not judged by metadata_anomaly (nothing"
            " downstream is built on them until it judges them):"
        )
    for item in unjudged:
        lines += [f"- {item.partition}  run {item.run_id[:8]}", f"    {item.reason}"]
        if item.stopped_run:
            lines.append(
                f"    its latest run {item.stopped_run[:8]} ended {item.stopped_status} before"
                f" the check judged it: re-execute it from failure (/runs/{item.stopped_run}),"
                " or run the day again with its checks:"
            )
        if not item.judging_run:
            lines.append(f"    {judge_command(item.partition, dg_cli)}")
    return "\n".join(lines)


def judge_command(day: str, dg_cli: str = "dg") -> str:
    """The CLI that runs a day again with raw_orders' checks and its downstream."""
    return f"{dg_cli} launch --assets 'raw_orders*' --partition {day}"


def load_command(days: Sequence[str], dg_cli: str = "dg") -> str:
    """The CLI that loads the days a deferred day waits for (one range run, from the
    first to the last: days already loaded in between are loaded again, unchanged)."""
    span = (
        f"--partition {days[0]}"
        if len(days) == 1
        else f"--partition-range {min(days)}...{max(days)}"
    )
    return f"{dg_cli} launch --assets raw_orders {span}"


def dg_beside_interpreter() -> str:
    """The ``dg`` installed beside this Python, as typed from the working directory
    (``.venv/bin/dg`` when run as ``.venv/bin/python -m devtools.held`` from the
    repository root, as ``make run`` prints its commands); ``dg`` when there is none
    (an image that puts it on PATH)."""
    beside = Path(sys.executable).with_name("dg")
    return as_typed(beside) if beside.exists() else "dg"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    read_dotenv()  # as dg dev and dg launch read it
    require_dagster_home("python -m devtools.held")
    settings = PlatformSettings.from_env()
    start = recorded_start(settings)  # the demo's first day, as `make run` and `make ui` use
    if start:
        settings = replace(settings, partitions_start=start)
    with dg.DagsterInstance.get() as instance:
        held = held_partitions(instance) + unjudged_partitions(instance)
        home = instance.root_directory
    if args.json:
        print(json.dumps([asdict(h) for h in held], indent=2))
    else:
        # Commands that work pasted in another shell: the instance and settings they need.
        dg_cli = (
            f"DAGSTER_HOME={shlex.quote(home)} {cli_settings(settings)} {dg_beside_interpreter()}"
        )
        print(format_table(held, dg_cli))
    return 0


if __name__ == "__main__":
    sys.exit(main())
