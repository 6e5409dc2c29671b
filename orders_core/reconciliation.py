"""The balance of a cleaning run per day: raw = cleaned + quarantined + superseded.

In rows and in revenue, from the rows of ``orders_core.sql.cleaning.reconciliation_select``
(one per day). The reconciliation check (``asset_checks/reconciliation.py``) judges it;
the cleaning step reads the quarantined rows' revenue from it for quarantined_orders'
metadata (cleaned_orders' figures come from the classification's day summary).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

# A day balances when revenue differs by at most this share of its summed absolute amounts.
RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Reconciliation:
    """The balance of one partition of the cleaning step."""

    raw_rows: int
    cleaned_rows: int
    quarantined_rows: int
    superseded_rows: int
    unparseable_amount_rows: int
    raw_revenue: float
    cleaned_revenue: float
    quarantined_revenue: float
    superseded_revenue: float
    absolute_amounts: float

    @property
    def row_difference(self) -> int:
        return self.raw_rows - self.cleaned_rows - self.quarantined_rows - self.superseded_rows

    @property
    def revenue_difference(self) -> float:
        return self.raw_revenue - math.fsum(
            [self.cleaned_revenue, self.quarantined_revenue, self.superseded_revenue]
        )

    @property
    def balanced(self) -> bool:
        tolerance = RELATIVE_TOLERANCE * max(1.0, self.absolute_amounts)
        return self.row_difference == 0 and abs(self.revenue_difference) <= tolerance


def balances_from_rows(
    rows: Sequence[tuple], days: Sequence[dt.date]
) -> dict[dt.date, Reconciliation]:
    """Balances of ``days`` from the rows of ``reconciliation_select`` (a day without
    any row balances at zero)."""
    found = {row[0]: row for row in rows}
    balances = {}
    for day in days:
        row = found.get(day)
        if row is None:
            balances[day] = Reconciliation(0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)
            continue
        counts = [int(v) for v in row[1:6]]
        sums = [float(v) for v in row[6:11]]
        balances[day] = Reconciliation(*counts, *sums)
    return balances
