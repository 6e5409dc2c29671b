"""The contract judged twice: the engine's verdict on every landed row (cleaned with its
typed values, quarantined with its reason codes, or superseded) against an independent
reading of the documented contract (``tests.support.contract_oracle``, which shares no
code with the engine's SQL).

Two ways in: a catalogue of hostile values, one column at a time (every value the
README's rules have a word on), and generated days of hostile rows competing for a few
order ids (deduplication, newer_version_rejected, ties). Both run the real cleaning SQL
(``clean_orders``); ``tests/prod/test_contract_oracle_snowflake.py`` runs the catalogue on
the Snowflake rendering.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders_core.cleaning import clean_orders
from orders_core.sql.cleaning import SETTLE_IN_PLACE_ROWS
from tests.support.contract_oracle import judge_day
from tests.support.oracle_rows import (
    CONTRACT,
    DAY,
    HOSTILE,
    KEY,
    catalogue_rows,
    disagreements,
    engine_verdicts,
    raw_frame,
    with_lineage,
)

# Each example is one clean_orders call (0.15-0.35 s on a loaded 2-core machine): 80 of
# them take 12-30 s.
ORACLE = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def engine_and_oracle(rows: list[dict], in_place_rows: int = SETTLE_IN_PLACE_ROWS) -> list[str]:
    """The disagreements between the engine and the oracle on one day of ``rows`` (the
    repeated orders settled in place up to ``in_place_rows`` rows, else by a rewrite)."""
    result = clean_orders(raw_frame(rows), CONTRACT, KEY, in_place_rows)
    engine = engine_verdicts(result.cleaned, result.quarantined, rows)
    return disagreements(rows, engine, judge_day(rows, DAY, KEY))


def test_every_hostile_value_of_the_catalogue_gets_the_documented_verdict():
    rows = catalogue_rows()
    assert len(rows) > 400
    assert engine_and_oracle(rows) == []


ORDER_IDS = ["o1", "o2", " o1", "o1 ", "O1"]
VERSIONS = [
    None,
    "2025-01-02T10:00:00Z",
    "2025-01-02T11:00:00Z",
    "2025-01-02T11:00:00.0000001Z",
    "2025-01-02T06:00:00-05:00",
    "2025-01-02 12:00:00",
    "2025-01-02T09:00:00Z",
    "bad",
]
ORDER_TS = [
    "2025-01-02T10:00:00Z",
    "2025-01-02T10:00:00+00:00",
    "2025-01-02 10:00",
    "2025-01-03T01:00:00Z",
]


@st.composite
def landed_row(draw) -> dict:
    """An order of :data:`ORDER_IDS` in one of a few versions, most columns valid and now
    and then one or two of them hostile."""
    quantity = draw(st.sampled_from([None, "1", "2", "3"]))
    price = draw(st.sampled_from([None, "5", "5.00", "4.99"]))
    amount = float(quantity or 1) * float(price or 10)
    row = {
        "order_id": draw(st.sampled_from(ORDER_IDS)),
        "customer_id": draw(st.sampled_from(["c1", "c2"])),
        "order_ts": draw(st.sampled_from(ORDER_TS)),
        "amount": f"{amount:.2f}",
        "currency": draw(st.sampled_from(["USD", "eur", "JPY"])),
        "quantity": quantity,
        "unit_price": price,
        "status": draw(st.sampled_from([None, "placed", "Cancelled"])),
        "region": draw(st.sampled_from([None, "EU"])),
        "customer_email": draw(st.sampled_from([None, "a@b.co"])),
        "updated_at": draw(st.sampled_from(VERSIONS)),
    }
    for column in draw(st.lists(st.sampled_from(sorted(HOSTILE)), max_size=2)):
        row[column] = draw(st.sampled_from(HOSTILE[column]))
    if draw(st.integers(0, 19)) == 0:  # a record the reader could not parse
        row = {"parse_error": "field_count: expected 11 fields, found 12", "raw_record": "[]"}
    return row


@ORACLE
@given(
    st.lists(landed_row(), min_size=1, max_size=8),
    # both ways of settling repeated orders: an UPDATE, or the classification rewritten
    st.sampled_from([SETTLE_IN_PLACE_ROWS, 0]),
)
def test_each_row_of_a_hostile_day_gets_the_documented_verdict(rows, in_place_rows):
    rows = with_lineage(rows)
    assert engine_and_oracle(rows, in_place_rows) == []
