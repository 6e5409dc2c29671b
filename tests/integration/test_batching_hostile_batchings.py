"""Hunt 82's hostile days leave the same warehouse, per-day metadata and check verdicts
whatever the batching, and re-running the days late changes touch leaves a fresh run's.

The six days of ``tests.support.hostile_batchings``: name and content dates disagreeing,
CR LF and LF with a byte-order mark in one day, quoted delimiters and line breaks, a
reversed column order and an extra column in one file of a day, amounts, currencies and
timestamps written every odd way (offsets moving ``order_ts`` across midnight UTC both
ways), gzip files of CR LF, of two members and of no text, JSON Lines as ``.ndjson`` and
gzip, a JSON array (``schema_drift`` fails its day), Parquet files typing the same
columns differently, files of no row, no byte, a byte-order mark only or blank lines, a
day of quarantined rows only, and versions of orders competing across days in both
orders of arrival (an id trimmed into another day's, a newer version by instant that is
older as text, a newer version in a file of another day's orders).

Compared with one range run: day-by-day runs; the second half, then the first, then an
overlapping range and a day re-run after later days. Then :func:`late_changes` (a file
moved to the day its orders belong to, a file of no byte, a late newer version, a day's
file replaced): the changed days re-run alone, newest first, after a range run, must
leave a fresh range run's warehouse. Compared: every table (raw, cleaned, quarantined
with reasons, facts, customer tables, fx_rates) and every day's latest metadata and
check verdicts, but those of the blocked day's downstream, which a run of that day alone
never reaches. Eighteen runs: about 50 s of CPU (two to four minutes on a loaded machine).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support.bad_inputs import (
    ODD_AMOUNTS,
    ODD_AMOUNTS_REFUSED,
    ODD_CURRENCIES,
    ODD_CURRENCIES_REFUSED,
    ODD_STAMPS_OUTSIDE,
    ODD_STAMPS_REFUSED,
    odd_stamps,
)
from tests.support.batching import DAYS
from tests.support.hostile_batchings import (
    BLOCKED,
    CHANGED,
    LAST,
    hostile_batchings_landing,
    late_changes,
)
from tests.support.hostile_days import batched, held_by_dagster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """The one landing zone of every test (``source_file`` is its files' URIs): landed
    afresh by each."""
    return tmp_path_factory.mktemp("hostile-batchings") / "landing"


def _land(root: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    hostile_batchings_landing(root)
    return root


@pytest.fixture(scope="module")
def whole(tmp_path_factory, landing) -> tuple[dict, dict, Path]:
    folder = tmp_path_factory.mktemp("range")
    (tables,), state = batched(folder, _land(landing), [(0, LAST)], failing=[BLOCKED])
    return tables, state, folder / "orders.duckdb"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, landing) -> tuple[dict, dict, Path]:
    folder = tmp_path_factory.mktemp("fresh")
    late_changes(_land(landing))
    (tables,), state = batched(folder, landing, [(0, LAST)], failing=[BLOCKED])
    return tables, state, folder / "orders.duckdb"


def _same(reference, tables: list[dict], state: dict) -> None:
    reference_tables, reference_state, _ = reference
    assert tables[-1] == reference_tables
    blocked = DAYS[BLOCKED]
    assert held_by_dagster(state, blocked) == held_by_dagster(reference_state, blocked)


def _published(warehouse: Path) -> tuple[dict, dict]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        facts = dict(
            conn.execute(
                "select order_id, (cast(partition_date as varchar), amount)"
                " from warehouse.fct_orders"
            ).fetchall()
        )
        reasons = dict(
            conn.execute(
                "select order_id, list(reason_code order by reason_code)"
                " from staging.quarantined_orders group by order_id"
            ).fetchall()
        )
    return facts, reasons


def test_the_range_publishes_every_case_by_the_documented_rules(whole):
    _, state, warehouse = whole
    facts, reasons = _published(warehouse)
    d = [str(day) for day in DAYS]
    # versions across days: the newest valid one, wherever it landed
    assert facts["sup"] == (d[1], 11.0)  # day 6's newer version is quarantined
    assert facts["sup-rev"] == (d[0], 20.0)  # day 2's is older by updated_at
    assert facts["ofs"] == (d[1], 21.0)  # newer by instant, older as written
    assert facts["ws"] == (d[1], 11.0)  # " ws " is ws, trimmed; "WS" another order
    assert facts["WS"] == (d[1], 12.0)
    assert facts["lf1"] == (d[0], 10.0)  # its newer version is in day 2's folder
    assert facts["allq"] == (d[0], 40.0)
    assert "mv1" not in facts and reasons["mv1"] == ["order_ts_outside_partition"]
    assert facts["nm1"] == (d[1], 2.0)  # a file named after day 1: its rows decide
    assert facts["dupf"] == (d[1], 9.0)  # one file under two names: one order
    # odd ways of writing amounts, currencies and timestamps
    for prefix, count, refused, code in (
        ("n", len(ODD_AMOUNTS), ODD_AMOUNTS_REFUSED, "invalid_amount"),
        ("cur", len(ODD_CURRENCIES), ODD_CURRENCIES_REFUSED, "invalid_currency"),
        ("ts", len(odd_stamps(DAYS[0])), ODD_STAMPS_REFUSED, "invalid_order_ts"),
        ("ts", len(odd_stamps(DAYS[0])), ODD_STAMPS_OUTSIDE, "order_ts_outside_partition"),
    ):
        ids = [f"{prefix}{i}" for i in range(count)]
        assert {i for i, x in enumerate(ids) if reasons.get(x) == [code]} == refused, code
    cleaned = ODD_STAMPS_REFUSED | ODD_STAMPS_OUTSIDE
    assert all(f"ts{i}" in facts for i in range(len(odd_stamps(DAYS[0]))) if i not in cleaned)
    assert facts["ts1"] == (d[0], 1.0)  # the next day as written, this day in UTC
    # formats: each order once, quoted line breaks as landed
    for order_id in ("crlf1", "crlf2", "crlf3", "lfq1", "lfq2", "ro1", "ex1"):
        assert facts[order_id][0] == d[0], order_id
    for order_id in ("gz1", "gz2", "gzj1", "nd1", "mem1", "mem2"):
        assert facts[order_id][0] == d[3], order_id
    for order_id in ("pd1", "ps1", "pf1", "pdec1", "ptz2", "pdate1", "pdict1", "pdict2"):
        assert facts[order_id] == (d[4], 12.1), order_id
    assert reasons["ptz1"] == ["order_ts_outside_partition"]
    # the day of quarantined rows only, and the blocked day
    assert reasons["allq"] == ["negative_amount"] and reasons["q2"] == ["invalid_amount"]
    assert not any(day == d[5] for day, _ in facts.values())
    assert state[("raw_orders", "schema_drift", d[BLOCKED])] == (False, "ERROR")
    assert not any(day == d[BLOCKED] for day, _ in facts.values())


def test_day_by_day_runs_equal_the_range(tmp_path, landing, whole):
    batches = [(i, i) for i in range(LAST + 1)]
    _same(whole, *batched(tmp_path, _land(landing), batches, failing=[BLOCKED]))


def test_halves_an_overlap_and_a_day_rerun_after_later_days_equal_the_range(
    tmp_path, landing, whole
):
    batches = [(3, LAST), (0, 2), (2, 4), (1, 1)]
    _same(whole, *batched(tmp_path, _land(landing), batches, failing=[BLOCKED]))


def test_the_fresh_run_publishes_the_late_versions(fresh):
    facts, reasons = _published(fresh[2])
    d = [str(day) for day in DAYS]
    assert facts["lf1"] == (d[0], 15.0)  # its newer version moved to its day
    assert facts["mv1"] == (d[0], 3.0) and "mv1" not in reasons
    assert facts["sup"] == (d[3], 13.0)  # landed late on day 4; day 6's is quarantined
    assert facts["q2"] == (d[5], 2.0)


def test_changed_days_rerun_alone_newest_first_equal_a_fresh_run(tmp_path, landing, fresh):
    reruns = [(i, i) for i in reversed(CHANGED)]
    stages = [(late_changes, reruns)]
    _same(fresh, *batched(tmp_path, _land(landing), [(0, LAST)], [BLOCKED], stages))
