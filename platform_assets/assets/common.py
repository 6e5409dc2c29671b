"""Settings shared by the asset definitions: owners, kinds, policies, column descriptions."""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import dagster as dg

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.sql.tables import table_types

DATA_PLATFORM = "team:data-platform"
ANALYTICS = "team:analytics"

# Kinds name technology that is the same in every environment, so the lineage graph looks
# the same on a laptop and in production: the landing zone holds files locally and on S3,
# and "warehouse" is DuckDB locally and Snowflake in production (the engine is a resource,
# not a property of the asset). Dagster shows at most three kinds per asset.
FILES_KIND = "file"
WAREHOUSE_KIND = "warehouse"

# A range of days backfills in one run. The CLI's partition ranges (`dg launch
# --partition-range`, `dagster asset materialize`) need a single-run policy, and a single
# run fits any pod: rows move in the engine, whose memory limit makes sorts, joins and
# temporary tables spill to disk, so a month needs disk, not memory. The sensors cut
# their own range runs at orders_core.calendar.DAYS_PER_RUN days.
SINGLE_RUN = dg.BackfillPolicy.single_run()

# Every step reads the landing zone or writes the warehouse, where failures are mostly
# transient (a file being rewritten, the DuckDB lock, a network blip): retry those with
# backoff. Permanent problems raise permanent_failure() and are never retried.
IO_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


@dataclass(frozen=True)
class InStepCheck:
    """An asset check evaluated inside an asset's step, on the data the step holds.

    The composition root builds it from ``asset_checks`` and passes it to the asset
    factory, so asset code never imports check code.
    """

    spec: dg.AssetCheckSpec
    events: Callable[..., Iterable[Any]]


def permanent_failure(description: str, **metadata: str) -> dg.Failure:
    """A failure that retrying cannot fix (bad configuration, a broken contract): the step
    fails at once, with the reason in the UI, instead of being retried."""
    return dg.Failure(description=description, metadata=metadata, allow_retries=False)


LINEAGE_DESCRIPTIONS = {
    "extra_columns_json": "Columns outside the contract, as a JSON object (schema drift, kept).",
    "pii_extra_columns_json": (
        "Columns outside the contract that hold e-mail addresses (by name or by value), as a"
        " JSON object: PII in clear, kept in raw_orders and quarantined_orders only."
    ),
    "parse_error": "Why the record could not be parsed, if it could not.",
    "raw_record": "Original text of an unparseable record.",
    "source_file": "URI of the landing file the row came from.",
    "source_line": "Line (CSV/JSONL) or row number (Parquet) of the record in its file.",
    "source_format": "csv, jsonl or parquet.",
    "file_header": "Column names of the source file, as landed (JSON list).",
    "partition_date": "UTC day of the partition the row belongs to.",
    "order_date": "UTC date of order_ts.",
    "customer_email_hash": "Keyed SHA-256 of the normalised e-mail (PII never stored in clear).",
    "reason_code": "Why the row was quarantined (first rule it broke).",
    "reason_detail": "Every rule the row broke, with the offending values.",
}


def column_descriptions() -> dict[str, str]:
    """Descriptions of every column an order table can carry."""
    contract = load_contract()
    return {**{c.name: c.description for c in contract.columns}, **LINEAGE_DESCRIPTIONS}


@functools.cache
def order_table_types() -> dict[str, dict[str, str]]:
    """SQL column types of raw_orders, cleaned_orders and quarantined_orders: the DDL the
    SQL steps create their tables with (:mod:`orders_core.sql.tables`)."""
    types = table_types(load_contract())
    return {
        table.name: dict(types[table])
        for table in (tables.RAW_ORDERS, tables.CLEANED_ORDERS, tables.QUARANTINED_ORDERS)
    }
