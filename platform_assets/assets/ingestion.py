"""raw_orders: every landed row of the day, lossless."""

import datetime as dt
import gzip
import json
import os
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from itertools import islice

import dagster as dg

from orders_core import tables
from orders_core.cleaning import raw_table
from orders_core.compression import (
    UnreadableCompressedFile,
    copy_into,
    is_gzip,
    readable,
)
from orders_core.contract import load_contract
from orders_core.csv_reader import csv_batches
from orders_core.ingest import landed_file_batches
from orders_core.jsonl_reader import jsonl_batches
from orders_core.landed_text import MAX_RECORD_BYTES
from orders_core.landing_formats import display_name, file_format, unreadable_metadata
from orders_core.parquet_reader import long_values, parquet_batches
from orders_core.pii import names_email, redact_emails
from orders_core.plain_csv import plain_head, plain_header, read_head
from orders_core.plain_jsonl import (
    keys_in_order,
    plain_jsonl_first_line,
    plain_jsonl_header,
    plain_keys,
)
from orders_core.plain_parquet import (
    decoded_plain_parquet_header,
    plain_parquet_header,
    renderable_parquet_header,
    text_copy,
)
from orders_core.profiling import profile_days
from orders_core.raw_frame import LandedFile, UnreadableFile, extra_columns, with_partition_date
from orders_core.sql.run import LOAD_TABLE, raw_load
from platform_assets.assets.common import (
    DATA_PLATFORM,
    FILES_KIND,
    IO_RETRY_POLICY,
    SINGLE_RUN,
    WAREHOUSE_KIND,
    code_version,
    ensure_step_tables,
    landed_column_descriptions,
    order_table_types,
    permanent_failure,
)
from platform_assets.assets.landed_headers import files_with_rows, header_only_files
from platform_assets.partitions import partition_dates
from platform_assets.schema_metadata import table_metadata
from resources.landing import (
    DayListing,
    LandedFileChangedError,
    LandingZone,
    files_fingerprint,
    fingerprint,
    shown_name,
)
from resources.telemetry import TelemetryResource, sql_write_span
from resources.telemetry_spans import ROWS_WRITTEN
from resources.warehouse import DuckDBWarehouse, Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

TABLE = tables.RAW_ORDERS.qualified
REFUSED_FILES = tables.REFUSED_FILES_METADATA
# Transactions that load plain-looking CSV, JSON Lines and Parquet files straight into
# raw.raw_orders (one more per file the engine does not load) before every such file is
# staged.
DIRECT_LOAD_ATTEMPTS = 3
# Files whose byte check (orders_core.plain_csv) runs ahead of the engine's loads, in a
# thread: each holds an open file (and, for gzip, a temporary plain copy) until loaded.
CHECKS_AHEAD = 3
# The landing formats whose plain files the engine scans itself (orders_core.plain_csv,
# orders_core.plain_jsonl, orders_core.plain_parquet).
ENGINE_FORMATS = ("csv", "jsonl", "parquet")
MAX_REFUSED_NAMES = 10
# Memory the lossless reader takes in the step process once it has staged a file, which
# the engine's limit gives up for the rest of the session (SqlSession.reserve_memory): its
# first-use imports and what reading leaves allocated, 104 -> 215 MiB warm and 263 MiB
# after one file of 1M quoted CSV orders (peak 274). A day of 4M such orders in one file
# took raw_orders to 978-1,030 MiB without it (bench/RESULTS.md, session 24). A typed
# Parquet file's text copy (the reader's rendering, plain_parquet.text_copy) reserves it
# too, as does a plain one, whose pages the reader decodes before the engine loads it.
READER_MEMORY = 160 * 1024 * 1024
# And this much more for a Parquet file of long values, one whose batches hold fewer rows
# than BATCH_ROWS (parquet_reader.long_values_bytes): pyarrow reads such a file a page at a
# time whatever the batch, holding the page compressed and decompressed (DuckDB wrote
# 60,000-character values in pages of 91 MiB), and the reader's batches of 16 MiB of such
# values hold more than the reader's 160 MiB in any case: reading a file of them in pages
# of 1 MiB (a dictionary of 256 such values) held 300 MiB over its process's base
# (pyarrow's pool at most 102 MiB, Python's objects 55; the rest freed memory the
# allocators keep). A day of 20,000 of them in one file took raw_orders to 1,142 MiB
# (typed 1,166) with the reader's reserve alone, 971-974 (979-1,008) with this
# (bench/RESULTS.md, hunts 69 and 72). Plain orders' files reserve nothing more.
LONG_VALUES_MEMORY = 256 * 1024 * 1024


def build_ingestion_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The raw_orders asset on the given daily partitions."""

    @dg.asset(
        name="raw_orders",
        code_version=code_version(tables.RAW_ORDERS),
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        group_name="ingestion",
        owners=[DATA_PLATFORM],
        kinds={FILES_KIND, "sql", WAREHOUSE_KIND},
        tags={"layer": "raw"},
        metadata={
            **table_metadata(
                TABLE, order_table_types()["raw_orders"], landed_column_descriptions()
            ),
        },
        retry_policy=IO_RETRY_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def raw_orders(
        context: dg.AssetExecutionContext,
        landing: LandingZone,
        warehouse: Warehouse,
        telemetry: TelemetryResource,
    ) -> dg.MaterializeResult:
        """Every order record that landed for the day, exactly as it arrived.

        One row per record found in the landing zone under `orders/date=YYYY-MM-DD/`
        (CSV or JSON Lines, plain or gzip-compressed, and Parquet files), all values kept
        as text, with the file and line each record came from. Nothing is dropped or
        corrected here: columns outside the contract are kept in `extra_columns_json`,
        except those holding e-mail addresses (by name or value), kept apart in
        `pii_extra_columns_json` and never published; unreadable records keep their original text in `raw_record`, and files the
        platform cannot read are named in `orders/unreadable` (the day then fails
        `schema_drift`). Use it to answer "what exactly did
        the source send us on this day?"; use `cleaned_orders` or
        `warehouse/fct_orders` for analysis.

        Plots per day: rows, files, revenue, mean and median order value, distinct
        customers, duplicate rate, null rate per column and extra columns holding PII
        (`orders/pii_extra_columns`, names in `orders/pii_extra_column_names`).
        """
        days = partition_dates(context)  # a bad range fails here, before any SQL
        if missing := landing.missing_root():  # never replace the days' rows with none
            raise permanent_failure(missing)
        with (
            retried_while_files_change(context),
            telemetry.asset_span(context) as span,
            warehouse.session() as session,
        ):
            contract = load_contract()
            ensure_step_tables(session, contract, tables.RAW_ORDERS)
            with sql_write_span(context, TABLE, session.db_system) as write:
                landed, profiles = _replace_days(session, landing, contract, days)
                written = sum(int(p["dagster/row_count"]) for p in profiles.values())
                write.set_attribute(ROWS_WRITTEN, written)
            # A file with a header and no record has no row to keep its header on: the
            # metadata keeps it, for schema_drift (landed_headers).
            with_rows = files_with_rows(session, TABLE, days)
            for day in days:
                listing, accepted, seconds = landed[day]
                profile = _day_metadata(profiles[day], listing, accepted, seconds)
                _log_landing(context.log, day, listing, profile)
                profile |= header_only_files(landing, accepted, with_rows.get(day, set()))
                context.add_asset_metadata(profile, partition_key=day.isoformat())
                rows = profile["dagster/row_count"]
                span.record_rows(rows_in=rows, rows_out=rows, partition_key=day.isoformat())
            return dg.MaterializeResult(
                metadata=table_metadata(
                    TABLE, order_table_types()["raw_orders"], landed_column_descriptions()
                )
            )

    return [raw_orders]


@contextmanager
def retried_while_files_change(context: dg.AssetExecutionContext) -> Iterator[None]:
    """A landed file rewritten while raw_orders reads it (:class:`LandedFileChangedError`)
    fails the step with a message naming it and saying what happens next: retried with the
    step's backoff, the days listed again, and on the last attempt not retried, the landing
    sensor loading the new version (the run failure alert quotes the message)."""
    try:
        yield
    except LandedFileChangedError as changed:
        if context.retry_number < IO_RETRY_POLICY.max_retries:
            raise dg.Failure(
                description=f"{changed} Retried: the days are listed again and the new"
                " version read.",
                allow_retries=True,
            ) from changed
        raise permanent_failure(
            f"{changed} It is not retried again ({context.retry_number + 1} attempts: the file"
            " kept changing): orders_landing_sensor loads the day again when it sees the"
            " new version (days among the last ORDERS_LANDING_LOOKBACK_DAYS folders; older"
            " ones at its next sweep, ORDERS_LANDING_SWEEP_TICKS); else"
            " run raw_orders for the day again once the file is settled.",
            changed_file=changed.shown,
        ) from changed


def _ignored(listing: DayListing) -> list[str]:
    """The names of the day's listed files in no landing format (unreadable)."""
    return [shown_name(info) for info in listing.files if not file_format(info.name)]


def _refused(listing: DayListing) -> list[str]:
    return [redact_emails(f"{display_name(r.name)} ({r.reason})") for r in listing.refused]


def _day_metadata(profile: dict, listing: DayListing, accepted, seconds: float) -> dict:
    """A day's profile with what was listed, read, ignored and refused."""
    profile = {
        **profile,
        tables.FILES_READ_METADATA: len(accepted),
        "orders/bytes": sum(i.size for i in accepted),
        "orders/duration_s": seconds,
        "orders/landing_fingerprint": fingerprint(listing.files),
        "orders/landing_files": files_fingerprint(listing.files),
        "dagster/partition_row_count": profile["dagster/row_count"],
    }
    if ignored := _ignored(listing):  # unreadable: schema_drift fails the day on these
        profile.update(unreadable_metadata(ignored))
    if refused := _refused(listing):
        profile[REFUSED_FILES] = len(refused)
        profile["orders/refused"] = "; ".join(refused[:MAX_REFUSED_NAMES]) + (
            f"; and {len(refused) - MAX_REFUSED_NAMES} more"
            if len(refused) > MAX_REFUSED_NAMES
            else ""
        )
    if not profile["dagster/row_count"]:
        profile["orders/note"] = "no landed rows for this day"
    return profile


def _log_landing(log, day, listing: DayListing, profile: dict) -> None:
    """What the day's metadata says was not read, in the run's log."""
    if ignored := _ignored(listing):
        log.warning(f"{day}: landed files the platform cannot read: {'; '.join(ignored)}")
    if refused := _refused(listing):
        log.warning(
            f"{day}: refused {len(refused)} landing entries, not read: {'; '.join(refused)}"
        )
    if not profile["dagster/row_count"]:
        log.info(f"{day}: no landed orders (zero rows)")


def landed_day_profiles(
    landing: LandingZone, days: Sequence[dt.date], limit_bytes: int
) -> dict[str, dict] | None:
    """raw_orders' metadata of ``days`` as a run of raw_orders over them would record it,
    from their landed files, without writing the warehouse; None when the files they would
    read hold more than ``limit_bytes`` (profiling costs what loading them does).

    metadata_anomaly judges a day against the days before it; when some of those landed
    but raw_orders has not loaded them (days run newest first, a random batching), it
    profiles them here instead of deferring the day. The days are loaded into a scratch
    DuckDB file, deleted on return, by the same load and profile as a raw_orders run over
    them (one transaction; the engine's memory limit and spilling apply), the engine's
    scan or the reader as each file requires."""
    listings = {day: landing.scan_day(day) for day in days}
    size = sum(
        info.size
        for listing in listings.values()
        for info in listing.files
        if file_format(info.name)
    )
    if size > limit_bytes:
        return None
    contract = load_contract()
    found: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="orders-profile-") as folder:
        scratch = DuckDBWarehouse(database=os.path.join(folder, "profile.duckdb"))
        with scratch.session() as session:
            ensure_step_tables(session, contract, tables.RAW_ORDERS)
            landed, profiles = _replace_days(session, landing, contract, sorted(days))
            for day in days:
                listing, accepted, seconds = landed[day]
                found[day.isoformat()] = _day_metadata(profiles[day], listing, accepted, seconds)
    return found


class _NotLoaded(Exception):
    """A CSV, JSON Lines or Parquet file the engine did not load inside the replacing transaction
    (not plain, or refused by its strict scan, which aborts a DuckDB transaction): roll
    back."""


def _replace_days(session, landing: LandingZone, contract, days) -> tuple[dict, dict]:
    """Load the days' landed files and replace their rows in one transaction (a crash
    leaves the old rows); the listing of each day and the days' profiles.

    Files that do not go straight into the table are first appended, one at a time, to a
    session table: by the engine's scan when they are plain CSV, JSON Lines or Parquet
    (gzip or remote ones through a temporary plain copy), else by the reader (rows appended inside
    a DuckDB transaction stay in memory: a day of 2M rows in gzip files took 1.7 GiB).
    Where the engine loads inside a transaction (DuckDB, local files), the CSV and JSON
    Lines files whose first line is plain (gzip or not) and the Parquet files whose
    footer is, then go straight into the table in the replacing transaction: staging them
    too spilled a range of days and copied every row twice (bench/RESULTS.md). A file the
    engine does not load there rolls the transaction back (DuckDB has no savepoints) and
    is read into the session table, and the transaction starts again; after
    ``DIRECT_LOAD_ATTEMPTS`` every remaining such file is staged as well (the engine's
    scan when it can, else the reader)."""
    load = raw_load(contract)
    bounds = [days[0], days[-1]]
    direct_ok = session.loads_in_transaction and landing.has_local_files()
    session.execute(load.create_load)
    landed: dict = {}
    seconds: dict = {}
    direct: list = []  # (day, file) for the engine to load inside the transaction
    misnamed = landing.misnamed_day_folders(days)
    for day in days:
        started = time.perf_counter()
        listing = landing.scan_day(day)
        if day in misnamed:  # reported as refused: schema_drift holds the day
            listing = DayListing(listing.files, [*listing.refused, *misnamed[day]])
        accepted = [info for info in listing.files if file_format(info.name)]
        for info in accepted:
            if direct_ok and _may_be_plain(session, landing, info, contract):
                direct.append((day, info))
            else:
                _stage(session, landing, contract, info, day)
        landed[day] = (listing, accepted)
        seconds[day] = time.perf_counter() - started
    for attempt in range(DIRECT_LOAD_ATTEMPTS + 1):
        if attempt == DIRECT_LOAD_ATTEMPTS:
            for day, info in direct:
                _stage(session, landing, contract, info, day)
            direct = []
        loading = dict.fromkeys(days, 0.0)
        try:
            with (
                session.transaction(),
                _checked_ahead(session, landing, contract, direct) as checked,
            ):
                session.execute(load.delete, bounds)
                for (day, info), (local, header) in checked:
                    started = time.perf_counter()
                    if not _load_checked(session, info, contract, day, TABLE, local, header):
                        raise _NotLoaded(day, info)
                    loading[day] += time.perf_counter() - started
                session.execute(load.insert)
                session.execute(load.reordered_header, [*bounds, *bounds])
                profiles = profile_days(session.execute, contract, TABLE, days)
            break
        except _NotLoaded as missed:
            day, info = missed.args
            direct.remove((day, info))
            _stage(session, landing, contract, info, day)
    return {day: (*landed[day], round(seconds[day] + loading[day], 4)) for day in days}, profiles


def _may_be_plain(session, landing: LandingZone, info, contract) -> bool:
    """A local CSV (JSON Lines) file, plain or gzip, whose first line is a plain header
    (plain record; one line read), or a Parquet file whose footer is plain: worth loading
    inside the transaction. A file with extra columns, say, is staged at
    once instead of costing a rolled-back transaction."""
    fmt = file_format(info.name)
    if not session.scans_files or fmt not in ENGINE_FORMATS:
        return False
    if fmt == "parquet":  # its footer read: plain, or plain once rendered as text
        with landing.stream(info) as landed:
            if (
                plain_parquet_header(landed, contract) is None
                and renderable_parquet_header(landed, contract) is None
            ):
                return False
            # Beside the engine's loads (_checked_ahead), the reader decodes every page
            # of a plain file (decoded_plain_parquet_header) or renders a typed one as
            # its text copy: the engine's limit must leave room for its memory.
            reserve, refused = _parquet_reading(landed)
            if refused:  # the reader's at once (_stage)
                return False
            session.reserve_memory(reserve)
        return True
    with _landed_text(landing, info) as text:
        return _plain_head(text, contract, fmt) is not None


def _parquet_reading(landed) -> tuple[int, bool]:
    """What the engine's limit gives up for the reader of the Parquet file ``landed``
    (:data:`READER_MEMORY`, more for a file of long values: :data:`LONG_VALUES_MEMORY`),
    and whether the file is the reader's at once: its rows hold on average, decoded, over
    a quarter of the record size limit (``parquet_reader.long_values``), which the
    engine's check before it loads a file refuses (``SqlSession.load_plain_parquet``: no
    row's values over a quarter), after the reader had decoded every page (the decode
    pass, a typed file's text copy) and the engine scanned it, twice: in the replacing
    transaction, then staged. The footer counts a few bytes a value more than the text
    (its lengths): a file within them of the quarter is the reader's too, which gives the
    rows the engine would (bench/RESULTS.md, hunt 78)."""
    largest, widest = long_values(landed)
    reserve = READER_MEMORY + (LONG_VALUES_MEMORY if largest else 0)
    return reserve, widest * 4 > MAX_RECORD_BYTES


def _stage(session, landing: LandingZone, contract, info, day) -> None:
    """Append one landed file to the session table: a plain CSV, JSON Lines or Parquet
    file (gzip or remote ones through a temporary copy) by the engine's own scan, any other (or one
    the scan refuses) by the lossless reader."""
    fmt = file_format(info.name)
    refused = False  # by the engine's check (_parquet_reading): the reader's at once
    if fmt == "parquet":  # its pages decoded, a typed file's text copy (or the reader)
        if landing.has_local_files():  # its footer read; on S3 once downloaded for the reader
            with landing.stream(info) as landed:
                reserve, refused = _parquet_reading(landed)
                session.reserve_memory(reserve)
        session.reserve_memory(READER_MEMORY)
    if not refused and _engine_loaded(session, landing, info, contract, day, LOAD_TABLE):
        return
    session.reserve_memory(READER_MEMORY)
    text_batches = {"csv": csv_batches, "jsonl": jsonl_batches}.get(fmt)
    if text_batches and _staged_text(session, landing, contract, info, day, text_batches):
        return
    try:
        if fmt == "parquet":
            _staged_parquet(session, landing, contract, info, day)
            return
        source = LandedFile(uri=info.uri, name=info.name, size=info.size, data=landing.read(info))
        for frame in landed_file_batches(contract, source):  # a corrupt gzip file: one record
            _append(session, contract, frame, day)
    except UnreadableFile as unreadable:  # never read in part: its rows so far are void
        session.execute(f"DELETE FROM {LOAD_TABLE} WHERE source_file = ?", [info.uri])  # noqa: S608
        _append(session, contract, unreadable.frame, day)


def _staged_parquet(session, landing: LandingZone, contract, info, day) -> None:
    """Append a Parquet file batch by batch, read from the landed file where its footer
    and pages are (a file on S3 from its temporary download): the file is never held
    whole. Raises UnreadableFile as the reader does."""
    with landing.stream(info) as stream:
        session.reserve_memory(_parquet_reading(stream)[0])
        source = LandedFile(uri=info.uri, name=info.name, size=info.size, data=b"")
        for frame in parquet_batches(contract, source, stream=stream):
            _append(session, contract, frame, day)


def _staged_text(session, landing: LandingZone, contract, info, day, batches) -> bool:
    """Append a CSV or JSON Lines file the engine does not load, batch by batch
    (``batches``: :func:`csv_batches` or :func:`jsonl_batches`), read from a stream of the
    landed file (a gzip one from a temporary decompressed copy): pyarrow's CSV parser
    holds a block of its lines at a time, the row-by-row readers a chunk of its text;
    none the file. False, with nothing appended, when a gzip file cannot be decompressed
    (the reader then makes it one broken record saying why)."""
    with _decompressed(landing, info) as stream:
        if stream is None:
            return False
        source = LandedFile(uri=info.uri, name=info.name, size=info.size, data=b"")
        for frame in batches(contract, source, stream=stream):
            _append(session, contract, frame, day)
    return True


@contextmanager
def _decompressed(landing: LandingZone, info):
    """A seekable stream of the landed file's text: the file itself, or for a gzip file
    a temporary decompressed copy (None when it cannot be decompressed)."""
    if not is_gzip(info.name):
        with landing.stream(info) as landed:
            yield landed
        return
    with _landed_text(landing, info) as text, tempfile.TemporaryFile(prefix="orders-") as copy:
        try:
            copy_into(text, copy)
        except UnreadableCompressedFile:
            copy = None
        else:
            copy.seek(0)
        yield copy


def _append(session, contract, frame, day) -> None:
    frame = with_partition_date(frame, day)
    if len(frame):
        session.append(LOAD_TABLE, raw_table(frame, contract))


def _engine_loaded(session, landing: LandingZone, info, contract, day, target) -> bool:
    """Load a plain CSV, JSON Lines or Parquet file (``orders_core.plain_csv``,
    ``plain_jsonl``, ``plain_parquet``) into ``target`` with the engine's
    own scan, streaming: the same rows as the reader, without holding the file in Python.
    False when the file is not plain, the engine cannot scan it, or refused it."""
    stack, (local, header) = _checked_file(session, landing, info, contract)
    with stack:
        return _load_checked(session, info, contract, day, target, local, header)


def _checked_file(session, landing: LandingZone, info, contract) -> tuple[ExitStack, tuple]:
    """:func:`_engine_file` opened and byte-checked: its ``(handle, path)`` (or None) and
    header (None when not plain), with the stack that closes the file."""
    stack = ExitStack()
    try:
        local = stack.enter_context(_engine_file(session, landing, info, contract))
        header = None if local is None else _plain_header(local, contract, info)
    except BaseException:
        stack.close()
        raise
    return stack, (local, header)


@contextmanager
def _checked_ahead(session, landing: LandingZone, contract, direct: list) -> Iterator:
    """Each ``(day, info)`` of ``direct`` with its :func:`_checked_file` ``(local,
    header)``, the byte checks running up to ``CHECKS_AHEAD`` files ahead in a thread
    while the engine loads (its scan releases the GIL), so they no longer add to the
    load. A file stays open until the caller moves past it: the engine loads the very
    file that was checked. Files checked but never reached are closed on exit."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plain-csv-check") as pool:
        items = iter(direct)
        pending: deque = deque()

        def submit(count: int) -> None:
            for item in islice(items, count):
                future = pool.submit(_checked_file, session, landing, item[1], contract)
                pending.append((item, future))

        def checked() -> Iterator:
            submit(CHECKS_AHEAD)
            while pending:
                item, future = pending.popleft()
                submit(1)
                stack, result = future.result()
                with stack:
                    yield item, result

        files = checked()
        try:
            yield files
        finally:
            files.close()
            for _, future in pending:
                if not future.cancel() and future.exception() is None:
                    future.result()[0].close()


def _load_checked(session, info, contract, day, target, local, header) -> bool:
    """:func:`_engine_loaded` of a file already opened and checked."""
    if local is None or header is None:
        return False
    _, path = local
    fmt = file_format(info.name)

    def load(cells: list[str], **options) -> bool:
        lineage = {
            "source_file": info.uri,
            "source_format": fmt,
            "file_header": json.dumps(cells),
            "partition_date": day,
        }
        extras = [(i, key, names_email(cells[i])) for i, key in extra_columns(contract, cells)]
        engine_load = {
            "csv": session.load_plain_csv,
            "jsonl": session.load_plain_jsonl,
            "parquet": session.load_plain_parquet,
        }[fmt]
        return engine_load(target, path, cells, lineage, extras, **options)

    if fmt == "csv":  # its cells after the blank lines it skips
        return load(header.cells, skip=header.skip)
    if fmt == "parquet":
        return load(header)
    if load(header):
        return True
    # Lines that leave out keys (an export dropping its null values) may name a key the
    # first line does not: the file's header is then every key, in order of appearance.
    keys = session.jsonl_keys(path)
    if keys is None or keys <= set(header):
        return False
    ordered = keys_in_order(local[0], header, keys)
    return plain_keys(ordered, contract) and load(ordered)


@contextmanager
def _engine_file(session, landing: LandingZone, info, contract):
    """An open CSV, JSON Lines or Parquet file and the path the engine scans for it: the
    landed file itself when it is on this machine, else (gzip, S3) a temporary plain copy
    written a chunk at a time (a Parquet file on S3: its temporary download), so a day of
    such files is never held in memory. None when the engine does not scan files, or the
    copy is not worth making (a first line that is not a plain header or record) or
    cannot be made (a corrupt or oversized gzip file: the reader reports why)."""
    fmt = file_format(info.name)
    if not session.scans_files or fmt not in ENGINE_FORMATS:
        yield None
        return
    if fmt == "parquet":
        with _parquet_file(landing, info) as local, _plain_parquet(local, contract) as plain:
            yield plain
        return
    if not is_gzip(info.name) and landing.has_local_files():
        with landing.local_file(info) as local:
            yield local
        return
    with _landed_text(landing, info) as text, tempfile.TemporaryFile(prefix="orders-") as copy:
        first = _plain_head(text, contract, fmt)
        try:
            if first is not None:
                copy_into(text, copy, first_line=first)
                copy.flush()
                copy.seek(0)
        except UnreadableCompressedFile:
            first = None
        # The copy has no name (nothing is left behind if the process is killed): the
        # engine opens it through the process's descriptor, as the local zone's files.
        path = f"/proc/self/fd/{copy.fileno()}"
        yield None if first is None or not os.path.exists(path) else (copy, path)


@contextmanager
def _parquet_file(landing: LandingZone, info):
    """A landed Parquet file and the path the engine scans for it: the file itself when
    it is on this machine, else (S3) its temporary download, opened by its descriptor;
    None when the file has no path the engine can open."""
    if landing.has_local_files():
        with landing.local_file(info) as local:
            yield local
        return
    with landing.stream(info) as landed:
        try:
            path = f"/proc/self/fd/{landed.fileno()}"
        except (OSError, ValueError):  # io.UnsupportedOperation: a stream in memory
            path = ""
        yield (landed, path) if path and os.path.exists(path) else None


@contextmanager
def _plain_parquet(local, contract):
    """``local`` (an open Parquet file and its path, or None) as the engine loads it: a
    plain file itself; a typed one the engine may load once rendered as text
    (``orders_core.plain_parquet``) as its temporary plain copy, written a batch at a
    time and opened by its descriptor (nothing is left behind if the process is killed);
    any other file itself, which the plain check then leaves to the reader."""
    if local is None or renderable_parquet_header(local[0], contract) is None:
        yield local
        return
    with tempfile.TemporaryFile(prefix="orders-") as copy:
        path = f"/proc/self/fd/{copy.fileno()}"
        if text_copy(local[0], contract, copy) and os.path.exists(path):
            copy.flush()
            yield _TextCopy((copy, path))
        else:
            yield local


class _TextCopy(tuple):
    """``(handle, path)`` of a typed Parquet file's text copy (:func:`_plain_parquet`):
    written here by pyarrow from the values ``text_copy`` decoded off every page of the
    landed file, so its pages need no decoding again before the engine loads it: a pass
    over 1.2 GB of 60,000-character values took pyarrow about 1 CPU second and 520 MiB
    (bench/RESULTS.md, hunt 69)."""


@contextmanager
def _landed_text(landing: LandingZone, info):
    """The landed file's text (CSV, JSON Lines), decompressed on the fly when gzip."""
    with landing.stream(info) as landed:
        if is_gzip(info.name):
            with gzip.GzipFile(fileobj=landed, mode="rb") as text:
                yield text
        else:
            yield landed


def _plain_head(text, contract, fmt: str) -> bytes | None:
    """The head of a CSV text stream (its blank lines and header line, ``read_head``) when
    its header is plain, or the first line of a JSON Lines one when it is a plain
    record; else None."""
    try:
        with readable():
            if fmt == "jsonl":
                first = text.readline(MAX_RECORD_BYTES + 2)
                return first if plain_jsonl_first_line(first, contract) is not None else None
            head = read_head(text)
    except UnreadableCompressedFile:
        return None
    return head if plain_head(head, contract) else None


def _plain_header(local, contract, info) -> list[str] | None:
    """The header of a plain CSV file, the keys of a plain JSON Lines one, the columns of
    a plain Parquet one (None when the file is not plain): see orders_core.plain_csv,
    orders_core.plain_jsonl and orders_core.plain_parquet. ``local`` is the file's
    ``(handle, path)``; a typed Parquet file's text copy (:class:`_TextCopy`) is plain by
    its footer, its pages written here."""
    handle = local[0]
    fmt = file_format(info.name)
    if fmt == "jsonl":
        return plain_jsonl_header(handle, contract)
    if isinstance(local, _TextCopy):
        return plain_parquet_header(handle, contract)
    if fmt == "parquet":
        return decoded_plain_parquet_header(handle, contract)
    return plain_header(handle, contract)
