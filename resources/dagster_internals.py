"""The only module that imports Dagster's private ``dagster._core``: one place to review on
every Dagster upgrade.

Each name here is something Dagster has no public API for (checked on 1.13.27):

* ``DbIOManager``, ``DbClient``, ``DbTypeHandler``, ``TableSlice``: the base of
  dagster-duckdb's and dagster-snowflake's IO managers. Subclassing it is how the
  warehouse replaces a partition in one transaction (delete + insert + commit).
* ``AssetCheckEvaluationTargetMaterializationData``: the type of a field of the public
  ``AssetCheckEvaluation``; it is what makes a per-day check result of a single-run
  range point at that day's materialization.
* ``AssetCheckExecutionRecord`` / ``AssetCheckExecutionRecordStatus`` and
  ``PartitionKeyFilter``: the storage records behind the UI's check history, read by the
  anomaly check and sensor with bounded queries.
"""

from dagster import DagsterEventType
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)
from dagster._core.storage.db_io_manager import DbClient, DbIOManager, DbTypeHandler, TableSlice

__all__ = [
    "AssetCheckEvaluationTargetMaterializationData",
    "AssetCheckExecutionRecord",
    "AssetCheckExecutionRecordStatus",
    "DagsterEventType",
    "DbClient",
    "DbIOManager",
    "DbTypeHandler",
    "PartitionKeyFilter",
    "TableSlice",
]
