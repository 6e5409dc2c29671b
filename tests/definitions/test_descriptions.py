"""Every description the UI shows is read as Markdown, so none may be reStructuredText;
a sensor's page shows its description as plain text, so a sensor's has no Markdown either.

The Dagster UI renders the descriptions of assets, checks and jobs (and of table columns)
as Markdown: RST's ``double backticks`` show as stray backticks, roles like :func:`x` and
directives like ``.. note::`` as literal text. A sensor's page (Automation > the sensor,
Dagster 1.13) shows its description as one paragraph of plain text: Markdown's
``**bold**``, backticks and list items show as they are written, line breaks are lost.
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
    assert "metadata_anomaly" in described["sensor orders_anomaly_sensor"]


# Markdown that a sensor's page would show as written.
MARKDOWN = {
    "bold (**)": re.compile(r"\*\*"),
    "code (`)": re.compile(r"`"),
    "a list item": re.compile(r"^\s*[-*] ", re.MULTILINE),
    "a paragraph break (shown as none)": re.compile(r"\n\s*\n"),
}
# What a person reads at a glance above the sensor's ticks; the details are in the README.
MAX_SENSOR_DESCRIPTION = 600


def test_sensor_pages_show_a_short_plain_text_description(described):
    sensors = {what: text for what, text in described.items() if what.startswith("sensor ")}
    marked = {
        what: [name for name, pattern in MARKDOWN.items() if pattern.search(text)]
        for what, text in sensors.items()
    }
    assert {what: found for what, found in marked.items() if found} == {}
    long = {what: len(text) for what, text in sensors.items() if len(text) > MAX_SENSOR_DESCRIPTION}
    assert long == {}


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
