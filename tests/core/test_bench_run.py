"""`make bench`'s end to end compares times only of contenders that published the same
tables (bench/published.py), and says what each of its sections cost."""

from __future__ import annotations

import subprocess

import dagster as dg
import duckdb
import pytest

from bench import harness, platform_run, published, report, run

SAME = {
    "fct_orders_rows": 10_432,
    "fct_orders_amount": 300_794.4499999989,
    "dim_customers_rows": 8_844,
    "dim_customers_total_revenue": 277_263.1769007992,
}


def _sample(seconds: float, **changed) -> dict:
    return {
        "seconds": seconds,
        "cpu_s": seconds,
        "process_wall_s": seconds + 1,
        "peak_rss_mb": 100.0,
        "step_seconds": {"raw_orders": seconds / 3},
        "rows": {
            "warehouse.fct_orders": SAME["fct_orders_rows"],
            "warehouse.dim_customers": SAME["dim_customers_rows"],
        },
        "published": SAME | changed,
    }


@pytest.fixture
def contenders(monkeypatch, tmp_path):
    """end_to_end's contenders replaced by canned samples: the platform's, then the
    script's, which a test may change."""
    script = {"sample": _sample(0.5)}
    monkeypatch.setattr(run, "dataset", lambda *_: (tmp_path, {"rows": 10_810, "bytes": 1}))
    monkeypatch.setattr(run, "platform", lambda *_: _sample(3.0))
    monkeypatch.setitem(run.CONTENDERS, "duckdb_script", lambda _: script["sample"])
    return script


def test_contenders_that_published_the_same_tables_are_compared(contenders):
    # The script's money summed in another order: its last bits differ.
    contenders["sample"] = _sample(0.5, fct_orders_amount=300_794.4499999999)
    figures = run.end_to_end(5, 2_000, 7, repetitions=2)
    assert figures["ratio_to_duckdb_script"] == 6.0
    assert figures["published"] == SAME


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"fct_orders_rows": 10_431}, "fct_orders_rows: 10431 != 10432"),
        ({"dim_customers_total_revenue": 277_263.18}, "dim_customers_total_revenue"),
        ({"fct_orders_amount": 300_000.0}, "fct_orders_amount"),
    ],
)
def test_a_script_that_published_other_tables_stops_the_bench(contenders, changed, named):
    contenders["sample"] = _sample(0.5, **changed)
    with pytest.raises(RuntimeError, match="not comparable") as stopped:
        run.end_to_end(5, 2_000, 7, repetitions=1)
    assert named in str(stopped.value)


def test_the_summary_reads_rows_and_money_of_both_tables():
    with duckdb.connect() as conn:
        conn.execute("create schema warehouse")
        conn.execute(
            "create table warehouse.fct_orders as select * from (values (1.25), (2.5)) t(amount)"
        )
        conn.execute("create table warehouse.dim_customers (total_revenue double)")
        assert published.summary(conn) == {
            "fct_orders_rows": 2,
            "fct_orders_amount": 3.75,
            "dim_customers_rows": 0,
            "dim_customers_total_revenue": 0.0,
        }
        assert published.published_rows(published.summary(conn)) == {
            "warehouse.fct_orders": 2,
            "warehouse.dim_customers": 0,
        }


def test_each_section_records_its_wall_and_cpu_seconds():
    results: dict = {}
    with run.section(results, "clv"):
        pass
    with run.section(results, "sensor"):
        pass
    assert set(results["section_seconds"]) == {"clv", "sensor"}
    assert all(set(spent) == {"wall_s", "cpu_s"} for spent in results["section_seconds"].values())


def test_the_table_says_the_contenders_published_the_same_tables(contenders):
    figures = run.end_to_end(5, 2_000, 7, repetitions=1)
    table = report.markdown({"machine": harness.machine(), "end_to_end": figures})
    assert "published the same fct_orders and dim_customers" in table


@pytest.mark.parametrize("mode", ["single", "per-partition"])
def test_the_platform_runs_initialize_their_resources_once_each(mode):
    """A result entered after its run initializes the job's resources again (to load
    outputs), inside the bench's clock; a run worker never does."""
    job = dg.build_reconstructable_job("tests.support.bench_jobs", "reconstructable_counted_job")
    with dg.instance_for_test() as instance:
        run_ids = platform_run._run(job, instance, ["2025-01-01", "2025-01-02"], mode)
        assert len(run_ids) == (1 if mode == "single" else 2)
        for run_id in run_ids:
            inits = instance.get_records_for_run(
                run_id, of_type=dg.DagsterEventType.RESOURCE_INIT_STARTED
            ).records
            assert len(inits) == 1


def _memory_run(orders: int, parts: int, steps: dict) -> dict:
    peaks = [s["peak_rss_mb"] for s in steps.values() if "peak_rss_mb" in s]
    return {"orders": orders, "parts": parts, "steps": steps,
            "max_step_peak_rss_mb": max(peaks, default=None)}  # fmt: skip


def test_a_day_whose_step_failed_misses_the_memory_target():
    """The largest step that ran is not the day's figure when a later step failed."""
    results = {
        "machine": harness.machine(),
        "memory": [
            _memory_run(1_000_000, 8, {"raw_orders": {"peak_rss_mb": 700.0},
                                       "clean_orders": {"peak_rss_mb": 800.0}}),
            _memory_run(8_000_000, 8, {"raw_orders": {"peak_rss_mb": 900.0},
                                       "clean_orders": {"failed": "MemoryError"}}),
        ],
    }  # fmt: skip
    rows = {line.split(" | ")[0]: line for line in report.markdown(results).splitlines()}
    assert rows["| Memory: largest step process, day of 1,000,000 orders in 8 file(s) (MiB)"] == (
        "| Memory: largest step process, day of 1,000,000 orders in 8 file(s) (MiB)"
        " | 800 | <= 1,024 (1 GiB) | met |"
    )
    assert rows["| Memory: largest step process, day of 8,000,000 orders in 8 file(s) (MiB)"] == (
        "| Memory: largest step process, day of 8,000,000 orders in 8 file(s) (MiB)"
        " | clean_orders failed | <= 1,024 (1 GiB) | missed |"
    )


def test_the_table_gives_both_contenders_whole_processes(contenders):
    figures = run.end_to_end(5, 2_000, 7, repetitions=3)
    assert (figures["platform_process_s"], figures["duckdb_script_process_s"]) == (4.0, 1.5)
    table = report.markdown({"machine": harness.machine(), "end_to_end": figures})
    assert (
        "| End to end: platform, whole process: interpreter, imports, definitions (s) | 4.0 |"
        in table
    )
    assert "| End to end: plain DuckDB script, whole process (s) | 1.5 |" in table


def test_the_table_gives_each_sections_cost_and_the_load_when_written():
    results = {
        "machine": harness.machine(),
        "section_seconds": {"end_to_end": {"wall_s": 36.3, "cpu_s": 23.8}},
        "load_average_written": "9.19/9.06/6.61",
    }
    table = report.markdown(results)
    assert "when written 9.19/9.06/6.61 (1, 5, 15 minutes)." in table
    assert (
        "Sections, wall (CPU of the bench and its child processes): end_to_end 36 s (24 s)."
        in table
    )


def test_a_failed_checks_bench_is_a_missed_figure_and_the_bench_goes_on(monkeypatch):
    """bench_checks failing (as when the cleaning refused its run without checks) is said,
    with its error, instead of stopping every section after it."""
    error = "dagster._core.definitions.events.Failure: No day of this run can be cleaned."

    def failing_child(args, check=False, **_):
        if check:
            raise subprocess.CalledProcessError(1, args)
        return subprocess.CompletedProcess(args, 1, "", f"Traceback ...\n{error}\n")

    monkeypatch.setattr(run.subprocess, "run", failing_child)
    figures = run.checks_overhead(1_000, 1)
    assert figures == {"rows": 1_000, "failed": error}
    table = report.markdown({"machine": harness.machine(), "checks_overhead": figures})
    assert (
        "| Checks overhead, one day of --overhead-rows orders (%)"
        " | failed (latest.json: checks_overhead) | <= 15% | missed |"
    ) in table
    assert f"Checks overhead failed: {error}" in table


def test_the_tracing_overhead_is_also_given_in_cpu_seconds(monkeypatch, tmp_path):
    """Wall seconds on a loaded machine swing both ways; the runs' CPU seconds say what
    tracing costs."""
    monkeypatch.setattr(run, "dataset", lambda *_: (tmp_path, {"rows": 1_000}))
    monkeypatch.setattr(run, "platform", lambda *_: {"seconds": 10.0, "cpu_s": 4.0})
    traced = {"seconds": 8.0, "cpu_s": 4.4, "spans_received": 34}
    monkeypatch.setattr(run, "run_child", lambda *_: traced)
    figures = run.tracing_overhead(1_000, 7, repetitions=2)
    assert figures["paired_overhead_pct"] == -20.0
    assert figures["paired_cpu_overhead_pct"] == 10.0
    table = report.markdown({"machine": harness.machine(), "tracing_overhead": figures})
    assert (
        "| Tracing overhead, CPU seconds, median of the same pairs (%) | +10.0 | < 5% | missed |"
        in table
    )
