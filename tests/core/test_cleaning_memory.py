"""The cleaning run keeps to the engine's memory limit whatever the day's versions.

A day whose every row is an older version of one order held back by a rejected newer
one (a re-sent day whose newer copy is broken) has every row settled. Settling them by an
``UPDATE`` of the session's temporary table kept each new reason detail in memory DuckDB
cannot spill (some 370 MB per million rows): at a million rows the quarantine's insert
ran out of a 572 MiB limit (bench/RESULTS.md, session 36). The same day in small: 400,000
rows under a 128 MB limit on two threads (the settling ran out of it); rewritten, the
table spills, and 1.6M rows fit as well.
"""

import datetime as dt
from collections import Counter

import duckdb

from orders_core.cleaning import hmac_pads
from orders_core.contract import load_contract
from orders_core.sql.cleaning import SETTLE_IN_PLACE_ROWS, settle_versions
from orders_core.sql.dialect import DUCKDB, render
from orders_core.sql.run import cleaning_run
from orders_core.sql.tables import ensure_tables
from orders_core.tables import CLEANED_ORDERS, QUARANTINED_ORDERS, RAW_ORDERS

DAY = dt.date(2025, 1, 1)
ROWS = 400_000

# One order in ROWS versions a second apart; the newest has a negative amount.
LANDED = f"""
INSERT INTO raw.raw_orders (order_id, customer_id, order_ts, amount, currency, updated_at,
    source_file, source_line, source_format, partition_date)
SELECT 'o1', 'c' || (i % 1000), '2025-01-01T00:00:00Z',
    CASE WHEN i = {ROWS} THEN '-1' ELSE '10.00' END, 'USD',
    strftime(TIMESTAMP '2025-01-01 00:00:00' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ'),
    'file:///l/a.csv', i + 1, 'csv', DATE '{DAY}'
FROM range(1, {ROWS} + 1) AS t(i)
"""


def test_a_day_of_versions_all_held_back_is_cleaned_within_the_memory_limit(tmp_path):
    contract = load_contract()
    run = cleaning_run(contract)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("SET TimeZone = 'UTC'")

        def execute(sql, params=()):
            return conn.execute(render(sql), list(params)).fetchall()

        ensure_tables(
            execute, contract, RAW_ORDERS, CLEANED_ORDERS, QUARANTINED_ORDERS, dialect=DUCKDB
        )
        conn.execute(LANDED)
        conn.execute("SET memory_limit = '128MB'")
        conn.execute("SET threads = 2")
        for statement in run.prepare:
            execute(statement)
        execute(run.insert_pads, hmac_pads(b"k" * 16))
        classify, settle = run.classify
        execute(classify, [DAY, DAY])
        settle_versions(execute, settle)
        conn.execute("BEGIN")
        for statement in run.replace:
            execute(statement, [DAY, DAY] if "?" in statement else ())
        conn.execute("COMMIT")
        [(raw, cleaned, quarantined, superseded, *_)] = [
            row[1:] for row in execute(run.reconciliation, [DAY, DAY] * 4)
        ]
        reasons = execute(
            "SELECT reason_code, count(*) FROM staging.quarantined_orders GROUP BY ALL ORDER BY 1"
        )
    assert (raw, cleaned, quarantined, superseded) == (ROWS, 0, ROWS, 0)
    assert reasons == [("negative_amount", 1), ("newer_version_rejected", ROWS - 1)]


# Versions of 699 orders, each on both days, beside 1,000 orders landed
# once: ties on updated_at across files, a rejected version (negative amount) now newest,
# now older, rows without an order id.
VERSIONS = """
INSERT INTO raw.raw_orders (order_id, customer_id, order_ts, amount, currency, updated_at,
    source_file, source_line, source_format, partition_date)
SELECT CASE WHEN i % 211 = 0 THEN NULL WHEN i > 5000 THEN 'u' || i ELSE 'o' || (i % 699) END, 'c' || (i % 90),
    strftime(DATE '2025-01-01' + CAST(i % 2 AS INTEGER), '%Y-%m-%d') || 'T08:00:00Z',
    CASE WHEN i % 13 = 0 THEN '-1' ELSE (i % 50) || '.25' END, 'USD',
    strftime(DATE '2025-01-01' + CAST(i % 2 AS INTEGER), '%Y-%m-%d') || 'T09:0' || (i % 5) || ':00Z',
    'file:///l/' || (i % 3) || '.csv', i, 'csv', DATE '2025-01-01' + CAST(i % 2 AS INTEGER)
FROM range(1, 6001) AS t(i)
"""


def _classified(tmp_path, in_place_rows: int) -> list[tuple]:
    contract = load_contract()
    run = cleaning_run(contract)
    with duckdb.connect(str(tmp_path / f"w{in_place_rows}.duckdb")) as conn:
        conn.execute("SET TimeZone = 'UTC'")

        def execute(sql, params=()):
            return conn.execute(render(sql), list(params)).fetchall()

        ensure_tables(execute, contract, RAW_ORDERS, dialect=DUCKDB)
        conn.execute(VERSIONS)
        for statement in run.prepare:
            execute(statement)
        execute(run.insert_pads, hmac_pads(b"k" * 16))
        classify, settle = run.classify
        execute(classify, [DAY, DAY + dt.timedelta(days=1)])
        settle_versions(execute, settle, in_place_rows)
        return execute("SELECT * FROM orders_classified ORDER BY ALL")


def test_settling_in_place_and_by_rewriting_give_the_same_classification(tmp_path):
    in_place = _classified(tmp_path, in_place_rows=SETTLE_IN_PLACE_ROWS)
    rewritten = _classified(tmp_path, in_place_rows=0)
    assert len(in_place) == 6000
    assert in_place == rewritten
    verdicts = Counter((row[-3], row[-1]) for row in in_place)
    # every kind of settled verdict is there: current, superseded, held back, rejected
    assert verdicts[(None, True)] and verdicts[(None, False)]
    assert verdicts[("newer_version_rejected", None)] and verdicts[("negative_amount", None)]
