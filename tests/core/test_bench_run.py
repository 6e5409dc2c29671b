"""`make bench` says what each of its sections cost."""

from __future__ import annotations

from bench import run


def test_each_section_records_its_wall_and_cpu_seconds():
    results: dict = {}
    with run.section(results, "clv"):
        pass
    with run.section(results, "sensor"):
        pass
    assert set(results["section_seconds"]) == {"clv", "sensor"}
    assert all(set(spent) == {"wall_s", "cpu_s"} for spent in results["section_seconds"].values())
