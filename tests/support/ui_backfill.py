"""What a UI backfill did, read back from the webserver's GraphQL API.

Runs become :class:`RunSpan` values (when each was requested, started and ended, and the
concurrency pools of its steps), so a test can say which ones overlapped, which ones the run
queue held back, and print the timeline a person would read on the Runs page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

BACKFILL_TAG = "dagster/backfill"
FINISHED_BACKFILL = frozenset({"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED"})
SUCCEEDED_BACKFILL = frozenset({"COMPLETED", "COMPLETED_SUCCESS"})
SHOWN_TAGS = (
    BACKFILL_TAG,
    "dagster/sensor_name",
    "dagster/partition",
    "dagster/asset_partition_range_start",
    "dagster/asset_partition_range_end",
)

BACKFILLS_QUERY = """
{
  partitionBackfillsOrError {
    __typename
    ... on PartitionBackfills { results { id status } }
    ... on PythonError { message }
  }
}
"""

BACKFILL_QUERY = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status error { message } }
    ... on PythonError { message }
    ... on BackfillNotFoundError { message }
  }
}
"""

RUNS_QUERY = """
{
  runsOrError(limit: 500) {
    __typename
    ... on Runs {
      results {
        runId status creationTime startTime endTime allPools
        tags { key value }
      }
    }
    ... on PythonError { message }
  }
}
"""

LOGS_QUERY = """
query Logs($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor, limit: 1000) {
    __typename
    ... on EventConnection {
      cursor hasMore
      events { __typename ... on MessageEvent { message level stepKey } }
    }
    ... on PythonError { message }
    ... on RunNotFoundError { message }
  }
}
"""

GraphQL = Callable[[str, dict | None], dict]


@dataclass(frozen=True)
class RunSpan:
    """One run as the Runs page lists it; times are Unix seconds (None until they happen)."""

    run_id: str
    status: str
    created: float
    started: float | None
    ended: float | None
    pools: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_graphql(cls, run: dict) -> RunSpan:
        return cls(
            run_id=run["runId"],
            status=run["status"],
            created=run["creationTime"],
            started=run["startTime"],
            ended=run["endTime"],
            pools=tuple(run["allPools"] or ()),
            tags={tag["key"]: tag["value"] for tag in run["tags"]},
        )

    @property
    def backfill_id(self) -> str | None:
        return self.tags.get(BACKFILL_TAG)

    def in_pool(self, pool: str) -> bool:
        return pool in self.pools

    def describe(self, origin: float) -> str:
        """``abcd1234 SUCCESS requested +3s started +15s ended +41s (queued 12s) {tags}``."""

        def at(moment: float | None) -> str:
            return "-" if moment is None else f"+{moment - origin:.0f}s"

        queued = "" if self.started is None else f" (queued {self.started - self.created:.0f}s)"
        tags = {key: self.tags[key] for key in SHOWN_TAGS if key in self.tags}
        return (
            f"{self.run_id[:8]} {self.status:<8} requested {at(self.created)} started"
            f" {at(self.started)} ended {at(self.ended)}{queued} {tags}"
        )


def timeline(spans: Sequence[RunSpan]) -> str:
    """The runs in the order they were requested, times relative to the first request."""
    if not spans:
        return "(no runs)"
    ordered = sorted(spans, key=lambda span: span.created)
    origin = ordered[0].created
    stamp = dt.datetime.fromtimestamp(origin, dt.UTC).strftime("%H:%M:%S UTC")
    return "\n".join([f"t0 = {stamp}", *(span.describe(origin) for span in ordered)])


def overlapping(spans: Iterable[RunSpan]) -> list[tuple[RunSpan, RunSpan]]:
    """Pairs of runs that were in progress at the same moment (a run not yet ended counts
    as in progress from its start on; a run never started is never in progress)."""
    started = [span for span in spans if span.started is not None]
    pairs = []
    for first, second in combinations(sorted(started, key=lambda span: span.started), 2):
        if first.ended is None or second.started < first.ended:
            pairs.append((first, second))
    return pairs


def held_back(spans: Iterable[RunSpan], min_wait: float = 10.0) -> list[tuple[RunSpan, RunSpan]]:
    """(waiting, blocking) pairs where the run queue made ``waiting`` wait for ``blocking``:
    ``waiting`` was requested at least ``min_wait`` seconds before ``blocking`` ended (the
    queue looks every few seconds) and started only after it ended."""
    done = [span for span in spans if span.started is not None and span.ended is not None]
    return [
        (waiting, blocking)
        for waiting in done
        for blocking in done
        if waiting is not blocking
        and waiting.created + min_wait <= blocking.ended <= waiting.started
    ]


def backfill_ids(graphql: GraphQL) -> list[str]:
    """Ids of every backfill on the instance."""
    data = graphql(BACKFILLS_QUERY, None)["partitionBackfillsOrError"]
    if data["__typename"] != "PartitionBackfills":
        raise AssertionError(f"partitionBackfillsOrError: {data}")
    return [backfill["id"] for backfill in data["results"]]


def backfill_status(graphql: GraphQL, backfill_id: str) -> tuple[str, str | None]:
    """(status, error message) of one backfill."""
    data = graphql(BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
    if data["__typename"] != "PartitionBackfill":
        raise AssertionError(f"partitionBackfillOrError({backfill_id}): {data}")
    return data["status"], (data["error"] or {}).get("message")


def run_spans(graphql: GraphQL) -> list[RunSpan]:
    """Every run on the instance, whatever launched it."""
    data = graphql(RUNS_QUERY, None)["runsOrError"]
    if data["__typename"] != "Runs":
        raise AssertionError(f"runsOrError: {data}")
    return [RunSpan.from_graphql(run) for run in data["results"]]


def run_events(graphql: GraphQL, run_id: str) -> list[dict]:
    """Every event of a run's event log (``__typename``, and message/level/stepKey if any)."""
    events, cursor = [], None
    while True:
        data = graphql(LOGS_QUERY, {"runId": run_id, "cursor": cursor})["logsForRun"]
        if data["__typename"] != "EventConnection":
            raise AssertionError(f"logsForRun({run_id}): {data}")
        events.extend(data["events"])
        if not data["hasMore"]:
            return events
        cursor = data["cursor"]
