"""JSON Lines, Parquet and gzip files as hostile as the CSV ones of test_batching: a range
run, day-by-day runs in reverse and a random batching leave byte-identical tables (the
customer tables too), every odd record is quarantined with its reason, and an order
landed on several days in several formats is published once, as its newest version
(the later day on equal instants written differently)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from tests.support.batching import ALL_TABLES, DAYS, settings_for
from tests.support.hostile_formats import JSONL_REASONS, hostile_formats_landing
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

pytestmark = pytest.mark.slow

LAST = 3  # the landing's four days are DAYS[0..3]


def _tables_after(tmp: Path, landing: Path, batches: list[tuple[int, int]]) -> dict:
    settings = settings_for(landing, tmp)
    with local_instance() as instance:
        for first, last in batches:
            result = run_range(settings, instance, str(DAYS[first]), str(DAYS[last]))
            assert result.success, (first, last)
    return table_checksums(settings.duckdb_path, ALL_TABLES)


def test_hostile_jsonl_parquet_and_gzip_files_publish_the_same_whatever_the_batching(tmp_path):
    landing = tmp_path / "landing"
    hostile_formats_landing(landing)
    whole = _tables_after(tmp_path / "range", landing, [(0, LAST)])
    backwards = _tables_after(tmp_path / "back", landing, [(i, i) for i in reversed(range(4))])
    assert backwards == whole
    cut = random.Random(7).randint(1, LAST)
    batches = [(cut, LAST), (0, cut - 1), (0, 0)]
    assert _tables_after(tmp_path / "rand", landing, batches) == whole, batches

    with duckdb.connect(str(tmp_path / "range" / "orders.duckdb"), read_only=True) as conn:
        jsonl = conn.execute(
            "select source_line, reason_code from staging.quarantined_orders"
            " where source_file like '%/a.jsonl' order by source_line"
        ).fetchall()
        unquarantined = conn.execute(
            "select count(*) from raw.raw_orders r where parse_error is not null and not exists"
            " (select 1 from staging.quarantined_orders q where q.source_file = r.source_file"
            " and q.source_line = r.source_line and q.reason_code = 'malformed_record')"
        ).fetchone()
        files = conn.execute(
            "select distinct regexp_extract(source_file, '[^/]*$') from raw.raw_orders order by 1"
        ).fetchall()
        facts = dict(conn.execute("select order_id, amount from warehouse.fct_orders").fetchall())
        counts = conn.execute(
            "select count(*), count(distinct order_id) from warehouse.fct_orders"
        ).fetchone()
    assert dict(jsonl) == JSONL_REASONS  # the blank line 11 is no record
    assert unquarantined == (0,)
    # the file of no byte and the one of whitespace hold no record
    assert [name for (name,) in files] == [
        "PADDED.CSV.GZ",
        "a.jsonl",
        "groups.parquet",
        "late.parquet",
        "multi.jsonl.gz",
        "nested.parquet",
        "typed.parquet",
    ]
    # X: day 2's Parquet version ties day 1's JSON Lines one (the same instant, another
    # zone, nanoseconds) and wins as the later day; day 3's is older, day 4's quarantined.
    # W: day 4's "+05:30" text ties day 2's Parquet instant and wins as the later day.
    assert {k: facts[k] for k in ("X", "W", "Y", "m1", "rep", "case", "g1")} == {
        "X": 2.5,
        "W": 8.0,
        "Y": 7.0,
        "m1": 6.0,
        "rep": 2.0,
        "case": 3.0,
        "g1": 5.0,
    }
    assert counts[0] == counts[1]
