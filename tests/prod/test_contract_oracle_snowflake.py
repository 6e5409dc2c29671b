"""The contract judged twice on the Snowflake rendering: the catalogue of hostile values
of ``tests/core/test_contract_oracle.py`` (one column at a time) and one day of versions
competing for a few order ids, cleaned by the Snowflake form of the statements under
fakesnow, against the independent reading of the contract
(``tests.support.contract_oracle``). fakesnow runs it on DuckDB: LOWER and UPPER are given
Snowflake's documented full case mapping, and TRY_PARSE_JSON a parser refusing NaN and
Infinity, which Snowflake's documentation does not promise to take
(``tests.support.snowflake_case``), so a verdict that only DuckDB's answers made right
fails here."""

from __future__ import annotations

import pytest

from orders_core.sql.cleaning import SETTLE_IN_PLACE_ROWS
from tests.support.contract_oracle import judge_day
from tests.support.fakesnow_cleaning import snowflake_clean
from tests.support.oracle_rows import (
    DAY,
    KEY,
    catalogue_rows,
    disagreements,
    engine_verdicts,
    raw_frame,
    valid_row,
    with_lineage,
)

pytestmark = pytest.mark.services


def competing_versions() -> list[dict]:
    """Versions of a few orders: a tie of four (offsets, a 7th fraction digit dropped)
    settled by file, then line; a quarantined version holding back the valid ones as new
    or older; a quarantined version whose unreadable updated_at falls back to its
    order_ts, newer (o3) or older (o4) than the valid one."""
    versions = [
        ("o1", "08:00:00Z", "2025-01-02T11:00:00Z", "10"),
        ("o1", "08:00:00Z", "2025-01-02T11:00:00Z", "11"),
        ("o1", "08:00:00Z", "2025-01-02T06:00:00-05:00", "12"),
        ("o2", "08:00:00Z", "2025-01-02T09:00:00Z", "20"),
        ("o2", "08:00:00Z", "2025-01-02T10:30:00+01:00", "-1"),
        ("o2", "08:00:00Z", "2025-01-02T09:30:00Z", "21"),
        ("o3", "08:00:00Z", "2025-01-02T09:00:00Z", "30"),
        ("o3", "09:30:00Z", "soon", "31"),
        ("o4", "08:00:00Z", "2025-01-02T09:00:00Z", "40"),
        ("o4", "08:30:00Z", "soon", "41"),
        ("o1 ", "08:00:00Z", "2025-01-02 11:00:00.0000001", "13"),
    ]
    return [
        {
            **valid_row(0),
            "order_id": key,
            "order_ts": f"2025-01-02T{placed}",
            "updated_at": updated,
            "amount": amount,
        }
        for key, placed, updated, amount in versions
    ]


def fakesnow_catalogue() -> list[dict]:
    """The catalogue but for the years 1 and 9999: fakesnow runs Snowflake's nanosecond
    DATEADD as DuckDB nanosecond timestamps, which end at 1677 and 2262 ("Could not convert
    Timestamp to higher precision"); Snowflake's own TIMESTAMP_TZ holds years 1 to 9999."""
    far = ("0001-", "9999-")
    return [
        row
        for row in catalogue_rows()
        if not any(str(row[name]).startswith(far) for name in ("order_ts", "updated_at"))
    ]


@pytest.mark.parametrize(
    ("rows", "in_place_rows"),
    [
        (fakesnow_catalogue(), SETTLE_IN_PLACE_ROWS),
        (with_lineage(competing_versions()), SETTLE_IN_PLACE_ROWS),
        # the repeated orders settled by rewriting the classification (a day of many)
        (with_lineage(competing_versions()), 0),
    ],
    ids=["catalogue", "versions-in-place", "versions-rewritten"],
)
def test_the_snowflake_rendering_gives_every_row_the_documented_verdict(rows, in_place_rows):
    cleaned, quarantined = snowflake_clean(
        raw_frame(rows), KEY, in_place_rows, documented_case=True, strict_json=True
    )
    engine = engine_verdicts(cleaned, quarantined, rows)
    assert disagreements(rows, engine, judge_day(rows, DAY, KEY)) == []
