"""Settings shared by the asset definitions: owners, kinds, policies, column descriptions."""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orders_core import tables
from orders_core.code_versions import code_versions
from orders_core.contract import Contract, load_contract
from orders_core.sql.tables import TableTypeMismatchError, ensure_tables, table_types
from resources.dagster_internals import TMP_DAGSTER_HOME_PREFIX
from resources.instance_history import (
    LEFT_OUT_DAYS,
    latest_materializations,
    metadata_values,
    unpassed_checks,
    unpassed_latest,
)

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


@functools.cache
def _code_versions() -> dict[str, str]:
    return code_versions(load_contract())


def code_version(table: tables.Table) -> str:
    """The asset's ``code_version``: a digest of the SQL that writes it and its revision
    (:mod:`orders_core.code_versions`), so the UI tells a day built by older logic."""
    return _code_versions()[table.path]


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


def ensure_step_tables(session, contract: Contract, *step_tables: tables.Table) -> None:
    """:func:`orders_core.sql.tables.ensure_tables` on a warehouse session, failing the
    step at once (no retry can fix it) when a warehouse column has another type than the
    platform writes."""
    try:
        ensure_tables(session.execute, contract, *step_tables, dialect=session.dialect)
    except TableTypeMismatchError as error:
        raise permanent_failure(str(error)) from error


def refuse_temporary_instance(instance: dg.DagsterInstance) -> None:
    """Fail at once, without retries, on the temporary instance `dg launch` uses when
    ``DAGSTER_HOME`` is not set: it holds none of the earlier runs' holds and check
    verdicts, so a held or failed day would be built on (and published) unchecked."""
    if Path(instance.root_directory).name.startswith(TMP_DAGSTER_HOME_PREFIX):
        raise permanent_failure(
            "DAGSTER_HOME is not set: this run's Dagster instance is a temporary folder"
            f" ({instance.root_directory}, deleted when the command exits) that holds none"
            " of the earlier runs' holds and check verdicts, so it cannot tell a held or"
            " failed day and nothing is built on it. `export DAGSTER_HOME=$PWD/.dagster_home`"
            " (the instance `make run` and `make ui` use) and launch again."
        )


def unpassed_upstream(
    context: dg.AssetExecutionContext,
    check_keys: Sequence[dg.AssetCheckKey],
    days: Sequence[dt.date] | None = None,
) -> dict[str, list[str]]:
    """The days (of ``days``; None: of every day) whose latest materialization of an
    upstream asset one of its blocking checks ``check_keys`` has not passed, each with
    those checks' names.

    Dagster stops an asset after a failed blocking check only inside the run that
    evaluated it (and there only when it failed every day of the run), and automation
    only while one has failed. A run launched by hand is neither: a UI backfill of every
    asset runs the daily range in one run and the customer tables in another, which
    Dagster's asset backfill starts once the upstream asset is materialized, whatever its
    checks said (a quality suite failed, or a run stopped before its checks ran). The rule
    a run applies: nothing is built on a day until its blocking checks have judged it and
    none failed with ERROR severity.

    When every such day was written by another run still in progress (two runs of the
    same days at once) and has yet to be checked, raises a retried failure (the step's
    backoff), and on the last attempt a permanent one.
    """
    refuse_temporary_instance(context.instance)
    partitions = None if days is None else [day.isoformat() for day in days]
    unpassed = unpassed_checks(context.instance, check_keys, partitions)
    if not unpassed:
        return {}
    upstream = sorted({key.asset_key for key in check_keys})
    writers = {
        record.run_id
        for key in upstream
        for record in latest_materializations(context.instance, key, unpassed).values()
    }
    running = [
        run_id
        for run_id in sorted(writers - {context.run_id})
        if (run := context.instance.get_run_by_id(run_id)) is not None and not run.is_finished
    ]
    if running and len(running) == len(writers):
        # Another run (two terminal runs of the same days at once) wrote them and has yet
        # to check them: retried, with the step's backoff, in case it has by then. The
        # step's last attempt says it is not retried (the run failure alert quotes it).
        name = ", ".join(key.to_user_string() for key in upstream)
        waiting = (
            f"{name}'s blocking checks have not judged {_listed(unpassed)} yet: written by"
            f" run {', '.join(running)}, still in progress."
        )
        if context.retry_number < IO_RETRY_POLICY.max_retries:
            raise dg.Failure(description=f"{waiting} Retried.", allow_retries=True)
        raise permanent_failure(
            f"{waiting} It is not retried again ({context.retry_number + 1} attempts): run"
            f" this asset again once run {', '.join(running)} has finished.",
            unpassed_days=", ".join(unpassed),
        )
    return unpassed


def _listed(unpassed: dict[str, list[str]]) -> str:
    return "; ".join(f"{day} ({', '.join(names)})" for day, names in unpassed.items())


def unpassed_message(check_keys: Sequence[dg.AssetCheckKey], unpassed: dict[str, list[str]]) -> str:
    """What a step refusing the days ``unpassed`` (:func:`unpassed_upstream`) says."""
    name = ", ".join(sorted({key.asset_key.to_user_string() for key in check_keys}))
    return (
        f"{name}'s blocking checks have not passed for {len(unpassed)} day(s):"
        f" {_listed(unpassed)}. Nothing is built on a day until they pass: fix its files and"
        " run the day again (its checks run with it), then this asset."
    )


def days_left_out(
    context: dg.AssetExecutionContext,
    why: Mapping[str, tuple[str, str]],
    days: Sequence[dt.date],
    done: str,
) -> dict[dt.date, str]:
    """The days of the run a step leaves as they are (``why``: day key -> (reason, what to
    do)), logged as not ``done`` ("cleaned", "published") while the other days go on;
    fails at once, without retries, when that is every day of the run, naming each day
    with its own reason and what to do (days of the same both named together)."""
    if len(why) < len(days):
        if why:
            context.log.warning(
                f"Not {done} in this run, left as they are: "
                + "; ".join(f"{day} ({reason})" for day, (reason, _) in sorted(why.items()))
                + f". The run's other days are {done}."
            )
        return {dt.date.fromisoformat(day): reason for day, (reason, _) in sorted(why.items())}
    grouped: dict[tuple[str, str], list[str]] = {}
    for day, reason in sorted(why.items()):
        grouped.setdefault(reason, []).append(day)
    each = " ".join(
        f"{', '.join(keys)}: {reason}: {todo}." for (reason, todo), keys in grouped.items()
    )
    raise permanent_failure(
        f"No day of this run can be {done}. {each}", **{LEFT_OUT_DAYS: ", ".join(sorted(why))}
    )


def refuse_unchecked_table(
    context: dg.AssetExecutionContext, check_keys: Sequence[dg.AssetCheckKey]
) -> None:
    """Refuse to build on an unpartitioned upstream asset (customer_clv, which
    dim_customers reads): fail at once, without retries, when one of its blocking checks
    ``check_keys`` has not passed its latest materialization. A run that selects
    dim_customers alone would otherwise publish scores whose checks failed in an earlier
    run. (Those checks are evaluated in the asset's own step, right after it writes, so
    there is no other run's unchecked write to wait for.)"""
    refuse_temporary_instance(context.instance)
    unpassed = unpassed_latest(context.instance, check_keys)
    if not unpassed:
        return
    name = ", ".join(sorted({key.asset_key.to_user_string() for key in check_keys}))
    raise permanent_failure(
        f"{name}'s blocking checks have not passed its latest materialization:"
        f" {', '.join(unpassed)}. Nothing is built on it until they pass: materialize {name}"
        " again (its checks run with it), then this asset.",
        unpassed_checks=", ".join(unpassed),
    )


# Rebuilds every customer table (fx_rates, which customer_metrics reads, then
# customer_metrics, customer_clv and dim_customers) for the days landed: the command a
# refusal of an earlier release's customer table names.
REBUILD_CUSTOMER_TABLES = "dg launch --assets 'fx_rates*'"


def refuse_earlier_release_tables(
    context: dg.AssetExecutionContext, *upstream: tables.Table
) -> None:
    """Refuse to build on an unpartitioned ``upstream`` table (customer_metrics,
    customer_clv) whose latest materialization does not state the version of its rows this
    release writes (:data:`orders_core.tables.TABLE_VERSIONS`): one an earlier release wrote,
    with other units or columns, or none at all. Fails at once, without retries, naming each
    table and the command that rebuilds them. Without it, customer_clv or dim_customers run
    alone after an upgrade republished an earlier release's figures (amounts of every
    currency summed as landed) as this release's, and on a warehouse without the table
    failed with the engine's error, retried."""
    found: dict[str, str] = {}
    for table in upstream:
        event = context.instance.get_latest_materialization_event(dg.AssetKey(table.key))
        wanted = tables.TABLE_VERSIONS[table]
        version = (
            None if event is None else metadata_values(event).get(tables.TABLE_VERSION_METADATA)
        )
        if event is None:
            found[table.qualified] = "not materialized on this instance yet"
        elif version != wanted:
            stated = f"version {version}" if version is not None else "no version"
            found[table.qualified] = (
                f"written by an earlier release ({stated}; this release writes version"
                f" {wanted} of its rows)"
            )
    if found:
        raise permanent_failure(
            f"{context.asset_key.to_user_string()} is built only on customer tables this"
            " release wrote: "
            + "; ".join(f"{name}: {why}" for name, why in found.items())
            + f". Nothing was written. Rebuild the customer tables with this release:"
            f" `{REBUILD_CUSTOMER_TABLES}` (README, 'Upgrading').",
            earlier_release_tables=", ".join(found),
        )


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


def landed_column_descriptions() -> dict[str, str]:
    """:func:`column_descriptions` for raw_orders and quarantined_orders, whose contract
    columns hold the landed text, untyped and uncorrected: the contract's description says
    what cleaned_orders makes of each (an order_ts normalised to UTC, an upper-case
    currency, an updated_at defaulting to order_ts), which is not what these hold."""
    contract = load_contract()
    landed = {
        c.name: f"As landed, as text. In cleaned_orders: {c.description}" for c in contract.columns
    }
    return {**column_descriptions(), **landed}


@functools.cache
def order_table_types() -> dict[str, dict[str, str]]:
    """SQL column types of raw_orders, cleaned_orders and quarantined_orders: the DDL the
    SQL steps create their tables with (:mod:`orders_core.sql.tables`)."""
    types = table_types(load_contract())
    return {
        table.name: dict(types[table])
        for table in (tables.RAW_ORDERS, tables.CLEANED_ORDERS, tables.QUARANTINED_ORDERS)
    }
