"""The landing-file contract for orders, loaded from ``contract.yaml``.

The YAML file is the single source of truth; this module only gives it types so
that the cleaning transform and the asset checks read the same rules.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")

COLUMN_TYPES = ("string", "timestamp", "decimal", "integer")
SEVERITIES = ("WARN", "ERROR")
DRIFT_KINDS = ("added", "missing_required", "missing_optional", "retyped", "renamed")


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
    # Values of ``allowed`` that make an order no purchase (the status column: cancelled,
    # returned): customer_metrics and the CLV fit count only the other orders.
    not_purchase: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriftPolicy:
    """Severity of each kind of schema drift, and the thresholds that define them."""

    severities: tuple[tuple[str, str], ...] = (
        ("added", "WARN"),
        ("missing_required", "ERROR"),
        ("missing_optional", "WARN"),
        ("retyped", "ERROR"),
        ("renamed", "WARN"),
    )
    retyped_max_unparseable: float = 0.05
    retyped_min_values: int = 20
    renamed_min_score: float = 0.6

    def severity(self, kind: str) -> str:
        """WARN or ERROR for one kind of drift."""
        return dict(self.severities)[kind]


@dataclass(frozen=True)
class QualityRules:
    """Rules of the typed order tables that are not rules of a single landed column."""

    amount_line_tolerance: float = 0.01
    email_hash_pattern: str = "^[0-9a-f]{64}$"


@dataclass(frozen=True)
class FxRules:
    """How amounts in other currencies become the reporting currency (the ``fx`` section).

    ``reporting_currency``: the currency customer_metrics, customer_clv and dim_customers
    state money in; an order in it needs no rate. ``max_rate_age_days``: an order of day D
    is converted at its currency's rate of D or, failing that, of the latest earlier day
    at most this many days before D (FX markets close on weekends and holidays)."""

    reporting_currency: str = "USD"
    max_rate_age_days: int = 4


# The longest rate age the contract may allow: a month-old rate is no day's rate.
MAX_RATE_AGE_LIMIT = 31


@dataclass(frozen=True)
class Contract:
    """The whole landing contract."""

    name: str
    version: int
    columns: tuple[ColumnSpec, ...]
    dedup_key: str
    dedup_order_by: str
    naive_timestamps: str
    partition_column: str = "order_ts"
    formula_prefixes: str = ""
    drift: DriftPolicy = field(default_factory=DriftPolicy)
    quality: QualityRules = field(default_factory=QualityRules)
    fx: FxRules = field(default_factory=FxRules)
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def free_text(self) -> tuple[ColumnSpec, ...]:
        """String columns with no allowed set and no pattern: where formulas could hide."""
        return tuple(
            c
            for c in self.columns
            if c.type == "string" and c.allowed is None and c.pattern is None
        )

    @property
    def not_purchase_statuses(self) -> tuple[str, ...]:
        """The statuses of an order that is not a purchase (``status.not_purchase``): the
        customer metrics leave such orders out. A NULL status is a purchase."""
        if "status" not in self.column_names:
            return ()
        return self.column("status").not_purchase

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"column {name!r} is not in the {self.name} contract")


def _parse_drift(section: dict) -> DriftPolicy:
    """The drift policy: a severity per kind plus the two thresholds."""
    defaults = DriftPolicy()
    severities = dict(defaults.severities)
    for kind in DRIFT_KINDS:
        severity = str(section.get(kind, severities[kind])).upper()
        if severity not in SEVERITIES:
            raise ValueError(f"drift.{kind} must be one of {SEVERITIES}, not {severity!r}")
        severities[kind] = severity
    thresholds = {"retyped_max_unparseable", "retyped_min_values", "renamed_min_score"}
    unknown = set(section) - set(DRIFT_KINDS) - thresholds
    if unknown:
        raise ValueError(f"unknown drift settings: {sorted(unknown)}")
    return DriftPolicy(
        severities=tuple(severities.items()),
        retyped_max_unparseable=float(
            section.get("retyped_max_unparseable", defaults.retyped_max_unparseable)
        ),
        retyped_min_values=int(section.get("retyped_min_values", defaults.retyped_min_values)),
        renamed_min_score=float(section.get("renamed_min_score", defaults.renamed_min_score)),
    )


_COLUMN_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# What a contract and a column may say: a key spelled otherwise (``max_len``, ``allowd``)
# would be ignored, its rule silently not enforced, so it is refused by name.
_CONTRACT_KEYS = frozenset(
    {"name", "version", "partition_column", "dedup", "formula_prefixes", "timestamps"}
    | {"columns", "drift", "quality", "fx"}
)
_FX_KEYS = frozenset(f.name for f in fields(FxRules))
_COLUMN_KEYS = frozenset({f.name for f in fields(ColumnSpec)})
_NORMALIZE = (None, "upper", "lower")


def _refuse_unknown(where: str, given: dict, known: frozenset[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(
            f"{where}: unknown setting(s) {', '.join(map(repr, unknown))}; known: "
            + ", ".join(sorted(known))
        )


def _not_purchase(raw: dict, allowed: list | None) -> tuple[str, ...]:
    """A column's ``not_purchase`` values, each one of its ``allowed`` values: a value
    spelt otherwise (``canceled``) would match no order, which would silently count as a
    purchase. Only the status column says what is a purchase."""
    listed = raw.get("not_purchase")
    if listed is None:
        return ()
    where = f"column {raw['name']!r}: not_purchase"
    if raw["name"] != "status":
        raise ValueError(f"{where} is a setting of the status column only")
    if not isinstance(listed, list):
        raise ValueError(f"{where} must be a list of allowed values, not {listed!r}")
    unknown = [value for value in listed if value not in (allowed or ())]
    if unknown:
        raise ValueError(
            f"{where} lists {', '.join(map(repr, unknown))}, not among its allowed values {allowed}"
        )
    return tuple(dict.fromkeys(listed))


def _parse_fx(section: object, columns: list[ColumnSpec]) -> FxRules:
    """The ``fx`` section: a reporting currency among the currency column's allowed codes
    (a misspelt one would convert nothing), a whole number of days of rate age."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ValueError(f"fx must be a mapping of settings, not {section!r}")
    _refuse_unknown("fx", section, _FX_KEYS)
    defaults = FxRules()
    currency = section.get("reporting_currency", defaults.reporting_currency)
    # One of the currency column's allowed codes (any upper-case three-letter code when
    # it lists none, or when the contract has no currency column).
    allowed = next((c.allowed for c in columns if c.name == "currency"), None)
    code = isinstance(currency, str) and re.fullmatch("[A-Z]{3}", currency) is not None
    if not code or (allowed is not None and currency not in allowed):
        raise ValueError(
            f"fx.reporting_currency {currency!r} is not one of the currency column's allowed"
            " ISO 4217 codes (upper case, e.g. USD)"
        )
    age = section.get("max_rate_age_days", defaults.max_rate_age_days)
    if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_RATE_AGE_LIMIT:
        raise ValueError(
            f"fx.max_rate_age_days must be a whole number of days from 0 to"
            f" {MAX_RATE_AGE_LIMIT}, not {age!r}"
        )
    return FxRules(reporting_currency=currency, max_rate_age_days=age)


def parse_contract(document: dict) -> Contract:
    """Build a :class:`Contract` from a parsed YAML document, validating its shape."""
    _refuse_unknown("contract", document, _CONTRACT_KEYS)
    columns = []
    for raw in document["columns"]:
        _refuse_unknown(f"column {raw.get('name')!r}", raw, _COLUMN_KEYS)
        if raw.get("normalize") not in _NORMALIZE:
            raise ValueError(
                f"column {raw['name']!r}: normalize must be upper or lower, not"
                f" {raw['normalize']!r}"
            )
        if not _COLUMN_NAME.match(str(raw["name"])):
            raise ValueError(
                f"column {raw['name']!r}: names are lower-case SQL identifiers"
                " (letters, digits, _), as the generated SQL uses them unquoted"
            )
        if raw["type"] not in COLUMN_TYPES:
            raise ValueError(f"column {raw['name']!r}: unknown type {raw['type']!r}")
        allowed = raw.get("allowed")
        not_purchase = _not_purchase(raw, allowed)
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
                not_purchase=not_purchase,
            )
        )
    naive = document.get("timestamps", {}).get("naive", "assume_utc")
    if naive not in ("assume_utc", "quarantine"):
        raise ValueError(f"timestamps.naive must be assume_utc or quarantine, not {naive!r}")
    return Contract(
        drift=_parse_drift(document.get("drift", {})),
        quality=QualityRules(**document.get("quality", {})),
        name=document["name"],
        version=int(document["version"]),
        columns=tuple(columns),
        dedup_key=document["dedup"]["key"],
        dedup_order_by=document["dedup"]["order_by"],
        naive_timestamps=naive,
        partition_column=str(document.get("partition_column", "order_ts")),
        formula_prefixes=str(document.get("formula_prefixes", "")),
        fx=_parse_fx(document.get("fx"), columns),
    )


@functools.cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Load and cache the orders contract."""
    with open(path, encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))
