"""Read a landed FX rates file into text rows, losing none.

A rates file is small (a row per currency and day): it is read whole with Python's
``csv`` module into the three contract fields as text, one row per record with its line
number, and typed and judged by the engine (:mod:`orders_core.sql.fx`). What cannot be
read as rows becomes a row with ``parse_error`` saying why, so every landed record, and
every file that holds none the platform can read, shows up in ``staging.fx_rates`` with
a reason instead of going missing.
"""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from orders_core.sql.fx import RATE_COLUMNS

RATES_EXTENSION = ".csv"


class RateRow(NamedTuple):
    """One landed record of a rates file, as text (None: no such field)."""

    rate_date: str | None
    currency: str | None
    rate: str | None
    line: int
    parse_error: str | None = None


def _broken(reason: str, line: int = 0) -> list[RateRow]:
    return [RateRow(None, None, None, line, reason)]


def rate_rows(name: str, data: bytes) -> list[RateRow]:
    """The records of the rates file ``name`` holding ``data``.

    The header names ``rate_date``, ``currency`` and ``rate`` in any order and case (other
    columns are ignored); blank lines are skipped; a record with another number of fields
    than the header is a row with a ``parse_error`` (its fields are not guessed)."""
    if not name.lower().endswith(RATES_EXTENSION):
        return _broken(f"not a rates file: only {RATES_EXTENSION} files are read")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _broken(f"not UTF-8 text (byte {error.start})")
    try:
        records = list(_records(text))
    except csv.Error as error:
        return _broken(f"not CSV: {error}")
    if not records:
        return _broken("empty file: no header")
    (_, header), body = records[0], records[1:]
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in RATE_COLUMNS if column not in names]
    if missing:
        return _broken(f"the header lacks {', '.join(missing)} (it is {', '.join(header)})", 1)
    position = [names.index(column) for column in RATE_COLUMNS]
    rows = []
    for line, record in body:
        if len(record) != len(header):
            rows.append(
                RateRow(
                    None,
                    None,
                    None,
                    line,
                    f"{len(record)} fields where the header has {len(header)}",
                )
            )
            continue
        rows.append(RateRow(*(record[index] for index in position), line))
    return rows


def _records(text: str):
    """(line number, fields) of each non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    for record in reader:
        if record and any(cell.strip() for cell in record):
            yield reader.line_num, record
