"""Which orders are purchases: the contract's ``status.not_purchase`` as SQL conditions.

An order whose current version (``orders_core.sql.facts.current_orders_sql``) has a
status the contract lists under ``not_purchase`` (cancelled, returned) is not a purchase:
the customer metrics, and so the CLV fit, leave it out, and fct_orders' net revenue does
not count it. A NULL status (the column is optional) is a purchase. The statuses are
written into the statement as literals, so the SQL snapshots show the rule in force.
"""

from __future__ import annotations

from collections.abc import Sequence

from orders_core.contract import load_contract
from orders_core.sql.dialect import sql_literal


def _statuses(not_purchase: Sequence[str] | None) -> Sequence[str]:
    return load_contract().not_purchase_statuses if not_purchase is None else not_purchase


def _listed(statuses: Sequence[str]) -> str:
    return ", ".join(sql_literal(status) for status in statuses)


def purchase_condition(not_purchase: Sequence[str] | None = None, column: str = "status") -> str:
    """True for a purchase: ``column`` NULL or not one of ``not_purchase`` (default: the
    contract's)."""
    statuses = _statuses(not_purchase)
    if not statuses:
        return "1 = 1"
    return f"({column} IS NULL OR {column} NOT IN ({_listed(statuses)}))"


def not_purchase_condition(
    not_purchase: Sequence[str] | None = None, column: str = "status"
) -> str:
    """The negation of :func:`purchase_condition` (never true of a NULL status)."""
    statuses = _statuses(not_purchase)
    if not statuses:
        return "1 = 0"
    return f"{column} IN ({_listed(statuses)})"
