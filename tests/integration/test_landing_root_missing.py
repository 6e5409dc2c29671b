"""A mistyped ORDERS_LANDING_URI (a directory that does not exist) fails raw_orders.

Every day used to be read as landing no file: a backfill succeeded, replaced the range's
raw rows with none, and (days too early to judge) published the days empty, deleting
their facts and customers from the warehouse, exit code 0.
"""

from __future__ import annotations

import dataclasses

import dagster as dg

from tests.support.pipeline_helpers import run_range, table_checksums


def test_a_landing_zone_that_is_not_there_fails_before_any_row_is_replaced(
    settings, instance, tmp_path
):
    assert run_range(settings, instance, "2025-01-01", "2025-01-03").success
    before = table_checksums(settings.duckdb_path)

    typo = dataclasses.replace(settings, landing_uri=str(tmp_path / "landng"))
    result = run_range(typo, instance, "2025-01-01", "2025-01-03", raise_on_error=False)

    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    # Both steps that read the landing zone refuse it: raw_orders, and fx_rates, which
    # would otherwise replace the rates with none.
    assert sorted(failure.step_key for failure in failures) == ["fx_rates", "raw_orders"]
    for failure in failures:
        assert "landng is not a directory (ORDERS_LANDING_URI)" in (
            failure.step_failure_data.user_failure_data.description
        )
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert table_checksums(settings.duckdb_path) == before
