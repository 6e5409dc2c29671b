"""The concurrency pool that keeps runs from opening the warehouse at the same time.

Every step that opens the warehouse (assets that write or read it, checks that query it) is
in the pool :data:`WAREHOUSE_POOL`. The instance limits the pool per run (``concurrency:
pools: granularity: run`` in dagster.yaml and deploy/dagster.yaml): the run queue starts a run
with such a step only while fewer than ``default_limit`` such runs are in progress, however
the run was launched (a backfill from the UI, a sensor, the automation sensor, a schedule, a
re-execution). The pool is read from the run's execution plan, so no launch path can forget
it, which a run tag could. Locally the limit is 1: DuckDB lets one process at a time open the
file for writing. In production it is 1 as well: the queue's tag limits (one run per
``dagster/partition`` value, one range run at a time) cannot tell that a day run falls inside
a range run, so with a second run in the pool an engineer's or a sensor's run of one day could
start while a range run over that day is writing it.

The platform's own runs (the landing and anomaly sensors', the automation sensor's and the
daily schedule's) carry :data:`PLATFORM_RUN_TAGS`: Dagster's queue starts higher
``dagster/priority`` first, so a freshly landed or released day goes ahead of runs queued by
hand (backfills, re-executions). A range runs as one run: a backfill of a long stretch,
launched a month or so at a time (docs/backfill-runbook.md), lets fresh days in between.

With one run at a time in the pool, a run that hangs would hold every other: the job's runs
(and so every run the platform's sensors and schedule start) and the automation sensor's carry
:func:`max_runtime_tags`, which the daemon's run monitoring enforces by stopping the run and
marking it failed (``ORDERS_RUN_MAX_RUNTIME_S``); in production every Snowflake statement is bounded as well
(``resources.snowflake_warehouse.snowflake_session_parameters``).

One gap of Dagster 1.13 is closed here. The run queue writes a pool's default limit into the
instance storage the first time it sees a queued run in the pool, but decides that pass with
the pools it read before, so on a fresh instance the first runs in the pool are all started
at once. :func:`ensure_warehouse_pool` writes the limit beforehand: ``make ui`` runs it
(``python -m resources.warehouse_pool``), ``make run`` calls it on the instance it creates (so
a bare ``dg dev`` after it is covered too) and docs/production.md has it as a deploy step.
"""

from __future__ import annotations

import sys

import dagster as dg

from resources.settings import read_dotenv, require_dagster_home

WAREHOUSE_POOL = "warehouse"
# Dagster's run queue starts queued runs by this tag's value, highest first (0 untagged).
PRIORITY_TAG = "dagster/priority"
PLATFORM_RUN_TAGS = {PRIORITY_TAG: "1"}
# Seconds after its start at which the daemon's run monitoring cancels a run.
MAX_RUNTIME_TAG = "dagster/max_runtime"


def max_runtime_tags(max_runtime_s: int) -> dict[str, str]:
    """The run tag that bounds a run's time (none for 0: no limit)."""
    return {MAX_RUNTIME_TAG: str(max_runtime_s)} if max_runtime_s > 0 else {}


def ensure_warehouse_pool(instance: dg.DagsterInstance) -> int | None:
    """Store the pool's limit (the instance's ``default_limit``) unless it already has one.

    A limit set by an operator (UI or ``dagster instance concurrency set``) is kept. A limit
    stored from an earlier ``default_limit`` (production's was 2) is brought to the current
    one, as the run queue would on its first pass. Returns the pool's limit, or None when
    the instance has no default limit or no pool support.
    """
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return None
    default = instance.global_op_concurrency_default_limit
    stored = {pool.name: pool for pool in storage.get_pool_limits()}.get(WAREHOUSE_POOL)
    if stored is not None and not (stored.from_default and default not in (None, stored.limit)):
        return stored.limit
    if default is None:
        return None
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    return storage.get_concurrency_info(WAREHOUSE_POOL).slot_count


def main() -> int:
    """Store the pool limit in the instance of DAGSTER_HOME and say what it is."""
    read_dotenv()  # as dg dev and dg launch read it
    require_dagster_home("python -m resources.warehouse_pool")
    with dg.DagsterInstance.get() as instance:
        limit = ensure_warehouse_pool(instance)
    if limit is None:
        print(f"pool {WAREHOUSE_POOL!r}: no limit (set concurrency.pools.default_limit)")
        return 1
    print(f"pool {WAREHOUSE_POOL!r}: at most {limit} run(s) opening the warehouse at once")
    if limit > 1:
        print(
            f"warning: a limit of {limit} lets a run of one day start while a "
            "range run over that day is writing it; `dagster instance concurrency set "
            f"{WAREHOUSE_POOL} 1` restores one at a time"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
