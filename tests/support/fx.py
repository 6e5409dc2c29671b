"""What customer_metrics' factory takes for FX when a test builds it alone."""

from __future__ import annotations

import dagster as dg

from asset_checks.fx import fx_available_check_result, fx_available_check_spec

# build_analytics_assets' fx_rates key, check spec and check result, as the definitions
# give them.
FX = (
    dg.AssetKey("fx_rates"),
    fx_available_check_spec(dg.AssetKey("customer_metrics")),
    fx_available_check_result,
)
