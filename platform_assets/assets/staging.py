"""cleaned_orders and quarantined_orders: typed, deduplicated rows and rejected rows."""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from orders_core import tables
from orders_core.calendar import consecutive_runs
from orders_core.cleaning import hmac_pads, hmac_probe_error
from orders_core.contract import load_contract
from orders_core.reconciliation import balances_from_rows
from orders_core.sql.cleaning import reason_codes, settle_versions
from orders_core.sql.run import cleaning_run
from platform_assets.assets.common import (
    DATA_PLATFORM,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    InStepCheck,
    code_version,
    column_descriptions,
    days_left_out,
    ensure_step_tables,
    landed_column_descriptions,
    order_table_types,
    permanent_failure,
    refuse_temporary_instance,
    unpassed_upstream,
)
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import table_metadata
from resources.instance_history import (
    CHECK_KEY,
    CHECK_NAME,
    LAST_CLEANED_RUN,
    NOT_CLEANED,
    anomaly_figures,
    failed_partitions,
    last_cleaned_runs,
    schema_drift_failure,
)
from resources.pii import PiiHasher, PiiKeyError
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

CLEANED_ORDERS = dg.AssetKey(tables.CLEANED_ORDERS.key)
RAW_ORDERS = dg.AssetKey(tables.RAW_ORDERS.key)
TABLES = {
    "cleaned_orders": tables.CLEANED_ORDERS.qualified,
    "quarantined_orders": tables.QUARANTINED_ORDERS.qualified,
}
CLEANED_DESCRIPTION = """Orders you can trust: typed, validated and deduplicated, one row per order.

Every landed row that passes the landing contract, with timestamps in UTC, amounts and
quantities as numbers, currency upper case and status lower case. When an order was sent
more than once, only its newest version (latest `updated_at`) is kept. Customer e-mails
are replaced by a keyed hash, so this table holds no PII in clear.

Plots per day: rows, revenue, distinct customers and the share of landed rows that were
quarantined (`orders/quarantine_rate`, 0 to 1).

A day that `raw_orders` loaded but that is missing here (a gap in the plots) is held by
`metadata_anomaly` or failed a blocking check of `raw_orders`: why, and what to do, is on
*raw_orders > Checks > (the check) > Partitions > (the day)*.
"""
QUARANTINED_DESCRIPTION = """Landed rows rejected by the landing contract, with the reason why.

Each row is kept exactly as it arrived, with `reason_code` (the first rule it broke, e.g.
a missing amount or a timestamp outside the day) and `reason_detail` (every rule broken
and the offending values). Every day, landed rows = cleaned + quarantined + superseded
duplicates, so nothing is lost silently. Holds customer e-mails in clear: staging only,
never published.

Plotted per day: rows, `orders/quarantine_rate` (0 to 1), the revenue of the rows whose
amount parses, and one plot per reason code, `orders/quarantined_rows/<reason code>` (0 on
a day without it, so each plot runs day after day without gaps). The day's page
(*Partitions > the day*) lists its reasons in `orders/reason_codes` too.
"""


def _day_counts(row: tuple) -> dict[str, float | int]:
    """One day's numbers from its ``day_summary_select`` row: raw = cleaned + quarantined
    + superseded, revenue and customers."""
    _, raw_rows, cleaned, quarantined, superseded, _, revenue, _, customers = row
    return {
        "dagster/row_count": int(cleaned),
        "dagster/partition_row_count": int(cleaned),
        "orders/raw_rows": int(raw_rows),
        "orders/quarantined_rows": int(quarantined),
        "orders/superseded_rows": int(superseded),
        "orders/quarantine_rate": round(quarantined / raw_rows, 6) if raw_rows else 0.0,
        "orders/revenue": round(float(revenue), 2),
        "orders/distinct_customers": int(customers),
    }


def build_staging_assets(
    partitions_def: dg.PartitionsDefinition,
    reconciliation: InStepCheck | None = None,
    raw_blocking: Sequence[dg.AssetCheckKey] = (),
) -> list[dg.AssetsDefinition]:
    """The cleaning step, producing cleaned_orders and quarantined_orders together.

    Every row moves in the warehouse engine (:mod:`orders_core.sql.run`); only per-day
    counts come back. ``reconciliation`` is evaluated inside the step on the tables it
    has just written: called as ``events(context, balance_rows, days, held)``, ``held``
    the days left alone with why. ``raw_blocking`` are raw_orders' blocking checks other
    than metadata_anomaly (schema_drift): a day whose latest load one of them has not
    passed (an ERROR; a WARN is carried) is not cleaned by any run, as a held day is not
    (:func:`held_days`).
    """
    descriptions = {
        "cleaned_orders": column_descriptions(),
        "quarantined_orders": landed_column_descriptions(),
    }

    @dg.multi_asset(
        name="clean_orders",
        specs=[
            dg.AssetSpec(
                key=key,
                deps=[RAW_ORDERS],
                group_name="staging",
                owners=[DATA_PLATFORM],
                kinds={"sql", WAREHOUSE_KIND},
                tags={"layer": "staging"},
                metadata={
                    **table_metadata(TABLES[key], order_table_types()[key], descriptions[key]),
                },
                description=description,
                code_version=code_version(table),
            )
            for key, description, table in (
                ("cleaned_orders", CLEANED_DESCRIPTION, tables.CLEANED_ORDERS),
                ("quarantined_orders", QUARANTINED_DESCRIPTION, tables.QUARANTINED_ORDERS),
            )
        ],
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        check_specs=[reconciliation.spec] if reconciliation else None,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def clean_orders_step(
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        pii: PiiHasher,
        telemetry: TelemetryResource,
    ):
        """Validate, type and deduplicate the partition's raw orders, in the warehouse."""
        days = partition_dates(context)  # a bad range fails here, before any SQL
        refuse_temporary_instance(context.instance)  # it could tell no held day
        # Dagster blocks on raw_orders' checks only in the run that evaluated them, and
        # there only when one failed every day of the run: a re-clean (`dg launch --assets
        # cleaned_orders,quarantined_orders`), or a range with a held day, reaches here.
        held = held_days(context, raw_blocking, days)
        cleaned_days = [day for day in days if day not in held]
        with telemetry.asset_span(context, CLEANED_ORDERS) as span, warehouse.session() as session:
            contract = load_contract()
            try:
                key = pii.key_bytes()
            except PiiKeyError as error:
                raise permanent_failure(str(error)) from error
            run = cleaning_run(contract)
            # raw_orders too: a re-clean reads days an earlier release loaded, whose table
            # may lack a lineage column added since (the quarantine copies every one).
            ensure_step_tables(
                session,
                contract,
                tables.RAW_ORDERS,
                tables.CLEANED_ORDERS,
                tables.QUARANTINED_ORDERS,
            )
            for statement in run.prepare:
                session.execute(statement)
            session.execute(run.insert_pads, list(hmac_pads(key)))
            ((engine_hex,),) = session.execute(run.hmac_probe)
            if why := hmac_probe_error(engine_hex, key):
                raise permanent_failure(why)
            classify, settle = run.classify
            summary, reasons, balance = {}, [], []
            with sql_write_span(
                context, TABLES["cleaned_orders"], session.db_system, "cleaned_orders"
            ) as write:
                # Each stretch of consecutive days to clean as one range; a held day
                # between two is left as it is, as a run of that day alone leaves it.
                for group in consecutive_runs(cleaned_days):
                    bounds = [group[0], group[-1]]
                    session.execute(classify, bounds)
                    settle_versions(session.execute, settle)
                    summary |= {row[0]: row for row in session.execute(run.day_summary)}
                    reasons += session.execute(run.reason_counts)
                    with session.transaction():
                        for statement in run.replace:
                            session.execute(statement, bounds if "?" in statement else ())
                        balance += session.execute(run.reconciliation, bounds * 4)
                write.set_attribute(
                    ROWS_WRITTEN, sum(int(summary[d][2]) for d in days if d in summary)
                )
            # Per day, never summed over the run: a materialization's metadata belongs to
            # its day, and a range run must say of each day what that day's own run says.
            codes_by_day: dict[dt.date, dict[str, int]] = {}
            for day_value, code, n in reasons:
                codes = codes_by_day.setdefault(day_value, {})
                codes[code] = codes.get(code, 0) + int(n)
            stored = balances_from_rows(balance, cleaned_days)  # the tables now, per day
            last = last_cleaned_runs(context.instance, [day.isoformat() for day in held])
            scores = anomaly_figures(
                context.instance, [day.isoformat() for day in [*cleaned_days, *held]]
            )
            for day, why in held.items():
                _add_held_metadata(
                    context, day, why, last.get(day.isoformat()), scores.get(day.isoformat(), {})
                )
            for day in cleaned_days:
                row = summary.get(day, (day, 0, 0, 0, 0, 0, 0.0, 0.0, 0))
                counts = _day_counts(row)
                _add_day_metadata(
                    context,
                    counts,
                    day,
                    naive=int(row[5]),
                    codes=dict(sorted(codes_by_day.get(day, {}).items())),
                    quarantined_revenue=stored[day].quarantined_revenue,
                    anomaly=scores.get(day.isoformat(), {}),
                )
                span.record_rows(
                    rows_in=counts["orders/raw_rows"],
                    rows_out=counts["dagster/row_count"],
                    quarantined=counts["orders/quarantined_rows"],
                    partition_key=day.isoformat(),
                )
            yield dg.MaterializeResult(
                asset_key="cleaned_orders",
                metadata=table_metadata(
                    TABLES["cleaned_orders"],
                    order_table_types()["cleaned_orders"],
                    descriptions["cleaned_orders"],
                ),
            )
            yield dg.MaterializeResult(
                asset_key="quarantined_orders",
                metadata=table_metadata(
                    TABLES["quarantined_orders"],
                    order_table_types()["quarantined_orders"],
                    descriptions["quarantined_orders"],
                ),
            )
            if (
                reconciliation is None
                or reconciliation.spec.key not in context.selected_asset_check_keys
            ):
                return
            with telemetry.check_span(context, reconciliation.spec.key) as check:
                yield from check.record_events(
                    reconciliation.events(
                        context.op_execution_context,
                        balance,
                        cleaned_days,
                        {day.isoformat(): why for day, why in held.items()},
                    )
                )

    return [clean_orders_step]


def held_days(
    context: dg.AssetExecutionContext,
    raw_blocking: Sequence[dg.AssetCheckKey],
    days: list[dt.date],
) -> dict[dt.date, str]:
    """The days of the run the cleaning leaves alone, each with why; fails at once,
    without retries, when that is every day.

    A day is left alone while metadata_anomaly holds (or defers) it or has not judged its
    latest load, or while one of raw_orders' other blocking checks ``raw_blocking``
    (schema_drift) has not passed that load. Dagster stops the cleaning after a failed
    blocking check only inside the run that evaluated it, and only when the check failed
    every day of the run (:func:`asset_checks.partitioned.stops_the_run`); a run whose
    check step failed before judging (an error, not a verdict) stops nothing for later
    runs. A later run of the cleaning alone (the runbook's re-clean, ``dg launch --assets
    cleaned_orders,quarantined_orders``), or a range run in which other days passed,
    reaches the step: it cleans the other days and leaves these as they are, as their
    own runs would. A day whose latest verdict passed (released, or judged again on
    corrected files) is cleaned as usual.
    """
    keys = [day.isoformat() for day in days]
    anomaly = set(failed_partitions(context.instance, keys))
    unpassed = unpassed_upstream(context, [*raw_blocking, CHECK_KEY], days)
    why: dict[str, tuple[str, str]] = {}
    for day in sorted(anomaly | set(unpassed)):
        # A held day's metadata_anomaly is its hold, whichever load it judged.
        checks = [
            name for name in unpassed.get(day, []) if day not in anomaly or name != CHECK_NAME
        ]
        reasons = ["held or deferred by metadata_anomaly"] if day in anomaly else []
        if checks:
            reasons.append(f"{', '.join(checks)} not passed")
            # A release cannot clean a day whose files fail: they are fixed first.
            todo = (
                "fix the day's landing files and run the day again (its checks run with it;"
                " orders_landing_sensor runs it once they change)"
            )
            drifted = tables.SCHEMA_DRIFT in checks
            if not drifted or schema_drift_failure(context.instance, day) is None:
                # Not failed: the checks never judged the latest load (a run interrupted
                # before them or failed in their step, or one that selected raw_orders
                # without its checks).
                todo = (
                    f"{' and '.join(checks)} never judged its latest raw_orders load (a run"
                    " stopped before the check or failed in it, or one without it): run the"
                    " day again with raw_orders and its checks (dg launch --assets"
                    f" 'raw_orders*' --partition {day})"
                )
        else:
            todo = (
                "release it or land corrected files (python -m devtools.held lists why and the"
                " release command)"
            )
        why[day] = ("; ".join(reasons), todo)
    return days_left_out(context, why, days, "cleaned")


def _add_held_metadata(
    context: dg.AssetExecutionContext,
    day: dt.date,
    why: str,
    last_cleaned: str | None,
    anomaly: dict[str, float],
) -> None:
    """A day of the run the cleaning left alone: Dagster records a materialization of
    every day of a range, so the day's says it was not cleaned, why, and which run last
    cleaned it (its rows are that run's; none if it never was); cleaned_orders' carries
    the score that held it (``anomaly``, :func:`resources.instance_history.anomaly_figures`)."""
    metadata: dict[str, object] = {NOT_CLEANED: f"not cleaned in this run, left as it was: {why}"}
    if last_cleaned:
        metadata[LAST_CLEANED_RUN] = last_cleaned
    for key in ("cleaned_orders", "quarantined_orders"):
        shown = {**metadata, **anomaly} if key == "cleaned_orders" else metadata
        context.add_asset_metadata(shown, asset_key=key, partition_key=day.isoformat())


QUARANTINED_BY_REASON = "orders/quarantined_rows/"


def reason_metadata(codes: dict[str, int]) -> dict[str, int]:
    """``orders/quarantined_rows/<code>`` for every reason code of the contract, the day's
    count or 0: a plot per reason has a point on every cleaned day, never a gap. A code
    the contract no longer gives still gets its count (an older classification's rows)."""
    every = dict.fromkeys(reason_codes(load_contract()), 0) | codes
    return {f"{QUARANTINED_BY_REASON}{code}": int(n) for code, n in every.items()}


def _add_day_metadata(
    context: dg.AssetExecutionContext,
    counts: dict[str, float | int],
    day: dt.date,
    naive: int,
    codes: dict[str, int],
    quarantined_revenue: float,
    anomaly: dict[str, float],
) -> None:
    """One day's reconciliation numbers on both outputs (row counts per output), its rows
    without an offset (cleaned_orders) and its reason codes (quarantined_orders): the JSON
    of the day's codes, and a number per code the cleaning can give, 0 when the day has
    none of it (:func:`reason_metadata`). cleaned_orders also carries the day's anomaly
    score and threshold (``anomaly``) from the verdict that let its load through.

    Revenue is each output's own: the cleaned rows' amounts on cleaned_orders, the
    parseable amounts of the quarantined rows on quarantined_orders (as reconciliation
    counts them). Distinct customers are the cleaned rows', so on cleaned_orders only."""
    quarantined = counts["orders/quarantined_rows"]
    for key in ("cleaned_orders", "quarantined_orders"):
        metadata = dict(counts)
        if key == "cleaned_orders":
            metadata["orders/naive_timestamp_rows"] = naive
            metadata.update(anomaly)
        if key == "quarantined_orders":
            metadata["dagster/row_count"] = quarantined
            metadata["dagster/partition_row_count"] = quarantined
            metadata["orders/reason_codes"] = dg.MetadataValue.json(codes)
            metadata.update(reason_metadata(codes))
            metadata["orders/revenue"] = round(quarantined_revenue, 2)
            del metadata["orders/distinct_customers"]
        context.add_asset_metadata(metadata, asset_key=key, partition_key=day.isoformat())
