"""A month of generated orders whose late days are left out every way the platform knows.

From the twenty-second day on (old enough for metadata_anomaly to judge): a volume drop,
a file the platform cannot read (schema_drift fails the day), a day for the test to fail
cleaned_orders' suite on (``tests.support.quality_cases.fail_order_suite``), a gap (no
folder), amounts sent in cents, a volume spike; an order landed in five versions (the
newest valid one on a published day must win; newer ones on held or failing days never
do; an older one landed later does not); a newer version of another order quarantined
(its older one stays published). The fifteenth day's folder is empty, so the
twenty-ninth day, on the drop's weekday, takes its weekday offset from the eighth day
alone when the drop is held; counted (its hold ignored), the offset is the mean of the
two, far below, and that normal day reads as a spike.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import shutil
from pathlib import Path

from devtools.simulate import generate
from devtools.simulate_dirt import CENTS, VOLUME_DROP, VOLUME_SPIKE
from tests.support.batching import START
from tests.support.fixture_data import day_dir

DAYS = [START + dt.timedelta(days=i) for i in range(30)]
# Indexes in DAYS.
EMPTY = 14  # a day folder with no file in it
FIRST = 20  # the first version of both orders
DROP = 21  # 10% of the orders: held
DRIFTING = 22  # an unreadable file next to the orders: schema_drift fails it
FAILING = 23  # the test fails cleaned_orders' suite on it
GAP = 24  # no folder: a range run loads it as a day with no file (held as a drop)
CENTS_DAY = 25  # amounts in cents: held
WINNER = 26  # the order's newest version on a published day; the other's rejected one
OLDER = 27  # an older version of the order, landed later
SAME_WEEKDAY = 28  # EMPTY's and DROP's weekday: normal only if DROP's hold is counted
SPIKE = 29  # x5 orders, judged on a history holding four left-out days
HELD = (DROP, GAP, CENTS_DAY, SPIKE)  # what metadata_anomaly holds
LEFT_OUT = (*HELD, DRIFTING, FAILING)  # a run of only these days fails


def left_out_landing(root: Path) -> tuple[str, str]:
    """Land the month under ``root``; returns the ids of the order landed in several
    versions (WINNER's must be published) and of the order whose newer version is
    quarantined (FIRST's must stay published)."""
    d = DAYS
    anomalies = {d[DROP]: VOLUME_DROP, d[CENTS_DAY]: CENTS, d[SPIKE]: VOLUME_SPIKE}
    generate(root, START, len(d), 150, seed=11, anomalies=anomalies)
    shutil.rmtree(day_dir(root, d[EMPTY]))
    day_dir(root, d[EMPTY]).mkdir()
    shutil.rmtree(day_dir(root, d[GAP]))
    (day_dir(root, d[DRIFTING]) / "notes.txt").write_text("not orders\n")
    with (day_dir(root, d[FIRST]) / "part-000.csv").open(newline="") as handle:
        order, rejected = itertools.islice(csv.DictReader(handle), 2)
    # Updated in the source after they landed (the source's clock): the versions on the
    # left-out days are newer than WINNER's, which is newer than OLDER's.
    for index, updated, amount in (
        (DRIFTING, d[SPIKE], "121.00"),
        (FAILING, d[SPIKE], "122.00"),
        (CENTS_DAY, d[SPIKE], "12300"),
        (WINNER, d[SAME_WEEKDAY], "124.00"),
        (OLDER, d[OLDER], "125.00"),
    ):
        _land(root, d[index], dict(order, amount=amount), updated)
    _land(root, d[WINNER], dict(rejected, amount="-5.00"), d[WINNER])
    return order["order_id"], rejected["order_id"]


def _land(root: Path, day: dt.date, version: dict, updated: dt.date) -> None:
    """Append ``version`` of an order, placed on ``day`` and updated at noon (UTC) on
    ``updated``, to the day's first file."""
    path = day_dir(root, day) / "part-000.csv"
    with path.open(newline="") as handle:
        fields = next(csv.reader(handle))
    version |= {
        "order_ts": f"{day}T01:00:00+00:00",
        "updated_at": f"{updated}T12:00:00+00:00",
        "quantity": "",
        "unit_price": "",
    }
    with path.open("a", newline="") as handle:
        csv.DictWriter(
            handle, fieldnames=fields, quoting=csv.QUOTE_ALL, lineterminator="\n"
        ).writerow(version)
