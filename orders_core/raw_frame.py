"""The lossless raw frame every landing file reader produces (``orders_core.ingest``).

Every landed record becomes exactly one row, whatever state it is in: values are kept
as text, columns outside the contract are carried in ``extra_columns_json`` (or, when
they hold e-mail addresses, in ``pii_extra_columns_json``: see :func:`extra_columns`),
and a record that cannot be parsed keeps its original text in ``raw_record`` with the
reason in ``parse_error``. :class:`Records` gathers a file's records and makes them
that frame; the readers of each format (``csv_reader``, ``jsonl_reader``,
``parquet_reader``) fill it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from orders_core.contract import Contract
from orders_core.dtypes import DATE_DTYPE as DATE_DTYPE  # re-exported: part of the raw frame
from orders_core.dtypes import TEXT_DTYPE, repeated_day
from orders_core.pii import holds_emails, names_email
from orders_core.tables import RAW_LINEAGE_COLUMNS

# Lineage values that repeat on every row of a file: Python strings share one object per file.
REPEATED_COLUMNS = ("source_file", "source_format", "file_header")
# Bytes that are not UTF-8, as ``surrogateescape`` decoding keeps them.
UNDECODABLE = re.compile("[\udc80-\udcff]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class LandedFile:
    """One file in the landing zone: where it is, its name and what it holds."""

    uri: str
    name: str
    size: int
    data: bytes


def normalize_header(name: str) -> str:
    """Fold a landed column name onto the contract's naming (case, spaces, hyphens)."""
    return _HEADER_SEPARATORS.sub("_", name.strip().lstrip("\ufeff").strip()).lower()


def raw_columns(contract: Contract) -> list[str]:
    """Column order of the raw frame."""
    return [*contract.column_names, *RAW_LINEAGE_COLUMNS]


def column_dtype(name: str) -> str | pd.StringDtype:
    """The dtype of a column of the raw frame."""
    if name == "source_line":
        return "int64"
    return "string" if name in REPEATED_COLUMNS else TEXT_DTYPE


def empty_raw_frame(contract: Contract) -> pd.DataFrame:
    """A raw frame with no rows and the right column types."""
    return pd.DataFrame(
        {name: pd.Series([], dtype=column_dtype(name)) for name in raw_columns(contract)}
    )


def contract_positions(contract: Contract, header: Sequence[str]) -> dict[str, int]:
    """Where each contract column is in a file's header: the first cell naming it."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalize_header(name)
        if key in contract.column_names and key not in positions:
            positions[key] = index
    return positions


def extra_columns(contract: Contract, header: Sequence[str]) -> list[tuple[int, str]]:
    """The extra columns of a file: (position in the header, key in the extras JSON).

    The key is the header cell as landed. A cell repeated exactly (a second ``promo``,
    or a contract column named twice) keeps every value: its n-th occurrence is keyed
    ``promo__n`` (n = 2, 3, ...), skipping any key another cell of the file already
    uses. Cells that only normalise alike (``Promo Code``, ``promo_code``) are distinct
    keys already.
    """
    used = set(contract_positions(contract, header).values())
    cells = [(index, name) for index, name in enumerate(header) if index not in used]
    keys = numbered_names([name for _, name in cells])
    return [(index, key) for (index, _), key in zip(cells, keys, strict=True)]


def numbered_names(names: Sequence[str]) -> list[str]:
    """``names`` with the n-th occurrence of a repeated one named ``name__n`` (n = 2, 3,
    ..., skipping any name the list already holds): see :func:`numbered_key`."""
    taken, seen, numbered = set(names), set(), []
    for name in names:
        numbered.append(numbered_key(name, taken) if name in seen else name)
        seen.add(name)
    return numbered


def numbered_key(name: str, taken: set[str]) -> str:
    """The key of a repeated name: ``name__n`` with the first n >= 2 that ``taken`` does
    not hold (it then does)."""
    n = 2
    while f"{name}__{n}" in taken:
        n += 1
    taken.add(f"{name}__{n}")
    return f"{name}__{n}"


def _json_objects(
    pairs: Sequence[tuple[str, Sequence[str | None]]], broken: Sequence[bool]
) -> list[str | None]:
    """One JSON object per row of some extra columns (none for broken rows or no columns)."""
    if not pairs:
        return [None] * len(broken)
    return [
        None if skip else json.dumps({key: values[row] for key, values in pairs})
        for row, skip in enumerate(broken)
    ]


class Records:
    """Accumulates records of one file column by column."""

    def __init__(self, contract: Contract, header: Sequence[str]):
        self.header = list(header)
        self.positions = contract_positions(contract, header)
        self.extras = extra_columns(contract, header)
        # Header cells of the extra columns found to hold PII in this file: by name up
        # front, by value as rows are turned into frames (a file's rows may be framed in
        # two parts). Repeated cells are one column name, PII together.
        self.pii_cells = {self.header[i] for i, _ in self.extras if names_email(self.header[i])}
        self.values: list[list[str | None]] = []
        self.lines: list[int] = []
        self.errors: list[str | None] = []
        self.raws: list[str | None] = []

    def add(self, values: Sequence[str | None], line: int) -> None:
        self.values.append(list(values))
        self.lines.append(line)
        self.errors.append(None)
        self.raws.append(None)

    def add_broken(self, error: str, raw: str, line: int) -> None:
        self.values.append([None] * len(self.header))
        self.lines.append(line)
        self.errors.append(error)
        self.raws.append(raw)

    def clear(self) -> None:
        """Forget the records added so far (a batch of them was framed)."""
        self.values, self.lines, self.errors, self.raws = [], [], [], []

    def unresolved_extras(self) -> bool:
        """True while an extra column might still turn out to hold e-mails."""
        return any(self.header[index] not in self.pii_cells for index, _ in self.extras)

    def note_pii(self, values: Sequence[Sequence[str | None]] | None = None) -> None:
        """Mark the extra columns whose ``values`` (in :attr:`extras` order; by default
        those of the records added so far) hold an e-mail address."""
        if values is None:
            columns = list(zip(*self.values, strict=True)) if self.values else []
            values = [columns[i] if columns else () for i, _ in self.extras]
        for (index, _), column in zip(self.extras, values, strict=True):
            if self.header[index] not in self.pii_cells and holds_emails(column):
                self.pii_cells.add(self.header[index])

    def split_extras(
        self, values: Sequence[Sequence[str | None]], broken: Sequence[bool]
    ) -> tuple[list[str | None], list[str | None]]:
        """``extra_columns_json`` and ``pii_extra_columns_json`` of each row, from the
        values of each extra column (in :attr:`extras` order).

        An extra column is PII when its name says e-mail (or is an address) or any of
        its values in the file (in any column of that name) looks like an e-mail
        address; it is then kept out of ``extra_columns_json``, the only one of the two
        that cleaning carries on.
        """
        self.note_pii(values)
        plain: list[tuple[str, Sequence[str | None]]] = []
        pii: list[tuple[str, Sequence[str | None]]] = []
        for (index, key), column in zip(self.extras, values, strict=True):
            (pii if self.header[index] in self.pii_cells else plain).append((key, column))
        return _json_objects(plain, broken), _json_objects(pii, broken)

    def frame(self, contract: Contract, source: LandedFile, fmt: str) -> pd.DataFrame:
        width = len(self.header)
        columns = list(zip(*self.values, strict=True)) if self.values else [()] * width
        n = len(self.values)
        data: dict[str, object] = {}
        for name in contract.column_names:
            position = self.positions.get(name)
            data[name] = columns[position] if position is not None else [None] * n
        # A broken record whose text is in raw_record has no values; one broken with its
        # values kept (a Parquet record, see parquet_reader) keeps its extra values too.
        broken = [raw is not None for raw in self.raws]
        extras = self.split_extras([columns[i] for i, _ in self.extras], broken)
        data["extra_columns_json"], data["pii_extra_columns_json"] = extras
        data["parse_error"] = self.errors
        data["raw_record"] = self.raws
        data["source_file"] = [source.uri] * n
        data["source_line"] = self.lines
        data["source_format"] = [fmt] * n
        data["file_header"] = [json.dumps(self.header)] * n
        return pd.DataFrame({name: pd.array(data[name], dtype=column_dtype(name)) for name in data})


def escape_undecodable(value: str) -> str:
    """Make undecodable bytes (kept as surrogates) visible and lossless: \\xNN."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def with_partition_date(frame: pd.DataFrame, day) -> pd.DataFrame:
    """Stamp a raw frame with the UTC day of its partition."""
    frame["partition_date"] = repeated_day(day, len(frame), frame.index)
    return frame


class UnreadableFile(Exception):
    """A landing file found unreadable after some of its batches were read: the file is
    never read in part, so those rows are void and ``frame`` (one broken record naming
    why) stands for the whole file."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__(frame["parse_error"].iloc[0])
        self.frame = frame


def broken_file(contract: Contract, source: LandedFile, fmt: str, error: str) -> pd.DataFrame:
    """The frame of a file that cannot be read at all: one broken record saying why."""
    records = Records(contract, [])
    records.add_broken(error, "", 0)
    return records.frame(contract, source, fmt)


def foreign_text_frame(
    contract: Contract, source: LandedFile, fmt: str, error: str, text: str
) -> pd.DataFrame:
    """The frame of a text file in another encoding than UTF-8
    (:func:`orders_core.landed_text.foreign_encoding`): one broken record on its first
    line, with its text."""
    records = Records(contract, [])
    records.add_broken(error, text, 1)
    return records.frame(contract, source, fmt)


def whole(batches: Iterator[pd.DataFrame]) -> pd.DataFrame:
    """One frame of a file's batches (its broken record if it turned out unreadable)."""
    try:
        frames = list(batches)
    except UnreadableFile as unreadable:
        return unreadable.frame
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
