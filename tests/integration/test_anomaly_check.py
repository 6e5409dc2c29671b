"""metadata_anomaly on history written straight into a temp instance (no pipeline runs)."""

import datetime as dt
import logging

import dagster as dg
import numpy as np
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.utils import make_new_run_id

from asset_checks.anomaly import (
    HELD_DAYS_TAG,
    PROFILED_DAYS,
    anomaly_config,
    evaluate_days,
    held_run_tags,
    history_lookback_days,
    waiting_days,
)
from devtools.instances import one_event_log_instance
from orders_core.anomaly_features import SCALED_AMOUNTS
from orders_core.calendar import day_keys
from resources.instance_history import (
    ANOMALY_SCORE,
    ANOMALY_THRESHOLD,
    CHECK_NAME,
    FILES_FINGERPRINT,
    FINGERPRINT,
    LANDING_FILES,
    RAW_ORDERS,
    anomaly_figures,
    read_history,
)
from tests.support.local_instance import local_instance
from tests.support.metadata_history import DAYS, INJECTED, day, normal_day

CONFIG = anomaly_config(threshold=0.75, training_days=56)


def history_metadata(fingerprint_of=lambda index: f"fp{index}") -> list[dict]:
    """raw_orders metadata of every day of the history, injected anomalies included."""
    rng = np.random.default_rng(7)
    days = []
    for index in range(DAYS):
        raw, cleaned = normal_day(index, rng)
        if index in INJECTED:
            INJECTED[index][1](raw, cleaned)
        days.append({**raw, FINGERPRINT: fingerprint_of(index)})
    return days


def load_day(instance, index: int, metadata: list[dict]) -> None:
    """What a run of raw_orders for one day records."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=RAW_ORDERS, partition=day(index), metadata=metadata[index]
        )
    )


def report_history(instance, fingerprint_of=lambda index: f"fp{index}") -> None:
    metadata = history_metadata(fingerprint_of)
    for index in range(DAYS):
        load_day(instance, index, metadata)


@pytest.fixture(scope="module")
def history():
    """One instance for the module; only the release test writes, and only for day 81."""
    with local_instance() as instance:
        report_history(instance)
        yield instance


EVERY_DAY = [day(index) for index in range(DAYS)]


def evaluate(
    instance, days, release=None, landed=EVERY_DAY, profile=None
) -> dict[str, dg.AssetCheckEvaluation]:
    """The check's evaluations of ``days``, with ``landed`` the days that have files and
    ``profile`` what profiles the landed days not loaded (None: they are waited for)."""
    return {
        e.partition: e
        for e in evaluate_days(instance, days, CONFIG, release, lambda: landed, profile)
    }


def profiles_of(metadata: list[dict], asked: list | None = None):
    """A profile of landed days from the history's own metadata (what raw_orders would
    record on loading them), noting the days each call asks for in ``asked``."""

    def profile(keys: list[str]) -> dict[str, dict]:
        if asked is not None:
            asked.append(keys)
        return {key: metadata[EVERY_DAY.index(key)] for key in keys}

    return profile


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


def test_a_held_day_says_on_its_page_what_it_holds_and_what_to_do(history):
    # The analyst who opens the held day (raw_orders > Checks > metadata_anomaly >
    # Partitions) reads why in the description and the drivers, and what now here.
    evaluations = evaluate(history, [day(51), day(52)])
    held = {k: v.value for k, v in evaluations[day(52)].metadata.items()}
    assert held["next_step"].startswith("Held: cleaned_orders, quarantined_orders")
    for step in ("land corrected files", "orders_anomaly_sensor", "release", "devtools.held"):
        assert step in held["next_step"], step
    assert "next_step" not in evaluations[day(51)].metadata


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


def test_a_release_sticks_to_the_same_files_in_a_moved_zone():
    """The landing zone moved to another ORDERS_LANDING_URI with its files (names, sizes,
    versions) kept: every fingerprint differs, the release still holds; new files do not."""
    held_day = day(52)
    with local_instance() as instance:
        report_history(instance)
        loaded = {**_metadata_of(instance, held_day), FILES_FINGERPRINT: "same-files"}

        def reload(fingerprint: str, files: str) -> None:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(
                    asset_key=RAW_ORDERS,
                    partition=held_day,
                    metadata={**loaded, FINGERPRINT: fingerprint, FILES_FINGERPRINT: files},
                )
            )

        reload("old-location", "same-files")
        (released,) = evaluate(instance, [held_day], release="ok").values()
        assert released.metadata[LANDING_FILES].value == "same-files"
        instance.report_runless_asset_event(released)

        reload("new-location", "same-files")
        (moved,) = evaluate(instance, [held_day]).values()
        assert moved.passed and "earlier release" in moved.description

        reload("new-location-new-files", "new-files")
        (rescored,) = evaluate(instance, [held_day]).values()
        assert not rescored.passed and rescored.metadata[LANDING_FILES].value == "new-files"


def test_a_day_never_materialized_has_nothing_to_judge(history):
    (evaluation,) = evaluate(history, ["2024-01-01"]).values()
    assert evaluation.passed and "nothing to judge" in evaluation.description


def _evaluated_with_no_file_on(no_file, judged) -> dict:
    """The check's evaluations of the days ``judged`` (indexes) of the history whose days
    ``no_file`` (indexes) read no landed file."""
    metadata = history_metadata()
    for index in no_file:
        metadata[index] = {
            "dagster/row_count": 0,
            "orders/files": 0,
            "orders/bytes": 0,
            FINGERPRINT: f"fp{index}",
        }
    with local_instance() as instance:
        for index in range(DAYS):
            load_day(instance, index, metadata)
        return evaluate(instance, [day(index) for index in judged])


def test_a_day_with_no_landed_file_says_so_before_its_drivers():
    """Its drivers alone (bytes, rows and files far below their level) read as any drop:
    the verdict says first that no file landed, whether it holds the day or, too early in
    the history to decide, passes it."""
    evaluations = _evaluated_with_no_file_on((5, 70), [5, 69, 70])
    early, normal, gap = evaluations[day(5)], evaluations[day(69)], evaluations[day(70)]
    assert not gap.passed
    assert gap.description.startswith(
        "no file landed for this day, judged as a drop to no orders: anomalous: "
    )
    assert early.passed
    assert early.description.startswith(
        "no file landed for this day, judged as a drop to no orders: insufficient history"
    )
    assert normal.passed and normal.description.startswith("normal")


def test_every_day_of_a_gap_is_held_saying_why():
    """A gap judged as one range: its first four days are held as a drop to no orders; from
    the fifth on fewer than 4 of the 7 days before it landed a file, so there is no level
    to judge the drop against. Those days are held too, saying so: they passed before and
    published empty days with a passing check (hunt 70), with the training median shown as
    the day's own volume."""
    gap = range(70, 76)
    evaluations = _evaluated_with_no_file_on(gap, gap)
    verdicts = [evaluations[day(index)] for index in gap]
    assert [e.passed for e in verdicts] == [False] * 6
    for held in verdicts[:4]:
        assert held.description.startswith(
            "no file landed for this day, judged as a drop to no orders: anomalous: "
        )
    for held in verdicts[4:]:
        assert held.description.startswith(
            "anomalous: no file landed for this day, and too few of the days before it landed"
            " files to judge a drop in volume against; held until its files land or it is"
            " released (the forest alone: anomaly score"
        ), held.description


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


def record_evaluation(instance, evaluation: dg.AssetCheckEvaluation, run_id: str) -> None:
    """Store an evaluation as run ``run_id`` records it (a runless one may be stored only
    once per partition)."""
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
        event_specific_data=evaluation,
        job_name="metadata_anomaly_test",
    )
    instance.report_dagster_event(event, run_id=run_id)


def _verdict(evaluation: dg.AssetCheckEvaluation) -> tuple:
    values = {k: v.value for k, v in evaluation.metadata.items()}
    return evaluation.passed, values["verdict"], values.get("anomaly_score")


def test_a_day_waits_for_a_landed_day_not_loaded_and_is_judged_once_it_is():
    metadata = history_metadata()
    with local_instance() as instance:
        for index in range(DAYS):
            if index != 45:
                load_day(instance, index, metadata)
        (deferred,) = evaluate(instance, [day(52)]).values()
        assert not deferred.passed and deferred.blocking
        assert deferred.severity == dg.AssetCheckSeverity.ERROR
        assert deferred.metadata["verdict"].value == "deferred"
        assert deferred.metadata["waiting_for"].value == [day(45)]
        assert deferred.description.startswith("deferred: 1 earlier day(s)") and day(45) in (
            deferred.description
        )
        # A day without landing files is no history to wait for.
        never_landed = [d for d in EVERY_DAY if d != day(45)]
        (judged,) = evaluate(instance, [day(52)], landed=never_landed).values()
        assert _verdict(judged)[:2] == (False, "anomalous")

        load_day(instance, 45, metadata)
        (judged,) = evaluate(instance, [day(52)]).values()
        assert _verdict(judged)[:2] == (False, "anomalous")


def test_a_day_is_judged_on_the_profiles_of_the_landed_days_not_loaded():
    metadata = history_metadata()
    with local_instance() as loaded:
        report_history(loaded)
        expected = _verdict(evaluate(loaded, [day(52)])[day(52)])
    assert expected[:2] == (False, "anomalous")
    asked: list = []
    with local_instance() as instance:
        for index in range(DAYS):
            if index not in (44, 45):
                load_day(instance, index, metadata)
        (judged,) = evaluate(instance, [day(52)], profile=profiles_of(metadata, asked)).values()
        assert _verdict(judged) == expected
        assert judged.metadata[PROFILED_DAYS].value == [day(44), day(45)]
        assert asked == [[day(44), day(45)]]
        # Too large to profile: the day waits for them, as without a profile.
        (deferred,) = evaluate(instance, [day(52)], profile=lambda keys: None).values()
        assert deferred.metadata["verdict"].value == "deferred"
        assert deferred.metadata["waiting_for"].value == [day(44), day(45)]
        # Nothing is profiled when the history is loaded.
        load_day(instance, 44, metadata)
        load_day(instance, 45, metadata)
        (judged,) = evaluate(instance, [day(52)], profile=profiles_of(metadata, asked)).values()
        assert _verdict(judged) == expected and PROFILED_DAYS not in judged.metadata
        assert len(asked) == 1


def test_a_day_too_early_to_decide_even_with_the_missing_days_does_not_wait_for_them():
    metadata = history_metadata()
    with local_instance() as instance:
        for index in range(12):
            if index != 3:
                load_day(instance, index, metadata)
        (early,) = evaluate(instance, [day(11)]).values()
        assert early.passed and early.metadata["verdict"].value == "insufficient_history"


def test_a_day_too_early_to_decide_counts_the_profiled_days_as_a_range_run_does():
    """Run newest first, a day too early to decide even with the days before it is
    still "insufficient history", and its count of training days is the range run's:
    the landed days not loaded are profiled (within the limit) and counted, not left
    out of the message and metadata (they said 0 of 14 where the range run says 7)."""
    metadata = history_metadata()
    with local_instance() as ranged:
        for index in range(11):
            load_day(ranged, index, metadata)
        (expected,) = evaluate(ranged, [day(10)]).values()
    assert expected.description.startswith("insufficient history: 7 of 14")
    asked: list = []
    with local_instance() as instance:
        load_day(instance, 10, metadata)
        (early,) = evaluate(instance, [day(10)], profile=profiles_of(metadata, asked)).values()
        # Too large to profile: still a pass, counted on the loaded days only.
        (unprofiled,) = evaluate(instance, [day(10)], profile=lambda keys: None).values()
    assert early.passed and early.description == expected.description
    assert early.metadata["training_partitions"] == expected.metadata["training_partitions"]
    assert asked == [[day(index) for index in range(10)]]
    assert unprofiled.passed and unprofiled.metadata["verdict"].value == "insufficient_history"


def test_the_landing_zone_is_listed_once_per_check_and_only_for_missing_days(history):
    listings = []

    def landed():
        listings.append(1)
        return EVERY_DAY

    # Day 0 onwards is loaded: the windows of days 60 and 61 reach before it.
    evaluations = list(evaluate_days(history, [day(60), day(61)], CONFIG, None, landed))
    assert [e.metadata["verdict"].value for e in evaluations] == ["normal", "normal"]
    assert len(listings) == 1

    last = dt.date.fromisoformat(day(89))
    loaded = day_keys(last - dt.timedelta(days=history_lookback_days(CONFIG)), last)
    assert waiting_days(day(89), loaded, landed, CONFIG) == []
    assert len(listings) == 1


@pytest.mark.parametrize("order", ["newest first", "shuffled"])
def test_days_run_in_any_order_get_the_verdicts_of_one_range_run(order):
    """Every day run on its own in the given order; the deferred days run again (one on
    its own, the rest as one range run, as orders_anomaly_sensor requests the days of a
    tick): every verdict is the one range run's."""
    metadata = history_metadata()
    with local_instance() as ranged:
        for index in range(DAYS):
            load_day(ranged, index, metadata)
        expected = {d: _verdict(e) for d, e in evaluate(ranged, EVERY_DAY).items()}
    held = {d for d, (passed, _, _) in expected.items() if not passed}
    assert len(held) >= len(INJECTED) - 1

    indexes = list(range(DAYS))[::-1]
    if order == "shuffled":
        np.random.default_rng(3).shuffle(indexes)
    got: dict[str, tuple] = {}

    def run(instance, days: list[str]) -> None:
        run_id = make_new_run_id()
        for evaluation in evaluate(instance, days).values():
            record_evaluation(instance, evaluation, run_id)
            got[evaluation.partition] = _verdict(evaluation)

    with one_event_log_instance() as instance:
        for index in indexes:
            load_day(instance, index, metadata)
            run(instance, [day(index)])
        deferred = sorted(d for d, (_, verdict, _) in got.items() if verdict == "deferred")
        decided = {
            d for d, (_, verdict, _) in expected.items() if verdict != "insufficient_history"
        }
        if order == "newest first":
            assert decided <= set(deferred), "no day is decided on less history"
        assert len(deferred) >= 20
        # The latest deferred day alone: the earlier deferred ones are judged with it.
        run(instance, deferred[-1:])
        assert got[deferred[-1]] == expected[deferred[-1]]
        run(instance, deferred[:-1])
    assert got == expected


def test_days_run_in_any_order_with_profiles_get_the_range_runs_verdicts_at_once():
    """As above, with the landed days not loaded yet profiled: the first 50 days loaded
    and judged as by a range run, the last 40 run one by one in a shuffled order (four
    injected anomalies among them). No day is deferred, and each day's first verdict is
    the range run's (newest first through the whole pipeline: ``test_batching_judged_days``)."""
    metadata = history_metadata()
    with local_instance() as ranged:
        report_history(ranged)
        expected = {d: e for d, e in evaluate(ranged, EVERY_DAY).items()}
    loaded, shuffled = list(range(50)), list(range(50, DAYS))
    np.random.default_rng(3).shuffle(shuffled)
    got: dict[str, tuple] = {}
    with one_event_log_instance() as instance:
        run_id = make_new_run_id()
        for index in loaded:
            load_day(instance, index, metadata)
            record_evaluation(instance, expected[day(index)], run_id)
        for index in shuffled:
            load_day(instance, index, metadata)
            run_id = make_new_run_id()
            evaluations = evaluate(instance, [day(index)], profile=profiles_of(metadata))
            for evaluation in evaluations.values():
                record_evaluation(instance, evaluation, run_id)
                got[evaluation.partition] = _verdict(evaluation)
    assert got == {day(i): _verdict(expected[day(i)]) for i in shuffled}
    assert sum(not passed for passed, _, _ in got.values()) >= 4


def test_a_failure_to_profile_the_landed_days_defers_the_day(caplog):
    """A landed day not loaded that cannot be profiled (the landing zone failing, say) is
    not this run's to report: the day waits for it, as when it is too large."""
    from asset_checks.anomaly import _profiler

    def failing(landing, days):
        raise OSError("the landing zone is unreachable")

    log = logging.getLogger("metadata_anomaly_test")
    with caplog.at_level(logging.WARNING):
        assert _profiler(log, None, failing)([day(44)]) is None
    assert "could not profile" in caplog.text and "unreachable" in caplog.text
    assert _profiler(log, None, None) is None


def _with_idr_orders(raw: dict, share: float = 0.03, scaled: bool = True) -> dict:
    """``raw`` with ``share`` of its orders in IDR, each worth the day's mean order value
    (16,500 IDR per USD, divided by 100,000 in the scaled figures); the median moves to
    the next percentile, as a few small amounts at the bottom move it."""
    orders = raw["dagster/row_count"] * share
    mean = raw["orders/mean_order_value"]
    day = {**raw}
    day["orders/revenue"] += orders * mean * (16_500 - 1)
    day["orders/mean_order_value"] = day["orders/revenue"] / raw["dagster/row_count"]
    if scaled:
        day["orders/scaled_revenue"] += orders * mean * (0.165 - 1)
        day["orders/scaled_mean_order_value"] = (
            day["orders/scaled_revenue"] / raw["dagster/row_count"]
        )
        day["orders/scaled_median_amount"] *= 0.98
    return day


@pytest.mark.parametrize("scaled", [True, False])
def test_a_day_with_its_first_idr_orders_is_judged_on_amounts_scaled_per_currency(scaled):
    """An instance whose raw_orders history recorded the scaled figures (orders in USD,
    EUR, GBP: the nominal ones) passes a day whose orders are 3 % IDR, its nominal revenue
    and mean x500 and its scaled ones 2.5 % lower. An instance whose history was recorded
    before the scaled figures judges the same day on the nominal ones: held, as before."""
    index = 62  # an ordinary Sunday, after the injected anomalies of weeks 6 to 9
    assert index not in INJECTED
    metadata = history_metadata()
    if scaled:
        metadata = [
            {
                **m,
                **{
                    f"orders/scaled_{k}": m[f"orders/{k}"]
                    for k in SCALED_AMOUNTS
                    if f"orders/{k}" in m
                },
            }
            for m in metadata
        ]
    metadata[index] = _with_idr_orders(metadata[index], scaled=scaled)
    with local_instance() as instance:
        for i in range(index + 1):
            load_day(instance, i, metadata)
        (evaluation,) = evaluate(instance, [day(index)]).values()
    assert evaluation.passed is scaled, evaluation.description
    if not scaled:
        assert "revenue_vs_weekday" in evaluation.description


def test_the_days_score_and_threshold_are_read_from_its_latest_verdict():
    # cleaned_orders plots them per day (the UI plots no check metadata): read from the
    # verdict the check recorded, the same numbers, and no score where none was decided.
    with local_instance() as instance:
        report_history(instance)
        decided, early = day(52), day(3)
        evaluations = evaluate(instance, [early, decided])
        for evaluation in evaluations.values():
            record_evaluation(instance, evaluation, make_new_run_id())
        figures = anomaly_figures(instance, [early, decided, day(60)])
    values = {k: v.value for k, v in evaluations[decided].metadata.items()}
    assert figures[decided] == {
        ANOMALY_SCORE: values["anomaly_score"],
        ANOMALY_THRESHOLD: CONFIG.threshold,
    }
    assert figures[early] == {ANOMALY_THRESHOLD: CONFIG.threshold}
    assert day(60) not in figures  # never judged
