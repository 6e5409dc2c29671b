"""The headers of landed files that hold no record, for raw_orders' metadata.

raw_orders keeps a file's header on each of its rows (``file_header``), where the
schema_drift check reads it. A file with a header and no record (a CSV header line, a
Parquet schema without rows) has no row: its columns (renamed, missing, added) were never
compared with the contract. Each day's such files are recorded with their header
(:func:`orders_core.landing_formats.header_only_metadata`), which schema_drift compares
like any file's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from orders_core.ingest import landed_header
from orders_core.landing_formats import header_only_metadata
from orders_core.pii import redact_emails, redact_uri
from resources.landing import LandingZone


def files_with_rows(session, table: str, days: Sequence[dt.date]) -> dict[dt.date, set[str]]:
    """The ``source_file`` of every file that has a row of ``table`` on each of ``days``."""
    found: dict[dt.date, set[str]] = {}
    rows = session.execute(
        f"SELECT DISTINCT partition_date, source_file FROM {table}"  # noqa: S608 (constant identifier)
        " WHERE partition_date BETWEEN ? AND ?",
        [min(days), max(days)],
    )
    for day, source in rows:
        found.setdefault(day, set()).add(source)
    return found


def header_only_files(
    landing: LandingZone, accepted: Sequence, with_rows: set[str]
) -> dict[str, object]:
    """The day's header-only metadata entry, from the files it read (``accepted``) and the
    ``source_file`` of those with a row: empty when each file has a row or those without
    have no header either (empty files). Each is read from a stream of the file, a CSV
    file's first bytes only (one of blank lines after its header can be large)."""
    found = []
    for info in accepted:
        if info.uri in with_rows:
            continue
        with landing.stream(info) as stream:
            header = landed_header(info.name, stream)
        if header:
            found.append((redact_uri(info.uri), [redact_emails(name) for name in header]))
    return header_only_metadata(found)
