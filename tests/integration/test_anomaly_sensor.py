"""90 simulated days through the real definitions: hold, alert, unblock, release, backfill.

One story, built once for the module (it runs the real pipeline, so it takes about a
minute): history days are loaded in three range runs of raw_orders + metadata_anomaly,
the sensor ticks after each, then a blocked full-graph range, a release and corrected
files exercise every way out of a hold.
"""

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from asset_checks.anomaly import CHECK_OP_NAME, PROFILED_DAYS
from devtools.held import format_table, held_partitions
from devtools.simulate import generate
from orders_core import tables
from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.alerts import AlertWebhook
from resources.instance_history import CHECK_KEY, CLEANED_ORDERS, NOT_CLEANED, RAW_ORDERS
from resources.landing import LocalLandingZone
from resources.settings import PlatformSettings
from resources.telemetry import TelemetryResource
from sensors.orders_anomaly import SENSOR_NAME, SensorState
from tests.support.local_instance import local_instance
from tests.support.requests import daemon_tags
from tests.support.webhook_server import WebhookServer

START = dt.date(2025, 1, 6)
DAYS = 90
ORDERS_PER_DAY = 300
SEED = 7


def day(index: int) -> str:
    return (START + dt.timedelta(days=index)).isoformat()


INJECTED = {
    day(40): "volume_spike",
    day(47): "volume_drop",
    day(54): "cents",
    day(61): "null_burst",
    day(68): "duplicate_storm",
    day(80): "schema_change",
}
RELEASED = day(40)  # an engineer decides this spike was a real promotion
BLOCKED_RANGE = (day(46), day(48))  # a full-graph range run around the volume drop
FCT_ORDERS = dg.AssetKey(tables.FCT_ORDERS.key)


def range_tags(first: str, last: str) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


@dataclass
class Story:
    held_after_history: set[str]
    listed_held: set[str]
    alerts: list[dict]
    unblock_requests: list[dg.RunRequest]
    range_result: dg.ExecuteInProcessResult
    release_requests: list[dg.RunRequest]
    refresh_requests: list[dg.RunRequest]
    backfills: dict[str, dg.ExecuteInProcessResult] = field(default_factory=dict)
    held_at_end: set[str] = field(default_factory=set)
    skip_reasons: list[str] = field(default_factory=list)


class Ticker:
    """Ticks orders_anomaly_sensor like the daemon would, carrying its cursor."""

    def __init__(self, defs: dg.Definitions, instance, resources: dict) -> None:
        self.sensor = defs.get_sensor_def(SENSOR_NAME)
        self.defs, self.instance, self.resources = defs, instance, resources
        self.cursor: str | None = None
        self.skip_reasons: list[str] = []

    def tick(self) -> list[dg.RunRequest]:
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=self.defs,
            resources=self.resources,
        ) as context:
            result = self.sensor(context)
        self.cursor = result.cursor
        if result.skip_reason:
            self.skip_reasons.append(str(result.skip_reason))
        return list(result.run_requests or [])

    @property
    def held(self) -> set[str]:
        return set(SensorState.from_json(self.cursor).held)


def anomaly_evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    """The run's only metadata_anomaly evaluation (other checks run too)."""
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations() if e.asset_check_key == CHECK_KEY
    ]
    return evaluation


def execute(job: dg.JobDefinition, instance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        asset_selection=request.asset_selection,
        tags=daemon_tags(request, SENSOR_NAME),
        raise_on_error=False,
    )


def local_platform(
    tmp: Path, days: int, anomalies: dict | None = None, profile_limit_mb: int = 1024
) -> tuple[dg.Definitions, dg.JobDefinition]:
    """``days`` simulated days landed under ``tmp/landing``; the definitions and the job
    that reads them into a DuckDB file under ``tmp`` (``profile_limit_mb``: see
    ORDERS_ANOMALY_PROFILE_LIMIT_MB)."""
    generate(tmp / "landing", START, days, ORDERS_PER_DAY, seed=SEED, anomalies=anomalies)
    settings = PlatformSettings(
        landing_uri=str(tmp / "landing"),
        duckdb_path=str(tmp / "orders.duckdb"),
        partitions_start=START.isoformat(),
        anomaly_profile_limit_mb=profile_limit_mb,
    )
    defs = build_definitions(settings)
    return defs, defs.resolve_job_def(ALL_ASSETS_JOB)


def sensor_resources(landing: Path, server: WebhookServer) -> dict:
    return {
        "landing": LocalLandingZone(root=str(landing)),
        "alert_webhook": AlertWebhook(url=server.url),
        "telemetry": TelemetryResource(),
    }


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    tmp = tmp_path_factory.mktemp("story")
    landing = tmp / "landing"
    anomalies = {dt.date.fromisoformat(d): name for d, name in INJECTED.items()}
    defs, job = local_platform(tmp, DAYS, anomalies)
    with WebhookServer() as server, local_instance() as instance:
        ticker = Ticker(defs, instance, sensor_resources(landing, server))
        assert ticker.tick() == []
        history_requests = []
        for first, last in ((0, 34), (35, 62), (63, DAYS - 1)):
            job.execute_in_process(
                instance=instance,
                asset_selection=[RAW_ORDERS],
                tags=range_tags(day(first), day(last)),
                raise_on_error=False,
            )
            history_requests += ticker.tick()
        assert history_requests == [], "raw-only runs planned nothing downstream to unblock"
        held_after_history = set(ticker.held)
        listed = {h.partition for h in held_partitions(instance)}

        range_result = job.execute_in_process(
            instance=instance, tags=range_tags(*BLOCKED_RANGE), raise_on_error=False
        )
        unblock = ticker.tick()

        release_config = {
            "ops": {CHECK_OP_NAME: {"config": {"release": True, "reason": "real promotion"}}}
        }
        job.execute_in_process(
            instance=instance,
            partition_key=RELEASED,
            asset_selection=[RAW_ORDERS],
            run_config=release_config,
            raise_on_error=False,
        )
        release = ticker.tick()

        clean = tmp / "clean"
        generate(clean, START, DAYS, ORDERS_PER_DAY, seed=SEED)
        for held_day in INJECTED:
            if held_day != RELEASED:
                target = landing / "orders" / f"date={held_day}"
                shutil.rmtree(target)
                shutil.copytree(clean / "orders" / f"date={held_day}", target)
        refresh = ticker.tick()
        assert ticker.tick() == [], "each corrected fingerprint is requested once"

        story = Story(
            held_after_history=held_after_history,
            listed_held=listed,
            alerts=list(server.posts),
            unblock_requests=unblock,
            range_result=range_result,
            release_requests=release,
            refresh_requests=refresh,
        )
        for request in release + refresh:
            story.backfills[request.partition_key] = execute(job, instance, request)
        ticker.tick()
        story.held_at_end = set(ticker.held)
        story.skip_reasons = ticker.skip_reasons
        return story


def test_every_injected_day_is_held_and_at_most_one_normal_day(story: Story):
    injected = set(INJECTED)
    held = story.held_after_history
    true_positives = held & injected
    precision = len(true_positives) / len(held)
    recall = len(true_positives) / len(injected)
    print(f"\nheld {sorted(held)}\nprecision {precision:.2f} recall {recall:.2f}")
    assert injected <= held
    assert len(held - injected) <= 1
    assert story.listed_held == held


def test_newly_held_days_are_alerted_once_with_their_explanation(story: Story):
    texts = [post["text"] for post in story.alerts]
    alerted = [d for d in INJECTED for text in texts if d in text]
    assert sorted(alerted) == sorted(INJECTED)
    blocks = [b for post in story.alerts for b in post["blocks"]]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    section = next(text for text in sections if text.startswith(f"*{day(54)}*"))
    assert "anomalous" in section and "baseline" in section and "--partition" in section


def test_normal_days_of_a_range_with_a_held_day_are_published_by_that_run(story: Story):
    """The range run cleans and publishes its normal days and leaves the held day alone,
    as day-by-day runs would: the sensor has nothing to re-run."""
    first, last = BLOCKED_RANGE
    held = day(47)
    assert story.range_result.success
    assert story.unblock_requests == []
    cleaned = {
        m.materialization.partition: m.materialization.metadata
        for m in story.range_result.get_asset_materialization_events()
        if m.materialization.asset_key == CLEANED_ORDERS
    }
    assert set(cleaned) == {first, held, last}
    assert NOT_CLEANED in cleaned[held] and "metadata_anomaly" in cleaned[held][NOT_CLEANED].value
    for normal in (first, last):
        assert NOT_CLEANED not in cleaned[normal]
        assert cleaned[normal]["dagster/row_count"].value > 0
    published = {
        m.materialization.partition: m.materialization.metadata
        for m in story.range_result.get_asset_materialization_events()
        if m.materialization.asset_key == FCT_ORDERS
    }
    assert published[first]["dagster/row_count"].value > 0
    assert "orders/not_published" in published[held]


def test_a_release_in_a_raw_only_run_backfills_the_day(story: Story):
    (request,) = story.release_requests
    assert request.partition_key == RELEASED and request.run_key.endswith(":released")
    result = story.backfills[RELEASED]
    evaluation = anomaly_evaluation(result)
    assert evaluation.passed and "released by engineer: real promotion" in evaluation.description
    keys = {m.materialization.asset_key for m in result.get_asset_materialization_events()}
    assert CLEANED_ORDERS in keys


def test_held_days_are_backfilled_once_their_files_are_corrected(story: Story):
    corrected = set(INJECTED) - {RELEASED}
    assert {r.partition_key for r in story.refresh_requests} == corrected
    for held_day in corrected:
        result = story.backfills[held_day]
        evaluation = anomaly_evaluation(result)
        assert evaluation.passed, evaluation.description
        materialized = {
            (m.materialization.asset_key, m.materialization.partition)
            for m in result.get_asset_materialization_events()
        }
        assert (CLEANED_ORDERS, held_day) in materialized
    assert story.held_at_end <= story.held_after_history - set(INJECTED)


def test_skip_reasons_record_the_decisions(story: Story):
    text = " ".join(story.skip_reasons)
    assert f"{day(54)}: held" in text
    assert "Held:" in text


def test_check_metadata_is_readable_in_the_ui(story: Story):
    result = story.backfills[day(54)]
    evaluation = anomaly_evaluation(result)
    metadata = evaluation.metadata
    assert metadata["verdict"].value == "normal"
    assert 0 < metadata["anomaly_score"].value <= 1
    assert metadata["threshold"].value == pytest.approx(0.75)
    assert "| feature | value | baseline |" in metadata["drivers"].value


def test_release_config_names_the_check_op():
    defs = build_definitions(PlatformSettings(partitions_start="2025-01-01"))
    nodes = {n.name for n in defs.resolve_job_def(ALL_ASSETS_JOB).graph.node_defs}
    assert CHECK_OP_NAME == "raw_orders_metadata_anomaly" and CHECK_OP_NAME in nodes


def test_a_day_run_before_its_history_is_judged_on_their_profiles(tmp_path):
    """Days run newest first: the last day is judged at once, the landed days before it
    profiled from their files, and published; the sensor has nothing to run again."""
    days = 20
    defs, job = local_platform(tmp_path, days)
    last = day(days - 1)
    with WebhookServer() as server, local_instance() as instance:
        ticker = Ticker(defs, instance, sensor_resources(tmp_path / "landing", server))
        ticker.tick()
        first = job.execute_in_process(instance=instance, partition_key=last)
        judged = anomaly_evaluation(first)
        assert judged.passed and judged.metadata["verdict"].value == "normal"
        profiled = [day(i) for i in range(days - 1)]
        assert judged.metadata[PROFILED_DAYS].value == profiled
        materialized = {
            m.materialization.asset_key for m in first.get_asset_materialization_events()
        }
        assert {CLEANED_ORDERS, FCT_ORDERS} <= materialized
        assert ticker.tick() == [] and server.posts == []
        assert not SensorState.from_json(ticker.cursor).deferred
        # Nothing was written for the profiled days.
        assert instance.get_materialized_partitions(RAW_ORDERS) == {last}


def test_a_day_run_before_its_history_is_deferred_then_run_again_once_it_is_loaded(tmp_path):
    """Days run newest first with profiling off (ORDERS_ANOMALY_PROFILE_LIMIT_MB=0, or the
    days' files beyond it): the last day waits for the landed days before it (no alert),
    and the sensor runs it again, raw_orders and downstream, once they are loaded."""
    days = 20
    defs, job = local_platform(tmp_path, days, profile_limit_mb=0)
    last = day(days - 1)
    with WebhookServer() as server, local_instance() as instance:
        ticker = Ticker(defs, instance, sensor_resources(tmp_path / "landing", server))
        ticker.tick()
        first = job.execute_in_process(instance=instance, partition_key=last, raise_on_error=False)
        deferred = anomaly_evaluation(first)
        assert not deferred.passed and deferred.metadata["verdict"].value == "deferred"
        assert deferred.metadata["waiting_for"].value == [day(i) for i in range(days - 1)]
        ran = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
        assert ran == {"raw_orders", "fx_rates"}, "only raw_orders (and fx_rates, of no day) ran"
        assert ticker.tick() == [] and server.posts == [], "a deferral is not alerted"
        state = SensorState.from_json(ticker.cursor)
        assert list(state.deferred) == [last] and not state.held
        assert f"Deferred: {last}" in ticker.skip_reasons[-1]
        (listed,) = held_partitions(instance)
        assert listed.verdict == "deferred" and len(listed.waiting_for) == days - 1
        load = f"load first: dg launch --assets raw_orders --partition-range {day(0)}...{day(days - 2)}"
        assert load in format_table([listed]) and "release:" not in format_table([listed])

        job.execute_in_process(
            instance=instance,
            asset_selection=[RAW_ORDERS],
            tags=range_tags(day(0), day(days - 2)),
            raise_on_error=False,
        )
        (request,) = ticker.tick()
        assert request.partition_key == last and request.run_key.endswith(":history")
        assert request.asset_selection is None, "the whole job: raw_orders and downstream"
        assert ticker.tick() == [], "requested once"

        again = execute(job, instance, request)
        judged = anomaly_evaluation(again)
        assert judged.passed and judged.metadata["verdict"].value != "deferred"
        materialized = {
            m.materialization.asset_key for m in again.get_asset_materialization_events()
        }
        assert CLEANED_ORDERS in materialized
        ticker.tick()
        assert not SensorState.from_json(ticker.cursor).deferred


def test_a_range_with_a_drifting_day_publishes_the_other_days_and_alerts_it(tmp_path):
    """A full-graph range with schema_drift failing one day (an unreadable file landed),
    while metadata_anomaly passes every day: the run publishes the other days and leaves
    that one out, as day-by-day runs would; the anomaly sensor has nothing to re-run, and
    the left-out alert names the day, its finding and the fix of its files."""
    import duckdb

    from sensors.alerting import FIX_LANDING_FILES
    from tests.support.sensor_reruns import left_out_tick

    days = 6
    defs, job = local_platform(tmp_path, days)
    drifting = day(2)
    (tmp_path / "landing" / "orders" / f"date={drifting}" / "notes.txt").write_text("hello\n")
    with WebhookServer() as server, local_instance() as instance:
        ticker = Ticker(defs, instance, sensor_resources(tmp_path / "landing", server))
        ticker.tick()
        result = job.execute_in_process(
            instance=instance, tags=range_tags(day(0), day(days - 1)), raise_on_error=False
        )
        assert result.success
        evaluations = result.get_asset_check_evaluations()
        assert all(e.passed for e in evaluations if e.asset_check_key == CHECK_KEY)
        failed = {
            (e.asset_check_key.name, e.partition, e.severity, e.blocking)
            for e in evaluations
            if not e.passed
        }
        assert failed == {
            ("schema_drift", drifting, dg.AssetCheckSeverity.ERROR, False),
            # not cleaned, so not reconciled: a warning, which stops nothing
            ("reconciliation", drifting, dg.AssetCheckSeverity.WARN, False),
        }
        assert ticker.tick() == []
        left_out_tick(defs, instance, result, server.url)
        (post,) = server.posts
        assert f"left out {drifting} (schema_drift)" in post["text"]
        details = post["blocks"][-1]["text"]["text"]
        assert "unreadable" in details and FIX_LANDING_FILES in details
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        published = conn.execute(
            "SELECT DISTINCT CAST(partition_date AS VARCHAR) FROM warehouse.fct_orders ORDER BY 1"
        ).fetchall()
        customers = conn.execute("SELECT count(*) FROM warehouse.dim_customers").fetchone()
    assert [d for (d,) in published] == [day(i) for i in range(days) if i != 2]
    assert customers[0] > 0


def report_evaluation(instance, partition: str, metadata: dict) -> None:
    """A failed metadata_anomaly evaluation of ``partition``, in a run of its own
    (runless evaluations share a run id: one per partition)."""
    from dagster._core.events import DagsterEvent, DagsterEventType

    evaluation = dg.AssetCheckEvaluation(
        asset_key=RAW_ORDERS,
        check_name=CHECK_KEY.name,
        passed=False,
        partition=partition,
        metadata=metadata,
    )
    instance.report_dagster_event(
        DagsterEvent(
            event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
            event_specific_data=evaluation,
            job_name=ALL_ASSETS_JOB,
        ),
        run_id=str(uuid.uuid4()),
    )


def test_a_held_days_files_going_back_get_a_run_key_never_used(tmp_path):
    """A held day re-run on new files, whose files then go back to an earlier state (a
    file moved out and back keeps its mtime): each re-run has a run key the sensor never
    used, or the daemon skips it and the day stays judged on the other files."""
    from resources.landing import fingerprint
    from sensors.batching import JobAssets
    from sensors.orders_anomaly import evaluate_tick
    from tests.support.fixture_data import day_dir, order, write_csv

    held = dt.date(2025, 3, 1)
    zone = LocalLandingZone(root=str(tmp_path / "landing"))
    folder = day_dir(tmp_path / "landing", held)
    write_csv(folder / "a.csv", [order("A1", "c1", "2025-03-01T10:00:00Z", "1.00")])
    write_csv(folder / "b.csv", [order("B1", "c1", "2025-03-01T11:00:00Z", "2.00")])
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)

    def loaded_and_held() -> None:  # what the day's run records: its load, then the hold
        fp = fingerprint(zone.list_day(held))
        instance.report_runless_asset_event(
            dg.AssetMaterialization(RAW_ORDERS, partition=held.isoformat())
        )
        metadata = {"verdict": "anomalous", "landing_fingerprint": fp}
        report_evaluation(instance, held.isoformat(), metadata)

    with local_instance() as instance:
        loaded_and_held()
        cursor = evaluate_tick(instance, None, zone, job).state.to_json()
        used: set[str] = set()
        for step in ("out", "back", "out", "back"):
            if step == "out":
                (folder / "b.csv").rename(tmp_path / "b.csv")
            else:
                (tmp_path / "b.csv").rename(folder / "b.csv")
            outcome = evaluate_tick(instance, cursor, zone, job)
            cursor = outcome.state.to_json()
            (request,) = outcome.run_requests
            assert request.run_key not in used, (step, request.run_key)
            used.add(request.run_key)
            loaded_and_held()
            cursor = evaluate_tick(instance, cursor, zone, job).state.to_json()


def test_a_deferred_day_waiting_for_a_withdrawn_folder_is_run_again(tmp_path):
    """A day deferred for an earlier day that landed but was not loaded, whose folder is
    then withdrawn before any load: the check no longer waits for it, so the deferred day
    is run again (it waited for ever, unpublished)."""
    from resources.landing import fingerprint
    from sensors.batching import JobAssets
    from sensors.orders_anomaly import evaluate_tick
    from tests.support.fixture_data import day_dir, order, write_csv

    deferred, withdrawn = dt.date(2025, 3, 20), "2025-03-19"
    zone = LocalLandingZone(root=str(tmp_path / "landing"))
    write_csv(
        day_dir(tmp_path / "landing", deferred) / "a.csv",
        [order("A1", "c1", "2025-03-20T10:00:00Z", "1.00")],
    )
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)
    with local_instance() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(RAW_ORDERS, partition=deferred.isoformat())
        )
        fp = fingerprint(zone.list_day(deferred))
        metadata = {
            "verdict": "deferred",
            "waiting_for": dg.MetadataValue.json([withdrawn]),
            "landing_fingerprint": fp,
        }
        report_evaluation(instance, deferred.isoformat(), metadata)

        outcome = evaluate_tick(instance, None, zone, job)

        (request,) = outcome.run_requests
        assert request.partition_key == deferred.isoformat()
        assert request.run_key.endswith(":history") and "@" in request.run_key


def test_deferred_days_ready_together_run_as_one_range(tmp_path):
    """Consecutive deferred days whose awaited days are all loaded run as one range run,
    not one run each (each waited for other days: the wait is in each day's part of the
    key, not in the suffix consecutive days must share)."""
    from resources.landing import fingerprint
    from sensors.batching import JobAssets
    from sensors.orders_anomaly import evaluate_tick
    from tests.support.fixture_data import day_dir, order, write_csv
    from tests.support.requests import requested_days

    days = [dt.date(2025, 3, 18) + dt.timedelta(days=i) for i in range(4)]
    zone = LocalLandingZone(root=str(tmp_path / "landing"))
    for d in days:
        write_csv(
            day_dir(tmp_path / "landing", d) / "a.csv",
            [order(f"A{d.day}", "c1", f"{d.isoformat()}T10:00:00Z", "1.00")],
        )
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)
    with local_instance() as instance:
        for d in days:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(RAW_ORDERS, partition=d.isoformat())
            )
        for i, d in enumerate(days[1:], start=1):
            waiting = [w.isoformat() for w in days[:i]]
            metadata = {
                "verdict": "deferred",
                "waiting_for": dg.MetadataValue.json(waiting),
                "landing_fingerprint": fingerprint(zone.list_day(d)),
            }
            report_evaluation(instance, d.isoformat(), metadata)

        outcome = evaluate_tick(instance, None, zone, job)

        (request,) = outcome.run_requests
        assert requested_days(request) == [d.isoformat() for d in days[1:]]
        assert request.run_key.startswith(f"{days[1]}...{days[-1]}:")
        assert request.run_key.endswith(":history")
        assert request.tags["orders/trigger"] == "anomaly-deferred"


def test_the_first_tick_reads_the_held_days_in_as_many_statements_for_2_as_for_40(tmp_path):
    """The sensor's first tick announces every held day: it read each one's verdict, run
    and schema_drift executions a query each (bench/RESULTS.md: "4 statements each"; on
    PostgreSQL a new connection each), now each kind for all of them at once."""
    from sensors.batching import JobAssets
    from sensors.orders_anomaly import evaluate_tick
    from tests.support.check_history import counted_statements, report_verdict

    zone = LocalLandingZone(root=str(tmp_path / "landing"))
    job = JobAssets.of(build_definitions(PlatformSettings(partitions_start="2025-01-01")).assets)
    statements = {}
    for held in (2, 40):
        with local_instance() as instance:
            for index in range(held):
                metadata = {"verdict": "anomalous", "anomaly_score": 0.9}
                report_verdict(instance, day(index), passed=False, metadata=metadata)
            with counted_statements() as count:
                outcome = evaluate_tick(instance, None, zone, job)
            assert len(outcome.held) == held and len(outcome.state.held) == held
            statements[held] = count[0]
    assert statements[2] == statements[40], statements
