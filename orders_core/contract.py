"""The landing-file contract for orders, loaded from ``contract.yaml``.

The YAML file is the single source of truth; this module only gives it types so
that the cleaning transform and the asset checks read the same rules.
"""

from __future__ import annotations

import functools
import math
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
    # A number column's bound per currency (code -> bound in that currency's major
    # units), sorted by code; ``max`` bounds every currency not listed.
    max_by_currency: tuple[tuple[str, float], ...] = ()
    max_length: int | None = None
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None
    normalize: str | None = None
    pii: bool = False
    # Values of ``allowed`` that make an order no purchase (the status column: cancelled,
    # returned): customer_metrics and the CLV fit count only the other orders.
    not_purchase: tuple[str, ...] = ()

    def max_groups(self) -> tuple[tuple[float, tuple[str, ...]], ...]:
        """``max_by_currency`` as (bound, its currencies in code order), smallest bound
        first: the suites' expectation per bound value, and the bounds the cleaning's
        detail names."""
        groups: dict[float, list[str]] = {}
        for code, bound in self.max_by_currency:
            groups.setdefault(bound, []).append(code)
        return tuple((bound, tuple(codes)) for bound, codes in sorted(groups.items()))


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


# The largest bound a money column may have: money is summed as exact decimals of
# amounts up to this (orders_core.sql.money), and the reconciliation counts a larger
# amount as unparseable.
MAX_MONEY_BOUND = 1e15
# The column whose code chooses a number column's bound in ``max_by_currency``.
CURRENCY_COLUMN = "currency"

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


def _max_by_currency(raw: dict) -> tuple[tuple[str, float], ...]:
    """A column's ``max_by_currency`` as sorted (code, bound) pairs, each bound a positive
    finite number of at most :data:`MAX_MONEY_BOUND` and not below the column's ``min``;
    the codes are checked against the currency column by :func:`_check_currency_bounds`.
    A bound YAML reads as text (``1e9`` without a dot is a string to YAML 1.1) is refused
    rather than compared as text."""
    listed = raw.get("max_by_currency")
    if listed is None:
        return ()
    where = f"column {raw['name']!r}: max_by_currency"
    if raw["type"] not in ("decimal", "integer"):
        raise ValueError(f"{where} is a setting of number columns only")
    if not isinstance(listed, dict):
        raise ValueError(
            f"{where} must map ISO 4217 codes to bounds (JPY: 1000000000), not {listed!r}"
        )
    if raw.get("max") is None:
        raise ValueError(f"{where} needs max, the bound of the currencies it does not list")
    low = raw.get("min")
    pairs = []
    for code, bound in listed.items():
        number = isinstance(bound, int | float) and not isinstance(bound, bool)
        if not number or not math.isfinite(bound) or bound <= 0:
            raise ValueError(
                f"{where}: the bound of {code!r} must be a positive number, not {bound!r}"
            )
        if low is not None and bound < low:
            raise ValueError(f"{where}: the bound of {code!r}, {bound!r}, is below min {low!r}")
        if bound > MAX_MONEY_BOUND:
            raise ValueError(
                f"{where}: the bound of {code!r}, {bound!r}, is above {MAX_MONEY_BOUND:.0e},"
                " the largest amount money is summed exactly up to"
            )
        pairs.append((code, bound))
    return tuple(sorted(pairs, key=lambda pair: str(pair[0])))


def _check_currency_bounds(columns: list[ColumnSpec]) -> None:
    """Every code of a ``max_by_currency`` is one of the currency column's allowed codes
    (an upper-case three-letter code when it lists none): a misspelt code (``YEN``,
    ``jpy``) would bound no order, and the orders of the currency meant would keep the
    default bound, silently."""
    currency = next((c for c in columns if c.name == CURRENCY_COLUMN), None)
    for spec in columns:
        if not spec.max_by_currency:
            continue
        where = f"column {spec.name!r}: max_by_currency"
        if currency is None:
            raise ValueError(f"{where} needs a {CURRENCY_COLUMN} column")
        unknown = [
            code
            for code, _ in spec.max_by_currency
            if not (isinstance(code, str) and re.fullmatch("[A-Z]{3}", code))
            or (currency.allowed is not None and code not in currency.allowed)
        ]
        if unknown:
            raise ValueError(
                f"{where} lists {', '.join(map(repr, unknown))}, not among the currency"
                " column's allowed ISO 4217 codes (upper case, e.g. JPY)"
            )


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
                max_by_currency=_max_by_currency(raw),
                max_length=raw.get("max_length"),
                pattern=raw.get("pattern"),
                allowed=tuple(allowed) if allowed else None,
                normalize=raw.get("normalize"),
                pii=bool(raw.get("pii", False)),
                not_purchase=not_purchase,
            )
        )
    _check_currency_bounds(columns)
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


class ContractLoader(yaml.SafeLoader):
    """YAML's safe loader (anchors and aliases included) refusing a key given twice in one
    mapping: PyYAML keeps the last value without a word, so a currency listed twice in
    ``max_by_currency`` (or a column's ``max`` written twice) would silently lose one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} is given twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_contract_document(path: Path = CONTRACT_PATH) -> dict:
    """The contract file as YAML's safe loader reads it, a key given twice refused."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=ContractLoader)  # noqa: S506 (a SafeLoader)


@functools.cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Load and cache the orders contract."""
    return parse_contract(read_contract_document(path))
