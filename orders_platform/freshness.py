"""One freshness policy for every published table.

Orders land once a day, so a published table is expected to be rebuilt daily: it
warns when its latest materialization is more than 26 hours old (a daily run is late)
and fails after 48 hours (a whole day was missed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import dagster as dg

PUBLISHED_TAG = ("layer", "published")
PUBLISHED_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=48), warn_window=dt.timedelta(hours=26)
)


def is_published(spec: dg.AssetSpec) -> bool:
    """Published tables carry the tag layer=published."""
    key, value = PUBLISHED_TAG
    return spec.tags.get(key) == value


def apply_published_freshness(
    assets: Iterable[dg.AssetsDefinition],
) -> list[dg.AssetsDefinition]:
    """The assets, with :data:`PUBLISHED_FRESHNESS` on every published one."""
    return dg.map_asset_specs(
        lambda spec: (
            dg.apply_freshness_policy(spec, PUBLISHED_FRESHNESS) if is_published(spec) else spec
        ),
        list(assets),
    )
