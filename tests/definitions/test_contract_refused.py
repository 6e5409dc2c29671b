"""The code location refuses a contract the typed tables cannot hold, before any run."""

import dataclasses

import pytest

import orders_platform.definitions as definitions
from orders_core.contract import ColumnSpec, load_contract
from resources.settings import PlatformSettings


def test_a_contract_column_the_typed_tables_lack_stops_the_definitions(monkeypatch):
    shipped = load_contract()
    channel = ColumnSpec(name="channel", type="string", required=False)
    widened = dataclasses.replace(shipped, columns=(*shipped.columns, channel))
    monkeypatch.setattr(definitions, "load_contract", lambda: widened)
    settings = PlatformSettings(partitions_start="2024-02-29")
    with pytest.raises(ValueError, match="'channel' .* not a column of staging.cleaned_orders"):
        definitions.build_definitions.__wrapped__(settings)
