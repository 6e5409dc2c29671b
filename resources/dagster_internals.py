"""The only module that imports Dagster's private ``dagster._core``: one place to review on
every Dagster upgrade.

Each name here is something Dagster has no public API for (checked on 1.13.27):

* ``AssetCheckEvaluationTargetMaterializationData``: the type of a field of the public
  ``AssetCheckEvaluation``; it is what makes a per-day check result of a single-run
  range point at that day's materialization.
* ``AssetCheckExecutionRecord`` / ``AssetCheckExecutionRecordStatus`` and
  ``PartitionKeyFilter``: the storage records behind the UI's check history, read by the
  anomaly check and sensor with bounded queries.
* ``SqliteEventLogStorage`` (with ``INDEX_SHARD_NAME``, ``SQLITE_BUSY_TIMEOUT_SECONDS`` and
  ``ConfigurableClassData``): the local instance's event log, subclassed by
  ``resources.instance_storage`` to keep its engines (it overrides the private ``_connect``).
  Imported when first asked for: Dagster's event log storage brings SQLAlchemy and Alembic
  (about 300 modules, 0.3-0.5 s), which loading the definitions does not need.
* ``SqlEventLogStorageMetadata`` and ``event_log_alembic_config``: the event log's tables
  and the Alembic configuration its SQLite files are stamped with, for
  ``resources.instance_storage`` to create a run's file as Dagster does, in one transaction.
  Imported when first asked for, as the event log storage.
* ``AssetCheckExecutionsTable``: the table behind the check history. The storage API
  reads one partition's history a query, a new PostgreSQL connection each;
  ``resources.instance_history.unpassed_checks`` reads the verdicts of many days in one.
  Imported when first asked for, as the event log storage.
* ``get_env_var_dict``: the variables of a folder's ``.env`` as Dagster's CLI reads them
  (``dg dev``, ``dg launch``, ``dagster ...``, which let them win over exported ones), so
  that ``make run`` reads the same file the same way.
* ``TMP_DAGSTER_HOME_PREFIX``: the name prefix of the folder the CLI (``dg launch``) keeps a
  run's instance in when ``DAGSTER_HOME`` is not set, and deletes on exit.
* The run tag names Dagster sets (partition, range, backfill, failure reason, will-retry)
  and ``SerializableErrorInfo``, the type of a failed run's error: read by the run-failure
  alert sensor.
"""

from typing import TYPE_CHECKING

from dagster import DagsterEventType
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.secrets.env_file import get_env_var_dict
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
)
from dagster._serdes import ConfigurableClassData
from dagster._utils.error import SerializableErrorInfo

if TYPE_CHECKING:  # imported at first use, by __getattr__ below
    from dagster._core.storage.event_log import SqliteEventLogStorage as SqliteEventLogStorage
    from dagster._core.storage.event_log.schema import (
        AssetCheckExecutionsTable as AssetCheckExecutionsTable,
    )
    from dagster._core.storage.event_log.schema import (
        SqlEventLogStorageMetadata as SqlEventLogStorageMetadata,
    )
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
        INDEX_SHARD_NAME as INDEX_SHARD_NAME,
    )

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "BACKFILL_ID_TAG",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "PARTITION_NAME_TAG",
    "RUN_FAILURE_REASON_TAG",
    "SerializableErrorInfo",
    "WILL_RETRY_TAG",
    "AssetCheckEvaluationTargetMaterializationData",
    "AssetCheckExecutionRecord",
    "AssetCheckExecutionRecordStatus",
    "ConfigurableClassData",
    "DagsterEventType",
    "PartitionKeyFilter",
    "TMP_DAGSTER_HOME_PREFIX",
    "event_log_alembic_config",
    "get_env_var_dict",
]

# dagster._cli.utils.TMP_DAGSTER_HOME_PREFIX, copied: importing the CLI's module costs about
# a hundred modules (0.2 s) on every load (tests/integration/test_temporary_instance.py
# checks the copy).
TMP_DAGSTER_HOME_PREFIX = ".tmp_dagster_home_"

_EVENT_LOG_STORAGE = {
    "SqliteEventLogStorage",
    "INDEX_SHARD_NAME",
    "AssetCheckExecutionsTable",
    "SqlEventLogStorageMetadata",
}


def __getattr__(name: str):
    """The event log storage's names, imported at first use (see the module docstring)."""
    if name in _EVENT_LOG_STORAGE:
        from dagster._core.storage.event_log import SqliteEventLogStorage
        from dagster._core.storage.event_log.schema import (
            AssetCheckExecutionsTable,
            SqlEventLogStorageMetadata,
        )
        from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME

        return {
            "SqliteEventLogStorage": SqliteEventLogStorage,
            "INDEX_SHARD_NAME": INDEX_SHARD_NAME,
            "AssetCheckExecutionsTable": AssetCheckExecutionsTable,
            "SqlEventLogStorageMetadata": SqlEventLogStorageMetadata,
        }[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def event_log_alembic_config():
    """The Alembic configuration Dagster's SQLite event log stamps its files with (its
    ``_initdb``), imported at first use as the event log storage."""
    from dagster._core.storage.event_log.sqlite import sqlite_event_log
    from dagster._core.storage.sql import get_alembic_config

    return get_alembic_config(sqlite_event_log.__file__)
