"""The Great Expectations suites of the typed order tables, built from the contract.

Each expectation is a GX Core 1.x expectation *configuration*: GX's own type name
(``expect_column_values_to_be_in_set``) and keyword arguments, the form GX stores an
``ExpectationSuite`` in. :func:`gx_suite` turns a list into a real
``great_expectations.ExpectationSuite`` (GX checks every argument); in the platform the
same configurations are compiled to SQL (:mod:`orders_core.sql.quality`) and run inside
the warehouse engine, so no day of rows leaves it and GX is not imported when a check
runs (it takes seconds). ``tests/integration/test_checks_quality.py`` validates the
suites with GX itself on small days and requires the engine's results to equal GX's,
expectation by expectation.

Both suites judge a *batch*: the day's rows of a table plus two derived columns
(:data:`DERIVED_COLUMNS`), so that every rule is a standard GX expectation and the
suite is the same for every day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orders_core.contract import CURRENCY_COLUMN, ColumnSpec, Contract
from orders_core.tables import QUALITY_COLUMNS

# |amount - quantity * unit_price| / amount where both line values are set (NULL
# otherwise, which GX column expectations skip); an amount of 0 with non-zero lines is an
# infinite error.
AMOUNT_LINE_ERROR = "amount_line_error"
# Seconds from the partition day's UTC midnight to order_ts: one range for every day.
ORDER_TS_OFFSET = "order_ts_seconds_into_day"
DERIVED_COLUMNS = (AMOUNT_LINE_ERROR, ORDER_TS_OFFSET)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Expectation:
    """One GX expectation configuration: its type and keyword arguments."""

    type: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str:
        """The column(s) it judges, as the check's results table names them; with the rows
        it judges when a row condition picks them (``amount where currency IN (JPY, ...)``)."""
        kwargs = self.kwargs
        column = (
            kwargs.get("column")
            or ", ".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
            or "(table)"
        )
        condition = kwargs.get("row_condition")
        return column if condition is None else f"{column} where {shown_condition(condition)}"


# A row condition names at most this many values; the rest are counted.
SHOWN_VALUES = 6


def shown_condition(condition: Mapping[str, Any]) -> str:
    """A row condition (GX's serialized ``ComparisonCondition``) as a short text."""
    values = [str(v) for v in condition["parameter"]]
    more = len(values) - SHOWN_VALUES
    listed = ", ".join(values[:SHOWN_VALUES]) + (f", ... {len(values)} codes" if more > 0 else "")
    operator = "NOT IN" if condition["operator"] == "NOT_IN" else condition["operator"]
    return f"{condition['column']['name']} {operator} ({listed})"


def currency_condition(codes: Sequence[str], listed: bool = True) -> dict[str, Any]:
    """GX 1.x's row condition (a ``ComparisonCondition``, serialized as GX stores it) that
    picks the rows whose currency is (``listed``) or is not one of ``codes``."""
    return {
        "type": "comparison",
        "column": {"name": CURRENCY_COLUMN},
        "operator": "IN" if listed else "NOT_IN",
        "parameter": list(codes),
    }


def _between_bounds(spec: ColumnSpec) -> list[Expectation]:
    """The range of a number column: one expectation, or with ``max_by_currency`` one
    for the currencies it does not list (``max``) and one per bound value for the
    currencies sharing it, each picking its rows by a row condition on the currency."""
    if not spec.max_by_currency:
        return [
            _expect(
                "expect_column_values_to_be_between",
                column=spec.name,
                min_value=spec.min,
                max_value=spec.max,
            )
        ]
    listed = [code for code, _ in spec.max_by_currency]
    groups = [(spec.max, currency_condition(listed, listed=False))]
    groups += [(bound, currency_condition(codes)) for bound, codes in spec.max_groups()]
    return [
        _expect(
            "expect_column_values_to_be_between",
            column=spec.name,
            min_value=spec.min,
            max_value=bound,
            row_condition=condition,
        )
        for bound, condition in groups
    ]


def _expect(type_: str, **kwargs: Any) -> Expectation:
    return Expectation(type_, kwargs)


def _order_ts_in_its_day() -> Expectation:
    """order_ts falls inside its partition's UTC day (seconds since that midnight)."""
    return _expect(
        "expect_column_values_to_be_between",
        column=ORDER_TS_OFFSET,
        min_value=0,
        max_value=SECONDS_PER_DAY,
        strict_max=True,
    )


def character_class(characters: str) -> str:
    """A regex class of ``characters`` that Python, RE2 and Snowflake's POSIX engine read
    alike: no backslashes (literal inside POSIX brackets), ``]`` first, ``-`` last."""
    chars = sorted(set(characters), key=lambda c: (c != "]", c == "-", c == "^", c))
    if chars == ["^"]:
        return r"\^"
    return "[" + "".join(chars) + "]"


def order_suite(contract: Contract) -> list[Expectation]:
    """Expectations for one day of typed orders (cleaned_orders), from the contract."""
    suite = [_expect("expect_column_values_to_not_be_null", column=n) for n in contract.required]
    suite += [
        _expect("expect_column_values_to_not_be_null", column="updated_at"),
        _expect("expect_column_values_to_be_unique", column=contract.dedup_key),
    ]
    for spec in contract.columns:
        if spec.pii or spec.name not in QUALITY_COLUMNS:
            continue
        if spec.min is not None or spec.max is not None:
            suite += _between_bounds(spec)
        if spec.allowed is not None:
            suite.append(
                _expect(
                    "expect_column_values_to_be_in_set",
                    column=spec.name,
                    value_set=list(spec.allowed),
                )
            )
        if spec.pattern is not None:
            suite.append(
                _expect("expect_column_values_to_match_regex", column=spec.name, regex=spec.pattern)
            )
        if spec.max_length is not None:
            suite.append(
                _expect(
                    "expect_column_value_lengths_to_be_between",
                    column=spec.name,
                    min_value=1,
                    max_value=spec.max_length,
                )
            )
    if contract.formula_prefixes:
        formula = "^" + character_class(contract.formula_prefixes)
        suite += [
            _expect("expect_column_values_to_not_match_regex", column=spec.name, regex=formula)
            for spec in contract.free_text
            if not spec.pii
        ]
    suite += [
        _order_ts_in_its_day(),
        _expect(
            "expect_column_pair_values_a_to_be_greater_than_b",
            column_A="updated_at",
            column_B="order_ts",
            or_equal=True,
        ),
        _expect(
            "expect_column_values_to_be_between",
            column=AMOUNT_LINE_ERROR,
            min_value=0,
            max_value=contract.quality.amount_line_tolerance,
        ),
        _expect(
            "expect_column_values_to_match_regex",
            column="customer_email_hash",
            regex=contract.quality.email_hash_pattern,
        ),
    ]
    return suite


def publication_suite(
    contract: Contract, table_columns: Sequence[str], expected_rows: int
) -> list[Expectation]:
    """Expectations for one day of a published copy of the cleaned orders.

    The content rules were met upstream (cleaned_orders' suite); what publication can
    break is the shape: exactly ``table_columns`` (no lineage, no PII in clear; the
    derived columns added), ``expected_rows`` rows (the day's current order versions:
    none lost or doubled), keys present and unique, orders of the right day.
    """
    amount = contract.column("amount")
    return [
        _expect(
            "expect_table_columns_to_match_set",
            column_set=[*table_columns, *DERIVED_COLUMNS],
            exact_match=True,
        ),
        _expect("expect_table_row_count_to_equal", value=expected_rows),
        *(_expect("expect_column_values_to_not_be_null", column=n) for n in contract.required),
        _expect("expect_column_values_to_be_unique", column=contract.dedup_key),
        _order_ts_in_its_day(),
        *_between_bounds(amount),
    ]


def gx_suite(name: str, expectations: Sequence[Expectation]):
    """The expectations as a Great Expectations ``ExpectationSuite`` (imports GX).

    GX builds each expectation from its configuration and rejects unknown types or
    arguments, so this is also the proof that a suite is valid GX.
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    return gx.ExpectationSuite(
        name=name,
        expectations=[
            ExpectationConfiguration(type=e.type, kwargs=dict(e.kwargs)).to_domain_obj()
            for e in expectations
        ],
    )
