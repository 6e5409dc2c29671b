"""Landed files mutated byte by byte leave the same warehouse whatever the batching.

The three days of ``tests.support.landing_mutants.mutant_days_landing``: CSV, JSON Lines
and gzip files cut inside a UTF-8 character or a gzip stream, with a lone CR, a NUL, a
byte that is not UTF-8, a byte-order mark, a header or a line repeated, a brace lost, a
gzip member appended, and the two Parquet files the engine loaded with a value changed
(found by mutating files at random: ``tests/integration/test_plain_parquet.py``), the
same orders in every file and on every day. Three of the files the engine's strict scan
refuses inside the replacing transaction, so a range run stages what a day's run loads
directly. The third day holds only unreadable files: schema_drift holds it, and a run of
it alone fails.

A range run, day-by-day runs backwards and a random batching with a re-run leave the
same tables, metadata and check verdicts (those of the held day's downstream aside,
which a run of that day alone never reaches). Seven runs: about 30 s of CPU.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from tests.support.batching import DAYS, random_batches
from tests.support.hostile_days import batched, held_by_dagster
from tests.support.landing_mutants import mutant_days_landing, order_ids_in, surviving_order_ids

pytestmark = pytest.mark.slow

LAST = 2  # the three days are DAYS[0..2]
HELD = 2  # its files are all unreadable


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mutant-days") / "landing"
    mutant_days_landing(root, DAYS[: LAST + 1])
    return root


@pytest.fixture(scope="module")
def whole(tmp_path_factory, landing) -> tuple[dict, dict, Path]:
    folder = tmp_path_factory.mktemp("range")
    (tables,), state = batched(folder, landing, [(0, LAST)], failing=[HELD])
    return tables, state, folder / "orders.duckdb"


def _same_as_range(whole, tables: list[dict], state: dict) -> None:
    range_tables, range_state, _ = whole
    assert tables == [range_tables]
    held = DAYS[HELD]
    assert held_by_dagster(state, held) == held_by_dagster(range_state, held)


def test_the_range_keeps_every_surviving_order_and_holds_the_unreadable_day(landing, whole):
    _, state, warehouse = whole
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select regexp_extract(source_file, '[^/]*$'), source_line, order_id, parse_error,"
            " raw_record from raw.raw_orders"
        ).fetchall()
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        mine = [row for row in rows if row[0] == path.name]
        if path.name.endswith((".parquet", ".gz")) and len(mine) == 1:
            assert mine[0][3].startswith(("unreadable_parquet: ", "unreadable_gzip: ")), mine
            continue
        text = path.read_bytes()
        text = gzip.decompress(text) if path.name.endswith(".gz") else text
        assert surviving_order_ids(text) <= order_ids_in(mine), path.name
    # The changed GZIP page's value was loaded (東京 as 睱京) before the engine's Parquet
    # files were decoded first.
    assert [row[1:4] for row in rows if row[0] == "i.parquet"] == [
        (0, None, "unreadable_parquet: GZipCodec failed: incorrect data check")
    ]
    for day in DAYS[:HELD]:
        assert state[("cleaned_orders", "reconciliation", day.isoformat())] == (True, "ERROR")
    assert state[("raw_orders", "schema_drift", DAYS[HELD].isoformat())] == (False, "ERROR")


def test_day_by_day_backwards_equals_the_range(tmp_path, landing, whole):
    batches = [(i, i) for i in reversed(range(LAST + 1))]
    _same_as_range(whole, *batched(tmp_path, landing, batches, failing=[HELD]))


def test_a_random_batching_with_a_rerun_equals_the_range(tmp_path, landing, whole):
    batches = random_batches(64, again=True, days=LAST + 1)
    _same_as_range(whole, *batched(tmp_path, landing, batches, failing=[HELD]))
