"""Hostile landing days the other batching corpora do not hold, and what a batching
leaves: every table and the per-day metadata and check verdicts of the day assets.

Five days (the first five of :data:`tests.support.batching.DAYS`):

1. a file landed twice under two names (the same bytes), versions of orders that other
   days land again (one tied on ``updated_at`` with a later day's, one whose newer
   version is quarantined later, one tied within the day with a rejected version later,
   one moving to another customer, one whose e-mail changes, one cancelled later, one
   newer by 100 ns only, which the engines do not see), and ``order_ts`` at midnight UTC
   or moved across it by an offset;
2. only a file of lines none of which parses (``schema_drift`` fails the day: ERROR);
3. only a header-only CSV file, two files of no byte and a CSV file of the contract's
   header and three broken records (quarantined: the day passes, with no order);
4. CSV, JSON Lines and Parquet files with conflicting versions of one order on equal
   instants written in other zones (the later file wins), the later versions of day 1's
   orders, and orders placed on the neighbouring days (wrong partition);
5. 1,000 files of one order each, 700 orders: the repeated ones tied on ``updated_at``
   (the later file wins).

:func:`late_changes` then lands a newer version in a late file for day 1 (published),
replaces day 4's Parquet file, withdraws day 5's folder and lands a sixth day.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import dagster as dg

from tests.support.batching import ALL_TABLES, DAYS, settings_for
from tests.support.fixture_data import (
    HEADER,
    day_dir,
    order,
    write_csv,
    write_jsonl,
    write_parquet,
)
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

D = DAYS
BLOCKED = 1  # index in DAYS of the day of unparseable lines only
MANY_FILES = 1000
DAY_ASSETS = ("raw_orders", "cleaned_orders", "quarantined_orders", "warehouse/fct_orders")
# Metadata that says how a run went, not what it left: how long it took, and which
# versions (mtimes) of the files it listed (the same bytes landed again are new versions).
RUN_METADATA = ("orders/duration_s", "orders/landing_fingerprint", "orders/landing_files")
SCHEMAS = ("dagster/column_schema", "dagster/column_lineage")


def _ts(index: int, hour: int, minute: int = 0, offset: str = "Z") -> str:
    return f"{D[index]}T{hour:02d}:{minute:02d}:00{offset}"


def hostile_days_landing(root: Path, many_files: int = MANY_FILES) -> None:
    """Land the five days (see the module's docstring), day 5 in ``many_files`` files."""
    first = day_dir(root, D[0])
    write_csv(
        first / "a.csv",
        [
            order("tie", "c1", _ts(0, 9), "10.00", updated_at=_ts(5, 10)),
            order("email", "c2", _ts(0, 9), "5.00", customer_email="Old@Example.com"),
            order("rejected-later", "c3", _ts(0, 9), "7.00"),
            order("tied-rejected-later", "c3", _ts(0, 9), "8.00"),
            order("cancelled-later", "c4", _ts(0, 9), "9.00", status="placed"),
            order("moves", "c5", _ts(0, 9), "11.00"),
            order("nanos", "c7", _ts(0, 9), "2.00", updated_at=f"{D[5]}T10:00:00.0000001Z"),
            order("midnight", "c6", f"{D[0]}T00:00:00Z", "1.00"),
            order("next-midnight", "c6", f"{D[1]}T00:00:00+00:00", "1.00"),
            order("last-second", "c6", f"{D[1]}T00:59:59+01:00", "1.00"),
        ],
    )
    shutil.copy(first / "a.csv", first / "a-copy.csv")
    blocked = day_dir(root, D[BLOCKED])
    blocked.mkdir(parents=True)
    (blocked / "junk.jsonl").write_bytes(b'{not json\n[1, 2\n"x\n\xff\xfe\n')
    empty = day_dir(root, D[2])
    write_csv(empty / "header.csv", [])
    (empty / "empty.csv").write_bytes(b"")
    (empty / "empty.jsonl").write_bytes(b"")
    header = ",".join(HEADER).encode()
    (empty / "broken.csv").write_bytes(header + b'\nragged,row\nx\n"never closed,1\n')
    mixed = day_dir(root, D[3])
    write_csv(
        mixed / "m.csv",
        [
            order("mix", "c8", _ts(3, 9), "1.00", updated_at=_ts(3, 10)),
            order("tie", "c1", _ts(3, 9), "12.00", updated_at=_ts(5, 10)),
            order("email", "c2", _ts(3, 9), "5.00", customer_email="New@Example.com"),
            order("cancelled-later", "c4", _ts(3, 9), "9.00", status="cancelled"),
            order("rejected-later", "c3", _ts(3, 9), "-7.00"),
            order("tied-rejected-later", "c3", _ts(3, 9), "8.50", updated_at=_ts(3, 9)),
            order("moves", "c9", _ts(3, 9), "11.00"),
            order("nanos", "c7", _ts(3, 9), "3.00", updated_at=f"{D[5]}T10:00:00Z"),
            order("previous-day", "c10", _ts(2, 9), "1.00"),
            order("next-day", "c10", _ts(4, 9), "1.00"),
            order("crossed-out", "c10", f"{D[3]}T23:30:00-01:00", "1.00"),
            order("crossed-in", "c10", f"{D[4]}T00:30:00+01:00", "1.00"),
        ],
    )
    write_jsonl(
        mixed / "m.jsonl",
        [
            order("mix", "c8", _ts(3, 9), "2.00", updated_at=_ts(3, 10)),
            order("tied-rejected-later", "c3", _ts(3, 9), "oops", updated_at=_ts(3, 9)),
        ],
    )
    write_parquet(
        mixed / "m.parquet",
        [order("mix", "c8", _ts(3, 9), "3.00", updated_at=f"{D[3]}T11:00:00+01:00")],
    )
    land_many(root, many_files)


def land_many(root: Path, many_files: int = MANY_FILES) -> None:
    """Land day 5: ``many_files`` files of one order each, 70 orders in 100 files (the
    repeated ones tied on ``updated_at``, in consecutive files: the later file wins)."""
    many = day_dir(root, D[4])
    for k in range(many_files):
        placed = _ts(4, k % 24, k % 60)
        tied = f"{D[4]}T23:59:59Z"
        write_csv(
            many / f"p{k:05d}.csv",
            [order(f"many{k * 7 // 10}", f"m{k % 50}", placed, f"{1 + k % 9}.00", updated_at=tied)],
        )


def withdraw_many(root: Path) -> None:
    """Withdraw day 5's folder."""
    shutil.rmtree(day_dir(root, D[4]))


def late_changes(root: Path) -> None:
    """After the days ran: a late file for day 1 with a newer version of "tie"; day 4's
    Parquet file replaced by an older version of "mix" (m.jsonl's wins again); day 5's
    folder withdrawn; a sixth day landing a newer version of "moves"."""
    write_csv(
        day_dir(root, D[0]) / "z-late.csv",
        [order("tie", "c1", _ts(0, 9), "13.00", updated_at=_ts(5, 11))],
    )
    write_parquet(
        day_dir(root, D[3]) / "m.parquet",
        [order("mix", "c8", _ts(3, 9), "4.00", updated_at=_ts(3, 9))],
    )
    withdraw_many(root)
    write_csv(
        day_dir(root, D[5]) / "n.csv",
        [
            order("moves", "c5", _ts(5, 9), "11.00", updated_at=_ts(5, 9)),
            order("sixth", "c11", _ts(5, 9), "4.00"),
        ],
    )


def day_state(instance: dg.DagsterInstance, days: Sequence[dt.date]) -> dict:
    """Per day asset and day: the latest materialization's metadata (but :data:`SCHEMAS`
    and :data:`RUN_METADATA`); per check and day: the latest verdict and its severity."""
    state: dict = {}
    for name in DAY_ASSETS:
        key = dg.AssetKey.from_user_string(name)
        for day in days:
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day.isoformat()]), limit=1
            ).records
            if records:
                metadata = records[0].asset_materialization.metadata
                state[(name, day)] = {
                    k: v.value for k, v in metadata.items() if k not in (*SCHEMAS, *RUN_METADATA)
                }
    evaluations = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        ascending=True,
    )
    for record in evaluations:
        check = record.event_log_entry.dagster_event.event_specific_data
        verdict = (check.passed, check.severity.value)
        state[(check.asset_key.to_user_string(), check.check_name, check.partition)] = verdict
    return state


def batched(
    tmp: Path,
    landing: Path,
    batches: list[tuple[int, int]],
    failing: Collection[int] = (),
    stages: Sequence[tuple[Callable[[Path], None], list[tuple[int, int]]]] = (),
) -> tuple[list[dict], dict]:
    """Every table after running the whole graph over ``batches`` (pairs of indexes in
    :data:`DAYS`) on a fresh instance and warehouse in ``tmp``, then after each of
    ``stages`` (a change of the landing zone and the batches run again after it), and
    the last :func:`day_state`. A run holding only days of ``failing`` fails (Dagster's
    own block), any other succeeds."""
    settings = settings_for(landing, tmp)
    tables = []
    with local_instance() as instance:
        for change, runs in [(None, batches), *stages]:
            if change is not None:
                change(landing)
            for first, last in runs:
                result = run_range(
                    settings, instance, str(D[first]), str(D[last]), raise_on_error=False
                )
                assert result.success != all(i in failing for i in range(first, last + 1)), runs
            tables.append(table_checksums(settings.duckdb_path, ALL_TABLES))
        state = day_state(instance, D)
    return tables, state


def held_by_dagster(state: dict, day: dt.date) -> dict:
    """``state`` without what a run of ``day`` alone never writes, Dagster stopping it
    after raw_orders' blocking checks failed: the day's cleaned, quarantined and
    published materializations (a range run records them saying it left the day
    alone) and their checks' verdicts. raw_orders' metadata and checks, which decide
    holds, stay."""
    day_text = day.isoformat()
    return {
        key: value
        for key, value in state.items()
        if not (
            (len(key) == 2 and key[1] == day and key[0] != "raw_orders")
            or (len(key) == 3 and key[2] == day_text and key[0] != "raw_orders")
        )
    }
