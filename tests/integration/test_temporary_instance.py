"""`dg launch` without DAGSTER_HOME builds nothing on a day it cannot judge.

The CLI then keeps the run's instance in a temporary folder of the working directory,
deleted on exit: none of the earlier runs' holds and check verdicts are in it. A re-clean
and a fct_orders run of a day metadata_anomaly held (a volume drop from 2,126 orders to
10) from a terminal without `export DAGSTER_HOME` cleaned and published it, exit code 0.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
from dagster._cli.utils import TMP_DAGSTER_HOME_PREFIX as DAGSTERS
from dagster._core.instance.ref import InstanceRef

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.dagster_internals import TMP_DAGSTER_HOME_PREFIX
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import permanent_failure_message

RANGE = range_tags(dt.date(2025, 1, 1), dt.date(2025, 1, 3))
SELECTIONS = {
    "re-clean": [dg.AssetKey("cleaned_orders"), dg.AssetKey("quarantined_orders")],
    "facts": [dg.AssetKey(["warehouse", "fct_orders"])],
    "customers": [dg.AssetKey("customer_metrics")],
}


def test_the_prefix_is_dagsters():
    assert TMP_DAGSTER_HOME_PREFIX == DAGSTERS


def test_a_temporary_instance_builds_nothing_on_the_days(settings, instance, tmp_path):
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    # The days loaded and published on the real instance (DAGSTER_HOME) first.
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    folder = tmp_path / f"{TMP_DAGSTER_HOME_PREFIX}abc123"
    folder.mkdir()
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(folder))) as temporary:
        for what, selection in SELECTIONS.items():
            tags = {} if what == "customers" else RANGE
            result = job.execute_in_process(
                instance=temporary, tags=tags, asset_selection=selection, raise_on_error=False
            )
            assert not result.success, what
            message = permanent_failure_message(result)
            assert "DAGSTER_HOME is not set" in message, what
            assert "export DAGSTER_HOME=$PWD/.dagster_home" in message
