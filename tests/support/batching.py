"""The hostile landing zone of the batching tests, and a range run of the day assets.

An order landed on two days (the newest ``updated_at`` must win in fct_orders whichever
day runs last), a later day carrying an *older* version, offset-free timestamps next to
offset ones in the same file and range, duplicates inside a day, quarantined rows, three
formats and gzip files (one the engine loads, one with a byte-order mark that the reader
reads), and CSV files whose first line is plain but whose rows the engine's strict scan
refuses (one named in Latin-1): two on each of two days, so a range run exhausts its
direct loads and stages every CSV file where a run of one day loads them directly.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import random
import shutil
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import dagster as dg

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.settings import PlatformSettings
from tests.support.fixture_data import day_dir, order, write_csv, write_jsonl, write_parquet
from tests.support.local_instance import local_instance

START = dt.date(2025, 1, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(6)]
ORDER_TABLES = (
    "raw.raw_orders",
    "staging.cleaned_orders",
    "staging.quarantined_orders",
    "warehouse.fct_orders",
)
# Every table the platform writes: the order tables and the customer tables built on them.
ALL_TABLES = (
    *ORDER_TABLES,
    "analytics.customer_metrics",
    "analytics.customer_clv",
    "warehouse.dim_customers",
    "staging.fx_rates",
)
ASSETS = ["raw_orders", "cleaned_orders", "quarantined_orders", "warehouse/fct_orders"]


def _ts(day: dt.date, hour: int, offset: str = "Z") -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00{offset}"


def hostile_landing(root: Path) -> None:
    d = DAYS
    # Day 1: the first version of "twice" and of "older-later"; naive and offset values.
    write_csv(
        day_dir(root, d[0]) / "a.csv",
        [
            order("twice", "c1", _ts(d[0], 9), "10.00", updated_at=_ts(d[0], 10)),
            # updated in the source after day 3's copy was sent (the source's clock)
            order("older-later", "c2", _ts(d[0], 9), "20.00", updated_at=_ts(d[4], 12)),
            order("naive", "c3", f"{d[0]} 08:00:00", "5.00"),
            order("offset", "c3", _ts(d[0], 12, "+05:00"), "6.00"),
            order("dup", "c4", _ts(d[0], 7), "1.00", updated_at=_ts(d[0], 7)),
            order("dup", "c4", _ts(d[0], 7), "2.00", updated_at=_ts(d[0], 8)),
            order("bad", "c5", _ts(d[0], 7), "-3"),
            # a newer version of it lands on day 6, quarantined: this one stays published
            order("rejected-later", "c2", _ts(d[0], 9), "30.00", updated_at=_ts(d[0], 9)),
        ],
    )
    # Day 2: JSON Lines, a naive value alone in its file.
    write_jsonl(
        day_dir(root, d[1]) / "b.jsonl",
        [
            order("j1", "c1", f"{d[1]}T06:30:00", "7.50"),
            order("j2", "c6", _ts(d[1], 6, "-03:00"), "8.25", status="Shipped"),
        ],
    )
    # Day 3: "twice" again with a newer updated_at (this version must win), and
    # "older-later" with an older one (day 1's version must stay current).
    write_parquet(
        day_dir(root, d[2]) / "c.parquet",
        [
            order("twice", "c1", _ts(d[2], 9), "11.00", updated_at=_ts(d[2], 10)),
            order("older-later", "c2", _ts(d[2], 1), "99.00", updated_at=_ts(d[2], 1)),
            order("p1", "c7", _ts(d[2], 15), "3.00"),
        ],
    )
    # Day 4: nothing landed. Day 5: mixed offsets in one file, a lower-case marker.
    day_dir(root, d[3]).mkdir(parents=True, exist_ok=True)
    write_csv(
        day_dir(root, d[4]) / "e.csv",
        [
            order("m1", "c8", f"{d[4]}T01:00:00", "4.00"),
            order("m2", "c8", _ts(d[4], 23, "+01:00"), "4.00"),
            order("m3", "c9", f"{d[4]}t02:00:00z", "4.00"),
        ],
    )
    # Day 5 also has a gzip file with a byte-order mark (the reader's, not the engine's).
    _gzip(day_dir(root, d[4]) / "g.csv", [order("g1", "c9", _ts(d[4], 3), "2.00")], bom=True)
    # Days 3 and 5: two files each that the engine refuses inside the run's transaction
    # (a ragged row), one of them named in Latin-1.
    _ragged(day_dir(root, d[2]) / "r1.csv", [order("r1", "c1", _ts(d[2], 4), "1.00")])
    _ragged(day_dir(root, d[2]) / "r2.csv", [order("r2", "c2", _ts(d[2], 5), "2.00")])
    _ragged(day_dir(root, d[4]) / "r3.csv", [order("r3", "c3", _ts(d[4], 4), "3.00")])
    _ragged(
        day_dir(root, d[4]) / "r4.csv", [order("r4", "c10", _ts(d[4], 5), "4.00")], b"caf\xe9.csv"
    )
    # Day 6, gzip (the engine's, from a temporary plain copy): "twice" a third time, with
    # an older updated_at than day 3's.
    _gzip(
        day_dir(root, d[5]) / "f.csv",
        [
            order("twice", "c1", _ts(d[5], 9), "12.00", updated_at=_ts(d[5], 1)),
            order("rejected-later", "c2", _ts(d[5], 9), "-5", updated_at=_ts(d[5], 9)),
        ],
    )


def withdraw_and_shrink(root: Path) -> None:
    """Change :func:`hostile_landing` after it ran: day 3's folder is withdrawn (it held
    the winning version of "twice", so day 1's must win again, day 6's being
    quarantined, and "p1", customer c7's only order, must go) and day 1's file is
    replaced by a smaller one without "naive", "dup" and "bad" (customer c4 goes, c3
    keeps "offset")."""
    d = DAYS
    shutil.rmtree(day_dir(root, d[2]))
    write_csv(
        day_dir(root, d[0]) / "a.csv",
        [
            order("twice", "c1", _ts(d[0], 9), "10.00", updated_at=_ts(d[0], 10)),
            order("older-later", "c2", _ts(d[0], 9), "20.00", updated_at=_ts(d[4], 12)),
            order("offset", "c3", _ts(d[0], 12, "+05:00"), "6.00"),
            order("rejected-later", "c2", _ts(d[0], 9), "30.00", updated_at=_ts(d[0], 9)),
        ],
    )


def lone_cr_landing(root: Path) -> None:
    """Two days; the second's CSV file ends its lines with LF and holds lone CRs outside
    quotes, each inside a line that looks like two records. Read as two records, they
    started on one line and shared the raw row's key (day, file, line): cleaning lost an
    order and quarantined another under its neighbour's reason, so reconciliation held
    the day, and a range run published none of its days where day-by-day runs published
    the first."""
    d = DAYS
    write_csv(day_dir(root, d[0]) / "a.csv", [order("x", "c1", _ts(d[0], 9), "10.00")])
    lines = [
        order("a", "c1", _ts(d[1], 9), "1.00"),
        order("b", "c1", _ts(d[1], 9), "2.00"),
        order("b", "c1", _ts(d[1], 9), "3.00"),
        order("d", "c2", _ts(d[1], 9), "-1"),
        order("e", "c2", _ts(d[1], 9), "4.00"),
        order("f", "c2", _ts(d[1], 9), "5.00"),
    ]
    write_csv(day_dir(root, d[1]) / "b.csv", lines)
    path = day_dir(root, d[1]) / "b.csv"
    header, a, b2, b3, d1, e, f = path.read_bytes().split(b"\n")[:7]
    path.write_bytes(b"\n".join([header, a, b2 + b"\r" + b3, d1 + b"\r" + e, f, b""]))


def _ragged(path: Path, rows: list[dict], name: bytes | None = None) -> None:
    """Land rows as CSV followed by a row of one field (plain to a first look, refused by
    the engine's strict scan), under ``name`` (bytes, any encoding) if given."""
    write_csv(path, rows)
    with path.open("ab") as handle:
        handle.write(b"ragged\n")
    if name is not None:
        os.rename(path, os.path.join(os.fsencode(path.parent), name))


def _gzip(path: Path, rows: list[dict], *, bom: bool = False) -> None:
    """Land rows as ``<path>.gz``: CSV text (after a byte-order mark), gzip-compressed."""
    write_csv(path, rows)
    text = (b"\xef\xbb\xbf" if bom else b"") + path.read_bytes()
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(text, mtime=0))
    path.unlink()


def run(settings: PlatformSettings, instance, first: dt.date, last: dt.date) -> None:
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey.from_user_string(key) for key in ASSETS],
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )
    assert result.success


def settings_for(landing: Path, folder: Path) -> PlatformSettings:
    """The local platform over ``landing``, its warehouse file in ``folder``, from START."""
    return PlatformSettings(
        landing_uri=str(landing),
        duckdb_path=str(folder / "orders.duckdb"),
        partitions_start=START.isoformat(),
    )


def tables_after(
    tmp: Path,
    landing: Path,
    batches: list[tuple[int, int]],
    failing: Collection[int] = (),
    days: Sequence[dt.date] = DAYS,
) -> dict:
    """Every table after running the whole graph over ``batches`` (pairs of indexes in
    ``days``, from :data:`START`) on a fresh instance and warehouse in ``tmp``: a run
    holding only days of ``failing`` (indexes) fails (Dagster's own block), any other
    succeeds."""
    from tests.support.pipeline_helpers import table_checksums

    *_, warehouse = _batches_run(tmp, landing, batches, failing, days)
    return table_checksums(warehouse, ALL_TABLES)


def tables_along(
    tmp: Path,
    landing: Path,
    batches: list[tuple[int, int]],
    failing: Collection[int],
    days: Sequence[dt.date],
) -> list[dict]:
    """:func:`tables_after` over ``days`` (from :data:`START`; ``batches`` and
    ``failing`` are indexes in it), with every table after each batch in turn (the first
    must build them: not a failing day alone)."""
    from tests.support.pipeline_helpers import table_checksums

    return [
        table_checksums(warehouse, ALL_TABLES)
        for warehouse in _batches_run(tmp, landing, batches, failing, days)
    ]


def _batches_run(
    tmp: Path,
    landing: Path,
    batches: list[tuple[int, int]],
    failing: Collection[int],
    days: Sequence[dt.date],
) -> Iterator[str]:
    """Run the whole graph over each batch in turn, yielding the warehouse file after
    each; a run holding only days of ``failing`` must fail, any other succeed."""
    from tests.support.pipeline_helpers import run_range

    settings = settings_for(landing, tmp)
    with local_instance() as instance:
        for first, last in batches:
            result = run_range(
                settings, instance, str(days[first]), str(days[last]), raise_on_error=False
            )
            only_failing = all(i in failing for i in range(first, last + 1))
            assert result.success != only_failing, (first, last)
            yield settings.duckdb_path


def random_batches(
    seed: int, again: bool = False, days: int = len(DAYS), cuts: tuple[int, int] | None = None
) -> list[tuple[int, int]]:
    """Contiguous chunks covering ``days`` days (pairs of indexes, :data:`DAYS` by
    default), in a random order drawn from ``seed``, cut in between ``cuts`` places (at
    least one, at most every day apart by default); ``again``: one of them run a second
    time at the end."""
    rng = random.Random(seed)
    fewest, most = cuts or (1, days - 1)
    places = sorted(rng.sample(range(1, days), rng.randint(fewest, most)))
    bounds = [0, *places, days]
    chunks = [(a, b - 1) for a, b in zip(bounds, bounds[1:], strict=False)]
    rng.shuffle(chunks)
    return chunks + rng.sample(chunks, 1) if again else chunks
