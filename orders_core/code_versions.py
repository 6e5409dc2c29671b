"""Each asset's code version: what the UI compares to say a day was built by older logic.

An asset's version is a digest of the SQL it runs, as generated from the contract (the one
source, DuckDB's dialect with the ``ORDERS_*`` functions, before the thin per-engine
rendering), its tables' DDL, and a hand-kept revision (:data:`REVISIONS`) for what it does
outside that SQL. So the version changes when, and only when, the SQL that writes the
asset changes: a new contract rule, a changed builder in ``orders_core/sql``, a column
added to its table. Another asset's SQL changing leaves it alone, and so do metadata,
descriptions, logging and refactors that generate the same text.

Nothing here renders or runs a statement: the versions are computed when the definitions
load, from strings (``docs/analyst-view.md``, "Code versions").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from orders_core import tables
from orders_core.contract import Contract
from orders_core.metrics import unpriced_purchases_sql
from orders_core.profiling import profile_sql
from orders_core.sql import customers, facts, fx
from orders_core.sql.run import cleaning_run, raw_load
from orders_core.sql.tables import create_statements, quoted

# Bump an asset's revision when what it writes changes by code outside its generated SQL:
# raw_orders' file readers and text copies, the CLV model's fitting (orders_core.clv),
# the e-mail HMAC's keying. Not for metadata, descriptions or refactors.
REVISIONS: dict[str, int] = {
    tables.RAW_ORDERS.path: 1,
    tables.CLEANED_ORDERS.path: 1,
    tables.QUARANTINED_ORDERS.path: 1,
    tables.FCT_ORDERS.path: 1,
    tables.CUSTOMER_METRICS.path: 1,
    tables.CUSTOMER_CLV.path: 2,  # 2: the penalizer ladder (hunt 85)
    tables.DIM_CUSTOMERS.path: 1,
    tables.FX_RATES.path: 1,
}
# Characters of the hex digest shown: enough to tell versions apart at a glance.
SHOWN = 12


def _flatten(items: Iterable) -> list[str]:
    found: list[str] = []
    for item in items:
        if isinstance(item, str):
            found.append(item)
        elif hasattr(item, "__dataclass_fields__"):
            found += _flatten(vars(item).values())
        else:
            found += _flatten(item)
    return found


def asset_statements(contract: Contract) -> dict[str, list[str]]:
    """The generated statements each asset's step runs to write it, by asset key."""
    cleaning = _flatten(vars(cleaning_run(contract)).values())
    return {
        tables.RAW_ORDERS.path: [
            *_flatten(vars(raw_load(contract)).values()),
            profile_sql(contract, quoted(tables.RAW_ORDERS)),
            *create_statements(contract, tables.RAW_ORDERS),
        ],
        # One step writes both: a change of either's SQL is a change of the step.
        tables.CLEANED_ORDERS.path: [
            *cleaning,
            *create_statements(contract, tables.CLEANED_ORDERS, tables.QUARANTINED_ORDERS),
        ],
        tables.QUARANTINED_ORDERS.path: [
            *cleaning,
            *create_statements(contract, tables.CLEANED_ORDERS, tables.QUARANTINED_ORDERS),
        ],
        tables.FCT_ORDERS.path: [
            facts.affected_orders_sql(),
            facts.affected_days_sql(),
            facts.day_currency_figures_sql(),
            *facts.publish_statements(),
            *create_statements(contract, tables.FCT_ORDERS),
        ],
        tables.CUSTOMER_METRICS.path: [
            *customers.metrics_statements(),
            customers.metrics_summary_sql(),
            customers.not_purchase_summary_sql(),
            unpriced_purchases_sql(),
            *create_statements(contract, tables.CUSTOMER_METRICS),
        ],
        tables.CUSTOMER_CLV.path: [
            customers.histories_table_sql(),
            *customers.clv_statements(),
            customers.clv_summary_sql(),
            *create_statements(contract, tables.CUSTOMER_CLV),
        ],
        tables.DIM_CUSTOMERS.path: [
            *customers.dim_statements(),
            customers.dim_summary_sql(),
            *create_statements(contract, tables.DIM_CUSTOMERS),
        ],
        tables.FX_RATES.path: [
            fx.create_load_sql(),
            *fx.rates_statements(contract),
            fx.rates_summary_sql(),
            fx.quarantined_rates_sql(),
            fx.reason_counts_sql(),
            fx.day_rates_sql(contract),
            *create_statements(contract, tables.FX_RATES),
        ],
    }


def version_of(statements: Iterable[str], revision: int) -> str:
    """``r<revision>-<digest>``: the revision readable, the digest of the statements."""
    digest = hashlib.sha256()
    for statement in statements:
        digest.update(statement.encode("utf-8", "surrogatepass") + b"\0")
    return f"r{revision}-{digest.hexdigest()[:SHOWN]}"


def code_versions(contract: Contract, revisions: Mapping[str, int] = REVISIONS) -> dict[str, str]:
    """Every asset's code version, by asset key (``warehouse/fct_orders``)."""
    return {
        key: version_of(statements, revisions[key])
        for key, statements in asset_statements(contract).items()
    }
