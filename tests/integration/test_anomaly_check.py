"""metadata_anomaly on history written straight into a temp instance (no pipeline runs)."""

import dagster as dg
import numpy as np
import pytest

from asset_checks.anomaly import HELD_DAYS_TAG, anomaly_config, evaluate_days, held_run_tags
from resources.instance_history import CHECK_NAME, FINGERPRINT, RAW_ORDERS, read_history
from tests.support.metadata_history import DAYS, INJECTED, day, normal_day

CONFIG = anomaly_config(threshold=0.75, training_days=56)


def report_history(instance, fingerprint_of=lambda index: f"fp{index}") -> None:
    rng = np.random.default_rng(7)
    for index in range(DAYS):
        raw, cleaned = normal_day(index, rng)
        if index in INJECTED:
            INJECTED[index][1](raw, cleaned)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key=RAW_ORDERS,
                partition=day(index),
                metadata={**raw, FINGERPRINT: fingerprint_of(index)},
            )
        )


@pytest.fixture(scope="module")
def history():
    """One instance for the module; only the release test writes, and only for day 81."""
    with dg.instance_for_test() as instance:
        report_history(instance)
        yield instance


def evaluate(instance, days, release=None) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.partition: e for e in evaluate_days(instance, days, CONFIG, release)}


def test_a_day_in_cents_fails_with_drivers_in_a_table(history):
    (evaluation,) = evaluate(history, [day(52)]).values()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.blocking and evaluation.check_name == CHECK_NAME
    assert evaluation.description.startswith("anomalous")
    metadata = {k: v.value for k, v in evaluation.metadata.items()}
    assert metadata["verdict"] == "anomalous" and metadata["anomaly_score"] > 0.5
    assert "| log_median_amount |" in metadata["drivers"]
    assert metadata["landing_fingerprint"] == "fp52"
    assert evaluation.target_materialization_data is not None


def test_every_day_of_a_range_gets_its_own_evaluation(history):
    days = [day(i) for i in range(49, 56)]
    evaluations = evaluate(history, days)
    assert list(evaluations) == days
    assert {d for d, e in evaluations.items() if not e.passed} == {day(52)}


def test_too_little_history_passes_and_decides_nothing(history):
    (evaluation,) = evaluate(history, [day(10)]).values()
    assert evaluation.passed
    assert evaluation.description.startswith("insufficient history: 7 of 14")
    assert "anomaly_score" not in evaluation.metadata


def test_release_passes_with_the_reason(history):
    (evaluation,) = evaluate(
        history, [day(52)], release="prices moved to cents on purpose"
    ).values()
    assert evaluation.passed
    assert evaluation.description == "released by engineer: prices moved to cents on purpose"
    assert evaluation.metadata["released"].value is True


def test_a_release_sticks_to_the_landing_files_it_was_given_on(history):
    (held,) = evaluate(history, [day(81)]).values()
    assert not held.passed
    (released,) = evaluate(history, [day(81)], release="ok").values()
    history.report_runless_asset_event(released)
    (again,) = evaluate(history, [day(81)]).values()
    assert again.passed and "earlier release" in again.description

    history.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=RAW_ORDERS,
            partition=day(81),
            metadata={**_metadata_of(history, day(81)), FINGERPRINT: "new-files"},
        )
    )
    (rescored,) = evaluate(history, [day(81)]).values()
    assert not rescored.passed


def test_a_day_never_materialized_has_nothing_to_judge(history):
    (evaluation,) = evaluate(history, ["2024-01-01"]).values()
    assert evaluation.passed and "nothing to judge" in evaluation.description


def test_history_is_read_for_the_window_only(history):
    window = [day(i) for i in range(30, 40)]
    frame = read_history(history, window).frame
    assert sorted(frame["partition"]) == window


def _metadata_of(instance, partition: str) -> dict:
    record = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_ORDERS, asset_partitions=[partition]), limit=1
    ).records[0]
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def test_held_run_tags_name_the_first_days_and_count_the_rest():
    days = [day(80 + n) for n in range(7)]
    (value,) = held_run_tags(days).values()
    assert value == ", ".join(days[:5]) + " (+2 more)"
    assert held_run_tags(days[:1]) == {HELD_DAYS_TAG: days[0]}
