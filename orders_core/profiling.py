"""Per-partition profile of raw orders: the numbers the anomaly sensor learns from.

Computed on the raw text, before cleaning, so that a partition can be judged (and
held) before anything downstream of ``raw_orders`` runs. The numbers are one aggregate
per day in the warehouse engine (:func:`profile_sql`); only the distinct file headers
of a day come back to Python.

``orders/revenue``, ``orders/mean_order_value`` and ``orders/median_amount`` add the
day's amounts as landed, whatever their currency (the reconciliation's nominal sum).
The anomaly detector reads their ``orders/scaled_*`` twins instead (:func:`unit_divisors`):
each amount divided by its currency's order of magnitude, from the contract alone (no FX
rate), so a day with a few IDR orders of 1,500,000 is not a day of millions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence

import pandas as pd

from orders_core.contract import CURRENCY_COLUMN, Contract
from orders_core.pii import redact_emails
from orders_core.raw_frame import normalize_header
from orders_core.rounding import money, score, significant
from orders_core.sql.cleaning import normalized_text, reconciled_amount
from orders_core.sql.dialect import code_table_join
from orders_core.sql.money import money_sum

PREFIX = "orders/"


CURRENCY_UNITS = "currency_units"
# The figures of a profile_sql row after partition_date and before the null counts.
FIGURES = 12


def unit_divisors(contract: Contract) -> dict[str, float]:
    """What an amount of each currency with a bound of its own is divided by in the
    ``orders/scaled_*`` figures: its bound over the default (``max_by_currency`` over
    ``max`` of ``amount``: JPY 1,000, IDR 100,000). Any other currency, and a missing or
    invalid one, counts as landed (1).

    The bounds are orders of magnitude of each currency's unit in USD, so a scaled amount
    is 0.1 to 1 times its value in USD (1,500,000 IDR, about 90 USD, counts as 15), and
    an amount of a currency without its own bound (worth 0.1 USD or more) as itself: a
    few IDR or JPY orders among USD ones move a day's scaled figures by their share,
    where they multiplied its nominal revenue and mean. A day in cents still moves by
    x100. No FX rate is read: a day's figures depend on its landed rows and the contract."""
    amount = contract.column("amount")
    return {code: bound / amount.max for code, bound in amount.max_by_currency}


def _units_join(contract: Contract, rows: str) -> str:
    """The LEFT JOIN of ``rows`` (with ``c_currency``) to a VALUES table of
    :func:`unit_divisors`, as cleaning finds each row's bound."""
    divisors = unit_divisors(contract)
    if not divisors:
        return ""
    return code_table_join(
        CURRENCY_UNITS,
        ["divisor"],
        {code: [repr(divisor)] for code, divisor in divisors.items()},
        f"{rows}.c_currency",
    )


def profile_sql(contract: Contract, source: str) -> str:
    """Per day of ``source`` between two bound days: the counts and sums of the profile.

    Amounts are counted as reconciliation counts them (``reconciled_amount``: beyond 1e15
    an amount is unparseable), and summed exactly (``money_sum``): the revenue and the
    mean of a day are the same whatever order the engine reads its rows in. The scaled
    figures divide each amount by its currency's :func:`unit_divisors` (the currency's
    text normalised as cleaning reads it: trimmed, upper-cased), a division by the same
    double in every row of a currency, then summed as exactly."""
    trimmed = ", ".join(f"ORDERS_TRIM({name}) AS t_{name}" for name in contract.column_names)
    nulls = ", ".join(
        f"count(CASE WHEN t_{name} IS NULL THEN 1 END) AS null_{name}"
        for name in contract.column_names
    )
    currency = normalized_text(contract.column(CURRENCY_COLUMN))
    join = _units_join(contract, "landed")
    scaled = (
        f"landed.amount_value / coalesce(CAST({CURRENCY_UNITS}.divisor AS DOUBLE), 1.0)"
        if join
        else "landed.amount_value"
    )
    return f"""
SELECT
  partition_date,
  count(*) AS row_count,
  count(DISTINCT source_file) AS files,
  {money_sum("amount_value")} AS revenue,
  {money_sum("amount_value")} / nullif(count(amount_value), 0) AS mean_amount,
  median(amount_value) AS median_amount,
  {money_sum("scaled_amount")} AS scaled_revenue,
  {money_sum("scaled_amount")} / nullif(count(scaled_amount), 0) AS scaled_mean_amount,
  median(scaled_amount) AS scaled_median_amount,
  count(DISTINCT t_customer_id) AS customers,
  count(t_order_id) - count(DISTINCT t_order_id) AS duplicates,
  count(CASE WHEN t_amount IS NOT NULL AND amount_value IS NULL THEN 1 END) AS unparseable,
  count(parse_error) AS parse_errors,
  {nulls}
FROM (
  SELECT landed.*, {scaled} AS scaled_amount
  FROM (
    SELECT partition_date, source_file, parse_error, {trimmed},
      {currency} AS c_currency,
      {reconciled_amount()} AS amount_value
    FROM {source} WHERE partition_date BETWEEN ? AND ?
  ) AS landed{join}
) AS day_rows
GROUP BY partition_date
"""  # noqa: S608 (identifiers and codes from the contract and the code, days bound)


def headers_sql(source: str) -> str:
    """The distinct file headers of each day between two bound days."""
    return (
        f"SELECT DISTINCT partition_date, file_header FROM {source}"  # noqa: S608 (constant identifier)
        " WHERE partition_date BETWEEN ? AND ? AND file_header IS NOT NULL"
    )


def _header_drift(headers: Iterable[str], contract: Contract) -> tuple[int, int]:
    """Count extra columns and missing required columns over the day's file headers."""
    extra: set[str] = set()
    missing: set[str] = set()
    for header in headers:
        names = {normalize_header(name) for name in json.loads(header)}
        extra |= names - set(contract.column_names)
        missing |= set(contract.required) - names
    return len(extra), len(missing)


def pii_extras_sql(source: str) -> str:
    """One ``pii_extra_columns_json`` per file and day between two bound days: its keys
    are the same on every row of a file, so that is all the names need."""
    return (
        "SELECT partition_date, source_file, min(pii_extra_columns_json)"  # noqa: S608 (constant identifier)
        f" FROM {source} WHERE partition_date BETWEEN ? AND ?"
        " AND pii_extra_columns_json IS NOT NULL GROUP BY partition_date, source_file"
    )


def pii_extra_names(objects: Iterable[str]) -> list[str]:
    """Sorted names (never values) of the extra columns kept as PII, from one
    ``pii_extra_columns_json`` object per file; e-mail-like names (a header that is a
    data row) masked."""
    return sorted({redact_emails(name) for text in objects for name in json.loads(text)})


def _pii_profile(names: list[str]) -> dict[str, int | str]:
    """``orders/pii_extra_columns`` (a count, plotted) and, when there are any, their names."""
    profile: dict[str, int | str] = {f"{PREFIX}pii_extra_columns": len(names)}
    if names:
        profile[f"{PREFIX}pii_extra_column_names"] = ", ".join(names)
    return profile


def profile_from_row(row: Sequence, headers: Iterable[str], contract: Contract) -> dict:
    """The profile of one day from its :func:`profile_sql` row (after ``partition_date``)
    and its distinct headers, rounded as metadata is (:mod:`orders_core.rounding`)."""
    rows = int(row[0])
    profile: dict[str, float | int] = {"dagster/row_count": rows}
    # A day without rows records every figure all the same, 0 (no row, so none null,
    # duplicated or unparseable, nothing to average): a plot across days has a point on
    # it, not a gap. The anomaly features read these as missing
    # (orders_core.anomaly_features.DAY_TOTALS).
    per_row = rows or 1
    files, revenue, mean, median, scaled_revenue, scaled_mean, scaled_median = row[1:8]
    customers, duplicates, unparseable, errors = row[8:FIGURES]
    null_rates = {
        name: significant(int(count) / per_row)
        for name, count in zip(contract.column_names, row[FIGURES:], strict=True)
    }
    extra, missing = _header_drift(headers, contract)
    profile.update(
        {
            f"{PREFIX}files": int(files),
            f"{PREFIX}revenue": money(float(revenue)),
            f"{PREFIX}mean_order_value": score(float(mean)) if mean is not None else 0.0,
            f"{PREFIX}median_amount": score(float(median)) if median is not None else 0.0,
            f"{PREFIX}scaled_revenue": money(float(scaled_revenue)),
            f"{PREFIX}scaled_mean_order_value": (
                score(float(scaled_mean)) if scaled_mean is not None else 0.0
            ),
            f"{PREFIX}scaled_median_amount": (
                score(float(scaled_median)) if scaled_median is not None else 0.0
            ),
            f"{PREFIX}distinct_customers": int(customers),
            f"{PREFIX}duplicate_rate": significant(int(duplicates) / per_row),
            f"{PREFIX}unparseable_amount_rate": significant(int(unparseable) / per_row),
            f"{PREFIX}extra_columns": extra,
            f"{PREFIX}missing_columns": missing,
            f"{PREFIX}parse_errors": int(errors),
            f"{PREFIX}null_rate_max": max(null_rates[name] for name in contract.required),
        }
    )
    profile.update({f"{PREFIX}null_rate/{name}": rate for name, rate in null_rates.items()})
    return profile


# Rows one profile statement aggregates at most (a day holding more has a statement of its
# own): its medians and distinct counts hold every value they aggregate, which the engine
# cannot spill, so one statement over a range run's days grew with the range (60 days of
# 204,000 rows ran out of raw_orders' 572 MiB limit), while a statement per day cost some
# 40 ms each (30 days of 20,000 rows: 1.8 s against 0.5 s; bench/RESULTS.md, session 36).
# A day of 8M rows alone profiles within the limit (the memory curve).
PROFILE_STATEMENT_ROWS = 1_000_000


def day_rows_sql(source: str) -> str:
    """The rows of each day between two bound days."""
    return (
        f"SELECT partition_date, count(*) FROM {source}"  # noqa: S608 (constant identifier)
        " WHERE partition_date BETWEEN ? AND ? GROUP BY partition_date"
    )


def statement_spans(
    day_rows: Mapping[dt.date, int], days: Iterable[dt.date], budget: int = PROFILE_STATEMENT_ROWS
) -> list[tuple[dt.date, dt.date]]:
    """The first and last day of each profile statement: consecutive days (``days`` and
    every day with rows between them, ``day_rows``) whose rows add up to ``budget`` at
    most, a larger day alone. Which days share a statement changes no figure: each day is
    aggregated apart (GROUP BY partition_date)."""
    spans: list[tuple[dt.date, dt.date]] = []
    first = last = None
    held = 0
    for day in sorted(set(days) | set(day_rows)):
        rows = int(day_rows.get(day, 0))
        if first is not None and held + rows > budget:
            spans.append((first, last))
            first, held = None, 0
        first = day if first is None else first
        last, held = day, held + rows
    if first is not None:
        spans.append((first, last))
    return spans


def profile_days(
    fetch: Callable[[str, Sequence], list[tuple]],
    contract: Contract,
    source: str,
    days: Sequence[dt.date],
) -> dict[dt.date, dict]:
    """Profiles of ``days`` of ``source``; ``fetch(sql, params)`` runs a statement in the
    engine (rendering it for its dialect) and returns its rows. The figures are
    aggregated by statements of :data:`PROFILE_STATEMENT_ROWS` rows at most
    (:func:`statement_spans`), so a long range run keeps to the engine's memory limit."""
    if not days:
        return {}
    bounds = [min(days), max(days)]
    statement = profile_sql(contract, source)
    day_rows = {day: int(rows) for day, rows in fetch(day_rows_sql(source), bounds)}
    rows = {
        r[0]: r[1:]
        for first, last in statement_spans(day_rows, days, PROFILE_STATEMENT_ROWS)
        for r in fetch(statement, [first, last])
    }
    headers: dict[dt.date, list[str]] = {}
    for day, header in fetch(headers_sql(source), bounds):
        headers.setdefault(day, []).append(header)
    pii: dict[dt.date, list[str]] = {}
    for day, _, held in fetch(pii_extras_sql(source), bounds):
        pii.setdefault(day, []).append(held)
    empty = (0,) * (FIGURES + len(contract.column_names))
    return {
        day: profile_from_row(rows.get(day, empty), sorted(headers.get(day, [])), contract)
        | _pii_profile(pii_extra_names(pii.get(day, [])))
        for day in days
    }


def profile_raw(raw: pd.DataFrame, contract: Contract) -> dict[str, float | int]:
    """The profile of one day of raw rows held in a frame (tests, tools), by the same SQL."""
    from orders_core.cleaning import local_connection, raw_table
    from orders_core.sql.dialect import render

    frame = raw
    if "partition_date" not in frame:
        frame = raw.assign(partition_date=pd.Timestamp("2000-01-01"))
    table = raw_table(frame, contract)
    with local_connection() as conn:
        conn.register("raw_day", table)
        days = sorted({d for d in table.column("partition_date").to_pylist()}) or [
            dt.date(2000, 1, 1)
        ]
        profiles = profile_days(
            lambda sql, params: conn.execute(render(sql), list(params)).fetchall(),
            contract,
            "raw_day",
            days[:1],
        )
    return next(iter(profiles.values()))
