"""fx_rates: the daily FX rates landed under ``fx_rates/``, loaded into the warehouse.

Not partitioned: rates are small (a row per currency and day, some 57,000 a year for
157 currencies) and a rate may be corrected at any time, so every run re-reads every
rates file and replaces the table as a whole. customer_metrics, which recomputes every
customer from the current orders, then converts with the rates as they are now: a rate
that landed or was corrected after its orders counts at the next run, whatever the days
were batched into.
"""

import dagster as dg
import pyarrow as pa

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.fx_files import rate_rows
from orders_core.pii import redact_uri
from orders_core.sql.fx import (
    LOAD_TABLE,
    create_load_sql,
    quarantined_rates_sql,
    rates_statements,
    rates_summary_sql,
    reason_counts_sql,
)
from orders_core.sql.tables import FX_RATE_TYPES
from platform_assets.assets.common import (
    DATA_PLATFORM,
    FILES_KIND,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    code_version,
    ensure_step_tables,
    permanent_failure,
)
from platform_assets.schema_metadata import table_metadata
from resources.instance_history import RATES_FINGERPRINT
from resources.landing import RATES_DATASET, DayListing, LandingZone, listing_fingerprint
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

TABLE = tables.FX_RATES.qualified
RATE_DESCRIPTIONS = {
    "rate_date": "The day the rate is of (UTC calendar day); NULL when not an ISO date.",
    "currency": "ISO 4217 code of the currency the rate converts from.",
    "rate": "Units of the reporting currency (contract fx.reporting_currency) per unit of"
    " currency on rate_date.",
    "reason_code": "Why the row is not used (NULL: usable): malformed_record,"
    " invalid_rate_date, unknown_currency, invalid_rate, reporting_currency_rate,"
    " conflicting_rate.",
    "reason_detail": "What was wrong, in words.",
    "landed_rate_date": "rate_date as landed (text).",
    "landed_currency": "currency as landed (text).",
    "landed_rate": "rate as landed (text).",
    "source_file": "URI of the landed rates file.",
    "source_line": "Line of the record in its file (0: the file itself).",
}
LOAD_SCHEMA = pa.schema(
    [
        ("landed_rate_date", pa.string()),
        ("landed_currency", pa.string()),
        ("landed_rate", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("parse_error", pa.string()),
    ]
)


def landed_rates(landing: LandingZone, listing: DayListing) -> pa.Table:
    """Every record of every rates file of ``listing`` (``landing.scan_rates()``), as text,
    with its file and line; a refused entry (a link, a folder) as one row saying why."""
    columns: dict[str, list] = {name: [] for name in LOAD_SCHEMA.names}

    def add(rate_date, currency, rate, source, line, error) -> None:
        for name, value in zip(
            LOAD_SCHEMA.names, (rate_date, currency, rate, source, line, error), strict=True
        ):
            columns[name].append(value)

    for info in listing.files:
        for row in rate_rows(info.name, landing.read(info)):
            add(row.rate_date, row.currency, row.rate, info.uri, row.line, row.parse_error)
    for refused in listing.refused:
        add(None, None, None, f"{RATES_DATASET}/{refused.name}", 0, f"not read: {refused.reason}")
    return pa.table(columns, schema=LOAD_SCHEMA)


def build_fx_assets(check_spec: dg.AssetCheckSpec, check_result) -> list[dg.AssetsDefinition]:
    """fx_rates, evaluating ``check_spec`` in its step with ``check_result(asset_key,
    reasons, listed)`` (:func:`asset_checks.fx.fx_rates_check_result`)."""

    @dg.asset(
        name="fx_rates",
        code_version=code_version(tables.FX_RATES),
        # in the job of every asset, whose partition ranges run as one run
        backfill_policy=SINGLE_RUN,
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        group_name="staging",
        owners=[DATA_PLATFORM],
        kinds={"sql", FILES_KIND, WAREHOUSE_KIND},
        tags={"layer": "staging"},
        check_specs=[check_spec],
        metadata=table_metadata(TABLE, FX_RATE_TYPES, RATE_DESCRIPTIONS),
    )
    def fx_rates(
        context: dg.AssetExecutionContext,
        landing: LandingZone,
        warehouse: Warehouse,
        telemetry: TelemetryResource,
    ) -> dg.MaterializeResult:
        """Daily FX rates to the reporting currency, as landed under `fx_rates/`.

        Every row of every CSV file in the landing zone's `fx_rates/` folder
        (`rate_date,currency,rate`: units of the reporting currency, the contract's
        `fx.reporting_currency`, per unit of `currency` on that day). Not partitioned:
        every run re-reads every file and replaces the table, so a corrected file
        counts at the next run (fx_rates_sensor starts one when a file lands or
        changes on its own). customer_metrics converts each purchase at the rate of
        its order date (or the latest earlier one, at most `fx.max_rate_age_days` old).

        A row that cannot be used is kept with its `reason_code` and never used:
        unknown currency, a date or rate that does not parse, a rate not above 0, two
        different rates for one currency and day (neither is used). The
        `fx_rates_valid` check fails naming them.
        """
        contract = load_contract()
        if missing := landing.missing_root():  # never replace the rates with none
            raise permanent_failure(missing)
        with telemetry.asset_span(context) as span:
            # The one listing the step reads, and whose digest it records: fx_rates_sensor
            # compares it with the folder's (a second listing could differ).
            listing = landing.scan_rates()
            landed = landed_rates(landing, listing)
            delete, insert = rates_statements(contract)
            with warehouse.session() as session:
                ensure_step_tables(session, contract, tables.FX_RATES)
                session.execute(create_load_sql())
                if landed.num_rows:
                    session.append(LOAD_TABLE, landed)
                with sql_write_span(context, TABLE, session.db_system) as write:
                    with session.transaction():
                        session.execute(delete)
                        session.execute(insert)
                        ((rows, usable, bad, currencies, first, last),) = session.execute(
                            rates_summary_sql()
                        )
                        reasons = {code: int(n) for code, n in session.execute(reason_counts_sql())}
                        listed = session.execute(quarantined_rates_sql(), [20])
                    write.set_attribute(ROWS_WRITTEN, int(rows))
            span.record_rows(rows_out=int(rows))
            shown = [
                (code, redact_uri(file), int(line), detail) for code, file, line, detail in listed
            ]
            # Evaluated in this step, so its span is a child of the asset's (as the
            # cleaning's reconciliation is).
            with telemetry.check_span(context, check_spec.key) as check:
                valid = check.record_check(check_result(context.asset_key, reasons, shown))
        if bad:
            context.log.warning(f"{bad} landed FX rate row(s) not used: see {TABLE}.reason_code")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": int(rows),
                **table_metadata(TABLE, FX_RATE_TYPES, RATE_DESCRIPTIONS),
                "fx/usable_rows": int(usable),
                "fx/quarantined_rows": int(bad),
                "fx/currencies": int(currencies),
                "fx/first_rate_date": str(first) if first is not None else "none",
                "fx/last_rate_date": str(last) if last is not None else "none",
                "fx/reporting_currency": contract.fx.reporting_currency,
                "fx/files": len(listing.files),
                RATES_FINGERPRINT: listing_fingerprint(listing),
            },
            check_results=[valid],
        )

    return [fx_rates]
