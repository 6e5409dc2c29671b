"""The landing contract as set-based SQL: typing, rules, reason codes, deduplication.

Every statement is generated from ``contract.yaml`` and written once, in DuckDB's
dialect with the ``ORDERS_*`` functions of :mod:`orders_core.sql.dialect`, so the same
rules run in DuckDB locally and in Snowflake in production (see ``render``).

The heart is :func:`classify_statements`: one SELECT over the raw rows of some days
that gives every row its typed values, its reason code (the first rule it breaks, in
the order below) and the detail of every rule it breaks, then one UPDATE that settles
which row of an order landed more than once on a day is its current version. The
cleaned, quarantined and superseded rows, and the per-day summaries, are plain SELECTs
over that classification, so that for every day::

    raw rows = cleaned rows + quarantined rows + superseded rows

Rules, in priority order (the first broken one is the reason code):

1. ``malformed_record``: the reader could not parse the record (no other rule runs);
2. ``missing_<column>``: a required value is empty (after stripping whitespace);
3. ``<column>_too_long``;
4. ``invalid_order_ts`` / ``invalid_updated_at``: not ISO-8601 (``YYYY-MM-DD``, then
   optionally ``T`` or a space, ``HH:MM[:SS[.fraction of 1 to 9 digits]]`` and then
   optionally ``Z`` or ``+HH[[:]MM]``; ``t`` and ``z`` are read as ``T`` and ``Z``), or an instant outside UTC
   years 1 to 9999 (``9999-12-31T23:59:59-01:00``). A value without an offset is UTC,
   always: never read with another row's offset;
5. ``timestamp_without_offset`` when the contract says ``naive: quarantine``;
6. numbers: ``invalid_<column>`` (not a plain decimal, too large for a double, or a
   non-zero value that underflows to 0 such as ``1e-400``), then the minimum
   (``negative_<column>`` when it is 0) and the maximum (``<column>_out_of_range``:
   the bound of the row's currency in ``max_by_currency``, else ``max``).
   ``-0`` is read as 0;
7. text: ``invalid_<column>`` for a JSON array or object, a pattern or an allowed set
   (one rule: named once in the detail, however many of them the text fails);
8. ``nul_in_<column>``: free text holding a NUL character (``\\x00``, landed in a CSV
   value, a JSON ``\\u0000`` or a Parquet string), which C-string clients cut the text
   at and PostgreSQL refuses; identifiers and coded values already fail their pattern
   or allowed set;
   ``formula_like_<column>``: free text that starts like a spreadsheet formula;
   ``email_in_<column>``: free text (not the PII column) that holds an e-mail address;
9. ``order_ts_outside_partition``: the UTC date of order_ts is not the landing day;
10. ``updated_at_before_order_ts``;
11. ``amount_mismatch``: amount differs from quantity x unit_price beyond the tolerance
    (the suite's line error, :func:`orders_core.sql.quality.amount_line_error`);
12. ``newer_version_rejected``: a valid row of an order whose version of the same day
    with the same or a newer ``updated_at`` (order_ts when empty) was quarantined. The
    older valid version is not published as if it were current: it waits in quarantine
    until a corrected file re-runs the day.

Deduplication is per landing day: of the valid rows of one order on one day, the newest
``updated_at`` (order_ts when empty) wins; on a tie the later file, then the later line.
"Later file" compares ``source_file``, the file's URI as landed (byte order of the
percent-encoded text, the same in every engine): ``z.csv`` comes after ``%C3%A9.csv``
(``é.csv``), whatever the files' names would compare as. The rule across days (one row per order in ``fct_orders``) is in
:mod:`orders_core.sql.facts`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from orders_core.contract import CURRENCY_COLUMN, MAX_MONEY_BOUND, ColumnSpec, Contract
from orders_core.pii import SQL_HOLDS_EMAIL
from orders_core.sql.dialect import DUCKDB, ascii_case, code_table_join, render, sql_literal
from orders_core.sql.money import money_sum
from orders_core.sql.quality import amount_line_error
from orders_core.tables import CLEANED_ORDERS_COLUMNS, RAW_LINEAGE_COLUMNS

# Strict layouts, written for both engines' regular expressions (no \d, no (?:...)).
DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# A sign is read as a decimal's is: -1 is an integer below quantity's minimum, not text.
INTEGER = r"^[+-]?[0-9]+(\.0*)?$"
# A mantissa with a non-zero digit: such a number read as 0 has underflowed.
NONZERO_MANTISSA = r"^[^eE]*[1-9].*$"
_DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?"
_OFFSET = r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)"
# An offset only after a time: DuckDB cannot read '2025-01-01Z' and Snowflake may, so the
# layout refuses it in both engines rather than leave it to each engine's parser.
TIMESTAMP = f"^{_DATE}({_TIME}{_OFFSET}?)?$"
TIMESTAMP_WITH_OFFSET = f"^{_DATE}{_TIME}{_OFFSET}$"

# The one-row table of HMAC pads (``pad_in``, ``pad_out`` BLOB/BINARY) that cleaning
# joins to hash e-mails; a temporary table of the session, so the key is bound as a
# parameter once and never appears in SQL text or query history.
PADS_TABLE = "orders_hmac_pads"
CLASSIFIED_TABLE = "orders_classified"
# What identifies a raw row (a record starts on one line of one file, which lands on one day).
CLASSIFIED_KEY = ("partition_date", "source_file", "source_line")


def normalized_text(spec: ColumnSpec) -> str:
    """The landed text of ``spec`` as every rule reads it (``t_<name>``): trimmed and,
    for a normalized column of ASCII letters, upper- or lower-cased (``' jpy'`` is JPY;
    :func:`orders_core.sql.dialect.ascii_case`)."""
    value = f"ORDERS_TRIM({spec.name})"
    if spec.normalize in ("upper", "lower"):
        return ascii_case(value, spec.normalize)
    return value


@dataclass(frozen=True)
class Rule:
    """One rule: its reason code, when a row breaks it, and what to say about the row."""

    code: str
    broken: str  # SQL condition over the typed columns
    detail: str  # SQL text expression


# The two reason codes that are not one of the contract's rules: a record the reader could
# not parse (no rule runs on it) and a valid version held back by a newer rejected one.
MALFORMED = "malformed_record"
NEWER_VERSION_REJECTED = "newer_version_rejected"


def reason_codes(contract: Contract) -> tuple[str, ...]:
    """Every reason code the cleaning can give a quarantined row, in priority order:
    the same list whatever the day holds, so a per-reason figure exists on every day."""
    return (MALFORMED, *(rule.code for rule in rules(contract)), NEWER_VERSION_REJECTED)


def rules(contract: Contract) -> list[Rule]:
    """The contract's rules in priority order (see the module docstring)."""
    found: list[Rule] = []
    columns = contract.columns
    for name in contract.required:
        found.append(
            Rule(f"missing_{name}", f"t_{name} IS NULL", sql_literal("required value is empty"))
        )
    for spec in columns:
        if spec.max_length is not None:
            found.append(
                Rule(
                    f"{spec.name}_too_long",
                    f"length(t_{spec.name}) > {spec.max_length}",
                    sql_literal(f"longer than {spec.max_length}"),
                )
            )
    for spec in columns:
        if spec.type == "timestamp":
            found.append(
                Rule(
                    f"invalid_{spec.name}",
                    f"t_{spec.name} IS NOT NULL AND v_{spec.name} IS NULL",
                    f"t_{spec.name}",
                )
            )
    if contract.naive_timestamps == "quarantine":
        naive = " OR ".join(f"n_{s.name}" for s in columns if s.type == "timestamp")
        first = next(s.name for s in columns if s.type == "timestamp")
        found.append(Rule("timestamp_without_offset", naive, f"t_{first}"))
    for spec in columns:
        if spec.type not in ("decimal", "integer"):
            continue
        name = spec.name
        found.append(
            Rule(f"invalid_{name}", f"t_{name} IS NOT NULL AND v_{name} IS NULL", f"t_{name}")
        )
        # The detail of a value out of its bounds is its text as landed, as an invalid
        # one's: a DOUBLE cast to text is printed otherwise by each engine (DuckDB -1.0).
        if spec.min is not None:
            code = f"negative_{name}" if spec.min == 0 else f"{name}_below_minimum"
            found.append(Rule(code, f"v_{name} < {spec.min!r}", f"t_{name}"))
        if spec.max is not None:
            found.append(_out_of_range(spec))
    for spec in columns:
        # One rule per column, however many of its tests the text fails (a nested JSON
        # value, the pattern, the allowed set): the detail names each broken rule once.
        name = spec.name
        tests = []
        if spec.type == "string":
            tests.append(f"ORDERS_IS_JSON_CONTAINER(t_{name})")
        if spec.pattern is not None:
            tests.append(f"NOT ORDERS_MATCH(t_{name}, {sql_literal(spec.pattern)})")
        if spec.allowed is not None:
            allowed = ", ".join(sql_literal(value) for value in spec.allowed)
            tests.append(f"t_{name} NOT IN ({allowed})")
        if tests:
            broken = " OR ".join(f"({test})" for test in tests)
            found.append(
                Rule(f"invalid_{name}", f"t_{name} IS NOT NULL AND ({broken})", f"t_{name}")
            )
    for spec in contract.free_text:
        found.append(
            Rule(
                f"nul_in_{spec.name}",
                f"contains(t_{spec.name}, chr(0))",
                sql_literal("holds a NUL character (U+0000): never published in a text column"),
            )
        )
    if contract.formula_prefixes:
        prefixes = ", ".join(sql_literal(c) for c in contract.formula_prefixes)
        for spec in contract.free_text:
            found.append(
                Rule(
                    f"formula_like_{spec.name}",
                    f"substr(t_{spec.name}, 1, 1) IN ({prefixes})",
                    f"t_{spec.name}",
                )
            )
    for spec in contract.free_text:
        if not spec.pii:
            found.append(
                Rule(
                    f"email_in_{spec.name}",
                    f"ORDERS_SEARCH(t_{spec.name}, {sql_literal(SQL_HOLDS_EMAIL)})",
                    sql_literal("holds an e-mail address (PII is published only as a keyed hash)"),
                )
            )
    found.append(
        Rule(
            "order_ts_outside_partition",
            "v_order_ts IS NOT NULL AND ORDERS_UTC_DATE(v_order_ts) <> partition_date",
            "'UTC date ' || CAST(ORDERS_UTC_DATE(v_order_ts) AS VARCHAR)"
            " || ' in partition ' || CAST(partition_date AS VARCHAR)",
        )
    )
    found.append(Rule("updated_at_before_order_ts", "v_updated_at < v_order_ts", "t_updated_at"))
    tolerance = contract.quality.amount_line_tolerance
    # The product as a fixed-point number of 6 decimals, which both engines print alike
    # (a DOUBLE's text is each engine's own); one over 1e20 (quantity or price out of
    # range too) as the engine prints it, where the cast would overflow.
    product = "v_quantity * v_unit_price"
    found.append(
        Rule(
            "amount_mismatch",
            f"{amount_line_error('v_amount', 'v_quantity', 'v_unit_price')} > {tolerance!r}",
            "'amount ' || t_amount || ' vs quantity x unit_price '"
            f" || CASE WHEN abs({product}) < 1e20"
            f" THEN CAST(CAST(round({product}, 6) AS DECIMAL(38, 6)) AS VARCHAR)"
            f" ELSE CAST({product} AS VARCHAR) END",
        )
    )
    return found


def _bound_text(bound: float) -> str:
    """A bound as the detail of a row above it shows it: ``1000000000``, not ``1e9`` or an
    engine's text of a DOUBLE."""
    return str(int(bound)) if float(bound).is_integer() else repr(bound)


def _out_of_range(spec: ColumnSpec) -> Rule:
    """``<column>_out_of_range``: above the bound of the row's currency (``max_<column>``,
    from ``max_by_currency``) or, when it has none of its own, ``max``.

    A row whose currency is not an allowed code (or is missing) has no bound of its own:
    ``max`` judges it, and it is quarantined for its currency too (``invalid_currency``,
    ``missing_currency``; the first broken rule is the reason code, the detail names
    each). Its detail names the value as landed, the bound and the currency: ``amount
    2500000000 above the JPY bound 1000000000``, each bound's text written here (a DOUBLE
    cast to text is printed otherwise by each engine: DuckDB 1e+20). A column without
    ``max_by_currency`` (quantity) details its value as landed, as an invalid value."""
    name, default = spec.name, spec.max
    if not spec.max_by_currency:
        return Rule(f"{name}_out_of_range", f"v_{name} > {default!r}", f"t_{name}")
    own = " ".join(
        f"WHEN {bound!r} THEN {sql_literal(_bound_text(bound))}" for bound, _ in spec.max_groups()
    )
    return Rule(
        f"{name}_out_of_range",
        f"v_{name} > coalesce(max_{name}, {default!r})",
        f"{sql_literal(name + ' ')} || t_{name} || ' above the ' || CASE WHEN max_{name} IS NULL"
        f" THEN {sql_literal(f'default bound {_bound_text(default)} (')}"
        f" || coalesce(t_{CURRENCY_COLUMN}, 'no currency') || ')'"
        f" ELSE t_{CURRENCY_COLUMN} || ' bound ' || CASE max_{name} {own} END END",
    )


CURRENCY_BOUNDS = "currency_bounds"


def _currency_bounds(contract: Contract) -> tuple[list[str], str]:
    """The ``max_<column>`` columns (the bound ``max_by_currency`` gives the row's
    currency, NULL when it gives none: ``max`` then applies) and the join that brings
    them: one LEFT JOIN of the rows to a VALUES list of the table, a row per currency
    (code, then each bounded column's bound). One hash join per row: both bounds of 1M
    rows in 0.04-0.06 s on one DuckDB thread, where a CASE of a code set per bound value
    per column took 0.09-0.12 s as IN lists and 0.14-0.22 s as ORDERS_IN_SET
    (``python -m bench.bound_lookup``; the whole classification takes about 2.5 s)."""
    bounded = [spec for spec in contract.columns if spec.max_by_currency]
    if not bounded:
        return [], ""
    tables = [dict(spec.max_by_currency) for spec in bounded]
    codes = {code for table in tables for code in table}
    names = [f"max_{spec.name}" for spec in bounded]
    join = code_table_join(
        CURRENCY_BOUNDS,
        names,
        {code: [repr(t[code]) if code in t else "NULL" for t in tables] for code in codes},
        f"texts.t_{CURRENCY_COLUMN}",
    )
    return [f"{CURRENCY_BOUNDS}.{name}" for name in names], join


def _typed(spec: ColumnSpec) -> list[str]:
    """The parsed value: ``u_<name>`` (and ``n_<name>``, no offset) for timestamps,
    ``d_<name>`` for numbers; :func:`_in_range` makes the typed ``v_<name>`` of them."""
    name, text = spec.name, f"t_{spec.name}"
    if spec.type == "timestamp":
        upper = f"upper({text})"
        return [
            f"CASE WHEN ORDERS_MATCH({upper}, {sql_literal(TIMESTAMP)}) THEN ORDERS_TO_UTC({upper}) END"
            f" AS u_{name}",
            f"coalesce({text} IS NOT NULL AND NOT ORDERS_MATCH({upper}, {sql_literal(TIMESTAMP_WITH_OFFSET)}),"
            f" false) AS n_{name}",
        ]
    if spec.type in ("decimal", "integer"):
        pattern = DECIMAL if spec.type == "decimal" else INTEGER
        return [
            f"CASE WHEN ORDERS_MATCH({text}, {sql_literal(pattern)}) THEN ORDERS_TO_DOUBLE({text}) END"
            f" AS d_{name}"
        ]
    return []


def _in_range(spec: ColumnSpec) -> str:
    """The typed value ``v_<name>``: an instant of UTC years 1 to 9999, a finite number
    that did not underflow (-0 read as 0: adding +0.0 does that).

    The layout's four-digit year can still leave those years by its offset
    (``9999-12-31T23:59:59-01:00`` is year 10000 in UTC, ``0001-01-01T00:00:00+01:00`` a
    year BC): no ISO-8601 UTC text writes such an instant, Python's datetime cannot hold
    it (DuckDB hands it over as text) and Snowflake supports years up to 9999. It was
    published (an updated_at of year 10000 in fct_orders); now it is ``invalid_<column>``,
    as the Parquet reader makes a timestamp outside datetime's range.
    """
    name = spec.name
    if spec.type == "timestamp":
        return f"CASE WHEN ORDERS_IN_YEARS_1_TO_9999(u_{name}) THEN u_{name} END AS v_{name}"
    return (
        f"CASE WHEN ORDERS_IS_FINITE(d_{name}) AND NOT (d_{name} = 0"
        f" AND ORDERS_MATCH(t_{name}, {sql_literal(NONZERO_MANTISSA)})) THEN d_{name} + 0.0 END AS v_{name}"
    )


def raw_columns(contract: Contract) -> list[str]:
    """The columns of raw.raw_orders, in order."""
    return [*contract.column_names, *RAW_LINEAGE_COLUMNS, "partition_date"]


def _malformed(spec: ColumnSpec) -> str:
    """``m_<name>``: a present value that does not parse as the contract type (for text:
    a nested JSON value). The one definition cleaning and the drift check share."""
    name = spec.name
    if spec.type == "string":
        return f"coalesce(ORDERS_IS_JSON_CONTAINER(t_{name}), false) AS m_{name}"
    return f"(t_{name} IS NOT NULL AND v_{name} IS NULL) AS m_{name}"


def _conforms(spec: ColumnSpec) -> str:
    """``ok_<name>``: a present value that meets every rule of its column alone (type,
    pattern, allowed set); what the drift check compares a renamed column's values to."""
    name = spec.name
    parts = [f"t_{name} IS NOT NULL", f"NOT m_{name}"]
    if spec.pattern is not None:
        parts.append(f"ORDERS_MATCH(t_{name}, {sql_literal(spec.pattern)})")
    if spec.allowed is not None:
        parts.append(f"t_{name} IN ({', '.join(sql_literal(v) for v in spec.allowed)})")
    return f"coalesce({' AND '.join(parts)}, false) AS ok_{name}"


def _typed_ctes(contract: Contract, source: str, where: str, conforms: bool = True) -> str:
    """The CTEs typing ``source``; the last one, ``checked``, has every column (the
    ``ok_`` ones only when ``conforms``: cleaning does not need them)."""
    columns = contract.columns
    typed_columns = [s for s in columns if s.type in ("decimal", "integer", "timestamp")]
    texts = ",\n    ".join(f"{normalized_text(spec)} AS t_{spec.name}" for spec in columns)
    own_bounds, bounds_join = _currency_bounds(contract)
    typed = ",\n    ".join([*own_bounds, *(part for spec in columns for part in _typed(spec))])
    bounds = ",\n    ".join(_in_range(spec) for spec in typed_columns)
    malformed = ",\n    ".join(_malformed(spec) for spec in columns)
    checks = ",\n    ".join(_conforms(spec) for spec in columns) if conforms else "TRUE AS no_ok"
    filter_sql = f" WHERE {where}" if where else ""
    return f"""texts AS (
  SELECT
    raw.*,
    {texts}
  FROM {source} AS raw{filter_sql}
), typed AS (
  SELECT
    texts.*,
    {typed}
  FROM texts{bounds_join}
), bounded AS (
  SELECT
    typed.*,
    {bounds}
  FROM typed
), flagged AS (
  SELECT
    bounded.*,
    {malformed}
  FROM bounded
), checked AS (
  SELECT
    flagged.*,
    {checks}
  FROM flagged
)"""


def typed_sql(contract: Contract, source: str) -> str:
    """Every row of ``source`` with ``t_*`` (stripped, normalised text), ``v_*`` (typed
    values), ``n_*`` (timestamps without offset), ``m_*`` (malformed) and ``ok_*``."""
    return f"WITH {_typed_ctes(contract, source, '')}\nSELECT * FROM checked"


def classified_columns(contract: Contract) -> tuple[str, ...]:
    """The columns of :data:`CLASSIFIED_TABLE`, in order: the row's key in the raw table,
    ``extra_columns_json``, the values the cleaned row is made of (``t_*`` text, ``v_*``
    typed), ``is_naive``, then the verdict (``reason_code``, ``reason_detail``,
    ``is_current``)."""
    return (
        *CLASSIFIED_KEY,
        "extra_columns_json",
        *(f"{'t' if s.type == 'string' else 'v'}_{s.name}" for s in contract.columns),
        "is_naive",
        "reason_code",
        "reason_detail",
        "is_current",
    )


def classify_sql(contract: Contract, source: str, where: str = "") -> str:
    """One row per raw row of ``source`` (filtered by ``where``), judged row by row.

    Adds to the row's key, ``extra_columns_json`` and the typed columns: ``is_naive``,
    ``reason_code`` and ``reason_detail`` (the rules the row itself breaks) and
    ``is_current`` as if the row were its order's only one that day (TRUE when valid,
    NULL when quarantined). :func:`settle_versions` then settles the orders with
    more than one row on a day; both make the classification (:func:`classify_statements`).
    """
    found = rules(contract)
    record_ok = "parse_error IS NULL"
    whens = " ".join(
        f"WHEN coalesce({record_ok} AND ({rule.broken}), false) THEN {sql_literal(rule.code)}"
        for rule in found
    )
    parts = ", ".join(
        f"CASE WHEN coalesce({record_ok} AND ({rule.broken}), false)"
        f" THEN {sql_literal(rule.code + ': ')} || coalesce({rule.detail}, 'null') END"
        for rule in found
    )
    naive = " OR ".join(f"n_{s.name}" for s in contract.columns if s.type == "timestamp")
    # Only what the later statements read: the row's key in the raw table, the values the
    # cleaned row is made of, the verdict. The landed text is read back by the quarantine
    # for rejected rows only: keeping it made the statement about twice as expensive.
    kept = ", ".join(classified_columns(contract)[:-3])
    return f"""
WITH {_typed_ctes(contract, source, where, conforms=False)}, judged AS (
  SELECT
    checked.*,
    CASE WHEN parse_error IS NOT NULL THEN {sql_literal(MALFORMED)} {whens} END AS rule_code,
    ({naive}) AS is_naive
  FROM checked
)
SELECT
  {kept},
  rule_code AS reason_code,
  -- the detail of every broken rule, built for the rejected rows only
  CASE WHEN parse_error IS NOT NULL THEN 'malformed_record: ' || parse_error
    WHEN rule_code IS NOT NULL THEN ORDERS_JOIN_PRESENT('; ', {parts}) END AS reason_detail,
  CASE WHEN rule_code IS NULL THEN TRUE END AS is_current
FROM judged
"""


SUPERSEDED_DETAIL = (
    "newer_version_rejected: a version of this order of the same day with the same"
    " or a newer updated_at was quarantined; this older one is not published"
)


# Rows of repeated orders settled by an UPDATE of the classification, at most (a normal
# day has about 1 % of its rows repeated): DuckDB keeps an UPDATE's new values of a
# temporary table in memory it cannot spill, some 370 bytes a row here, so more rows are
# settled by writing the table anew (spillable, but a pass over every row: 0.8-1.5 s
# against 0.35-0.47 s of the UPDATE over 30 x 20,000 orders, bench/RESULTS.md, session 36).
SETTLE_IN_PLACE_ROWS = 100_000
SETTLED_TABLE = "orders_settled"


@dataclass(frozen=True)
class SettleVersions:
    """The statements settling the orders with more than one row on a day, in
    :data:`CLASSIFIED_TABLE`: ``settled`` ranks the repeated orders' rows into
    :data:`SETTLED_TABLE`, ``count`` counts them, then ``in_place`` (an UPDATE) or
    ``rewrite`` (the table written anew) gives them their verdicts; :func:`settle_versions`
    runs them. Both give the same table."""

    settled: str
    count: str
    in_place: str
    rewrite: str


def settle_versions_statements(contract: Contract) -> SettleVersions:
    """Settle the orders with more than one row on a day, in :data:`CLASSIFIED_TABLE`.

    Of such an order's valid rows of the day, the newest (``updated_at``, else
    ``order_ts``; then the later file, then the later line) is current and the others
    superseded; but when a rejected row of the order that day is as new or newer than a
    valid one, that valid row is held (``newer_version_rejected``), and so is every
    older one. Only the repeated orders go through the window that ranks versions (about
    1 % of rows in a normal day): ranking every row carried each one through a sort
    (a third of the classification's time at 1M rows).

    A day of a million versions held back (a re-sent day whose newer copy is broken, or
    one order landed a million times) is settled by writing the table anew, not by an
    UPDATE: DuckDB keeps an UPDATE's new values of a temporary table in memory it cannot
    spill, and such a day pinned some 370 MB of reason details and the cleaning ran out
    of a 572 MiB limit (bench/RESULTS.md, session 36). Writing anew is a pass over every
    row, so a normal day, with few repeated orders, keeps the UPDATE
    (:data:`SETTLE_IN_PLACE_ROWS`).
    """
    key = f"t_{contract.dedup_key}"
    version = f"coalesce(v_{contract.dedup_order_by}, v_order_ts)"
    row_key = ", ".join(CLASSIFIED_KEY)
    same_row = " AND ".join(f"target.{name} = settled.{name}" for name in CLASSIFIED_KEY)
    kept = ",\n  ".join(f"target.{name}" for name in classified_columns(contract)[:-3])
    superseded = f"""CASE WHEN settled.superseded THEN {sql_literal(NEWER_VERSION_REJECTED)}
    ELSE target.reason_code END"""
    detail = f"""CASE WHEN settled.superseded THEN {sql_literal(SUPERSEDED_DETAIL)}
    ELSE target.reason_detail END"""
    current = """CASE WHEN target.reason_code IS NULL AND NOT settled.superseded
    THEN settled.version_rank = 1 END"""
    settled = f"""
CREATE OR REPLACE TEMPORARY TABLE {SETTLED_TABLE} AS
SELECT
  {row_key},
  coalesce(rule_code IS NULL AND newest_rejected_ts >= version_ts, false) AS superseded,
  version_rank
FROM (
  SELECT
    {row_key},
    reason_code AS rule_code,
    version_ts,
    max(CASE WHEN reason_code IS NOT NULL THEN version_ts END) OVER (
      PARTITION BY partition_date, {key}
    ) AS newest_rejected_ts,
    row_number() OVER (
      PARTITION BY partition_date, {key}
      ORDER BY reason_code IS NULL DESC, version_ts DESC, source_file DESC, source_line DESC
    ) AS version_rank
  FROM (SELECT *, {version} AS version_ts FROM {CLASSIFIED_TABLE}) AS day_rows
  WHERE EXISTS (
    SELECT 1 FROM (
      SELECT partition_date, {key} FROM {CLASSIFIED_TABLE}
      GROUP BY partition_date, {key} HAVING count(*) > 1
    ) AS repeated
    WHERE repeated.partition_date = day_rows.partition_date
      AND repeated.{key} IS NOT DISTINCT FROM day_rows.{key}
  )
) AS versions
"""  # noqa: S608 (identifiers from the contract and the code)
    in_place = f"""
UPDATE {CLASSIFIED_TABLE} AS target
SET
  reason_code = {superseded},
  reason_detail = {detail},
  is_current = {current}
FROM {SETTLED_TABLE} AS settled
WHERE {same_row}
"""  # noqa: S608 (identifiers from the contract and the code)
    rewrite = f"""
CREATE OR REPLACE TEMPORARY TABLE {CLASSIFIED_TABLE} AS
SELECT
  {kept},
  {superseded} AS reason_code,
  {detail} AS reason_detail,
  CASE WHEN settled.superseded IS NULL THEN target.is_current
    WHEN target.reason_code IS NULL AND NOT settled.superseded
    THEN settled.version_rank = 1 END AS is_current
FROM {CLASSIFIED_TABLE} AS target LEFT JOIN {SETTLED_TABLE} AS settled ON {same_row}
"""  # noqa: S608 (identifiers from the contract and the code)
    return SettleVersions(
        settled=settled,
        count=f"SELECT count(*) FROM {SETTLED_TABLE}",  # noqa: S608 (a constant)
        in_place=in_place,
        rewrite=rewrite,
    )


def settle_versions(
    execute: Callable[[str], Sequence[Sequence[object]]],
    settle: SettleVersions,
    in_place_rows: int = SETTLE_IN_PLACE_ROWS,
) -> None:
    """Run ``settle`` with ``execute`` (a statement in, its rows out): its rows of repeated
    orders settled in place up to ``in_place_rows``, else the table written anew."""
    execute(settle.settled)
    [(rows,)] = execute(settle.count)
    execute(settle.in_place if int(rows) <= in_place_rows else settle.rewrite)


def classify_statements(
    contract: Contract, source: str, where: str = ""
) -> tuple[str, SettleVersions]:
    """Create the classification ``CLASSIFIED_TABLE`` of the raw rows of ``source``
    (filtered by ``where``; its bound values go to the first statement), then settle
    the repeated orders (:func:`settle_versions`): one row per raw row with its typed
    values, ``reason_code`` (the first rule it breaks), ``reason_detail``, ``is_naive``
    and ``is_current`` (TRUE for the row kept of its order and day, FALSE for a
    superseded one, NULL when quarantined)."""
    return (
        f"CREATE OR REPLACE TEMPORARY TABLE {CLASSIFIED_TABLE} AS "
        + classify_sql(contract, source, where),
        settle_versions_statements(contract),
    )


def cleaned_select(current: bool = True) -> str:
    """The cleaned form of the current (or, ``current=False``, superseded) valid rows."""
    values = {
        "order_id": "t_order_id",
        "customer_id": "t_customer_id",
        "order_ts": "v_order_ts",
        "order_date": "ORDERS_UTC_DATE(v_order_ts)",
        "amount": "v_amount",
        "currency": "t_currency",
        "quantity": "CAST(round(v_quantity) AS BIGINT)",
        "unit_price": "v_unit_price",
        "status": "t_status",
        "region": "t_region",
        "customer_email_hash": f"ORDERS_HMAC_HEX(ORDERS_LOWER(t_customer_email), {PADS_TABLE}.pad_in,"
        f" {PADS_TABLE}.pad_out)",
        "updated_at": "coalesce(v_updated_at, v_order_ts)",
        "extra_columns_json": "extra_columns_json",
        "source_file": "source_file",
        "source_line": "source_line",
        "partition_date": "partition_date",
    }
    if tuple(values) != CLEANED_ORDERS_COLUMNS:
        raise AssertionError("cleaned_select does not give CLEANED_ORDERS_COLUMNS")
    select = ",\n  ".join(f"{sql} AS {name}" for name, sql in values.items())
    flag = "is_current" if current else "NOT is_current"
    return (
        f"SELECT\n  {select}\nFROM {CLASSIFIED_TABLE} CROSS JOIN {PADS_TABLE}\n"
        f"WHERE reason_code IS NULL AND {flag}"
    )


def superseded_amounts_select() -> str:
    """The day and amount of each superseded row: all that the reconciliation reads of
    them. Their whole cleaned form (:func:`cleaned_select` with ``current=False``) reads
    every column of every classified row to keep the few superseded ones."""
    return (
        f"SELECT partition_date, v_amount AS amount FROM {CLASSIFIED_TABLE}"
        " WHERE reason_code IS NULL AND NOT is_current"
    )


def quarantined_select(contract: Contract, source: str, where: str = "") -> str:
    """The rejected rows exactly as they landed in ``source`` (the raw rows of the
    classification, filtered by ``where`` as it was), with their reason."""
    columns = ", ".join(f"raw.{name}" for name in raw_columns(contract))
    on = " AND ".join(f"raw.{name} = verdict.{name}" for name in CLASSIFIED_KEY)
    landed = f"(SELECT * FROM {source} WHERE {where})" if where else source
    return (
        f"SELECT {columns}, verdict.reason_code, verdict.reason_detail\n"
        f"FROM {CLASSIFIED_TABLE} AS verdict JOIN {landed} AS raw ON {on}\n"
        "WHERE verdict.reason_code IS NOT NULL"
    )


def pads_statements() -> tuple[str, str]:
    """Create the session's pads table; insert the pads (two bound BLOB/BINARY values)."""
    return (
        f"CREATE OR REPLACE TEMPORARY TABLE {PADS_TABLE} (pad_in BLOB, pad_out BLOB)",
        f"INSERT INTO {PADS_TABLE} (pad_in, pad_out) VALUES (?, ?)",
    )


# A known answer for the engine's keyed hash, asked before a cleaning run hashes any
# e-mail (orders_core.cleaning.hmac_probe_error). The tests run the Snowflake form on
# fakesnow, that is on DuckDB, and Snowflake documents SHA2's message as "a string
# expression" (https://docs.snowflake.com/en/sql-reference/functions/sha2) where this
# gives it BINARY: only the engine itself can say whether it hashes those bytes. Non-ASCII
# on purpose: the message is hashed as its UTF-8 bytes. It is lower-cased first, as an
# e-mail is (ORDERS_LOWER), with the letters whose lower case engines disagree on: a
# dotted capital I, a word-final sigma, the Kelvin sign, a capital beyond the BMP.
HMAC_PROBE = "HMAC-Probe+\u00dcN\u00cfC\u00d8DE.\u0130.\u039f\u0394\u039f\u03a3.\u212a.\U00010400@Example.COM"


def hmac_probe_select() -> str:
    """The engine's HMAC of :data:`HMAC_PROBE`, lower-cased as e-mails are, under the
    session's pads, as hex."""
    return (
        f"SELECT ORDERS_HMAC_HEX(ORDERS_LOWER({sql_literal(HMAC_PROBE)}), pad_in, pad_out)"
        f" FROM {PADS_TABLE}"
    )


def parseable_amount() -> str:
    """The landed text of ``amount`` as reconciliation counts it: a finite plain decimal
    (whatever else is wrong with the row), else NULL."""
    text = "ORDERS_TRIM(amount)"
    return (
        f"CASE WHEN ORDERS_MATCH({text}, {sql_literal(DECIMAL)}) AND ORDERS_IS_FINITE("
        f"ORDERS_TO_DOUBLE({text})) THEN ORDERS_TO_DOUBLE({text}) END"
    )


# The largest amount reconciliation carries as revenue. A parseable amount can be as large
# as a double (1e308): two such rows (quarantined, out of range) summed to inf on both
# sides, inf - inf is NaN, and the check failed (and blocked) a day whose rows balance.
# No order is worth a quadrillion: beyond this an amount counts as unparseable, and a day's
# sums stay finite (and the check's tolerance, relative to them, meaningful). The contract
# refuses a money bound above it, so every cleaned amount is carried.
MAX_RECONCILED_AMOUNT = MAX_MONEY_BOUND


def _reconciled(amount: str) -> str:
    """``amount`` (a double) when reconciliation carries it as revenue, else NULL."""
    return f"CASE WHEN abs({amount}) <= {MAX_RECONCILED_AMOUNT!r} THEN {amount} END"


def reconciled_amount() -> str:
    """The landed text of ``amount`` as the raw figures count it (reconciliation, the
    day's profile): a finite plain decimal of at most :data:`MAX_RECONCILED_AMOUNT`, else
    NULL (unparseable)."""
    return _reconciled(parseable_amount())


def reconciliation_select(raw: str, cleaned: str, quarantined: str, superseded: str) -> str:
    """Per day (between two bound dates, given twice each... see ``params``): rows and
    revenue of the raw, cleaned, quarantined and superseded tables."""
    amount = reconciled_amount()
    parts = (
        ("raw", raw, amount),
        ("cleaned", cleaned, _reconciled("amount")),
        ("quarantined", quarantined, amount),
        ("superseded", superseded, _reconciled("amount")),
    )
    selects = " UNION ALL ".join(
        f"SELECT '{name}' AS part, partition_date, {value} AS amount FROM {table}"
        " WHERE partition_date BETWEEN ? AND ?"
        for name, table, value in parts
    )
    return f"""
SELECT
  partition_date,
  count(CASE WHEN part = 'raw' THEN 1 END) AS raw_rows,
  count(CASE WHEN part = 'cleaned' THEN 1 END) AS cleaned_rows,
  count(CASE WHEN part = 'quarantined' THEN 1 END) AS quarantined_rows,
  count(CASE WHEN part = 'superseded' THEN 1 END) AS superseded_rows,
  count(CASE WHEN part = 'raw' AND amount IS NULL THEN 1 END) AS unparseable_amount_rows,
  {money_sum("CASE WHEN part = 'raw' THEN amount END")} AS raw_revenue,
  {money_sum("CASE WHEN part = 'cleaned' THEN amount END")} AS cleaned_revenue,
  {money_sum("CASE WHEN part = 'quarantined' THEN amount END")} AS quarantined_revenue,
  {money_sum("CASE WHEN part = 'superseded' THEN amount END")} AS superseded_revenue,
  {money_sum("CASE WHEN part = 'raw' THEN abs(amount) END")} AS absolute_amounts
FROM ({selects}) AS parts
GROUP BY partition_date
ORDER BY partition_date
"""


def day_summary_select() -> str:
    """Per day: the row balance and revenue of each part, and the rows without offset."""
    return f"""
SELECT
  partition_date,
  count(*) AS raw_rows,
  count(CASE WHEN is_current THEN 1 END) AS cleaned_rows,
  count(reason_code) AS quarantined_rows,
  count(CASE WHEN NOT is_current THEN 1 END) AS superseded_rows,
  count(CASE WHEN reason_code IS NULL AND is_naive THEN 1 END) AS naive_timestamp_rows,
  {money_sum("CASE WHEN is_current THEN v_amount END")} AS cleaned_revenue,
  {money_sum("CASE WHEN NOT is_current THEN v_amount END")} AS superseded_revenue,
  count(DISTINCT CASE WHEN is_current THEN t_customer_id END) AS distinct_customers
FROM {CLASSIFIED_TABLE}
GROUP BY partition_date
ORDER BY partition_date
"""


def reason_counts_select() -> str:
    """Quarantined rows per day and reason code."""
    return (
        f"SELECT partition_date, reason_code, count(*) AS n FROM {CLASSIFIED_TABLE}\n"
        "WHERE reason_code IS NOT NULL GROUP BY partition_date, reason_code"
        " ORDER BY partition_date, reason_code"
    )


def statements(contract: Contract, dialect: str = DUCKDB) -> dict[str, str]:
    """Every cleaning statement in ``dialect`` (what ``tests/snapshots/sql`` keeps)."""
    source = "raw.raw_orders"
    where = "partition_date BETWEEN ? AND ?"
    from orders_core.sql.facts import affected_orders_sql, publish_statements

    delete_facts, insert_facts = publish_statements()
    settle = settle_versions_statements(contract)
    return {
        "facts_affected": render(affected_orders_sql(), dialect),
        "facts_delete": render(delete_facts, dialect),
        "facts_insert": render(insert_facts, dialect),
        "classify": render(classify_sql(contract, source, where), dialect),
        "settle_versions": render(settle.settled, dialect),
        "settle_versions_in_place": render(settle.in_place, dialect),
        "settle_versions_rewrite": render(settle.rewrite, dialect),
        "cleaned": render(cleaned_select(), dialect),
        "superseded": render(cleaned_select(current=False), dialect),
        "quarantined": render(quarantined_select(contract, source, where), dialect),
        "day_summary": render(day_summary_select(), dialect),
        "reason_counts": render(reason_counts_select(), dialect),
        "hmac_probe": render(hmac_probe_select(), dialect),
    }
