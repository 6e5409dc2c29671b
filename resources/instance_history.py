"""Bounded reads of the Dagster instance for the checks and sensors (the anomaly hold, the
publication suite's moved days).

Every query here is scoped by partition keys, a run, a row limit or a storage-id cursor, so
its cost follows the size of the question (a training window, the partitions of one
run, the checks evaluated since the last sensor tick), never the length of history. Two
exceptions: :func:`failed_partitions` with days only planned pages through the check's
failed evaluations, as many as days were ever held or deferred; :func:`unpassed_checks`
for every day (customer_metrics reads every day) is one aggregate row per day and check,
and a row per verdict for the days a run queued behind has planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from orders_core import tables
from orders_core.anomaly_features import PARTITION, history_record
from resources.dagster_internals import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
    DagsterEventType,
    PartitionKeyFilter,
)

RAW_ORDERS = dg.AssetKey(tables.RAW_ORDERS.key)
CLEANED_ORDERS = dg.AssetKey(tables.CLEANED_ORDERS.key)
CHECK_NAME = tables.METADATA_ANOMALY
# Metadata of a cleaned_orders (and quarantined_orders) materialization of a day the
# cleaning left alone (held upstream) in a range run, which Dagster records for every
# day of the range; with the run id of the day's last real cleaning, if it has one.
NOT_CLEANED = "orders/not_cleaned"
LAST_CLEANED_RUN = "orders/last_cleaned_run"
# The day's isolation-forest score and the threshold that holds a day, from its latest
# metadata_anomaly verdict, on cleaned_orders' materialization of the day: the UI plots
# a daily asset's materialization metadata per day, never a check's (anomaly_figures).
ANOMALY_SCORE = "anomaly/score"
ANOMALY_THRESHOLD = "anomaly/threshold"
# Where the check's evaluation holds them (asset_checks.anomaly.verdict_metadata).
VERDICT_SCORE = "anomaly_score"
VERDICT_THRESHOLD = "threshold"
# Metadata of customer_metrics' and fct_orders' materializations: the days whose rows
# they left out (their cleaning had not passed cleaned_orders' blocking checks),
# ", "-separated, "none" for none; what customer_clv's holdout and the facts' suite leave
# out with them.
WITHHELD_DAYS = "orders/withheld_days"
# Metadata of a blocking check's failed evaluation that did not stop its run (other days
# of the run passed: asset_checks.partitioned.stops_the_run): the day alone is left out.
LEFT_OUT = "left_out"
LEFT_OUT_TEXT = "this day only: the run's other days passed and went on"
# Failure metadata of a step that found no day of its run to build on (each left out).
LEFT_OUT_DAYS = "left_out_days"
CHECK_KEY = dg.AssetCheckKey(RAW_ORDERS, CHECK_NAME)
DRIFT_KEY = dg.AssetCheckKey(RAW_ORDERS, tables.SCHEMA_DRIFT)
FINGERPRINT = "orders/landing_fingerprint"
# The same day's files by name, size and version, not where they are
# (resources.landing.files_fingerprint); not recorded before hunt 75.
FILES_FINGERPRINT = "orders/landing_files"
# A metadata_anomaly evaluation's copy of the judged load's FILES_FINGERPRINT (beside its
# ``landing_fingerprint``): orders_anomaly_sensor does not re-run a held day, nor the
# check drop a release, for the same files in a zone moved to another ORDERS_LANDING_URI.
LANDING_FILES = "landing_files"
# Metadata of an fx_rates materialization: the digest of the listing of fx_rates/ it read
# (resources.landing.listing_fingerprint), which fx_rates_sensor compares with the folder's.
RATES_FINGERPRINT = "fx/landing_fingerprint"
# The verdict of a day whose history window is not loaded yet (failed, not held).
DEFERRED = "deferred"
SUCCEEDED = AssetCheckExecutionRecordStatus.SUCCEEDED
COMPLETED = {SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
WARN = dg.AssetCheckSeverity.WARN


def latest_storage_ids(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: Iterable[str]
) -> dict[str, int]:
    """The storage id of the latest materialization of each of ``partitions`` that has
    one: one query, reading no record."""
    wanted = set(partitions)
    if not wanted:  # Dagster reads an empty set as "every partition"
        return {}
    return dict(
        instance.get_latest_storage_id_by_partition(
            asset_key, DagsterEventType.ASSET_MATERIALIZATION, wanted
        )
    )


def latest_materializations(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: Iterable[str]
) -> dict[str, dg.EventLogRecord]:
    """The latest materialization record of each of ``partitions`` that has one: two
    queries whatever the number of partitions."""
    latest = latest_storage_ids(instance, asset_key, partitions)
    if not latest:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values())),
        limit=len(latest),
    ).records
    return {record.partition_key: record for record in records}


def not_cleaned_days(
    instance: dg.DagsterInstance, partitions: Iterable[str]
) -> dict[str, str | None]:
    """Those of ``partitions`` whose latest cleaned_orders materialization is of a day the
    cleaning left alone (:data:`NOT_CLEANED`), each with the run id of the day's last
    real cleaning (None: never cleaned, so the day holds no cleaned row). Two queries."""
    found: dict[str, str | None] = {}
    for day, record in latest_materializations(instance, CLEANED_ORDERS, partitions).items():
        values = metadata_values(record)
        if NOT_CLEANED in values:
            last = values.get(LAST_CLEANED_RUN)
            found[day] = str(last) if last else None
    return found


def left_alone_by(
    instance: dg.DagsterInstance, partitions: Iterable[str], run: dg.DagsterRun
) -> list[str]:
    """Those of ``partitions`` whose latest cleaned_orders materialization is a
    :data:`NOT_CLEANED` marker that ``run`` wrote, or a run it re-executes or that
    re-executes the same run (its run group): the days the cleaning left alone in this
    run. Two queries, and one per other run that wrote such a marker."""
    root = run.root_run_id or run.run_id
    writers: dict[str, bool] = {run.run_id: True}
    found = []
    for day, record in sorted(
        latest_materializations(instance, CLEANED_ORDERS, partitions).items()
    ):
        if NOT_CLEANED not in metadata_values(record):
            continue
        if record.run_id not in writers:
            writer = instance.get_run_by_id(record.run_id)
            writers[record.run_id] = writer is not None and (
                (writer.root_run_id or writer.run_id) == root
            )
        if writers[record.run_id]:
            found.append(day)
    return found


def latest_cleaned_day(instance: dg.DagsterInstance, partitions: Iterable[str]) -> str | None:
    """The latest of ``partitions`` (cleaned_orders' materialized days) that was really
    cleaned: a day whose latest materialization says the cleaning left it alone
    (:data:`NOT_CLEANED`) counts only if an earlier run cleaned it, as it would had the
    run that left it alone not covered it. A query pair per 32 days looked at."""
    days = sorted(partitions, reverse=True)
    for start in range(0, len(days), 32):
        chunk = days[start : start + 32]
        left = not_cleaned_days(instance, chunk)
        for day in chunk:
            if day not in left or left[day] is not None:
                return day
    return None


def last_cleaned_runs(instance: dg.DagsterInstance, partitions: Iterable[str]) -> dict[str, str]:
    """The run id of the last real cleaning of each of ``partitions`` that had one (its
    latest cleaned_orders materialization, or the one a :data:`NOT_CLEANED` one names)."""
    latest = latest_materializations(instance, CLEANED_ORDERS, partitions)
    runs = {}
    for day, record in latest.items():
        values = metadata_values(record)
        if NOT_CLEANED not in values:
            runs[day] = record.run_id
        elif values.get(LAST_CLEANED_RUN):
            runs[day] = str(values[LAST_CLEANED_RUN])
    return runs


def _withheld_in(values: Mapping[str, object]) -> list[str] | None:
    """The days a materialization's plain metadata ``values`` say were withheld
    (:data:`WITHHELD_DAYS`); None when it does not say."""
    if WITHHELD_DAYS not in values:
        return None
    text = str(values[WITHHELD_DAYS])
    return [] if text == "none" else text.split(", ")


def published_withheld(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: Sequence[str]
) -> list[str] | None:
    """The days the latest materializations of ``partitions`` of ``asset_key``
    (fct_orders) left out of the versions that compete (:data:`WITHHELD_DAYS`), all of
    them; None when none of them says (written before it did)."""
    said = [
        days
        for record in latest_materializations(instance, asset_key, partitions).values()
        if (days := _withheld_in(metadata_values(record))) is not None
    ]
    return sorted({day for days in said for day in days}) if said else None


def withheld_days(instance: dg.DagsterInstance, asset_key: dg.AssetKey) -> list[str]:
    """The days the latest materialization of ``asset_key`` (customer_metrics) left out
    (:data:`WITHHELD_DAYS`; none when it has no materialization or did not say)."""
    event = instance.get_latest_materialization_event(asset_key)
    return _withheld_in(metadata_values(event) if event else {}) or []


def partitions_materialized_in_run(
    instance: dg.DagsterInstance, run_id: str, asset_key: dg.AssetKey
) -> set[str]:
    """The partitions of ``asset_key`` that run ``run_id`` materialized: that run's own
    materialization events only."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    ).records
    found = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.asset_key == asset_key and event.partition:
            found.add(event.partition)
    return found


def failed_blocking_evaluations(
    instance: dg.DagsterInstance, run_id: str, left_out: bool = False
) -> list[dg.AssetCheckEvaluation]:
    """The evaluations of blocking checks that failed with ERROR severity in run
    ``run_id`` (what stopped its downstream steps), in the run's order: that run's own
    check evaluation events only. ``left_out``: those that stopped nothing but their own
    day instead (:data:`LEFT_OUT`)."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    return [
        evaluation
        for record in records
        if isinstance(
            evaluation := record.event_log_entry.dagster_event.event_specific_data,
            dg.AssetCheckEvaluation,
        )
        and not evaluation.passed
        and (LEFT_OUT in evaluation.metadata if left_out else evaluation.blocking)
        and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]


def first_of_its_kind(instance: dg.DagsterInstance, run_id: str, event: dg.DagsterEvent) -> bool:
    """Whether ``event`` is the first event of its type in run ``run_id``'s log. A run
    force-terminated from the UI records RUN_CANCELED twice (the UI marks it canceled, then
    its stopping process reports it), and a run status sensor is called for each."""
    records = instance.get_records_for_run(run_id, of_type=event.event_type, limit=1).records
    return not records or records[0].event_log_entry.dagster_event == event


def metadata_values(record: dg.EventLogRecord | dg.EventLogEntry) -> dict[str, object]:
    """Plain values of a materialization record's (or event's) metadata."""
    materialization = record.asset_materialization
    return {k: v.value for k, v in materialization.metadata.items()} if materialization else {}


@dataclass(frozen=True)
class History:
    """Metadata of raw_orders over a window of partitions."""

    frame: pd.DataFrame  # one row per partition with a raw_orders materialization
    raw: dict[str, dg.EventLogRecord]


def read_history(instance: dg.DagsterInstance, partitions: Sequence[str]) -> History:
    """Flattened ``raw_orders`` metadata (:func:`orders_core.anomaly_features.history_record`)
    of ``partitions``. Only raw_orders': the anomaly features are a function of the landed
    days alone, whatever runs cleaned them (see ``feature_specs``)."""
    raw = latest_materializations(instance, RAW_ORDERS, partitions)
    rows = [
        {PARTITION: key, **history_record(metadata_values(record))} for key, record in raw.items()
    ]
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=[PARTITION])
    return History(frame=frame, raw=raw)


def failed_partitions(
    instance: dg.DagsterInstance, partitions: Sequence[str] | None = None
) -> set[str]:
    """Partitions whose latest completed metadata_anomaly evaluation failed (held or deferred).

    A later execution that never completed (its run failed or was canceled before the
    check judged the day, or is still going) does not lift the verdict: the day stays held
    until a run judges it again. ``partitions`` limits the query to those keys; None asks
    for every partition (one aggregate query in the database, used once to bootstrap a
    sensor or by ``devtools.held``). Days whose latest execution is only planned (a queued
    backfill plans its whole range) cost a pass over the check's failed evaluations, pages
    of ``FAILED_PAGE``, and one query each for those that ever failed.
    """
    infos = instance.event_log_storage.get_asset_check_partition_info(
        [CHECK_KEY], partition_keys=list(partitions) if partitions is not None else None
    )
    failed, planned = set(), set()
    for info in infos:
        if not info.partition_key:
            continue
        if info.latest_execution_status == AssetCheckExecutionRecordStatus.FAILED:
            failed.add(info.partition_key)
        elif info.latest_execution_status == AssetCheckExecutionRecordStatus.PLANNED:
            planned.add(info.partition_key)
    for day in _ever_failed(instance, planned):
        record = latest_evaluation(instance, day)
        if record is not None and record.status == AssetCheckExecutionRecordStatus.FAILED:
            failed.add(day)
    return failed


def unpassed_checks(
    instance: dg.DagsterInstance,
    check_keys: Sequence[dg.AssetCheckKey],
    partitions: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Materialized partitions whose latest materialization one of ``check_keys`` has not
    passed, each with the names of those checks: a check failed it with ERROR severity
    (what stops a blocking check's downstream steps in a run), or no execution judged it
    (a run that selected the asset without the check, a run stopped between the two).
    Partitions never materialized hold nothing to build on and are not listed; nor are
    those no execution of a check was ever planned for (Dagster's partition info has no
    row for them): a day materialized only by runs without that check.

    The verdicts are :func:`_latest_verdicts`'. ``partitions`` limits the queries to
    those keys; None asks for every partition. Beyond :func:`_latest_verdicts`' queries,
    one per partition and check that failed, for the failure's severity."""
    unpassed: dict[str, list[str]] = {}
    for (check_key, day), (data, passed) in _latest_verdicts(
        instance, check_keys, partitions
    ).items():
        # A failure as a warning stops nothing in a run: its severity is in its event, read
        # for the failed days only.
        if passed is None or (not passed and not _verdict_on(instance, check_key, day, data)):
            unpassed.setdefault(day, []).append(check_key.name)
    return {day: sorted(names) for day, names in sorted(unpassed.items())}


def unjudged_loads(
    instance: dg.DagsterInstance, partitions: Sequence[str] | None = None
) -> set[str]:
    """Days whose latest raw_orders materialization no completed metadata_anomaly execution
    judged: the run that loaded them is still to judge them, or stopped before the check
    (an error in its step, a cancel), or ran raw_orders without it. The cleaning leaves
    them alone; read as :func:`unpassed_checks` reads them (a day never planned for the
    check, loaded only by runs without it, has no partition info and is not listed)."""
    verdicts = _latest_verdicts(instance, [CHECK_KEY], partitions)
    return {day for (_, day), (_, passed) in verdicts.items() if passed is None}


def _latest_verdicts(
    instance: dg.DagsterInstance,
    check_keys: Sequence[dg.AssetCheckKey],
    partitions: Sequence[str] | None,
) -> dict[tuple[dg.AssetCheckKey, str], tuple[int, bool | None]]:
    """Per check of ``check_keys`` and materialized partition (of ``partitions``; None:
    all), the partition's latest materialization and the verdict of the newest completed
    execution of the check that judged it: True passed, False failed (whatever the
    severity), None no completed execution judged it.

    Dagster's latest execution of a partition is the latest *planned*: a run queued
    behind the one that wrote the day plans its own, so when the latest execution did
    not judge the latest materialization, the verdict is that of the newest completed
    execution that did. One aggregate query for all the checks, and one per check and
    :data:`VERDICT_CHUNK` partitions whose latest execution is not their verdict."""
    if not check_keys:
        return {}
    infos = instance.event_log_storage.get_asset_check_partition_info(
        list(check_keys), partition_keys=list(partitions) if partitions is not None else None
    )
    verdicts: dict[tuple[dg.AssetCheckKey, str], tuple[int, bool | None]] = {}
    stale: dict[dg.AssetCheckKey, dict[str, int]] = {}
    for info in infos:
        data = info.latest_materialization_storage_id
        if not info.partition_key or data is None:
            continue
        status = info.latest_execution_status
        if info.latest_target_materialization_storage_id == data and status in COMPLETED:
            verdicts[(info.check_key, info.partition_key)] = (data, status == SUCCEEDED)
        else:
            stale.setdefault(info.check_key, {})[info.partition_key] = data
    for check_key, data_by_day in stale.items():
        passed = _verdicts_on(instance, check_key, data_by_day)
        for day, data in data_by_day.items():
            verdicts[(check_key, day)] = (data, passed.get(day))
    return verdicts


def unpassed_latest(
    instance: dg.DagsterInstance, check_keys: Sequence[dg.AssetCheckKey]
) -> list[str]:
    """:func:`unpassed_checks` of an unpartitioned asset: the names of ``check_keys`` that
    have not passed its latest materialization (none when it was never materialized).
    A query for that materialization, and one per check."""
    unpassed = []
    for asset_key in sorted({key.asset_key for key in check_keys}):
        latest = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset_key), limit=1
        ).records
        if not latest:
            continue
        data, writer = latest[0].storage_id, latest[0].run_id
        unpassed += [
            key.name
            for key in check_keys
            if key.asset_key == asset_key and not _verdict_on(instance, key, None, data, writer)
        ]
    return sorted(unpassed)


JUDGED_PAGE = 10


def _verdict_on(
    instance: dg.DagsterInstance,
    check_key: dg.AssetCheckKey,
    partition: str | None,
    data: int,
    writer: str | None = None,
) -> bool:
    """True when the newest of the last :data:`JUDGED_PAGE` completed executions of
    ``check_key`` on ``partition`` (None: an unpartitioned asset) that judged
    materialization ``data`` passed, or failed as a warning: as in a run, where a blocking
    check stops what is downstream only when it fails with ERROR severity (customer_clv's
    model checks fail as warnings when too few customers were there to fit).

    A check its asset's step evaluates (a check spec of the asset) names no target: it
    judged what its run, ``writer``, wrote."""
    records = instance.event_log_storage.get_asset_check_execution_history(
        check_key,
        limit=JUDGED_PAGE,
        status=COMPLETED,
        partition_filter=PartitionKeyFilter(key=partition) if partition is not None else None,
    )
    for record in records:
        evaluation = evaluation_of(record)
        if evaluation is None:
            continue
        target = evaluation.target_materialization_data
        judged = target.storage_id == data if target is not None else record.run_id == writer
        if judged:
            return record.status == SUCCEEDED or evaluation.severity == WARN
    return False


# Days per query: with their storage ids, under the 999 variables of a statement that
# SQLite allowed before 3.32.
VERDICT_CHUNK = 400


def _verdicts_on(
    instance: dg.DagsterInstance, check_key: dg.AssetCheckKey, data_by_day: dict[str, int]
) -> dict[str, bool]:
    """Whether the newest completed execution of ``check_key`` on each day that judged
    that day's materialization ``data_by_day[day]`` passed (days no completed execution
    judged are left out). One query per :data:`VERDICT_CHUNK` days: Dagster's storage API
    reads one partition's history a query (a new PostgreSQL connection each), so a run
    queued behind the one that judged 730 days cost 29 s."""
    import sqlalchemy as sa  # with the event log storage, which loading the code does not need

    from resources.dagster_internals import AssetCheckExecutionsTable as table

    storage = instance.event_log_storage
    days = sorted(data_by_day)
    verdicts: dict[str, bool] = {}
    for start in range(0, len(days), VERDICT_CHUNK):
        chunk = days[start : start + VERDICT_CHUNK]
        query = (
            sa.select(
                table.c.partition,
                table.c.execution_status,
                table.c.materialization_event_storage_id,
            )
            .where(
                table.c.asset_key == check_key.asset_key.to_string(),
                table.c.check_name == check_key.name,
                table.c.partition.in_(chunk),
                table.c.execution_status.in_([status.value for status in COMPLETED]),
                table.c.materialization_event_storage_id.in_(
                    sorted({data_by_day[day] for day in chunk})
                ),
            )
            .order_by(table.c.id.desc())
        )
        with storage.index_connection() as conn:
            rows = conn.execute(query).fetchall()
        for day, status, data in rows:  # the newest first
            # A row may have judged another day's materialization (the filter is per column).
            if day not in verdicts and data == data_by_day[day]:
                verdicts[day] = status == AssetCheckExecutionRecordStatus.SUCCEEDED.value
    return verdicts


FAILED_PAGE = 1_000


def _ever_failed(instance: dg.DagsterInstance, days: set[str]) -> set[str]:
    """Those of ``days`` with a failed metadata_anomaly evaluation at any time: the only
    ones whose latest completed evaluation can have failed."""
    found: set[str] = set()
    if not days:
        return found
    failures = _newest_first(instance, FAILED_PAGE, {AssetCheckExecutionRecordStatus.FAILED})
    for records in failures:
        found |= {record.partition for record in records} & days
        if found == days:
            break
    return found


def _newest_first(
    instance: dg.DagsterInstance,
    page: int,
    status: set[AssetCheckExecutionRecordStatus] | None = None,
    first_page: int | None = None,
) -> Iterator[Sequence[AssetCheckExecutionRecord]]:
    """Pages of metadata_anomaly executions (of ``status``, when given), newest first; the
    last page is the first one shorter than asked. Pages hold ``page`` records, or, from
    ``first_page``, twice as many as the page before up to ``page``: a reader that stops
    at the first record it knows reads about twice what is new, not a whole page."""
    cursor = None
    size = first_page or page
    while True:
        records = instance.event_log_storage.get_asset_check_execution_history(
            CHECK_KEY, limit=size, cursor=cursor, status=status
        )
        yield records
        if len(records) < size:
            return
        cursor = records[-1].id
        size = min(2 * size, page)


def latest_execution(
    instance: dg.DagsterInstance,
    partition: str,
    completed_only: bool = False,
    check_key: dg.AssetCheckKey = CHECK_KEY,
) -> AssetCheckExecutionRecord | None:
    """The latest execution of ``check_key`` (metadata_anomaly unless told) on one
    partition (planned ones too, unless ``completed_only``)."""
    records = instance.event_log_storage.get_asset_check_execution_history(
        check_key,
        limit=1,
        status=COMPLETED if completed_only else None,
        partition_filter=PartitionKeyFilter(key=partition),
    )
    return records[0] if records else None


def latest_executions(
    instance: dg.DagsterInstance,
    partitions: Iterable[str],
    completed_only: bool = False,
    check_key: dg.AssetCheckKey = CHECK_KEY,
) -> dict[str, AssetCheckExecutionRecord]:
    """:func:`latest_execution` of each of ``partitions`` (those with none left out), in
    one query per :data:`VERDICT_CHUNK` of them: Dagster's storage API reads one
    partition a query (a new PostgreSQL connection each), which made the anomaly
    sensor's first tick cost statements in proportion to the held days."""
    import sqlalchemy as sa  # with the event log storage, which loading the code does not need

    from resources.dagster_internals import AssetCheckExecutionsTable as table

    days = sorted(set(partitions))
    found: dict[str, AssetCheckExecutionRecord] = {}
    for start in range(0, len(days), VERDICT_CHUNK):
        where = [
            table.c.asset_key == check_key.asset_key.to_string(),
            table.c.check_name == check_key.name,
            table.c.partition.in_(days[start : start + VERDICT_CHUNK]),
        ]
        if completed_only:
            where.append(table.c.execution_status.in_([status.value for status in COMPLETED]))
        newest = sa.select(sa.func.max(table.c.id)).where(*where).group_by(table.c.partition)
        query = sa.select(
            table.c.id,
            table.c.run_id,
            table.c.execution_status,
            table.c.evaluation_event,
            table.c.create_timestamp,
            table.c.partition,
        ).where(table.c.id.in_(newest))
        with instance.event_log_storage.index_connection() as conn:
            rows = conn.execute(query).mappings().all()
        for row in rows:
            found[row["partition"]] = AssetCheckExecutionRecord.from_db_row(row, key=check_key)
    return found


def runs_by_id(instance: dg.DagsterInstance, run_ids: Iterable[str]) -> dict[str, dg.DagsterRun]:
    """The runs of ``run_ids`` that exist, by id: one query per :data:`VERDICT_CHUNK`."""
    ids = sorted(set(run_ids))
    found: dict[str, dg.DagsterRun] = {}
    for start in range(0, len(ids), VERDICT_CHUNK):
        chunk = ids[start : start + VERDICT_CHUNK]
        found |= {
            run.run_id: run for run in instance.get_runs(filters=dg.RunsFilter(run_ids=chunk))
        }
    return found


def schema_drift_failure(instance: dg.DagsterInstance, partition: str) -> str | None:
    """The finding of the day's latest completed schema_drift evaluation when it failed
    with ERROR severity (what stops the day's downstream whatever metadata_anomaly says, a
    release included); None when it passed, warned or never judged the day."""
    record = latest_execution(instance, partition, completed_only=True, check_key=DRIFT_KEY)
    return drift_finding(record)


def drift_finding(record: AssetCheckExecutionRecord | None) -> str | None:
    """:func:`schema_drift_failure` of the day's latest completed schema_drift execution
    ``record`` (None: never judged)."""
    evaluation = evaluation_of(record) if record is not None else None
    if (
        evaluation is None
        or evaluation.passed
        or evaluation.severity != dg.AssetCheckSeverity.ERROR
    ):
        return None
    return evaluation.description or "schema_drift failed"


def schema_drift_unjudged(instance: dg.DagsterInstance, partition: str, run_id: str) -> bool:
    """Whether run ``run_id`` planned the day's schema_drift and has not judged it yet (the
    check's step still to come or running)."""
    record = latest_execution(instance, partition, check_key=DRIFT_KEY)
    return record is not None and record.run_id == run_id and record.status not in COMPLETED


def latest_evaluation(
    instance: dg.DagsterInstance, partition: str
) -> AssetCheckExecutionRecord | None:
    """The latest completed metadata_anomaly execution of one partition."""
    return latest_execution(instance, partition, completed_only=True)


def unjudged_run(instance: dg.DagsterInstance, partition: str) -> dg.DagsterRun | None:
    """The finished run that planned the partition's latest metadata_anomaly execution but
    never completed it (it failed or was canceled before the check judged the day); None
    when the latest execution completed, its run is still going, or Dagster is about to
    retry it (a lost run worker: the retry judges the day)."""
    return unjudged_runs(instance, [partition]).get(partition)


def unjudged_runs(
    instance: dg.DagsterInstance, partitions: Sequence[str]
) -> dict[str, dg.DagsterRun]:
    """:func:`unjudged_run` of each of ``partitions`` that has one, in two queries (per
    :data:`VERDICT_CHUNK` days)."""
    latest = {
        day: record
        for day, record in latest_executions(instance, partitions).items()
        if record.status not in COMPLETED
    }
    runs = runs_by_id(instance, {record.run_id for record in latest.values()})
    return {
        day: run
        for day, record in latest.items()
        if (run := runs.get(record.run_id)) is not None
        and run.is_finished
        and not run.is_complete_and_waiting_to_retry
    }


def same_landing_files(
    recorded_fp: object, recorded_files: object, fp: str, files: str | None
) -> bool:
    """Whether landing files recorded by :data:`FINGERPRINT` (``recorded_fp``) and
    :data:`LANDING_FILES` (``recorded_files``) are ``fp`` / ``files`` now: the same
    fingerprint, or the same files (name, size, version) in a zone moved since to another
    ORDERS_LANDING_URI. Without ``files`` on either side (recorded before it existed) only
    the fingerprint counts. Used by metadata_anomaly's release and the sensor's held days."""
    return recorded_fp == fp or (bool(files) and recorded_files == files)


def anomaly_figures(
    instance: dg.DagsterInstance, partitions: Iterable[str]
) -> dict[str, dict[str, float]]:
    """:data:`ANOMALY_SCORE` and :data:`ANOMALY_THRESHOLD` of each of ``partitions``, from
    its latest completed metadata_anomaly evaluation (one query per :data:`VERDICT_CHUNK`
    days). The threshold is there whenever the check scored or tried to; the score only
    when it decided (not with too little history, nor for a release, which scores
    nothing): no number stands in for a score that does not exist."""
    found: dict[str, dict[str, float]] = {}
    for day, record in latest_executions(instance, partitions, completed_only=True).items():
        values = evaluation_values(record)
        found[day] = {
            name: float(value)
            for name, key in (
                (ANOMALY_SCORE, VERDICT_SCORE),
                (ANOMALY_THRESHOLD, VERDICT_THRESHOLD),
            )
            if isinstance(value := values.get(key), int | float) and not isinstance(value, bool)
        }
    return found


def evaluation_of(record: AssetCheckExecutionRecord) -> dg.AssetCheckEvaluation | None:
    """The evaluation event of a completed check execution record."""
    event = record.event.dagster_event if record.event else None
    data = event.event_specific_data if event else None
    return data if isinstance(data, dg.AssetCheckEvaluation) else None


def evaluation_values(record: AssetCheckExecutionRecord) -> dict[str, object]:
    """Plain metadata values of a completed check execution record."""
    evaluation = evaluation_of(record)
    return {k: v.value for k, v in evaluation.metadata.items()} if evaluation else {}


def executions_since(
    instance: dg.DagsterInstance, after_id: int, page: int = 500
) -> list[AssetCheckExecutionRecord]:
    """metadata_anomaly executions (any status) with a record id above ``after_id``, oldest first.

    Pages backwards from the newest record and stops at ``after_id``: the cost is the
    number of new records, whatever the length of history. The first page is one record
    (a tick with nothing new reads the newest only), each next one twice as large, up to
    ``page``: a first page of 500 read 500 known records on every tick once history held
    them, 0.14 s at 730 days (bench/RESULTS.md, session 35).
    """
    found: list[AssetCheckExecutionRecord] = []
    for records in _newest_first(instance, page, first_page=1):
        fresh = [r for r in records if r.id > after_id]
        found += fresh
        if len(fresh) < len(records):
            break
    return found[::-1]


def latest_execution_id(instance: dg.DagsterInstance) -> int:
    """Id of the newest metadata_anomaly execution record (0 when there is none)."""
    records = instance.event_log_storage.get_asset_check_execution_history(CHECK_KEY, limit=1)
    return records[0].id if records else 0
