"""Child process: what finding the bound of each row's currency costs the cleaning.

The contract bounds amount and unit_price per currency (``max_by_currency``). The
classification finds each row's bounds with one LEFT JOIN to a VALUES table of them
(``orders_core.sql.cleaning``); the alternatives were a CASE of one code set per bound
value, per column, as IN lists or as ``ORDERS_IN_SET`` (DuckDB: an IN subquery). Each
variant counts the rows over their bounds among ``--rows`` rows of currencies cycling
through the contract's allowed codes, on one DuckDB thread; every variant must count the
same rows. Reports the median seconds of each, and the same count with no lookup.

    python -m bench.bound_lookup --rows 1000000 --rounds 11
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

from bench.harness import emit
from orders_core.contract import load_contract
from orders_core.sql.dialect import render, sql_literal


def _case(groups, in_set: bool) -> str:
    def picks(codes) -> str:
        listed = ", ".join(map(sql_literal, codes))
        return f"ORDERS_IN_SET(currency, {listed})" if in_set else f"currency IN ({listed})"

    return "CASE " + " ".join(f"WHEN {picks(c)} THEN {b!r}" for b, c in groups) + " END"


def variants() -> dict[str, str]:
    """Each way of counting the amounts and unit prices over their currency's bound."""
    contract = load_contract()
    amount, price = contract.column("amount"), contract.column("unit_price")
    table = dict(amount.max_by_currency), dict(price.max_by_currency)
    rows = ", ".join(
        f"({sql_literal(code)}, {table[0].get(code, 'NULL')!s}, {table[1].get(code, 'NULL')!s})"
        for code in sorted(set(table[0]) | set(table[1]))
    )

    def select(a: str, p: str, joined: str = "") -> str:
        return (
            f"SELECT count(CASE WHEN amount > coalesce({a}, {amount.max!r}) THEN 1 END)"  # noqa: S608 (codes and bounds from the contract)
            f" + count(CASE WHEN unit_price > coalesce({p}, {price.max!r}) THEN 1 END)"
            f" FROM orders{joined}"
        )

    found = {
        name: select(_case(amount.max_groups(), in_set), _case(price.max_groups(), in_set))
        for name, in_set in (("case_in_lists", False), ("case_orders_in_set", True))
    }
    found["values_join"] = select(
        "b.max_amount",
        "b.max_unit_price",
        f" LEFT JOIN (VALUES {rows}) AS b(code, max_amount, max_unit_price)"
        " ON b.code = orders.currency",
    )
    found["no_lookup"] = select("NULL", "NULL")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    codes = list(load_contract().column("currency").allowed)
    conn = duckdb.connect()
    conn.execute("SET threads = 1")
    conn.execute(
        "CREATE TABLE orders AS SELECT list_extract($codes, (range % $n)::INT + 1) AS currency,"
        " ((range * 7919) % 3000000000)::DOUBLE AS amount,"
        " ((range * 104729) % 3000000000)::DOUBLE AS unit_price FROM range($rows)",
        {"codes": codes, "n": len(codes), "rows": args.rows},
    )
    statements = {name: render(sql) for name, sql in variants().items()}
    seconds: dict[str, list[float]] = {name: [] for name in statements}
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, sql in statements.items():
            start = time.perf_counter()
            counts[name] = conn.execute(sql).fetchone()[0]
            seconds[name].append(time.perf_counter() - start)
    lookups = {counts[name] for name in statements if name != "no_lookup"}
    if len(lookups) != 1:
        raise AssertionError(f"the variants count differently: {counts}")
    emit(
        {
            "rows": args.rows,
            "median_s": {name: round(statistics.median(s), 4) for name, s in seconds.items()},
            "over_bound": counts,
        }
    )


if __name__ == "__main__":
    main()
