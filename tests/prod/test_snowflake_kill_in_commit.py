"""A production run killed inside a Snowflake commit leaves each table as it was or as the
run writes it, never between, and the re-run converges (fakesnow, moto, PostgreSQL).

"Inside the commit" on Snowflake (tests/support/snowflake_crash.py): the process dies in
the connector's ``commit()`` of the transaction replacing a table, either before the
server runs the ``COMMIT`` (never committed) or after (committed, unknown to Dagster).
The three fixture days are run once; then a late file lands on day 2 (a new order, and a
newer version of one of day 1's orders) and the range is run again, killed, in a child
process, then re-run: for a whole-table replacement (customer_metrics; dim_customers is
replaced the same way) and a partitioned one (fct_orders). Every run goes to its own copy of the first run's
fakesnow database file and PostgreSQL instance.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
import signal
from pathlib import Path

import boto3
import duckdb
import pytest

from orders_core import tables
from tests.support.crash_driver import run_in_child
from tests.support.prod_landing import DAYS, upload
from tests.support.prod_pipeline import AWS_ENV, PII_KEY, SNOWFLAKE_ENV
from tests.support.prod_services import deploy_environment, write_deploy_home
from tests.support.prod_tables import canonical_rows
from tests.support.snowflake_crash import main as crash_main

pytestmark = [pytest.mark.services, pytest.mark.slow]

LATE = (
    "order_id,customer_id,order_ts,amount,currency,updated_at\n"
    f"o-late-1,c-99,{DAYS[1]}T12:00:00Z,41.50,USD,{DAYS[1]}T12:00:00Z\n"
    f"o-{DAYS[1]:%m%d}-004,c-98,{DAYS[1]}T13:00:00Z,17.25,USD,{DAYS[1]}T13:00:00Z\n"
).encode()
PARTITIONED = {"raw_orders", "cleaned_orders", "quarantined_orders", "fct_orders"}
# Never committed, for a whole-table replacement and a partitioned table; committed and
# not recorded, for one (its re-run is a re-run after a commit Dagster did not record, as
# after any commit). dim_customers is replaced as customer_metrics is (one SnowflakeSession
# transaction, the same statements' shape): left out, each kill costs 35-60 s of the suite.
KILLS = [
    ("customer_metrics", "in_commit"),
    ("fct_orders", "in_commit"),
    ("customer_metrics", "in_commit_landed"),
]
_copies = itertools.count()


def warehouse_state(db_dir: Path) -> dict[tuple[str, str], str]:
    """A digest of each table's rows, per day for the partitioned tables ("" for the others),
    read from fakesnow's database file."""
    state = {}
    with duckdb.connect(str(db_dir / "ORDERS.db"), read_only=True) as conn:
        for table in tables.TABLES:
            frame = conn.sql(f"select * from {table.qualified}").to_arrow_table().to_pandas()
            frame = frame.rename(columns=str.lower)
            if table.name in PARTITIONED:
                groups = {str(day)[:10]: rows for day, rows in frame.groupby("partition_date")}
            else:
                groups = {"": frame}
            for day, rows in groups.items():
                digest = hashlib.sha256(repr(canonical_rows(rows)).encode()).hexdigest()[:16]
                state[(table.name, day)] = digest
    return state


class Copies:
    """The first run's warehouse and instance, copied for each run of the module."""

    def __init__(self, root: Path, server, landing: str, endpoint: str, environ: dict) -> None:
        self.root, self.server, self.environ = root, server, environ
        self.landing, self.endpoint = landing, endpoint
        self.base = self.new()

    def new(self, template: tuple[Path, str] | None = None) -> tuple[Path, str]:
        """A fakesnow folder and a PostgreSQL database: empty, or copies of ``template``'s."""
        n = next(_copies)
        folder, name = self.root / f"run{n}", f"kill_in_commit_{n}"
        if template:
            shutil.copytree(template[0], folder)
            self.server.create_database(name, template=template[1])
        else:
            (folder / "snowflake").mkdir(parents=True)
            self.server.create_database(name)
        write_deploy_home(folder / "dagster_home")
        return folder, name

    def run(self, copy: tuple[Path, str], kill_at: str = "") -> tuple[int, str]:
        folder, name = copy
        argv = [
            *("--landing", self.landing, "--endpoint", self.endpoint),
            *("--db-dir", str(folder / "snowflake"), "--home", str(folder / "dagster_home")),
        ]
        if kill_at:
            argv += ["--kill-at", kill_at]
        environ = {**self.environ, **deploy_environment(self.server.url(name))}
        return run_in_child(
            argv, folder / f"run-{kill_at or 'whole'}.log", entry=crash_main, environ=environ
        )


@pytest.fixture(scope="module")
def copies(tmp_path_factory, moto_endpoint, postgres_server, fixture_files) -> Copies:
    client = boto3.client("s3", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket="orders-kill-in-commit")
    upload(client, "orders-kill-in-commit", "landing", fixture_files)
    environ = {**AWS_ENV, **SNOWFLAKE_ENV, "PII_HASH_KEY": PII_KEY}
    copies = Copies(
        tmp_path_factory.mktemp("kill-in-commit"),
        postgres_server,
        "s3://orders-kill-in-commit/landing",
        moto_endpoint,
        environ,
    )
    code, output = copies.run(copies.base)
    assert code == 0, output[-3000:]
    upload(client, "orders-kill-in-commit", "landing", {f"orders/date={DAYS[1]}/late.csv": LATE})
    return copies


@pytest.fixture(scope="module")
def states(copies) -> tuple[dict, dict]:
    """Every table before the run that is killed, and after it uninterrupted."""
    reference = copies.new(copies.base)
    code, output = copies.run(reference)
    assert code == 0, output[-3000:]
    before = warehouse_state(copies.base[0] / "snowflake")
    after = warehouse_state(reference[0] / "snowflake")
    changed = {table for (table, _), digest in after.items() if before.get((table, _)) != digest}
    assert {"customer_metrics", "dim_customers", "fct_orders"} <= changed
    return before, after


@pytest.mark.parametrize(("table", "phase"), KILLS, ids=[f"{t}:{p}" for t, p in KILLS])
def test_a_kill_inside_the_commit_leaves_old_or_new_tables_and_the_rerun_converges(
    copies, states, table, phase
):
    before, after = states
    copy = copies.new(copies.base)
    code, output = copies.run(copy, f"{table}:{phase}")
    assert code == -signal.SIGKILL, output[-3000:]
    assert f"KILL-POINT {table}:{phase}" in output

    killed = warehouse_state(copy[0] / "snowflake")
    torn = {key for key, digest in killed.items() if digest not in (before.get(key), after[key])}
    assert torn == set(), "each table's days are the old or the new ones"
    assert set(killed) <= set(before) | set(after)
    written = {key for key in after if key[0] == table and before.get(key) != after[key]}
    assert written, table
    # the server never ran the COMMIT: the table as it was; it ran it: as the run writes it
    expected = before if phase == "in_commit" else after
    assert {key: killed.get(key) for key in written} == {key: expected.get(key) for key in written}

    code, output = copies.run(copy)
    assert code == 0, output[-3000:]
    assert warehouse_state(copy[0] / "snowflake") == after
