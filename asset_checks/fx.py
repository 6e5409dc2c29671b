"""FX checks, evaluated inside the steps that hold what they judge.

- ``fx_rates_valid`` (on fx_rates): every landed rate row is usable. A row that is not
  (unknown currency, a rate that is not a positive decimal, two different rates for one
  currency and day, a file that cannot be read) is kept in ``staging.fx_rates`` with its
  reason and never used; the check fails naming them. Not blocking: the other rates are
  good, and an order whose day lost its rate is caught by the next check.
- ``fx_rates_available`` (on customer_metrics): every purchase up to the as-of day has a
  rate (its currency is the reporting currency, or a usable rate of its order date or at
  most ``fx.max_rate_age_days`` earlier). An order without one is left out of the metrics
  until its rate lands; the check fails naming each currency and its days. Not blocking:
  the metrics of every other order are right, and holding them would stale every
  customer for one missing rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from orders_core.landing_formats import display_name
from orders_core.pii import redact_emails

FX_RATES_VALID = "fx_rates_valid"
FX_RATES_AVAILABLE = "fx_rates_available"
# How many rows or days a check's description names; its metadata counts them all.
LISTED = 20


def fx_rates_check_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        FX_RATES_VALID,
        asset=asset_key,
        description="Every landed FX rate row is usable: a known currency, an ISO day, a"
        " positive rate, one rate per currency and day (the others are kept in"
        " staging.fx_rates with their reason_code and never used).",
    )


def fx_available_check_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        FX_RATES_AVAILABLE,
        asset=asset_key,
        description="Every purchase up to as_of_date has an FX rate to the reporting currency"
        " (of its order date, or at most fx.max_rate_age_days older). One without is left out"
        " of the metrics until its rate lands, then counted at the next run.",
    )


def fx_rates_check_result(
    asset_key: dg.AssetKey, reasons: Mapping[str, int], listed: Sequence[tuple]
) -> dg.AssetCheckResult:
    """``reasons``: rows per reason code; ``listed``: the first rows with a reason, as
    (reason_code, file shown, line, detail)."""
    bad = sum(reasons.values())
    # A detail may quote landed text (a header cell, a value): shown escaped and masked,
    # as every landed name is, so it cannot forge a log line or leak an address.
    lines = [
        f"{reason} {file}:{line}: {redact_emails(display_name(str(detail)))}"
        for reason, file, line, detail in listed
    ]
    more = f" (and {bad - len(listed)} more)" if bad > len(listed) else ""
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=FX_RATES_VALID,
        passed=bad == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "every landed rate row is usable"
            if not bad
            else f"{bad} landed rate row(s) not used: " + "; ".join(lines) + more
        ),
        metadata={
            "quarantined_rows": bad,
            **{f"reason/{reason}": count for reason, count in sorted(reasons.items())},
        },
    )


def fx_available_check_result(
    asset_key: dg.AssetKey, missing: Mapping[str, Sequence[str]], orders: int
) -> dg.AssetCheckResult:
    """``missing``: per currency, the order days (ISO) with a purchase but no rate;
    ``orders``: how many purchases those are."""
    parts = []
    for currency, days in sorted(missing.items()):
        shown = ", ".join(days[:LISTED]) + (
            f" and {len(days) - LISTED} more" if len(days) > LISTED else ""
        )
        parts.append(f"{currency} on {shown}")
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=FX_RATES_AVAILABLE,
        passed=not missing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "every purchase has a rate to the reporting currency"
            if not missing
            else f"{orders} purchase(s) without a usable FX rate, left out of the metrics"
            f" until their rate lands: {'; '.join(parts)}. Land the rates under fx_rates/:"
            " fx_rates_sensor then runs fx_rates with customer_metrics (docs/backfill-runbook.md,"
            " 'An order without an FX rate')."
        ),
        metadata={
            "orders_without_rate": orders,
            "currencies_without_rate": ", ".join(sorted(missing)) or "none",
        },
    )
