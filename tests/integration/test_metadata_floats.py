"""No float noise in what the UI shows: every float of materialization and check metadata
is rounded where it is produced (orders_core/rounding.py).

The graph runs on 45 simulated days, enough customers for the CLV fit and enough history
for metadata_anomaly to score the last days: first raw_orders alone (the anomaly check
scores every day, whatever its verdict), then every asset with the days released (so a
verdict cannot stop the rest of the graph) and a holdout cut (so the holdout metrics
are computed).
"""

import datetime as dt
import math

import dagster as dg
import pytest

from asset_checks.anomaly import CHECK_OP_NAME
from devtools.simulate import generate
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.instance_history import RAW_ORDERS
from resources.settings import PlatformSettings
from tests.support.local_instance import local_instance

START, DAYS, ORDERS_PER_DAY, SEED = dt.date(2025, 1, 1), 45, 40, 5
LAST = (START + dt.timedelta(days=DAYS - 1)).isoformat()
DECIMALS = SIGNIFICANT = 6
COUNTS = ("dagster/row_count", "_rows", "/rows", "/files", "customers/total", "failing_")


def noisy(value: float) -> bool:
    """True for a float written with more than 6 decimals AND more than 6 significant
    digits: 58499.95 and 3.33333e-06 are fine, 58499.950000000004 and 0.1 + 0.2 are not."""
    if not math.isfinite(value) or value == 0:
        return False
    return value != round(value, DECIMALS) and value != float(f"{value:.{SIGNIFICANT}g}")


def floats(value: object, path: str) -> list[tuple[str, float]]:
    """Every float in a metadata value, also inside tables and JSON."""
    if isinstance(value, dg.TableMetadataValue):
        return [
            found
            for i, record in enumerate(value.records)
            for found in floats(record.data, f"{path}[{i}]")
        ]
    if isinstance(value, dg.MetadataValue):
        return floats(value.value, path)
    if isinstance(value, bool):
        return []
    if isinstance(value, float):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in floats(v, f"{path}.{k}")]
    if type(value) in (list, tuple):  # not records such as TableSchema
        return [found for i, v in enumerate(value) for found in floats(v, f"{path}[{i}]")]
    return []


def metadata_of(result: dg.ExecuteInProcessResult) -> list[tuple[str, dict]]:
    """(where, metadata) of every materialization and check evaluation of a run."""
    found = [
        (
            f"{e.materialization.asset_key.to_user_string()}[{e.materialization.partition}]",
            dict(e.materialization.metadata),
        )
        for e in result.get_asset_materialization_events()
    ]
    found += [
        (f"{e.asset_check_key.to_user_string()}[{e.partition}]", dict(e.metadata))
        for e in result.get_asset_check_evaluations()
    ]
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[tuple[str, dict]]:
    tmp = tmp_path_factory.mktemp("floats")
    generate(tmp / "landing", START, DAYS, ORDERS_PER_DAY, seed=SEED)
    settings = PlatformSettings(
        landing_uri=str(tmp / "landing"),
        duckdb_path=str(tmp / "orders.duckdb"),
        partitions_start=START.isoformat(),
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    tags = {
        "dagster/asset_partition_range_start": START.isoformat(),
        "dagster/asset_partition_range_end": LAST,
    }
    with local_instance() as instance:
        scored = job.execute_in_process(
            instance=instance, asset_selection=[RAW_ORDERS], tags=tags, raise_on_error=False
        )
        full = job.execute_in_process(
            instance=instance,
            tags=tags,
            run_config={
                "ops": {
                    CHECK_OP_NAME: {"config": {"release": True, "reason": "metadata test"}},
                    "customer_clv": {
                        "config": {"holdout_cut_date": (START + dt.timedelta(days=20)).isoformat()}
                    },
                }
            },
        )
        assert full.success
        return metadata_of(scored) + metadata_of(full)


def test_the_runs_produce_the_metadata_in_question(runs):
    keys = {key for _, metadata in runs for key in metadata}
    assert {"orders/revenue", "orders/null_rate/customer_id", "anomaly_score"} <= keys
    assert {"bgnbd/r", "gamma_gamma/log_likelihood", "holdout/mean_absolute_error"} <= keys
    assert {"reconciliation/raw_revenue", "min_prob_alive", "holdout/by_frequency"} <= keys
    assert sum(len(floats(v, k)) for _, m in runs for k, v in m.items()) > 500


def test_no_float_metadata_value_is_float_noise(runs):
    wrong = [
        f"{where} {path} = {value!r}"
        for where, metadata in runs
        for key, value in metadata.items()
        for path, value in floats(value, key)
        if noisy(value)
    ]
    assert wrong == []


def test_counts_stay_ints(runs):
    wrong = [
        f"{where} {key} = {value.value!r}"
        for where, metadata in runs
        for key, value in metadata.items()
        if any(part in key for part in COUNTS)
        and not isinstance(value.value, int | str | type(None))
    ]
    assert wrong == []


@pytest.mark.parametrize("value", [58499.95, 3.33333e-06, 0.652, 1e300, 12.0, -9582.4123])
def test_the_rule_accepts_rounded_values(value):
    assert not noisy(value)


@pytest.mark.parametrize("value", [58499.950000000004, 0.1 + 0.2, 2 / 3, 0.5487238800054635])
def test_the_rule_catches_float_noise(value):
    assert noisy(value)
