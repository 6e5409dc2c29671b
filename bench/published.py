"""What a contender of the end to end published, and the check that every one published
the same: the rows and the money of warehouse.fct_orders and warehouse.dim_customers.

A comparison of times is only honest between contenders that did the same work, so
``bench.run`` stops with the differences when a run's tables disagree with the first
platform run's (a script that drops orders would otherwise look faster). Read after
each contender's clock stops, from its DuckDB file: two aggregate queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import duckdb

# Sums of doubles added in another order differ in their last bits, never more.
RELATIVE_TOLERANCE = 1e-9
SUMMARY_SQL = {
    "fct_orders": "select count(*), coalesce(sum(amount), 0) from warehouse.fct_orders",
    "dim_customers": (
        "select count(*), coalesce(sum(total_revenue), 0) from warehouse.dim_customers"
    ),
}


def summary(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Rows and money of the two published tables: fct_orders' amounts (each in its order's
    currency) and dim_customers' total revenue (in the reporting currency)."""
    (fct_rows, amount), (dim_rows, revenue) = (
        conn.execute(sql).fetchone() for sql in SUMMARY_SQL.values()
    )
    return {
        "fct_orders_rows": fct_rows,
        "fct_orders_amount": float(amount),
        "dim_customers_rows": dim_rows,
        "dim_customers_total_revenue": float(revenue),
    }


def summary_of(path: str) -> dict[str, float]:
    with duckdb.connect(path, read_only=True) as conn:
        return summary(conn)


def published_rows(published: Mapping[str, float]) -> dict[str, int]:
    """The row counts of a summary, keyed by table as the contenders report them."""
    return {
        "warehouse.fct_orders": int(published["fct_orders_rows"]),
        "warehouse.dim_customers": int(published["dim_customers_rows"]),
    }


def differences(expected: Mapping[str, float], published: Mapping[str, float]) -> list[str]:
    """Each measure of ``published`` that is not ``expected``'s, as ``name: got != expected``;
    counts must be equal, sums equal up to the order of addition."""
    found = []
    for name, want in expected.items():
        got = published.get(name)
        same = got is not None and (
            got == want
            if isinstance(want, int)
            else math.isclose(got, want, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-6)
        )
        if not same:
            found.append(f"{name}: {got!r} != {want!r}")
    return found


def require_same(reference: str, expected: Mapping, name: str, published: Mapping) -> None:
    """Raise, naming every differing measure, unless ``name`` published ``reference``'s."""
    found = differences(expected, published)
    if found:
        raise RuntimeError(
            f"{name} did not publish what {reference} published, so their times are not "
            "comparable: " + "; ".join(found)
        )
