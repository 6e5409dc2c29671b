"""One row per order across days: the rule that makes fct_orders independent of batching.

cleaned_orders holds one row per order *per landing day* (deduplicated within the day).
An order can land on two days, e.g. a correction sent again later. The current version
of an order is then the one with the newest ``updated_at``; on a tie the later landing
day, then the later file (by ``source_file``, its URI) and line. ``warehouse.fct_orders``
and customer metrics read only current versions, so they are a function of the cleaned
table alone: a range run, day-by-day runs and any re-run order give the same rows.
Only cleaned versions compete: a newer version quarantined on a later day does not
withdraw the fact an earlier day published (it waits in quarantine with its reason);
nor do the versions of a day whose cleaning has not passed cleaned_orders' blocking
checks (``withheld``, see :func:`run_versions`).

Publishing days S replaces, in one transaction, every fact of the orders that appear in
the cleaned rows of S or in the facts of S (those whose current version may have
changed), with the current versions of those orders. A fact can so move from an older
day's partition to S (or back, when S no longer holds the order).
"""

from __future__ import annotations

from collections.abc import Sequence

from orders_core.sql.money import money_sum
from orders_core.sql.purchases import purchase_condition
from orders_core.sql.tables import column_list, quoted
from orders_core.tables import (
    CLEANED_ORDERS,
    CLEANED_ORDERS_COLUMNS,
    FCT_ORDERS,
    FCT_ORDERS_COLUMNS,
)

AFFECTED_TABLE = "orders_affected"
VERSION_ORDER = "updated_at DESC, partition_date DESC, source_file DESC, source_line DESC"


def current_orders_sql(
    source: str = quoted(CLEANED_ORDERS), columns: Sequence[str] = CLEANED_ORDERS_COLUMNS
) -> str:
    """``columns`` of the current version of each order among ``source``'s rows (a table,
    or a subquery with its alias).

    Most orders land once: only those with more than one version go through the window
    that ranks versions; the others are taken as they are. Ranking every row carried
    each whole row through the window's sort (about 30 % of the publishing statement at
    8M orders, spilling); the result is the same rows.

    The versions are read three times, where they are (``NOT MATERIALIZED``): DuckDB
    would otherwise copy them once, which costs more than scanning again rows that a
    scan gives (keep ``source`` cheap to read: a large subquery in it is probed three
    times; see :func:`run_versions`). Snowflake plans CTEs itself: ``render`` drops the
    hint.
    """
    selected = ", ".join(columns)
    return f"""WITH versions AS NOT MATERIALIZED (
  SELECT * FROM {source}
), repeated AS (
  SELECT order_id FROM versions GROUP BY order_id HAVING count(*) > 1
)
SELECT {selected} FROM versions
WHERE NOT EXISTS (SELECT 1 FROM repeated WHERE repeated.order_id = versions.order_id)
UNION ALL
SELECT {selected} FROM (
  SELECT versions.*, row_number() OVER (PARTITION BY order_id ORDER BY {VERSION_ORDER})
    AS version_rank
  FROM versions WHERE order_id IN (SELECT order_id FROM repeated)
) AS ranked
WHERE version_rank = 1"""  # noqa: S608 (identifiers from the code)


def affected_orders_sql() -> str:
    """Orders whose current version publishing days ``BETWEEN ? AND ?`` may change (the
    bound days given twice). An order in both parts is listed twice: every reader asks
    ``order_id IN`` it, so removing the repeats would hash every order once more for
    nothing."""
    return (
        f"SELECT order_id FROM {quoted(CLEANED_ORDERS)} WHERE partition_date BETWEEN ? AND ?"
        f" UNION ALL SELECT order_id FROM {quoted(FCT_ORDERS)} WHERE partition_date BETWEEN ? AND ?"
    )


def run_versions(orders: str, withheld: int = 0) -> str:
    """The cleaned rows that can be the current version of an order of the days ``BETWEEN
    ? AND ?``: those days' rows, and the other days' rows of ``orders`` (a subquery that
    holds every order of those days; its parameters come after the days, bound twice).

    The days' own rows need no lookup in ``orders``, which for a long range holds nearly
    every order: only the other days' rows are probed.

    ``withheld``: how many days (bound after each pair of days) whose rows compete not at
    all: days whose cleaning cleaned_orders' blocking checks have not passed. Their rows
    are not published on their day, so they must not be through another day's order
    either: a day's rows would otherwise reach fct_orders or not depending on whether a
    day sharing an order ran after it (a range, a reverse run) or before it.
    """
    cleaned = quoted(CLEANED_ORDERS)
    kept = f" AND {not_withheld(withheld)}" if withheld else ""
    return (
        f"(SELECT * FROM {cleaned} WHERE partition_date BETWEEN ? AND ?{kept}"
        f" UNION ALL SELECT * FROM {cleaned} WHERE NOT (partition_date BETWEEN ? AND ?){kept}"
        f" AND order_id IN ({orders})) AS candidates"
    )


def not_withheld(withheld: int) -> str:
    """The condition that keeps the rows of every day but ``withheld`` bound days (days
    whose cleaning cleaned_orders' blocking checks have not passed, see
    :func:`run_versions`)."""
    return f"partition_date NOT IN ({', '.join('?' * withheld)})"


def kept_versions(withheld: int = 0) -> str:
    """What :func:`current_orders_sql` reads for the current versions of every day's orders
    but those of ``withheld`` bound days: the cleaned table itself when there are none
    (the same statement as before any day was withheld)."""
    if not withheld:
        return quoted(CLEANED_ORDERS)
    return f"(SELECT * FROM {quoted(CLEANED_ORDERS)} WHERE {not_withheld(withheld)}) AS kept"


def publish_statements(withheld: int = 0) -> tuple[str, str]:
    """Delete the affected orders' facts; insert their current versions, binding the
    run's first and last day twice, each time followed by the ``withheld`` days (see
    :func:`run_versions`; in a transaction, after ``CREATE TEMPORARY TABLE
    orders_affected AS`` :func:`affected_orders_sql`)."""
    columns = column_list(FCT_ORDERS_COLUMNS)
    affected = f"SELECT order_id FROM {AFFECTED_TABLE}"
    candidates = run_versions(affected, withheld)
    return (
        f"DELETE FROM {quoted(FCT_ORDERS)} WHERE order_id IN ({affected})",
        f"INSERT INTO {quoted(FCT_ORDERS)} ({columns}) SELECT {columns} FROM ("
        + current_orders_sql(candidates, columns=FCT_ORDERS_COLUMNS)
        + ") AS current_versions",
    )


def affected_days_sql() -> str:
    """The days outside the run's (``BETWEEN ? AND ?``, bound) whose facts hold an
    affected order (after ``CREATE TEMPORARY TABLE orders_affected``): read before and
    after publishing, the days whose facts the run moved (an order re-sent on a later
    day leaves its older day's partition, or comes back to it)."""
    return (
        f"SELECT DISTINCT partition_date FROM {quoted(FCT_ORDERS)}"
        " WHERE NOT (partition_date BETWEEN ? AND ?)"
        f" AND order_id IN (SELECT order_id FROM {AFFECTED_TABLE})"
    )


def day_figures_sql() -> str:
    """Per published day between two bound days: orders and distinct customers."""
    return (
        "SELECT partition_date, count(*) AS n, count(DISTINCT customer_id) AS customers"
        f" FROM {quoted(FCT_ORDERS)}"
        " WHERE partition_date BETWEEN ? AND ? GROUP BY partition_date"
    )


def day_currency_figures_sql() -> str:
    """Per published day between two bound days and currency: orders, revenue (gross: every
    order, whatever its status) and net revenue (purchases only: not cancelled or
    returned, see ``orders_core.sql.purchases``), each sum exact and in that currency's
    units as landed. Amounts of different currencies are never added: a day's revenue in
    the reporting currency would depend on which rates had landed when the day was
    published (customer_metrics converts, recomputed each run)."""
    net = f"CASE WHEN {purchase_condition()} THEN amount END"
    return (
        f"SELECT partition_date, currency, count(*) AS n, {money_sum('amount')} AS revenue,"
        f" {money_sum(net)} AS net_revenue"
        f" FROM {quoted(FCT_ORDERS)}"
        " WHERE partition_date BETWEEN ? AND ? GROUP BY partition_date, currency"
    )


def current_day_counts_sql(withheld: int = 0) -> str:
    """Per day between two bound days (given four times, the first two each followed by
    the ``withheld`` days, see :func:`run_versions`): the cleaned rows that are their
    order's current version, i.e. the facts that publishing those days leaves in each."""
    days = "partition_date BETWEEN ? AND ?"
    orders = f"SELECT order_id FROM {quoted(CLEANED_ORDERS)} WHERE {days}"
    versions = current_orders_sql(run_versions(orders, withheld), columns=["partition_date"])
    return (
        f"SELECT partition_date, count(*) AS n FROM ({versions})"
        f" AS current_versions WHERE {days} GROUP BY partition_date"
    )
