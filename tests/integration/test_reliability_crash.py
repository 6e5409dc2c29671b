"""Crash consistency: SIGKILL the run at deterministic points, re-run, compare checksums.

Each case starts a real run in a subprocess (tests/crash_driver.py) that kills itself with
SIGKILL at one hook around the warehouse IO manager: before a write, inside the DuckDB
transaction between delete and insert, after the insert but before the commit, after the
commit but before Dagster records it, and between two partitions of a range. Then:

- right after the crash, every partition of every table is either absent or exactly what an
  uninterrupted run writes (no torn, partial or duplicated partition, WAL replayed);
- a plain re-run on the same warehouse file and Dagster instance gives tables equal, by
  checksum, to those of an uninterrupted run.

The matrix runs raw_orders -> cleaned/quarantined_orders -> fct_orders on two tiny days;
one case kills the full graph inside the whole-table replacement of customer_metrics.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from resources.settings import REPO_ROOT
from tests.support.crash_driver import PHASES, run_pipeline
from tests.support.fixture_data import DAY1, build_landing, day_dir, order, write_csv
from tests.support.pipeline_helpers import TABLES, table_checksums

pytestmark = pytest.mark.slow

START, END = "2025-01-01", "2025-01-02"
SUBSET = "raw_orders,cleaned_orders,quarantined_orders,warehouse/fct_orders"
SUBSET_TABLES = (
    "raw.raw_orders",
    "staging.cleaned_orders",
    "staging.quarantined_orders",
    "warehouse.fct_orders",
)
PARTITIONED = set(SUBSET_TABLES)
KILL_POINTS = [
    f"{table}:{phase}"
    for table in ("raw_orders", "cleaned_orders", "quarantined_orders", "fct_orders")
    for phase in PHASES
] + ["raw_orders:between_partitions"]


def crash(workdir: Path, landing: Path, point: str, assets: str = SUBSET) -> str:
    """Run the pipeline in a subprocess that SIGKILLs itself at ``point``; its stdout."""
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.crash_driver",
            *("--landing", str(landing), "--duckdb", str(workdir / "orders.duckdb")),
            *("--instance", str(workdir / "instance"), "--start", START, "--end", END),
            *("--assets", assets, "--kill-at", point),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr[-3000:]
    assert f"KILL-POINT {point}" in process.stdout
    return process.stdout


def slices(duckdb_path: Path, tables) -> dict[tuple[str, str | None], str]:
    """Digest of each partition of each existing table (whole table when unpartitioned)."""
    found = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        existing = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for table in tables:
            if table not in existing:
                continue
            rows = conn.execute(f"select * from {table}").df()
            groups = (
                rows.groupby(rows["partition_date"].astype(str))
                if table in PARTITIONED
                else [(None, rows)]
            )
            for key, group in groups:
                lines = sorted(repr(r) for r in group.itertuples(index=False))
                found[(table, key)] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return found


@pytest.fixture(scope="module")
def landing_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crash-landing")
    build_landing(root)
    return root


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, landing_root) -> Path:
    """An uninterrupted run of the matrix assets: the reference warehouse file."""
    workdir = tmp_path_factory.mktemp("baseline")
    path = workdir / "orders.duckdb"
    assert run_pipeline(str(landing_root), str(path), str(workdir / "instance"), START, END, SUBSET)
    return path


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_then_rerun_equals_uninterrupted_run(point, tmp_path, landing_root, baseline):
    crash(tmp_path, landing_root, point)
    warehouse = tmp_path / "orders.duckdb"
    expected_slices = slices(baseline, SUBSET_TABLES)

    if warehouse.exists():
        after_crash = slices(warehouse, SUBSET_TABLES)
        torn = {key for key, digest in after_crash.items() if expected_slices.get(key) != digest}
        assert not torn, f"partitions left half-written by the crash at {point}: {torn}"

    assert run_pipeline(
        str(landing_root), str(warehouse), str(tmp_path / "instance"), START, END, SUBSET
    )
    assert table_checksums(str(warehouse), SUBSET_TABLES) == table_checksums(
        str(baseline), SUBSET_TABLES
    )


def test_a_killed_replacement_keeps_the_previous_rows(tmp_path, landing_root, baseline):
    """A day whose landing file was corrected: dying mid-transaction keeps yesterday's
    published rows intact (not empty, not mixed); the re-run publishes the correction."""
    landing = tmp_path / "landing"
    shutil.copytree(landing_root, landing)
    shutil.copy(baseline, tmp_path / "orders.duckdb")
    old = table_checksums(str(baseline), ["warehouse.fct_orders"])
    write_csv(
        day_dir(landing, DAY1) / "part-002.csv",
        [order("A7", "frank", "2025-01-01T13:00:00Z", "99.00")],
    )

    crash(tmp_path, landing, "fct_orders:after_delete")
    assert table_checksums(str(tmp_path / "orders.duckdb"), ["warehouse.fct_orders"]) == old

    warehouse = tmp_path / "orders.duckdb"
    assert run_pipeline(
        str(landing), str(warehouse), str(tmp_path / "instance"), START, END, SUBSET
    )
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select count(*), count(*) filter (where order_id = 'A7') from warehouse.fct_orders"
        ).fetchone()
    assert rows == (old["warehouse.fct_orders"][0] + 1, 1)


def test_full_graph_killed_inside_the_customer_metrics_replacement(tmp_path, landing_root):
    """The unpartitioned tables are dropped and recreated in one transaction too."""
    reference = tmp_path / "reference"
    assert run_pipeline(
        str(landing_root), str(reference / "orders.duckdb"), str(reference / "instance"), START, END
    )
    crashed = tmp_path / "crashed"
    shutil.copytree(reference, crashed)

    crash(crashed, landing_root, "customer_metrics:after_delete", assets="")
    assert table_checksums(str(crashed / "orders.duckdb")) == table_checksums(
        str(reference / "orders.duckdb")
    ), "the killed re-run must leave the previous tables, customer_metrics included"

    assert run_pipeline(
        str(landing_root), str(crashed / "orders.duckdb"), str(crashed / "instance"), START, END
    )
    assert table_checksums(str(crashed / "orders.duckdb"), TABLES) == table_checksums(
        str(reference / "orders.duckdb"), TABLES
    )
