"""A snapshot of the code location, so any change of lineage shows up in review.

Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1 make test`` (or run
this file alone) and commit tests/snapshots/definitions.json with the change.
"""

import json
import os
import subprocess
import sys

import dagster as dg

from orders_platform.definitions import build_definitions
from resources.settings import PlatformSettings
from tests.support import paths

REPO = paths.REPO

SNAPSHOT = paths.SNAPSHOTS / "definitions.json"


def describe(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def
        assets[key.to_user_string()] = {
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "group": node.group_name,
            "partitions": type(partitions).__name__ if partitions else None,
            "partitions_start": partitions.start.strftime("%Y-%m-%d")
            if isinstance(partitions, dg.TimeWindowPartitionsDefinition)
            else None,
            "backfill_policy": str(node.backfill_policy.policy_type)
            if node.backfill_policy
            else None,
            "checks": sorted(check.name for check in node.check_keys),
            "owners": list(node.owners),
            # A digest of the SQL that writes it (orders_core.code_versions): a bump shows
            # here in review beside the SQL snapshots' diff.
            "code_version": node.code_version,
        }
    return {
        "assets": assets,
        "jobs": sorted(
            job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")
        ),
        "schedules": sorted(s.name for s in defs.schedules or []),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


def test_definitions_match_the_snapshot():
    current = describe(build_definitions(PlatformSettings(partitions_start="2025-01-01")))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "The code location changed. If intended, regenerate with UPDATE_SNAPSHOTS=1 and commit "
        "tests/snapshots/definitions.json."
    )


def test_partitions_start_follows_the_setting():
    defs = build_definitions(PlatformSettings(partitions_start="2019-06-01"))
    node = defs.resolve_asset_graph().get(dg.AssetKey("raw_orders"))
    assert node.partitions_def.start.strftime("%Y-%m-%d") == "2019-06-01"


# Imported only where they are used (a fit, a prod resource, the k8s executor, the instance's
# event log storage): each costs from a few tenths of a second to several seconds at every
# code location load and step process.
LAZY_MODULES = (
    "great_expectations",
    "sklearn",
    "scipy.optimize",
    "dagster_snowflake",
    "dagster_aws",
    "dagster_k8s",
    "sqlglot",
    "sqlalchemy",
    "alembic",
)


def test_loading_the_local_definitions_leaves_heavy_libraries_unimported():
    code = (
        "import sys, orders_platform.definitions\n"
        f"print(','.join(m for m in {LAZY_MODULES!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "PLATFORM_ENV": "local"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == ""
