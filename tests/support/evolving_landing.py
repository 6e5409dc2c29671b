"""A landing zone that changes under the platform, in eight evolutions, and a driver that
runs the platform over it by a script of evolutions, range runs and sensor ticks.

Eight days (2025-01-01..08) and ``fx_rates/``. Orders landed on several days:

- ``tie3`` on days 1, 2, 3 and 5 with ``updated_at`` the same instant written in four
  zones (``Z``, ``-05:00``, ``+01:00``; a later file on day 1 ``+14:00``, another offset-free):
  the later day wins, day 3's, which is re-landed with other content;
- ``offs`` on days 1, 3 and 4, tied across offsets (day 4's is quarantined:
  ``updated_at_before_order_ts``);
- ``qnewer``: day 3's newer version quarantined (day 1's stays published) until day 3 is
  re-landed with it valid, and a version on day 6 that goes when day 6 is emptied;
- ``reopen``: placed, cancelled on day 2, re-opened (shipped) on day 4, cancelled on day
  7, whose version is then re-landed broken (quarantined), and a newer version in a file
  added to day 1 after it was published;
- ``fxmove`` (customer c5): USD on day 1, EUR on day 4, GBP on day 6 (emptied later);
- ``cc1``: its newer version in a late file of day 2 is broken, holding the day's own
  version back (``newer_version_rejected``): the order has no fact;
- ``k1`` and `` k1 `` (the same order once trimmed), on day 2 in two files.

EUR's rate of day 2 lands late and day 4's is corrected; day 5's folder is withdrawn,
day 6's file replaced by a header-only file, day 8's file renamed; day 4 (published) gets
a file without ``amount``: ``schema_drift`` blocks it from then on, so it keeps what its
last passed cleaning published (``DRIFTED``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import dagster as dg

from tests.support.batching import ALL_TABLES
from tests.support.fixture_data import day_dir, order, write_csv, write_jsonl, write_parquet
from tests.support.hostile_days import day_state
from tests.support.local_instance import local_instance
from tests.support.local_platform import local_platform, sensor_resources
from tests.support.order_fixtures import range_tags
from tests.support.pipeline_helpers import table_checksums
from tests.support.requests import execute_request, requested_days

START = dt.date(2025, 1, 1)
D = [START + dt.timedelta(days=i) for i in range(8)]
DRIFTED = 3  # index in D of the day schema_drift blocks once drift_day4 has landed
SENSORS = ("orders_landing_sensor", "fx_rates_sensor")
RATES = "rate_date,currency,rate\n" + "".join(
    f"{D[i]},EUR,1.{10 + i}\n" for i in (0, 2, 3, 4, 5, 6, 7)
)


def _ts(index: int, hour: int) -> str:
    return f"{D[index]}T{hour:02d}:00:00Z"


def _at(index: int, hour: int, offset_hours: int) -> str:
    """The instant D[index] at hour:00 UTC, written in the zone ``offset_hours`` east."""
    instant = dt.datetime(D[index].year, D[index].month, D[index].day, hour, tzinfo=dt.UTC)
    return instant.astimezone(dt.timezone(dt.timedelta(hours=offset_hours))).isoformat()


def initial_landing(root: Path) -> None:
    write_csv(
        day_dir(root, D[0]) / "a.csv",
        [
            order("tie3", "c1", _ts(0, 9), "10.00", updated_at=_ts(5, 10)),
            order("offs", "c2", _ts(0, 9), "5.00", updated_at=_at(2, 10, 2)),
            order("qnewer", "c3", _ts(0, 9), "7.00", updated_at=_ts(0, 9)),
            order("reopen", "c4", _ts(0, 9), "9.00", status="placed", updated_at=_ts(0, 9)),
            order("fxmove", "c5", _ts(0, 9), "100.00", updated_at=_ts(0, 9)),
            order("k0", "c6", _ts(0, 10), "3.00"),
        ],
    )
    write_jsonl(
        day_dir(root, D[1]) / "b.jsonl",
        [
            order("tie3", "c1", _ts(1, 9), "11.00", updated_at=_at(5, 10, -5)),
            order("reopen", "c4", _ts(1, 9), "9.00", status="cancelled", updated_at=_ts(1, 9)),
            order("cc1", "c5", _ts(1, 9), "50.00", currency="EUR"),
            order("k1", "c6", _ts(1, 10), "2.00"),
        ],
    )
    write_csv(
        day_dir(root, D[2]) / "c.csv",
        [
            order("tie3", "c1", _ts(2, 9), "12.00", updated_at=_at(5, 10, 1)),
            order("offs", "c2", _ts(2, 9), "6.00", updated_at=_ts(2, 10)),
            order("qnewer", "c3", _ts(2, 9), "-1", updated_at=_ts(2, 9)),
            order("k2", "c7", _ts(2, 10), "8.00"),
        ],
    )
    write_parquet(
        day_dir(root, D[3]) / "d.parquet",
        [
            order("reopen", "c4", _ts(3, 9), "9.50", status="shipped", updated_at=_ts(3, 9)),
            order("fxmove", "c5", _ts(3, 9), "90.00", currency="EUR", updated_at=_ts(3, 9)),
            order("offs", "c2", _ts(3, 9), "6.50", updated_at=_at(2, 10, -9)),
            order("k3", "c8", _ts(3, 10), "1.00"),
        ],
    )
    write_csv(
        day_dir(root, D[4]) / "e.csv",
        [
            order("tie3", "c1", _ts(4, 9), "14.00", updated_at=_ts(5, 10)),
            order("k4", "c7", _ts(4, 10), "5.00"),
            order("k4b", "c9", _ts(4, 10), "6.00", currency="EUR"),
        ],
    )
    write_csv(
        day_dir(root, D[5]) / "f.csv",
        [
            order("k5", "c9", _ts(5, 10), "5.00"),
            order("qnewer", "c3", _ts(5, 9), "7.50", updated_at=_ts(5, 9)),
            order("fxmove", "c5", _ts(5, 9), "80.00", currency="GBP", updated_at=_ts(5, 9)),
        ],
    )
    write_csv(
        day_dir(root, D[6]) / "g.csv",
        [
            order("k6", "c10", _ts(6, 10), "5.00"),
            order("reopen", "c4", _ts(6, 9), "9.50", status="cancelled", updated_at=_ts(6, 9)),
        ],
    )
    write_csv(day_dir(root, D[7]) / "h.csv", [order("k7", "c10", _ts(7, 10), "6.00")])
    (root / "fx_rates").mkdir(parents=True, exist_ok=True)
    (root / "fx_rates" / "rates.csv").write_text(RATES, encoding="utf-8")


def reland_day3(root: Path) -> None:
    """Day 3's file landed again, changed: 'tie3' and 'offs' tied in other zones with other
    amounts, 'qnewer' now valid (it wins), a new EUR order."""
    write_csv(
        day_dir(root, D[2]) / "c.csv",
        [
            order("tie3", "c1", _ts(2, 9), "12.50", updated_at=_at(5, 10, 3)),
            order("offs", "c2", _ts(2, 9), "6.25", updated_at=_at(2, 10, 0)),
            order("qnewer", "c3", _ts(2, 9), "7.25", updated_at=_ts(2, 9)),
            order("k2", "c7", _ts(2, 10), "8.00"),
            order("k2b", "c7", _ts(2, 11), "8.50", currency="EUR"),
        ],
    )


def add_file_day1(root: Path) -> None:
    """A file added to day 1: a newer 'reopen' (placed again), 'tie3' tied in +14:00."""
    write_csv(
        day_dir(root, D[0]) / "z-late.csv",
        [
            order("reopen", "c4", _ts(0, 9), "9.75", status="placed", updated_at=_ts(7, 9)),
            order("tie3", "c1", _ts(0, 9), "15.00", updated_at=_at(5, 10, 14)),
        ],
    )


def late_file_day2(root: Path) -> None:
    """A late file on day 2 ('tie3' tied, offset-free; 'cc1' newer and broken; ' k1 ')
    and day 8's file renamed."""
    write_csv(
        day_dir(root, D[1]) / "late.csv",
        [
            order("tie3", "c1", _ts(1, 9), "11.11", updated_at=f"{D[5]} 10:00:00"),
            order("cc1", "c5", _ts(1, 9), "-50", currency="EUR", updated_at=_ts(1, 12)),
            order(" k1 ", "c6", _ts(1, 10), "2.22"),
        ],
    )
    (day_dir(root, D[7]) / "h.csv").rename(day_dir(root, D[7]) / "a-renamed.csv")


def empty_day6(root: Path) -> None:
    """Day 6's file replaced by a header-only file."""
    write_csv(day_dir(root, D[5]) / "f.csv", [])


def rates_late_and_corrected(root: Path) -> None:
    rates = root / "fx_rates"
    corrected = RATES.replace(f"{D[3]},EUR,1.13", f"{D[3]},EUR,1.30")
    (rates / "rates.csv").write_text(corrected, encoding="utf-8")
    (rates / "late.csv").write_text(
        f"rate_date,currency,rate\n{D[1]},EUR,1.11\n{D[5]},GBP,1.25\n", encoding="utf-8"
    )


def withdraw_day5(root: Path) -> None:
    shutil.rmtree(day_dir(root, D[4]))


def break_day7(root: Path) -> None:
    """Day 7 landed again with its newest 'reopen' broken (quarantined)."""
    write_csv(
        day_dir(root, D[6]) / "g.csv",
        [
            order("k6", "c10", _ts(6, 10), "5.00"),
            order("reopen", "c4", _ts(6, 9), "abc", status="cancelled", updated_at=_ts(6, 9)),
        ],
    )


def drift_day4(root: Path) -> None:
    """Day 4 (published, holding the winning 'fxmove') gets a file without ``amount``."""
    row = order("no-amount", "c8", _ts(3, 12), "1.00")
    del row["amount"]
    write_csv(day_dir(root, D[3]) / "z.csv", [row], header=list(row))


Change = Callable[[Path], None]
EVOLUTIONS: tuple[Change, ...] = (
    late_file_day2,
    reland_day3,
    add_file_day1,
    empty_day6,
    rates_late_and_corrected,
    withdraw_day5,
    break_day7,
    drift_day4,
)
# A step of a script: a change of the landing zone, a run of days (indexes in D), or
# "tick": both sensors ticked twice, each request executed.
Step = Change | tuple[int, int] | str


def final_landing(root: Path) -> None:
    """The landing zone once every evolution has landed."""
    initial_landing(root)
    for change in EVOLUTIONS:
        change(root)


def evolved(tmp: Path, landing: Path, script: Sequence[Step]) -> tuple[dict, dict, list]:
    """Land :func:`initial_landing` afresh in ``landing``, run ``script`` on a fresh
    instance and warehouse in ``tmp``: every table, the :func:`day_state` of the days, and
    what ran: who launched each run (``by hand`` or the sensor), its days and whether it
    succeeded."""
    shutil.rmtree(landing, ignore_errors=True)
    initial_landing(landing)
    defs, job = local_platform(landing, tmp, START)
    resources = sensor_resources(landing)
    cursors: dict[str, str | None] = {}
    ran: list = []
    with local_instance() as instance:
        for step in script:
            if callable(step):
                step(landing)
            elif step == "tick":
                for name in SENSORS * 2:
                    with dg.build_sensor_context(
                        instance=instance,
                        cursor=cursors.get(name),
                        definitions=defs,
                        resources=resources,
                    ) as context:
                        result = defs.get_sensor_def(name)(context)
                    cursors[name] = result.cursor
                    for request in result.run_requests or []:
                        run = execute_request(job, instance, request, name)
                        ran.append((name, requested_days(request), run.success))
            else:
                first, last = step
                run = job.execute_in_process(
                    instance=instance, tags=range_tags(D[first], D[last]), raise_on_error=False
                )
                days = [str(D[i]) for i in range(first, last + 1)]
                ran.append(("by hand", days, run.success))
        state = day_state(instance, D)
    return table_checksums(str(tmp / "orders.duckdb"), ALL_TABLES), state, ran
