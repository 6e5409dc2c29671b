"""`make bench`'s checks overhead runs: each stage of one day with its checks, without,
and with them again, on a landing it generates (bench/bench_checks.py)."""

from __future__ import annotations

import json

from bench import bench_checks


def test_the_checks_bench_measures_every_stage_with_and_without_its_checks(monkeypatch, tmp_path):
    # It failed at any size since the cleaning refuses a raw_orders load its blocking
    # checks never judged (a997f1f): one run of every asset without checks was refused.
    monkeypatch.setattr(bench_checks, "RESULTS", tmp_path / "checks.json")
    assert bench_checks.main(["--orders", "60", "--rounds", "1"]) == 0
    figures = json.loads((tmp_path / "checks.json").read_text())
    assert set(figures["stage_s"]) == {"raw_orders", "cleaned_orders", "fct_orders"}
    for stage in figures["stage_s"].values():
        assert stage["without_checks"] > 0 and stage["with_checks"] > 0
    # Every step of the bare runs moved rows; the checked runs also ran the checks' steps.
    assert set(figures["bare_step_s"]) == {"raw_orders", "clean_orders", "warehouse__fct_orders"}
    assert {"raw_orders_schema_drift", "raw_orders_metadata_anomaly"} <= set(figures["step_s"])
    assert "cleaned_orders_gx_quality" in figures["step_s"]
    assert figures["check_steps_s"] > 0
    totals = figures["all_runs_s"]
    assert figures["materialization_s"] == min(totals["without_checks"])
    assert figures["materialization_with_checks_s"] == min(totals["with_checks"])
    # CPU seconds beside the wall seconds: on a shared machine they move less.
    assert figures["cpu_s"]["without_checks"] == min(totals["without_checks_cpu"]) > 0
    assert figures["cpu_s"]["with_checks"] == min(totals["with_checks_cpu"]) > 0
