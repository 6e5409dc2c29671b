"""Automation that never builds on a partition whose blocking checks failed.

A blocking check stops downstream steps inside the run that executes it. Across runs
(a sensor or the automation daemon materializing a day later), downstream assets carry
:func:`held_by_blocking_checks`: eager, but only where every blocking check of their
upstream assets has passed on the current materialization. Fixing the data and
re-running the upstream asset (so its checks pass) releases the partition.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg


def held_by_blocking_checks() -> dg.AutomationCondition:
    """eager(), held while an upstream blocking check has not passed.

    The last term matters for unpartitioned assets over partitioned ones
    (customer_metrics over cleaned_orders): one failed day holds them.
    """
    failed_upstream = dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.any_checks_match(
            dg.AutomationCondition.check_failed(), blocking_only=True
        )
    ).with_label("any_deps_blocking_check_failed")
    return (
        dg.AutomationCondition.eager()
        & dg.AutomationCondition.all_deps_blocking_checks_passed()
        & ~failed_upstream
    ).with_label("eager_unless_blocked")


def apply_blocking_automation(
    assets: Iterable[dg.AssetsDefinition],
) -> list[dg.AssetsDefinition]:
    """Give every asset with upstream assets and no automation of its own
    :func:`held_by_blocking_checks`; root assets are left to the landing sensor."""
    condition = held_by_blocking_checks()
    return dg.map_asset_specs(
        lambda spec: (
            spec.replace_attributes(automation_condition=condition)
            if spec.deps and spec.automation_condition is None
            else spec
        ),
        list(assets),
    )
