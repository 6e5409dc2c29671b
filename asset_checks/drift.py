"""Schema drift of landed order files against the contract, judged per partition.

Four kinds of drift, each with the severity the contract's ``drift`` policy gives it:

- **added**: a column outside the contract (kept in ``extra_columns_json`` and carried on,
  or in ``pii_extra_columns_json``, raw and quarantine only, when it holds e-mails);
- **missing_required** / **missing_optional**: a contract column absent from a file;
- **retyped**: more than ``retyped_max_unparseable`` of a column's present values (and
  at least ``retyped_min_values`` of them) no longer parse as the contract type, or are
  nested values in a text column (the same parser as cleaning); fewer bad values are
  bad rows, which cleaning quarantines;
- **renamed**: a missing column and an extra column of the same file that look alike,
  scored as ``max(name, (name + values) / 2)`` where *name* is the difflib ratio of the
  two names and *values* the share of the extra column's values that satisfy the
  missing column's rules (type, allowed set, pattern; 0 for a free-text column).

A Parquet file whose decimal money column (``amount``, ``unit_price``) is an integer
type (probably minor units: cents) is **retyped** too, whatever its share of the day:
the reader marks every record of it ``integer_money_column`` (see
:func:`orders_core.parquet_reader.integer_money_errors`) and cleaning quarantines them.

Column names and example values come from landed files (a "header" may be a data row),
so e-mail addresses in them are masked before they reach the check's description or
metadata.
"""

import datetime as dt
import difflib
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import dagster as dg
import numpy as np
import pandas as pd

from asset_checks.partitioned import PartitionOutcome, partition_check_events
from orders_core import tables
from orders_core.calendar import days_in_window
from orders_core.cleaning import typed_frame
from orders_core.contract import ColumnSpec, Contract, load_contract
from orders_core.landing_formats import display_name, display_name_of_uri, read_header_only
from orders_core.parquet_reader import INTEGER_MONEY_ERROR
from orders_core.pii import redact_emails
from orders_core.raw_frame import extra_columns, normalize_header
from orders_core.sql.cleaning import typed_sql
from resources.instance_history import latest_materializations, metadata_values
from resources.telemetry import TelemetryResource
from resources.warehouse import Warehouse
from resources.warehouse_pool import WAREHOUSE_POOL

RETYPE_SAMPLE_ROWS = 20_000
HEAD_ROWS = 200  # every file's first records are always in the check's sample
RENAME_SAMPLE_ROWS = 500
FINDING_COLUMNS = ("kind", "column", "severity", "files", "rows", "detail")


@dataclass(frozen=True)
class DriftFinding:
    """One drifted column of one partition."""

    kind: str
    column: str
    severity: str
    files: int
    rows: int
    detail: str


def file_headers(raw_day: pd.DataFrame) -> pd.DataFrame:
    """One row per landed file of the day: source_file, file_header (JSON list), rows."""
    if raw_day.empty:
        return pd.DataFrame({"source_file": [], "file_header": [], "rows": []})
    grouped = raw_day.groupby("source_file", sort=True, dropna=False)
    return pd.DataFrame(
        {"file_header": grouped["file_header"].first(), "rows": grouped.size()}
    ).reset_index()


def _conformance(values: pd.Series, spec: ColumnSpec) -> float:
    """Share of present values that satisfy a contract column's rules (0 for free text)."""
    if spec.type == "string" and spec.allowed is None and spec.pattern is None:
        return 0.0
    typed = typed_frame(pd.DataFrame({spec.name: values.astype("string")}), load_contract())
    present = typed[f"t_{spec.name}"].notna()
    if not present.any():
        return 0.0
    return float(typed[f"ok_{spec.name}"][present].mean())


EXTRAS_COLUMNS = ("extra_columns_json", "pii_extra_columns_json")


def _extras(raw_file: pd.DataFrame, column: str) -> pd.Series:
    """One of the extras JSON columns of a file's rows (none when the frame lacks it)."""
    if column not in raw_file:
        return pd.Series([], dtype="string")
    return raw_file[column].dropna()


def _extra_values(raw_file: pd.DataFrame, key: str) -> pd.Series:
    """Values of one extra column (by its key in the extras JSON), from a bounded sample
    of a file's rows, wherever the reader kept it."""
    for column in EXTRAS_COLUMNS:
        sample = _extras(raw_file, column).head(RENAME_SAMPLE_ROWS)
        objects = [json.loads(text) for text in sample]
        if any(key in obj for obj in objects):
            values = [obj.get(key) for obj in objects]
            return pd.Series([None if v is None else str(v) for v in values], dtype="string")
    return pd.Series([], dtype="string")


def _pii_keys(raw_file: pd.DataFrame) -> set[str]:
    """Keys of the extra columns the reader kept as PII in a file (same on every row)."""
    held = _extras(raw_file, "pii_extra_columns_json")
    return set(json.loads(held.iloc[0])) if len(held) else set()


def _header_findings(
    raw_day: pd.DataFrame, headers: pd.DataFrame, contract: Contract
) -> tuple[list[DriftFinding], list[DriftFinding]]:
    """Added, missing and renamed columns, from each file's header."""
    policy = contract.drift
    added: dict[str, list[int]] = defaultdict(list)
    missing: dict[str, list[int]] = defaultdict(list)
    renames: dict[tuple[str, str], list[float]] = defaultdict(list)
    rename_rows: dict[tuple[str, str], int] = defaultdict(int)
    pii: set[str] = set()
    for _, file in headers.iterrows():
        header = json.loads(file["file_header"] or "[]")
        if not header:  # nothing could be read from it: unreadable_content_findings
            continue
        keys = dict(extra_columns(contract, header))
        seen: set[str] = set()
        extras: list[tuple[str, str]] = []
        for index, original in enumerate(header):
            name = normalize_header(original)
            if index in keys:
                extras.append((name, keys[index]))
            seen.add(name)
        # Cells named alike ("promo", "Promo") are one column of this file: counted once.
        for name in dict.fromkeys(name for name, _ in extras):
            added[name].append(int(file["rows"]))
        absent = [spec for spec in contract.columns if spec.name not in seen]
        for spec in absent:
            missing[spec.name].append(int(file["rows"]))
        if not extras:
            continue
        rows = raw_day[raw_day["source_file"] == file["source_file"]]
        held = _pii_keys(rows)
        pii |= {name for name, key in extras if key in held}
        if absent:
            for spec in absent:
                best: dict[str, float] = {}  # per name of this file: its best-scoring cell
                for name, key in extras:
                    similarity = difflib.SequenceMatcher(None, spec.name, name).ratio()
                    values = _conformance(_extra_values(rows, key), spec)
                    score = max(similarity, (similarity + values) / 2)
                    if score >= policy.renamed_min_score:
                        best[name] = max(score, best.get(name, score))
                for name, score in best.items():
                    renames[(spec.name, name)].append(score)
                    rename_rows[(spec.name, name)] += int(file["rows"])
    findings = [
        DriftFinding(
            "added",
            name,
            policy.severity("added"),
            len(rows),
            sum(rows),
            "not in the contract; holds e-mails, kept in pii_extra_columns_json (never published)"
            if name in pii
            else "not in the contract; carried in extra_columns_json",
        )
        for name, rows in sorted(added.items())
    ]
    for name, rows in sorted(missing.items()):
        kind = "missing_required" if contract.column(name).required else "missing_optional"
        findings.append(
            DriftFinding(
                kind,
                name,
                policy.severity(kind),
                len(rows),
                sum(rows),
                "absent from the file header",
            )
        )
    renamed = [
        DriftFinding(
            "renamed",
            column,
            policy.severity("renamed"),
            len(scores),
            rename_rows[(column, extra)],
            f"probably renamed to {extra!r} (score {max(scores):.2f})",
        )
        for (column, extra), scores in sorted(renames.items())
    ]
    return findings, renamed


def _retyped_findings(raw_day: pd.DataFrame, rows: int, contract: Contract) -> list[DriftFinding]:
    """Columns whose present values mostly no longer parse as their contract type (for
    text: are nested JSON values), judged on a bounded sample of the day's ``rows``."""
    policy = contract.drift
    sample = raw_day
    if len(raw_day) > RETYPE_SAMPLE_ROWS:
        sample = raw_day.sample(n=RETYPE_SAMPLE_ROWS, random_state=0)
    scale = rows / len(sample)
    findings = []
    typed = typed_frame(sample, contract)
    for spec in contract.columns:
        text = typed[f"t_{spec.name}"]
        present = int(text.notna().sum())
        if not present:
            continue
        malformed = typed[f"m_{spec.name}"].astype(bool)
        unparseable = int(malformed.sum()) * scale
        rate = int(malformed.sum()) / present
        if rate > policy.retyped_max_unparseable and unparseable >= policy.retyped_min_values:
            examples = text[malformed].drop_duplicates().head(3).tolist()
            bad = malformed.to_numpy(dtype=bool)
            findings.append(
                DriftFinding(
                    "retyped",
                    spec.name,
                    policy.severity("retyped"),
                    int(sample["source_file"][bad].nunique()),
                    round(unparseable),
                    f"{rate:.1%} of present values are not {spec.type}, e.g. {examples}",
                )
            )
    return findings


def retyped_counts_sql(contract: Contract, table: str) -> str:
    """Per day between two bound days, over the drift sample of each day (every k-th
    record, k = rows // RETYPE_SAMPLE_ROWS, plus each file's first HEAD_ROWS): sampled
    rows, and per contract column present values, malformed ones, files holding one and
    two examples (DuckDB dialect with ORDERS_* functions: render it for the engine).

    Counted per file, then per day: the files holding a malformed value are the day's
    files with a count above 0. ``count(DISTINCT source_file)`` per column made DuckDB
    aggregate the sample once per column (1.1 s over 30 days of 100,000 rows)."""
    names = contract.column_names
    per_file = ", ".join(
        f"count(t_{c}) AS present_{c}, count(CASE WHEN m_{c} THEN 1 END) AS bad_{c},"
        f" min(CASE WHEN m_{c} THEN t_{c} END) AS low_{c},"
        f" max(CASE WHEN m_{c} THEN t_{c} END) AS high_{c}"
        for c in names
    )
    per_day = ", ".join(
        f"sum(present_{c}) AS present_{c}, sum(bad_{c}) AS bad_{c},"
        f" count(CASE WHEN bad_{c} > 0 AND source_file IS NOT NULL THEN 1 END) AS files_{c},"
        f" min(low_{c}) AS low_{c}, max(high_{c}) AS high_{c}"
        for c in names
    )
    sampled = (
        f"(SELECT raw.* FROM {table} AS raw JOIN (SELECT partition_date AS day, count(*) AS n"  # noqa: S608 (constant identifiers)
        f" FROM {table} WHERE partition_date BETWEEN ? AND ? GROUP BY partition_date) AS day_rows"
        " ON raw.partition_date = day_rows.day WHERE raw.partition_date BETWEEN ? AND ?"
        " AND (source_line % greatest(1, CAST(floor(day_rows.n / ?) AS BIGINT)) = 0"
        " OR source_line <= ?))"
    )
    files = (
        f"SELECT partition_date, source_file, count(*) AS sampled, {per_file}"  # noqa: S608 (constant identifiers)
        f" FROM ({typed_sql(contract, sampled)}) AS typed GROUP BY partition_date, source_file"
    )
    return (
        f"SELECT partition_date, sum(sampled) AS sampled, {per_day}"  # noqa: S608 (constant identifiers)
        f" FROM ({files}) AS files GROUP BY partition_date"
    )


def retyped_from_counts(row: dict, rows: int, contract: Contract) -> list[DriftFinding]:
    """The retyped findings of one day from its :func:`retyped_counts_sql` row."""
    policy = contract.drift
    sampled = int(row["sampled"])
    if not sampled:
        return []
    scale = rows / sampled
    findings = []
    for spec in contract.columns:
        name = spec.name
        present, bad = int(row[f"present_{name}"]), int(row[f"bad_{name}"])
        if not present:
            continue
        rate, unparseable = bad / present, bad * scale
        if rate > policy.retyped_max_unparseable and unparseable >= policy.retyped_min_values:
            examples = list(dict.fromkeys(v for v in (row[f"low_{name}"], row[f"high_{name}"])))
            findings.append(
                DriftFinding(
                    "retyped",
                    name,
                    policy.severity("retyped"),
                    int(row[f"files_{name}"]),
                    round(unparseable),
                    f"{rate:.1%} of present values are not {spec.type}, e.g. {examples}",
                )
            )
    return findings


_INTEGER_MONEY = re.compile(rf"{INTEGER_MONEY_ERROR}: ([a-z_]+) is ([a-z0-9]+) in Parquet")


def _integer_money_findings(
    raw_day: pd.DataFrame, headers: pd.DataFrame, contract: Contract
) -> list[DriftFinding]:
    """A retyped finding per money column that some Parquet files of the day hold as
    integers: every record of those files is quarantined (``integer_money_column``)."""
    if "parse_error" not in raw_day:
        return []
    text = raw_day["parse_error"].astype("string")
    flagged = text.str.contains(INTEGER_MONEY_ERROR, regex=False).fillna(False).to_numpy(bool)
    errors, sources = text[flagged], raw_day["source_file"][flagged]
    files: dict[str, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    for error, source in zip(errors, sources, strict=True):
        for column, kind in _INTEGER_MONEY.findall(error):
            files[column].add(source)
            types[column].add(kind)
    rows_of = dict(zip(headers["source_file"], headers["rows"], strict=True))
    return [
        DriftFinding(
            "retyped",
            column,
            contract.drift.severity("retyped"),
            len(files[column]),
            int(sum(rows_of.get(name, 0) for name in files[column])),
            f"integer ({', '.join(sorted(types[column]))}) in Parquet, probably minor units"
            " (cents); the contract wants major units: those files' records are quarantined"
            " as malformed_record",
        )
        for column in sorted(files)
    ]


def detect_drift(
    raw_day: pd.DataFrame,
    contract: Contract,
    headers: pd.DataFrame | None = None,
    retyped: list[DriftFinding] | None = None,
) -> list[DriftFinding]:
    """Every drift finding of one partition of raw orders (empty when it matches).

    ``raw_day`` is the day's raw rows, or a sample of them when ``headers`` (one row
    per file: source_file, file_header, rows, as :func:`file_headers` gives) is passed.
    ``retyped`` is the retyped findings when the engine counted them
    (:func:`retyped_counts_sql`), so ``raw_day`` only needs each file's first rows.
    ``headers`` may list files without a row (rows 0: a header-only file, whose header
    raw_orders' metadata keeps): their headers are compared like the others.
    """
    headers = file_headers(raw_day) if headers is None else headers
    rows = int(headers["rows"].sum())
    if headers.empty:
        return []
    header, renamed = _header_findings(raw_day, headers, contract)
    if not rows:  # header-only files: their headers are all there is to compare
        return [*header, *renamed]
    header += unreadable_content_findings(raw_day, headers)
    retyped = [
        *(_retyped_findings(raw_day, rows, contract) if retyped is None else retyped),
        *_integer_money_findings(raw_day, headers, contract),
    ]
    return [*header, *retyped, *renamed]


def refused_findings(refused: int) -> list[DriftFinding]:
    """An ERROR finding when raw_orders refused landing entries of the day (they resolve
    outside the landing zone, or are links), so such a day never passes as healthy."""
    if not refused:
        return []
    return [
        DriftFinding(
            "refused",
            "(landing files)",
            "ERROR",
            refused,
            0,
            "landing entries refused and not loaded (outside the landing root, a link or a folder);"
            " see raw_orders' orders/refused metadata",
        )
    ]


def unreadable_findings(unreadable: int, names: str) -> list[DriftFinding]:
    """An ERROR finding when files of the day could not be read (unknown extension,
    dot-file), so a day whose orders came in a form the platform cannot read never looks
    empty and healthy. ``names`` are the file names only."""
    if not unreadable:
        return []
    return [
        DriftFinding(
            "unreadable",
            "(landing files)",
            "ERROR",
            unreadable,
            0,
            f"landed files the platform cannot read, not loaded: {names}",
        )
    ]


REASON_CHARS = 200  # of a file's parse_error, in an unreadable_content finding


def unreadable_content_findings(raw_day: pd.DataFrame, headers: pd.DataFrame) -> list[DriftFinding]:
    """An ERROR finding for the day's files of which not one column could be read (a
    corrupt or truncated Parquet or gzip file, a CSV header that cannot be parsed, a JSON
    Lines file without one object, a text file in UTF-16 or UTF-32): each is a ``malformed_record`` in quarantine, and the
    finding says why, where every contract column would otherwise be reported missing
    from a header the file never had. ``raw_day`` (or its sample) holds each file's first
    records, with their ``parse_error``."""
    unread = headers[headers["file_header"].fillna("[]").map(json.loads).map(len) == 0]
    if unread.empty:
        return []
    errors = raw_day.dropna(subset=["parse_error"]).groupby("source_file", sort=False)
    why = errors["parse_error"].first().str.slice(0, REASON_CHARS).to_dict()
    names = [
        f"{display_name_of_uri(str(name))} ({why.get(name, 'no column in its records')})"
        for name in unread["source_file"]
    ]
    return [
        DriftFinding(
            "unreadable",
            "(file content)",
            "ERROR",
            len(unread),
            int(unread["rows"].sum()),
            "landed files from which no column could be read, each record quarantined as"
            f" malformed_record: {'; '.join(names)}",
        )
    ]


@dataclass(frozen=True)
class LandingReport:
    """What a day's latest raw_orders materialization says of its landing folder."""

    refused: int = 0
    unreadable: int = 0
    unreadable_names: str = ""
    files: int | None = None  # files read (None: no raw_orders materialization to tell)
    # Files with a header and no record: how many, and (file, header) of those listed.
    header_only: int = 0
    header_only_headers: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _landing_report(record: dg.EventLogRecord | None) -> LandingReport:
    """The :class:`LandingReport` of a day's latest raw_orders materialization record
    (:func:`resources.instance_history.latest_materializations`: one lookup for the
    window, not one per day)."""
    if record is None:
        return LandingReport()
    metadata = metadata_values(record)
    refused = metadata.get(tables.REFUSED_FILES_METADATA)
    unreadable = metadata.get(tables.UNREADABLE_FILES_METADATA)
    names = metadata.get(tables.UNREADABLE_NAMES_METADATA)
    files = metadata.get(tables.FILES_READ_METADATA)
    header_only, listed = read_header_only(metadata)
    return LandingReport(
        int(refused) if refused is not None else 0,
        int(unreadable) if unreadable is not None else 0,
        str(names) if names is not None else "",
        int(files) if files is not None else None,
        header_only,
        tuple((file, tuple(header)) for file, header in listed),
    )


def with_header_only(headers: pd.DataFrame, report: LandingReport) -> pd.DataFrame:
    """The day's file headers (:func:`file_headers`' frame) with its header-only files,
    each with no row."""
    if not report.header_only_headers:
        return headers
    extra = pd.DataFrame(
        {
            "source_file": [file for file, _ in report.header_only_headers],
            "file_header": [json.dumps(list(header)) for _, header in report.header_only_headers],
            "rows": [0] * len(report.header_only_headers),
        }
    )
    return pd.concat([headers, extra], ignore_index=True)


def _nothing_to_compare(files: int | None, rows: int, header_only: int = 0) -> str | None:
    """The description of a day without findings that had no order row (None when it had
    some): no file landed, files holding a header only (compared, and matching), or empty
    files."""
    if files == 0:
        return (
            "No file landed for this day (no folder, or nothing readable in it): no columns to"
            " compare with the contract. Whether orders were expected is metadata_anomaly's"
            " verdict (it holds a day whose volume drops to nothing)."
        )
    if files and not rows and header_only:
        return (
            f"{files} landed file(s) with no order rows; the header of {header_only} of them"
            " (header only) matches the contract."
        )
    if files and not rows:
        return (
            f"{files} landed file(s) with no order rows and no header (empty): no columns to"
            " compare with the contract."
        )
    return None


# What a day failing with an ERROR tells its reader on its page (raw_orders > Checks >
# schema_drift > Partitions); the landing sensor lists the last
# ORDERS_LANDING_LOOKBACK_DAYS days' folders on every tick, older days at its sweep.
ERROR_NEXT_STEP = (
    "Nothing downstream of raw_orders is built for this day until this check passes: no"
    " run cleans it, and the tables keep what its last passed cleaning published, if any."
    " Fix the day's landing files (the findings above). Then the day"
    " is loaded again by orders_landing_sensor when its files change: at its next tick"
    " within the last ORDERS_LANDING_LOOKBACK_DAYS days (7 by default), an older day at its"
    " next sweep (every ORDERS_LANDING_SWEEP_TICKS ticks, 60 by default). Sooner, by hand:"
    " dg launch --assets 'raw_orders*' --partition <this day>."
)


def drift_outcome(
    findings: Sequence[DriftFinding],
    rows: int,
    unreadable_files: str = "",
    files: int | None = None,
    header_only: int = 0,
) -> PartitionOutcome:
    """Fails with ERROR if any finding is an ERROR, with WARN if any is a WARN.

    ``unreadable_files`` (names of the day's unreadable landed files) is shown as is;
    column names are shown as file names are (``display_name``: a control character of a
    header cell, a terminal escape sequence, is written as ``\\uNNNN``, never sent to the
    terminal that prints the finding), and e-mail addresses in them and in examples are
    masked. ``files`` (the landed files raw_orders read, None when unknown) tells a day
    without findings that had nothing to compare (no file, or no row) from one whose
    columns match: it passes either way (the volume is metadata_anomaly's to judge),
    saying which. ``header_only``: how many of the day's files held a header and no
    record (their headers were compared too).
    """
    findings = [
        replace(f, column=redact_emails(display_name(f.column)), detail=redact_emails(f.detail))
        for f in findings
    ]
    severities = {finding.severity for finding in findings}
    counts = {
        f"drift/{kind}": 0
        for kind in ("added", "missing_required", "missing_optional", "retyped", "renamed")
    }
    for finding in findings:
        counts[f"drift/{finding.kind}"] = counts.get(f"drift/{finding.kind}", 0) + 1
    metadata: dict[str, object] = {"rows": rows, **counts}
    if files is not None:
        metadata["files"] = files
    if header_only:
        metadata["header_only_files"] = header_only
    if unreadable_files:
        metadata["unreadable_files"] = unreadable_files
    if findings:
        metadata["drift"] = dg.MetadataValue.table(
            records=[dg.TableRecord(asdict(finding)) for finding in findings],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn(name, "int" if name in ("files", "rows") else "string")
                    for name in FINDING_COLUMNS
                ]
            ),
        )
    if not findings:
        description = (
            _nothing_to_compare(files, rows, header_only) or "Landed columns match the contract."
        )
        return PartitionOutcome(True, description=description, metadata=metadata)
    summary = ", ".join(f"{f.kind} {f.column}" for f in findings)
    severity = dg.AssetCheckSeverity.ERROR if "ERROR" in severities else dg.AssetCheckSeverity.WARN
    if severity == dg.AssetCheckSeverity.ERROR:
        metadata["next_step"] = ERROR_NEXT_STEP
    return PartitionOutcome(False, severity, f"Schema drift: {summary}", metadata)


def blocking_summary(outcomes: Mapping[str, PartitionOutcome]) -> str:
    """The days whose drift is an ERROR, each with its findings (and unreadable files),
    and what to do; empty when none is. Dagster's own step failure names the check only."""
    days = [
        f"{day} ({outcome.description}"
        + (
            f"; unreadable files: {outcome.metadata['unreadable_files']}"
            if outcome.metadata.get("unreadable_files")
            else ""
        )
        + ")"
        for day, outcome in outcomes.items()
        if not outcome.passed and outcome.severity == dg.AssetCheckSeverity.ERROR
    ]
    if not days:
        return ""
    return redact_emails(
        f"schema_drift failed with ERROR on {len(days)} day(s): {'; '.join(days)}. Nothing"
        " downstream of raw_orders is built on those days (the run's other days go on)."
        " Fix their landing files (the findings are in the check's metadata) and run them"
        " again with raw_orders."
    )


def rows_by_day(frame: pd.DataFrame) -> dict[dt.date, pd.DataFrame]:
    """The rows of each ``partition_date`` of ``frame`` (whatever type the engine gave
    the dates), without that column, in their order in ``frame``. One stable sort and
    slices: a pandas ``groupby`` over the dates cost a 30-day window about three times
    as much (bench/RESULTS.md, session 14)."""
    codes, days = pd.factorize(frame["partition_date"], sort=True)
    order = np.argsort(codes, kind="stable")
    rows = frame.drop(columns="partition_date").take(order)
    bounds = np.searchsorted(codes[order], np.arange(len(days) + 1))
    return {
        pd.Timestamp(day).date(): rows.iloc[start:end].reset_index(drop=True)
        for day, start, end in zip(days, bounds[:-1], bounds[1:], strict=True)
    }


def sample_statements(contract: Contract, table: tables.Table) -> tuple[str, str]:
    """The drift check's two reads of ``table`` over a window of days: every file's header
    and row count, and each file's first records. Names unquoted, as every statement names
    them and every table is created (orders_core.sql.tables): Snowflake folds an unquoted
    name to upper case and matches a quoted one exactly."""
    columns = ", ".join((*contract.column_names, *EXTRAS_COLUMNS, "parse_error", "source_file"))
    target = table.qualified
    # The header of every file, and a systematic sample: every k-th record of each file
    # (k from the day's row count) plus each file's first records. Two queries for the
    # whole window, not two per day. Plain SQL, so it runs in any warehouse engine.
    headers_sql = (
        "select partition_date, source_file, min(file_header) as file_header,"  # noqa: S608 (identifiers from the contract and the code)
        f" count(*) as file_rows from {target} where partition_date between ? and ?"
        " group by partition_date, source_file order by partition_date, source_file"
    )
    heads_sql = (
        f"select {columns}, partition_date from {target}"  # noqa: S608 (identifiers from the contract and the code)
        " where partition_date between ? and ? and source_line <= ?"
    )
    return headers_sql, heads_sql


def build_drift_checks(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    """The blocking, partitioned schema-drift check of raw_orders."""
    contract = load_contract()
    headers_sql, heads_sql = sample_statements(contract, tables.RAW_ORDERS)
    counts_sql = retyped_counts_sql(contract, tables.RAW_ORDERS.qualified)

    @dg.asset_check(
        asset=dg.AssetKey(tables.RAW_ORDERS.key),
        name=tables.SCHEMA_DRIFT,
        partitions_def=partitions_def,
        blocking=True,
        pool=WAREHOUSE_POOL,
        metadata={"contract_version": contract.version},
    )
    def schema_drift(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ):
        """Landed columns against the contract: added, missing, retyped, probably renamed.

        Policy per kind in contract.yaml (`drift`): a missing required column or a
        retyped column is an ERROR and holds everything downstream of the day;
        added columns are a WARN and carried in extra_columns_json (those holding e-mails
        are kept apart in pii_extra_columns_json, never published). Landing entries that
        raw_orders refused (outside the landing root, links, folders) and landed files it
        cannot read (unknown extension, dot-files) are an ERROR too, named in the
        metadata. A file with a header and no record is compared by its header (kept in
        raw_orders' metadata, as no row keeps it). A day with no landed file, or only empty
        files, passes saying so: nothing was compared (its volume is metadata_anomaly's to
        judge).
        """
        with telemetry.check_span(context) as span:
            outcomes = {}
            days = days_in_window(context.partition_time_window)
            bounds = [days[0], days[-1]]
            # The three reads on one connection (each of its own cost a DuckDB open).
            with warehouse.session() as session:
                # ``file_rows``, not ``rows``: ROWS is a reserved word in Snowflake.
                all_headers = session.query(headers_sql, bounds).rename(
                    columns={"file_rows": "rows"}
                )
                # Retyped columns are counted in the engine; pandas gets each file's first
                # rows only (renames are judged on them, and integer-money files flag all).
                heads = session.query(heads_sql, [*bounds, RENAME_SAMPLE_ROWS + 1])
                names = ["partition_date", "sampled"] + [
                    f"{kind}_{c}"
                    for c in contract.column_names
                    for kind in ("present", "bad", "files", "low", "high")
                ]
                counted = {
                    row[0]: dict(zip(names, row, strict=True))
                    for row in session.execute(
                        counts_sql, [*bounds, *bounds, RETYPE_SAMPLE_ROWS, HEAD_ROWS]
                    )
                }
            by_day_headers = rows_by_day(all_headers)
            by_day_heads = rows_by_day(heads)
            empty_headers = all_headers.drop(columns="partition_date").iloc[:0]
            landed = latest_materializations(
                context.instance, dg.AssetKey(tables.RAW_ORDERS.key), [d.isoformat() for d in days]
            )
            for day in days:
                headers = by_day_headers.get(day, empty_headers)
                rows = int(headers["rows"].sum())
                sample = by_day_heads.get(day, heads.drop(columns="partition_date").iloc[:0])
                retyped = (
                    retyped_from_counts(counted[day], rows, contract) if day in counted else []
                )
                report = _landing_report(landed.get(day.isoformat()))
                headers = with_header_only(headers, report)
                findings = detect_drift(sample, contract, headers, retyped=retyped)
                findings += [
                    *refused_findings(report.refused),
                    *unreadable_findings(report.unreadable, report.unreadable_names),
                ]
                outcomes[day.isoformat()] = drift_outcome(
                    findings, rows, report.unreadable_names, report.files, report.header_only
                )
            yield from span.record_events(
                partition_check_events(
                    context.op_execution_context,
                    dg.AssetCheckKey(dg.AssetKey(tables.RAW_ORDERS.key), tables.SCHEMA_DRIFT),
                    outcomes,
                )
            )
            blocked = blocking_summary(outcomes)
            if blocked:  # the run's log (a terminal's dg launch) names the days, not only the UI
                context.log.error(blocked)

    return [schema_drift]


def build_published_schema_checks() -> list[dg.AssetChecksDefinition]:
    """Dagster's column-schema change checks (WARN) on the published tables, fed by the
    ``dagster/column_schema`` metadata of their materializations."""
    published = [list(tables.FCT_ORDERS.key), list(tables.DIM_CUSTOMERS.key)]
    return list(dg.build_column_schema_change_checks(assets=published))
