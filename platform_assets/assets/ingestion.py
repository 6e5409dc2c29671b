"""raw_orders: every landed row of the day, lossless."""

import time

import dagster as dg
import pandas as pd

from orders_core import tables
from orders_core.contract import load_contract
from orders_core.ingest import (
    LandedFile,
    empty_raw_frame,
    file_format,
    read_landed_files,
    with_partition_date,
)
from orders_core.pii import redact_emails
from orders_core.profiling import profile_raw
from platform_assets.assets.common import (
    DATA_PLATFORM,
    FILES_KIND,
    IO_MANAGER,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    column_descriptions,
    order_table_types,
)
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import frame_sql_types, table_metadata
from resources.landing import LandingZone, fingerprint
from resources.telemetry import TelemetryResource
from resources.warehouse_pool import WAREHOUSE_POOL

TABLE = tables.RAW_ORDERS.qualified
REFUSED_FILES = tables.REFUSED_FILES_METADATA
MAX_REFUSED_NAMES = 10


def build_ingestion_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The raw_orders asset on the given daily partitions."""

    @dg.asset(
        name="raw_orders",
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        io_manager_key=IO_MANAGER,
        group_name="ingestion",
        owners=[DATA_PLATFORM],
        kinds={FILES_KIND, "pandas", WAREHOUSE_KIND},
        tags={"layer": "raw"},
        metadata={
            "schema": "raw",
            "partition_expr": "partition_date",
            **table_metadata(TABLE, order_table_types()["raw_orders"], column_descriptions()),
        },
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def raw_orders(
        context: dg.AssetExecutionContext, landing: LandingZone, telemetry: TelemetryResource
    ) -> pd.DataFrame:
        """Every order record that landed for the day, exactly as it arrived.

        One row per record found in the landing zone under `orders/date=YYYY-MM-DD/`
        (CSV, JSON Lines or Parquet files), all values kept as text, with the file and
        line each record came from. Nothing is dropped or corrected here: columns
        outside the contract are kept in `extra_columns_json`, except those holding
        e-mail addresses (by name or value), kept apart in `pii_extra_columns_json`
        and never published; unreadable records keep their original text in
        `raw_record`. Use it to answer "what exactly did the source send us on this
        day?"; use `cleaned_orders` or `warehouse/fct_orders` for analysis.

        Plots per day: rows, files, revenue, mean and median order value, distinct
        customers, duplicate rate, null rate per column and extra columns holding PII
        (`orders/pii_extra_columns`, names in `orders/pii_extra_column_names`).
        """
        with telemetry.asset_span(context) as span:
            contract = load_contract()
            frames = []
            for day in partition_dates(context):
                started = time.perf_counter()
                listing = landing.scan_day(day)
                listed = listing.files
                accepted = [info for info in listed if file_format(info.name)]
                ignored = [
                    redact_emails(info.name) for info in listed if not file_format(info.name)
                ]
                files = [
                    LandedFile(uri=i.uri, name=i.name, size=i.size, data=landing.read(i))
                    for i in accepted
                ]
                frame = with_partition_date(read_landed_files(contract, files), day)
                frames.append(frame)
                profile = profile_raw(frame, contract)
                profile.update(
                    {
                        "orders/files": len(accepted),
                        "orders/bytes": sum(i.size for i in accepted),
                        "orders/duration_s": round(time.perf_counter() - started, 4),
                        "orders/landing_fingerprint": fingerprint(listed),
                        "dagster/partition_row_count": len(frame),
                    }
                )
                if ignored:
                    profile["orders/ignored_files"] = ", ".join(ignored)
                    context.log.warning(
                        f"{day}: ignored files that are not orders files: {ignored}"
                    )
                if listing.refused:
                    refused = [redact_emails(f"{r.name} ({r.reason})") for r in listing.refused]
                    profile[REFUSED_FILES] = len(refused)
                    profile["orders/refused"] = "; ".join(refused[:MAX_REFUSED_NAMES]) + (
                        f"; and {len(refused) - MAX_REFUSED_NAMES} more"
                        if len(refused) > MAX_REFUSED_NAMES
                        else ""
                    )
                    context.log.warning(
                        f"{day}: refused {len(refused)} landing entries, not read: {refused}"
                    )
                if not len(frame):
                    profile["orders/note"] = "no landed rows for this day"
                    context.log.info(f"{day}: no landed orders (zero rows)")
                context.add_asset_metadata(profile, partition_key=day.isoformat())
                span.record_rows(
                    rows_in=len(frame), rows_out=len(frame), partition_key=day.isoformat()
                )
            raw = pd.concat(frames, ignore_index=True) if frames else empty_raw_frame(contract)
            context.add_output_metadata(
                table_metadata(TABLE, frame_sql_types(raw), column_descriptions())
            )
            return raw

    return [raw_orders]
