"""What the UI is told, asked of a real dagster-webserver through its GraphQL API."""

from __future__ import annotations

import duckdb
import pytest

from devtools.webserver import Workspace, graphql
from orders_core.code_versions import code_versions
from orders_core.contract import load_contract
from orders_core.sql.cleaning import reason_codes
from platform_assets.assets.staging import QUARANTINED_BY_REASON
from resources.instance_history import ANOMALY_THRESHOLD
from tests.support.ui import PARTITIONS_START

pytestmark = pytest.mark.services

ASSETS = {
    "raw_orders": "ingestion",
    "cleaned_orders": "staging",
    "quarantined_orders": "staging",
    "fx_rates": "staging",
    "customer_metrics": "analytics",
    "customer_clv": "analytics",
    "warehouse/fct_orders": "warehouse",
    "warehouse/dim_customers": "warehouse",
}
EDGES = {
    ("raw_orders", "cleaned_orders"),
    ("raw_orders", "quarantined_orders"),
    ("cleaned_orders", "customer_metrics"),
    ("fx_rates", "customer_metrics"),
    ("cleaned_orders", "warehouse/fct_orders"),
    ("customer_metrics", "customer_clv"),
    ("customer_metrics", "warehouse/dim_customers"),
    ("customer_clv", "warehouse/dim_customers"),
}
PARTITIONED = {"raw_orders", "cleaned_orders", "quarantined_orders", "warehouse/fct_orders"}

METADATA = """
fragment Meta on MetadataEntry {
  __typename label
  ... on TextMetadataEntry { text }
  ... on IntMetadataEntry { intValue }
  ... on FloatMetadataEntry { floatValue }
  ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
  ... on TableColumnLineageMetadataEntry {
    lineage { columnName columnDeps { assetKey { path } columnName } }
  }
  ... on CodeReferencesMetadataEntry {
    codeReferences {
      ... on LocalFileCodeReference { filePath lineNumber }
      ... on UrlCodeReference { url }
    }
  }
}
"""

NODES = (
    METADATA
    + """
{
  assetNodes {
    assetKey { path }
    groupName kinds description isPartitioned opVersion
    owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    dependencyKeys { path }
    partitionDefinition { type fmt }
    partitionStats { numMaterialized numPartitions numFailed }
    backfillPolicy { policyType }
    metadataEntries { ...Meta }
  }
}
"""
)


def _name(key: dict) -> str:
    return "/".join(key["path"])


@pytest.fixture(scope="module")
def nodes(ui_url: str) -> dict[str, dict]:
    return {_name(node["assetKey"]): node for node in graphql(ui_url, NODES)["assetNodes"]}


def _entries(node_or_event: dict) -> dict[str, dict]:
    return {entry["label"]: entry for entry in node_or_event["metadataEntries"]}


def test_every_asset_is_served_with_the_code_version_of_its_sql(nodes):
    # The UI's asset page shows it, and marks a day materialized by another one unsynced.
    expected = code_versions(load_contract())
    assert {name: node["opVersion"] for name, node in nodes.items()} == expected


def test_every_asset_is_served_in_its_group_with_its_dependencies(nodes):
    assert {name: node["groupName"] for name, node in nodes.items()} == ASSETS
    edges = {(_name(dep), name) for name, node in nodes.items() for dep in node["dependencyKeys"]}
    assert edges == EDGES


def test_each_asset_tells_an_analyst_what_it_is_and_who_owns_it(nodes):
    for name, node in nodes.items():
        assert len(node["description"]) > 150, name
        assert node["owners"] and all(o.get("team") for o in node["owners"]), name
        assert "warehouse" in node["kinds"] and 1 < len(node["kinds"]) <= 3, name
    assert set(nodes["raw_orders"]["kinds"]) == {"file", "sql", "warehouse"}
    assert "sql" in nodes["customer_metrics"]["kinds"]


def test_partitioned_assets_show_the_materialized_days(nodes, ui_workspace: Workspace):
    for name, node in nodes.items():
        assert node["isPartitioned"] is (name in PARTITIONED), name
        if name in PARTITIONED:
            assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
            assert node["partitionStats"]["numMaterialized"] == len(ui_workspace.days)
            assert node["partitionStats"]["numFailed"] == 0
            assert node["partitionStats"]["numPartitions"] > len(ui_workspace.days)
            assert node["backfillPolicy"]["policyType"] == "SINGLE_RUN"


def test_columns_table_names_and_code_links_are_declared_before_any_run(nodes):
    for name, node in nodes.items():
        entries = _entries(node)
        table = entries["dagster/table_name"]["text"]
        assert table.endswith(name.split("/")[-1]), name
        columns = entries["dagster/column_schema"]["schema"]["columns"]
        assert columns and all(c["type"] and c["description"] for c in columns), name
        references = entries["dagster/code_references"]["codeReferences"]
        assert any(ref.get("filePath", "").endswith(".py") for ref in references), name


def test_published_tables_declare_column_lineage(nodes):
    lineage = {
        name: {
            entry["columnName"]: {
                (_name(d["assetKey"]), d["columnName"]) for d in entry["columnDeps"]
            }
            for entry in _entries(nodes[name])["dagster/column_lineage"]["lineage"]
        }
        for name in ("warehouse/fct_orders", "warehouse/dim_customers")
    }
    assert lineage["warehouse/fct_orders"]["amount"] == {("cleaned_orders", "amount")}
    assert lineage["warehouse/dim_customers"]["total_revenue"] == {
        ("customer_metrics", "total_revenue")
    }
    fct_columns = [
        c["name"]
        for c in _entries(nodes["warehouse/fct_orders"])["dagster/column_schema"]["schema"][
            "columns"
        ]
    ]
    assert set(lineage["warehouse/fct_orders"]) == set(fct_columns)


CHECKS = """
{
  assetNodes {
    assetKey { path }
    assetChecksOrError {
      ... on AssetChecks {
        checks {
          name description blocking
          executionForLatestMaterialization {
            status
            evaluation { success severity metadataEntries { label ... on TextMetadataEntry { text } } }
          }
        }
      }
    }
  }
}
"""


def test_check_results_are_shown_for_every_table(ui_url: str):
    for node in graphql(ui_url, CHECKS)["assetNodes"]:
        checks = {c["name"]: c for c in node["assetChecksOrError"]["checks"]}
        check = checks["documented_columns"]
        assert check["description"]
        execution = check["executionForLatestMaterialization"]
        assert execution["status"] == "SUCCEEDED", _name(node["assetKey"])
        evaluation = {e["label"]: e.get("text") for e in execution["evaluation"]["metadataEntries"]}
        assert evaluation["undocumented"] == "none"
        assert evaluation["missing_from_table"] == "none"


PARTITION_EVENTS = """
query ($path: [String!]!, $partitions: [String!]) {
  assetNodes(assetKeys: [{path: $path}]) {
    latestMaterializationByPartition(partitions: $partitions) {
      partition
      metadataEntries { label ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue } }
    }
  }
}
"""


def _partition_metadata(url: str, path: list[str], days: list[str]) -> dict[str, dict]:
    data = graphql(url, PARTITION_EVENTS, {"path": path, "partitions": days})
    events = data["assetNodes"][0]["latestMaterializationByPartition"]
    return {
        event["partition"]: {
            e["label"]: e.get("intValue", e.get("floatValue")) for e in event["metadataEntries"]
        }
        for event in events
        if event
    }


def test_plots_get_one_number_per_day_matching_the_warehouse(ui_url, ui_workspace: Workspace):
    days = [day.isoformat() for day in ui_workspace.days]
    facts = _partition_metadata(ui_url, ["warehouse", "fct_orders"], days)
    cleaned = _partition_metadata(ui_url, ["cleaned_orders"], days)
    quarantined = _partition_metadata(ui_url, ["quarantined_orders"], days)
    with duckdb.connect(ui_workspace.settings.duckdb_path, read_only=True) as conn:
        truth = dict(
            (str(day), rows)
            for day, rows in conn.execute(
                "select cast(partition_date as date), count(*) from warehouse.fct_orders group by 1"
            ).fetchall()
        )
        # revenue per day and currency: currencies are never added
        revenue = {
            (str(day), f"orders/revenue/{currency}"): amount
            for day, currency, amount in conn.execute(
                "select cast(partition_date as date), currency, round(sum(amount), 2)"
                " from warehouse.fct_orders group by 1, 2"
            ).fetchall()
        }
    assert set(facts) == set(truth) == set(days)
    for day in days:
        assert facts[day]["dagster/row_count"] == truth[day]
        plotted = {
            (day, key): value
            for key, value in facts[day].items()
            if key.startswith("orders/revenue/")
        }
        assert plotted == pytest.approx({k: v for k, v in revenue.items() if k[0] == day})
        # Each fixture day lands two rows the contract rejects.
        assert cleaned[day]["orders/quarantined_rows"] == 2
        by_reason = {
            key: n for key, n in quarantined[day].items() if key.startswith(QUARANTINED_BY_REASON)
        }
        assert len(by_reason) == len(reason_codes(load_contract())), day
        assert sum(by_reason.values()) == 2, day
        assert cleaned[day][ANOMALY_THRESHOLD] > 0, day
        assert 0 < cleaned[day]["orders/quarantine_rate"] < 0.1


def test_a_day_that_never_ran_has_no_materialization(ui_url, ui_workspace: Workspace):
    unmaterialized = PARTITIONS_START.isoformat()  # a partition before the fixture's days
    assert unmaterialized not in {d.isoformat() for d in ui_workspace.days}
    assert _partition_metadata(ui_url, ["raw_orders"], [unmaterialized]) == {}


REPOSITORY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        jobs { name description }
        schedules { name description cronSchedule executionTimezone pipelineName }
        sensors { name description }
      }
    }
  }
}
"""


def test_jobs_schedules_and_sensors_explain_themselves(ui_url: str):
    (repository,) = graphql(ui_url, REPOSITORY)["repositoriesOrError"]["nodes"]
    for item in [*repository["jobs"], *repository["schedules"], *repository["sensors"]]:
        if not item["name"].startswith("__"):
            assert item["description"], item["name"]
    schedules = {s["name"]: s for s in repository["schedules"]}
    daily = schedules["orders_pipeline_daily"]
    assert (daily["cronSchedule"], daily["executionTimezone"]) == ("0 2 * * *", "UTC")
    assert daily["pipelineName"] == "orders_pipeline"
