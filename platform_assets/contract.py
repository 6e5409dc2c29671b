"""The landing-file contract for orders, loaded from ``contract.yaml``.

The YAML file is the single source of truth; this module only gives it types so
that the cleaning transform and the asset checks read the same rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")

COLUMN_TYPES = ("string", "timestamp", "decimal", "integer")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the landing contract."""

    name: str
    type: str
    required: bool
    description: str = ""
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None
    normalize: str | None = None
    pii: bool = False


@dataclass(frozen=True)
class Contract:
    """The whole landing contract."""

    name: str
    version: int
    columns: tuple[ColumnSpec, ...]
    dedup_key: str
    dedup_order_by: str
    naive_timestamps: str
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"column {name!r} is not in the {self.name} contract")


def parse_contract(document: dict) -> Contract:
    """Build a :class:`Contract` from a parsed YAML document, validating its shape."""
    columns = []
    for raw in document["columns"]:
        if raw["type"] not in COLUMN_TYPES:
            raise ValueError(f"column {raw['name']!r}: unknown type {raw['type']!r}")
        allowed = raw.get("allowed")
        columns.append(
            ColumnSpec(
                name=raw["name"],
                type=raw["type"],
                required=bool(raw.get("required", False)),
                description=raw.get("description", ""),
                min=raw.get("min"),
                max=raw.get("max"),
                max_length=raw.get("max_length"),
                pattern=raw.get("pattern"),
                allowed=tuple(allowed) if allowed else None,
                normalize=raw.get("normalize"),
                pii=bool(raw.get("pii", False)),
            )
        )
    naive = document.get("timestamps", {}).get("naive", "assume_utc")
    if naive not in ("assume_utc", "quarantine"):
        raise ValueError(f"timestamps.naive must be assume_utc or quarantine, not {naive!r}")
    return Contract(
        name=document["name"],
        version=int(document["version"]),
        columns=tuple(columns),
        dedup_key=document["dedup"]["key"],
        dedup_order_by=document["dedup"]["order_by"],
        naive_timestamps=naive,
    )


@functools.cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Load and cache the orders contract."""
    with open(path, encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))
