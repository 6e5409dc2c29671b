"""Crash consistency: SIGKILL the run at deterministic points, re-run, compare checksums.

Each case starts a real run in a child process (tests/support/crash_driver.py, forked from a
server that imported it once) that kills itself with SIGKILL at one hook around the
warehouse session: before a write, inside the DuckDB transaction between delete and
insert, after the insert but before the commit, inside the commit once it writes to disk
(its log, then the checkpoint each commit makes), after the commit but before Dagster
records it, once Dagster has recorded the materialization (before the step ends and its
checks run), and between two partitions of a range. Then:

- right after the crash, every partition of every table is either absent or exactly what an
  uninterrupted run writes (no torn, partial or duplicated partition, WAL replayed), read
  once the warehouse's open has put back a checkpoint the kill cut short
  (resources/checkpoint_journal.py);
- a plain re-run on the same warehouse file and Dagster instance gives tables equal, by
  checksum, to those of an uninterrupted run.

The matrix runs raw_orders -> cleaned/quarantined_orders -> fct_orders on two tiny days;
a second matrix kills the full graph at each phase of the whole-table replacements of
customer_metrics and dim_customers.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
from pathlib import Path

import duckdb
import pytest

from resources.checkpoint_journal import prepare
from tests.support.crash_driver import PHASES, run_in_child, run_pipeline
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
WHOLE_TABLES = {
    "customer_metrics": "analytics.customer_metrics",
    "dim_customers": "warehouse.dim_customers",
}
# Killed once the table's commit is done: the new table is there.
COMMITTED = ("after_commit", "after_event")
NEW_CUSTOMER = "zoe"


def crash(workdir: Path, landing: Path, point: str, assets: str = SUBSET) -> str:
    """Run the pipeline in a child process that SIGKILLs itself at ``point``; its output."""
    code, output = run_in_child(
        [
            *("--landing", str(landing), "--duckdb", str(workdir / "orders.duckdb")),
            *("--instance", str(workdir / "instance"), "--start", START, "--end", END),
            *("--assets", assets, "--kill-at", point),
        ],
        workdir / "crash-driver.log",
    )
    assert code == -signal.SIGKILL, output[-3000:]
    assert f"KILL-POINT {point}" in output
    # What the warehouse's next open does first: a kill inside DuckDB's checkpoint can tear
    # the metadata blocks it rewrites in place; their journal puts them back.
    prepare(str(workdir / "orders.duckdb"))
    return output


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


@pytest.fixture(scope="module")
def full_graph(tmp_path_factory, landing_root) -> Path:
    """An uninterrupted run of every asset: its warehouse file and Dagster instance."""
    workdir = tmp_path_factory.mktemp("full-graph")
    assert run_pipeline(
        str(landing_root), str(workdir / "orders.duckdb"), str(workdir / "instance"), START, END
    )
    return workdir


@pytest.fixture(scope="module")
def new_customer_landing(tmp_path_factory, landing_root) -> Path:
    """The landing zone plus a day-1 order of a customer the warehouse has not seen."""
    landing = tmp_path_factory.mktemp("new-customer") / "landing"
    shutil.copytree(landing_root, landing)
    write_csv(
        day_dir(landing, DAY1) / "part-002.csv",
        [order("A7", NEW_CUSTOMER, "2025-01-01T13:00:00Z", "99.00")],
    )
    return landing


@pytest.fixture(scope="module")
def new_customer_baseline(tmp_path_factory, new_customer_landing) -> Path:
    """An uninterrupted run of every asset on the landing zone with the new customer."""
    workdir = tmp_path_factory.mktemp("new-customer-baseline")
    path = workdir / "orders.duckdb"
    assert run_pipeline(str(new_customer_landing), str(path), str(workdir / "instance"), START, END)
    return path


def _customer_rows(duckdb_path: Path, table: str) -> int:
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        return conn.execute(
            f"select count(*) from {table} where customer_id = ?",  # noqa: S608 (constant)
            [NEW_CUSTOMER],
        ).fetchone()[0]


@pytest.mark.parametrize(
    "point", [f"{table}:{phase}" for table in WHOLE_TABLES for phase in PHASES]
)
def test_a_killed_whole_table_replacement_keeps_the_previous_table(
    point, tmp_path, full_graph, new_customer_landing, new_customer_baseline
):
    """customer_metrics and dim_customers are replaced as a whole in one transaction: a
    new customer lands and the run dies inside the replacement; the table is the previous
    one (not empty, not mixed) until the commit, and the re-run converges."""
    table = WHOLE_TABLES[point.partition(":")[0]]
    crashed = tmp_path / "crashed"
    shutil.copytree(full_graph, crashed)
    warehouse = crashed / "orders.duckdb"
    previous = table_checksums(str(full_graph / "orders.duckdb"), [table])
    replaced = table_checksums(str(new_customer_baseline), [table])
    phase = point.partition(":")[2]

    crash(crashed, new_customer_landing, point, assets="")
    after_crash = table_checksums(str(warehouse), [table])
    if phase in COMMITTED:
        assert after_crash == replaced
        assert _customer_rows(warehouse, table) == 1
    elif phase == "in_commit":
        assert after_crash in (previous, replaced), f"{table} torn by a kill inside its commit"
    else:
        assert after_crash == previous, f"{table} changed by a run killed at {point}"

    assert run_pipeline(
        str(new_customer_landing), str(warehouse), str(crashed / "instance"), START, END
    )
    assert table_checksums(str(warehouse), TABLES) == table_checksums(
        str(new_customer_baseline), TABLES
    )
    assert _customer_rows(warehouse, table) == 1
