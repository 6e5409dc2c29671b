"""A DuckDB session gets what the step process has left of its memory budget."""

import pytest

from resources.warehouse import (
    DUCKDB_BEYOND_LIMIT,
    MIB,
    MIN_SESSION_LIMIT,
    DuckDBWarehouse,
    resident_bytes,
    session_memory_limit,
    size_bytes,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("600MB", 600 * 10**6), ("1GiB", 2**30), ("434MiB", 434 * MIB), (" 1.5 gb ", 1.5 * 10**9)],
)
def test_sizes_are_read_as_duckdb_writes_them(text, expected):
    assert size_bytes(text) == expected


@pytest.mark.parametrize("text", ["600", "lots", "1 GiB of it", "-5MB"])
def test_a_size_without_a_unit_is_refused_by_name(text):
    with pytest.raises(ValueError, match="is not a number and a unit"):
        size_bytes(text)


def test_a_fresh_step_process_keeps_the_configured_limit():
    assert session_memory_limit("600MB", "1GiB", 232 * MIB) == "600MB"


def test_a_fuller_process_gives_duckdb_only_what_is_left():
    # The local run's one process holds about 430 MiB when clean_orders starts.
    left = (2**30 - 430 * MIB - DUCKDB_BEYOND_LIMIT) // MIB
    assert session_memory_limit("600MB", "1GiB", 430 * MIB) == f"{left}MiB"
    assert session_memory_limit(None, "1GiB", 430 * MIB) == f"{left}MiB"


def test_a_full_process_still_gives_duckdb_its_floor():
    assert session_memory_limit("600MB", "1GiB", 1000 * MIB) == f"{MIN_SESSION_LIMIT // MIB}MiB"


def test_without_a_budget_or_a_resident_set_the_limit_is_as_configured():
    assert session_memory_limit("600MB", None, 900 * MIB) == "600MB"
    assert session_memory_limit("600MB", "1GiB", None) == "600MB"


def test_a_session_opens_with_the_lowered_limit(tmp_path):
    resident = resident_bytes()
    assert resident is not None  # Linux, as CI
    # Room for about 300 MiB beyond what the process holds now.
    budget = f"{(resident + DUCKDB_BEYOND_LIMIT) // MIB + 300}MiB"
    warehouse = DuckDBWarehouse(
        database=str(tmp_path / "w.duckdb"), memory_limit="600MB", process_memory_budget=budget
    )
    with warehouse.session() as session:
        [(setting,)] = session.conn.execute("SELECT current_setting('memory_limit')").fetchall()
    mib = float(setting.removesuffix(" MiB"))
    assert MIN_SESSION_LIMIT // MIB <= mib <= 300
