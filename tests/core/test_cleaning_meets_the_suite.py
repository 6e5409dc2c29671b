"""Every row the cleaning keeps meets cleaned_orders' own suite (gx_quality), and every
landed row is accounted for, on values at the edges of what the rules compare.

The suite tests what the cleaning is supposed to enforce: a kept row that fails it is a
disagreement between the two, and the blocking check then withholds the whole day.
"""

import math

import pytest

from devtools.gx_reference import executor, warehouse_with
from orders_core.cleaning import CleaningResult
from orders_core.contract import load_contract
from orders_core.expectations import order_suite
from orders_core.sql.quality import evaluate
from orders_core.tables import CLEANED_ORDERS
from tests.support.bad_inputs import TINY
from tests.support.order_fixtures import DAY, clean, csv_bytes, landed, order_rows, raw_frame

CONTRACT = load_contract()


def _cleaned(rows: list[dict[str, str]]) -> CleaningResult:
    result = clean(raw_frame([landed("a.csv", csv_bytes(rows))]))
    assert len(result.cleaned) + len(result.quarantined) + result.superseded_rows == len(rows)
    return result


def _failed_expectations(result: CleaningResult) -> list[tuple[str, str, int, str]]:
    suite = order_suite(CONTRACT)
    execute = executor(warehouse_with({CLEANED_ORDERS: result.cleaned}))
    _, outcomes = evaluate(execute, CLEANED_ORDERS, lambda day: suite, [DAY])[DAY]
    return [
        (o.expectation, o.column, o.unexpected_count, o.sample) for o in outcomes if not o.success
    ]


def _priced(order_id: str, amount: float, quantity: int, unit_price: float) -> dict[str, str]:
    (row,) = order_rows(1)
    prices = {"amount": repr(amount), "quantity": str(quantity), "unit_price": repr(unit_price)}
    return {**row, "order_id": order_id, **prices}


def test_amounts_below_the_normal_doubles_are_judged_as_the_suite_judges_them():
    # Below 2.2e-306, 0.01 x amount is a subnormal double and loses digits: for 151 x TINY
    # it rounds 1.51 x TINY up to 2 x TINY, so the cleaning kept an amount 1.3 % off
    # quantity x unit_price (2 steps of 151), which the suite's line error
    # (|amount - lines| / amount, at most 0.01) refused: gx_quality failed the day.
    rows = [
        _priced("off", 151 * TINY, 1, 153 * TINY),
        _priced("at_the_edge", 100 * TINY, 1, 101 * TINY),
        _priced("equal", 151 * TINY, 1, 151 * TINY),
        *order_rows(3, prefix="p"),
    ]
    result = _cleaned(rows)

    assert _failed_expectations(result) == []
    reasons = dict(
        zip(result.quarantined["order_id"], result.quarantined["reason_code"], strict=True)
    )
    assert reasons == {"off": "amount_mismatch"}
    assert {"at_the_edge", "equal"} <= set(result.cleaned["order_id"])


@pytest.mark.parametrize("quantity", [1, 3, 7])
def test_every_kept_line_total_meets_the_suite_around_the_tolerance(quantity):
    # Amounts of k x TINY against line totals a few steps either side of 1 % above and
    # below them: what the cleaning keeps the suite accepts, the rest is amount_mismatch.
    rows = []
    for k in range(1, 400):
        for share in (1.01, 0.99):
            edge = round(k * share / quantity)
            for j in range(max(0, edge - 2), edge + 3):
                rows.append(_priced(f"k{k}-{share}-{j}", k * TINY, quantity, j * TINY))
    result = _cleaned(rows)

    assert _failed_expectations(result) == []
    assert set(result.quarantined["reason_code"]) == {"amount_mismatch"}
    assert len(result.cleaned) > 0


def test_each_currency_bound_is_judged_as_the_suite_judges_it():
    """max_by_currency: at every bound (one currency of each, and one the table does not
    list), the amount and unit price at the bound are kept and pass the suite's
    expectation of that bound; the next double above is quarantined, never kept."""
    amount = CONTRACT.column("amount")
    edges = [(amount.max, "USD")] + [(b, codes[-1]) for b, codes in amount.max_groups()]
    rows = []
    for bound, currency in edges:
        above = math.nextafter(float(bound), math.inf)
        for name, value in (("at", float(bound)), ("above", above)):
            (row,) = order_rows(1, prefix=f"{name}-{currency}-")
            prices = {"amount": repr(value), "quantity": "1", "unit_price": repr(value)}
            rows.append({**row, **prices, "currency": currency})
    result = _cleaned(rows)

    assert _failed_expectations(result) == []
    kept = sorted(result.cleaned["order_id"].str.split("-").str[1])
    assert kept == sorted(currency for _, currency in edges)
    assert result.cleaned["order_id"].str.startswith("at-").all()
    assert set(result.quarantined["reason_code"]) == {"amount_out_of_range"}
    assert len(result.quarantined) == len(edges)
