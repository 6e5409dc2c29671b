"""Every description the UI shows is read as Markdown, so none may be reStructuredText.

The Dagster UI renders the descriptions of assets, checks, jobs, schedules and sensors
(and of table columns) as Markdown: RST's ``double backticks`` show as stray backticks,
roles like :func:`x` and directives like ``.. note::`` as literal text.
"""

import re
from collections.abc import Iterator

import dagster as dg
import pytest

from orders_platform.definitions import build_definitions
from resources.settings import PlatformSettings

RST = {
    "double backticks": re.compile(r"``"),
    "an RST role (:func:, :mod:, :class:, ...)": re.compile(r":[a-z]+:`"),
    "an RST directive or comment (.. )": re.compile(r"^\s*\.\. ", re.MULTILINE),
    "an RST literal block (::)": re.compile(r"::\s*$", re.MULTILINE),
    "an RST hyperlink (`text <url>`_)": re.compile(r">`_"),
}


def descriptions(defs: dg.Definitions) -> Iterator[tuple[str, str]]:
    """(what, description) of everything the UI describes, without the implicit job."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        yield f"asset {key.to_user_string()}", node.description or ""
        schema = node.metadata.get("dagster/column_schema")
        for column in schema.columns if isinstance(schema, dg.TableSchema) else []:
            yield f"column {key.to_user_string()}.{column.name}", column.description or ""
    for check_key in graph.asset_check_keys:
        yield f"check {check_key.to_user_string()}", graph.get(check_key).description or ""
    for job in defs.resolve_all_job_defs():
        if not job.name.startswith("__"):
            yield f"job {job.name}", job.description or ""
    for schedule in defs.schedules or []:
        yield f"schedule {schedule.name}", schedule.description or ""
    for sensor in defs.sensors or []:
        yield f"sensor {sensor.name}", sensor.description or ""


def rst_markup(text: str) -> list[str]:
    return [name for name, pattern in RST.items() if pattern.search(text)]


@pytest.fixture(scope="module")
def described() -> dict[str, str]:
    return dict(descriptions(build_definitions(PlatformSettings(partitions_start="2025-01-01"))))


def test_no_description_in_the_ui_contains_restructuredtext(described):
    wrong = {what: rst_markup(text) for what, text in described.items() if rst_markup(text)}
    assert wrong == {}


def test_the_sensors_and_every_asset_are_described(described):
    kinds = {what.split()[0] for what in described}
    assert {"asset", "column", "check", "job", "schedule", "sensor"} <= kinds
    undescribed = [
        what
        for what, text in described.items()
        if what.split()[0] in {"asset", "sensor"} and not text.strip()
    ]
    assert undescribed == []
    assert "`metadata_anomaly`" in described["sensor orders_anomaly_sensor"]


@pytest.mark.parametrize(
    "text",
    [
        "the ``metadata_anomaly`` check",
        "see :mod:`asset_checks.anomaly`",
        "scored by :func:`score_partitions`",
        ".. note:: held days",
        "Example::\n\n    dg launch",
        "`Dagster <https://dagster.io>`_",
    ],
)
def test_the_rule_catches_restructuredtext(text):
    assert rst_markup(text)


@pytest.mark.parametrize(
    "text",
    [
        "the `metadata_anomaly` check, run key `<day>:<fingerprint>`",
        "- **newly held**: alerted\n- **released**: run",
        "| feature | value |\n|---|---:|",
        "time 02:00 UTC, ratio 1:2",
    ],
)
def test_the_rule_leaves_markdown_alone(text):
    assert rst_markup(text) == []
