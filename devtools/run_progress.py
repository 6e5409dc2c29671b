"""One console line per finished step of an in-process run, read from the instance's event log.

``execute_in_process`` blocks until the run ends; :func:`watch_run` polls the run's
events (the same records the UI reads) from a background thread meanwhile, and prints
each step as it finishes: its seconds, the rows it materialized (``dagster/partition_row_count``
or ``dagster/row_count``, summed over the days) and its check verdicts. The tally of
the whole run (check failures by day, failed and skipped steps) is returned for the
caller to decide what the run meant.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import dagster as dg
import sqlalchemy.exc

EVENT_TYPES = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
}
ROW_COUNT_KEYS = ("dagster/partition_row_count", "dagster/row_count")


@dataclass
class StepTally:
    """What one step did, gathered from its events."""

    started: float | None = None
    rows: dict[str, int] = field(default_factory=dict)  # asset -> rows
    days: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    checks: dict[str, list[int]] = field(default_factory=dict)  # check -> [passed, failed]

    def describe(self, held_check: str | None = None) -> str:
        parts = []
        for asset, rows in self.rows.items():
            days = len(self.days[asset])
            parts.append(f"{asset} {rows:,} rows" + (f" / {days} days" if days else ""))
        failing = {name: counts for name, counts in self.checks.items() if counts[1]}
        if len(self.checks) == 1 or failing:
            for check, (passed, failed) in self.checks.items():
                word = "held" if check == held_check else "FAILED"
                parts.append(f"{check} {passed} passed" + (f", {failed} {word}" if failed else ""))
        elif self.checks:
            parts.append(f"{len(self.checks)} checks passed")
        return "; ".join(parts)


@dataclass(frozen=True)
class FailedCheck:
    """A failed check evaluation: which check, on which day, and the check's own words."""

    check: str
    asset: str
    partition: str | None
    description: str
    metadata: dict[str, object]
    severity: str = "ERROR"  # WARN: reported, blocks nothing


@dataclass
class RunTally:
    """Everything :func:`watch_run` saw of one run."""

    steps: dict[str, StepTally] = field(default_factory=dict)
    failed_steps: dict[str, str] = field(default_factory=dict)  # step key -> error message
    skipped_steps: list[str] = field(default_factory=list)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    quick_checks: list[float] = field(default_factory=list)  # seconds of unprinted check steps


class _Watcher:
    def __init__(
        self,
        instance: dg.DagsterInstance,
        run_id: str,
        write: Callable[[str], None],
        held_check: str | None,
        quick_seconds: float,
    ):
        self.instance, self.run_id, self.write = instance, run_id, write
        self.held_check, self.quick_seconds = held_check, quick_seconds
        self.cursor: str | None = None
        self.tally = RunTally()
        self.lock = threading.Lock()

    def poll(self) -> None:
        with self.lock:
            while True:
                connection = self.instance.get_records_for_run(
                    self.run_id, cursor=self.cursor, of_type=EVENT_TYPES
                )
                for record in connection.records:
                    self._handle(record.event_log_entry)
                self.cursor = connection.cursor
                if not connection.has_more:
                    return

    def _handle(self, entry: dg.EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        step = self.tally.steps.setdefault(event.step_key, StepTally())
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            step.started = entry.timestamp
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = entry.asset_materialization
            if materialization is None:
                return
            asset = materialization.asset_key.to_user_string()
            values = {key: value.value for key, value in materialization.metadata.items()}
            rows = next((values[k] for k in ROW_COUNT_KEYS if isinstance(values.get(k), int)), 0)
            step.rows[asset] = step.rows.get(asset, 0) + rows
            if materialization.partition:
                step.days[asset].add(materialization.partition)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = entry.asset_check_evaluation
            if evaluation is None:
                return
            counts = step.checks.setdefault(evaluation.check_name, [0, 0])
            counts[0 if evaluation.passed else 1] += 1
            if not evaluation.passed:
                self.tally.failed_checks.append(
                    FailedCheck(
                        check=evaluation.check_name,
                        asset=evaluation.asset_key.to_user_string(),
                        partition=evaluation.partition,
                        description=evaluation.description or "",
                        metadata={k: v.value for k, v in evaluation.metadata.items()},
                        severity=evaluation.severity.value,
                    )
                )
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self.tally.skipped_steps.append(event.step_key)
        else:  # success or failure: the step is done
            seconds = entry.timestamp - step.started if step.started else 0.0
            passed = kind == dg.DagsterEventType.STEP_SUCCESS
            if passed and not step.rows and seconds < self.quick_seconds:
                self.tally.quick_checks.append(seconds)  # summed up in one line at the end
                return
            detail = step.describe(self.held_check)
            if kind == dg.DagsterEventType.STEP_FAILURE:
                error = event.step_failure_data.error
                message = (error.message if error else "failed").strip().splitlines()[0]
                self.tally.failed_steps[event.step_key] = message
                if not step.checks:
                    detail = f"FAILED: {message}"
            self.write(f"  {event.step_key:<44} {seconds:6.1f} s  {detail}")


@contextmanager
def watch_run(
    instance: dg.DagsterInstance,
    run_id: str,
    write: Callable[[str], None] = print,
    interval: float = 0.5,
    held_check: str | None = None,
    quick_seconds: float = 1.0,
) -> Iterator[RunTally]:
    """Print each step of run ``run_id`` as it finishes while the body executes the run.

    Failed evaluations of ``held_check`` are worded "held": that check holds days on purpose.
    Check-only steps that pass in under ``quick_seconds`` are counted in one closing line.
    """
    watcher = _Watcher(instance, run_id, write, held_check, quick_seconds)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            # A SQLite file busy with the run's own writes: read again on the next tick.
            with suppress(sqlalchemy.exc.OperationalError):
                watcher.poll()

    thread = threading.Thread(target=loop, name=f"watch-{run_id[:8]}", daemon=True)
    thread.start()
    try:
        yield watcher.tally
    finally:
        stop.set()
        thread.join()
        watcher.poll()  # whatever landed after the last tick
        quick = watcher.tally.quick_checks
        if quick:
            label = f"{len(quick)} more check step{'s' if len(quick) > 1 else ''}"
            write(f"  {label:<44} {sum(quick):6.1f} s  all passed")
