"""Automation that never builds on a partition whose blocking checks failed.

A blocking check stops downstream steps inside the run that executes it. Across runs
(a sensor or the automation daemon materializing a day later), downstream assets carry
:func:`held_by_blocking_checks`: eager, but only where every blocking check of their
upstream assets has passed on the current materialization. Fixing the data and
re-running the upstream asset (so its checks pass) releases the partition.

An asset that leaves such days out itself (customer_metrics, which reads every day of
cleaned_orders and leaves out those whose checks have not passed, as fct_orders does)
is plain eager: one failed day would otherwise hold the whole table, stale until the
day is fixed, where a run would refresh it without the day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import dagster as dg


def held_by_blocking_checks() -> dg.AutomationCondition:
    """eager(), held while an upstream blocking check has not passed.

    The last term matters for unpartitioned assets over partitioned ones: one failed day
    holds them (customer_clv's checks hold dim_customers).
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
    leaves_out: Collection[dg.AssetKey] = (),
    not_awaited: Collection[dg.AssetKey] = (),
) -> list[dg.AssetsDefinition]:
    """Give every asset with upstream assets and no automation of its own
    :func:`held_by_blocking_checks` (``leaves_out``, the assets that leave out the days
    their upstream's blocking checks have not passed: ``eager()``, which neither waits for
    nor follows the ``not_awaited`` assets: fx_rates, a root asset every run of the job
    reloads, which a refresh of customer_metrics after a cleaning must not wait for);
    root assets are left to the landing sensor."""
    held, eager = held_by_blocking_checks(), dg.AutomationCondition.eager()
    if not_awaited:
        eager = eager.ignore(dg.AssetSelection.assets(*not_awaited))
    return dg.map_asset_specs(
        lambda spec: (
            spec.replace_attributes(automation_condition=eager if spec.key in leaves_out else held)
            if spec.deps and spec.automation_condition is None
            else spec
        ),
        list(assets),
    )
