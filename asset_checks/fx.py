"""FX checks, evaluated inside the steps that hold what they judge.

- ``fx_rates_valid`` (on fx_rates): every landed rate row is usable. A row that is not
  (unknown currency, a rate that is not a positive decimal, two different rates for one
  currency and day, a file that cannot be read) is kept in ``staging.fx_rates`` with its
  reason and never used; the check fails naming them. Not blocking: the other rates are
  good.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

FX_RATES_VALID = "fx_rates_valid"


def fx_rates_check_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        FX_RATES_VALID,
        asset=asset_key,
        description="Every landed FX rate row is usable: a known currency, an ISO day, a"
        " positive rate, one rate per currency and day (the others are kept in"
        " staging.fx_rates with their reason_code and never used).",
    )


def fx_rates_check_result(
    asset_key: dg.AssetKey, reasons: Mapping[str, int], listed: Sequence[tuple]
) -> dg.AssetCheckResult:
    """``reasons``: rows per reason code; ``listed``: the first rows with a reason, as
    (reason_code, file shown, line, detail)."""
    bad = sum(reasons.values())
    lines = [f"{reason} {file}:{line}: {detail}" for reason, file, line, detail in listed]
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
