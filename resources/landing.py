"""The landing zone: where order files arrive, one folder per UTC day.

Layout: ``<root>/orders/date=YYYY-MM-DD/<name>.csv|.jsonl|.parquet`` (``.csv.gz``,
``.jsonl.gz`` too). The local
implementation reads a directory; production reads S3 with the same layout.

Containment rule: a landing file is only ever read from inside the landing root.
Locally, every symbolic link under the root (a file, a day folder, the ``orders``
folder) is refused, wherever it points: a link that resolves outside the root would
leak another file, and one that resolves inside would count a file twice or under
another day. Anything else that resolves outside the root is refused too. In S3, a
key that is not a plain name directly under the day's prefix is refused. A refused
entry is never read; it is reported by :meth:`LandingZone.scan_day` with its name and
reason only (never its target or content), so raw_orders can show it. A folder (or
any other entry that is not a regular file) inside a day's folder is refused the same
way, locally and in S3: its files are not read, and the day says so.

Every regular file of a day is listed, dot-files included (``.DS_Store``, ``._x.csv``):
which of them the platform can read is the readers' decision
(:mod:`orders_core.landing_formats`), and the ones it cannot read are reported, never
skipped quietly. They count in the day's :func:`fingerprint`, so removing one re-runs
the day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote_to_bytes, urlparse

import dagster as dg

from orders_core.landing_formats import display_name
from orders_core.pii import redact_emails, redact_uri

DATASET = "orders"
# Daily FX rates: CSV files directly in ``<root>/fx_rates/`` (no day folders: each row
# names its day), every one of them re-read by each run of the fx_rates asset.
RATES_DATASET = "fx_rates"


@dataclass(frozen=True)
class LandingFileInfo:
    """A file in the landing zone, as listed (contents not read yet)."""

    uri: str
    name: str
    size: int
    version: str  # changes whenever the file's content may have changed (mtime, ETag)


OUTSIDE_ROOT = "resolves outside the landing root"
SYMLINK_INSIDE = "is a symbolic link (landing files must be regular files)"
GONE = "is no longer in the landing zone (moved or removed since its day was listed)"
NOT_A_FILE = "is not a file directly in the day's folder (a folder, or a special file)"
MISNAMED_DAY = "names its day otherwise than date=YYYY-MM-DD: not read (rename the folder)"
# Entries of ``orders/`` that belong to no day: no day's run reads or reports them.
OUTSIDE_DAYS = "is a file outside any day folder (orders/date=YYYY-MM-DD/): not read"
NOT_A_DAY = "is a folder that names no day (date=YYYY-MM-DD): its files are not read"


@dataclass(frozen=True)
class RefusedFile:
    """A landing entry that is not read: its name (relative to the landing root) and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class DayListing:
    """One day's listing: the files to read and the entries refused."""

    files: list[LandingFileInfo]
    refused: list[RefusedFile]


@dataclass(frozen=True)
class OrdersListing:
    """One listing of ``orders/``: its folders that may hold a day (``date=...``, a
    misnamed one included), and the entries no day reads (:func:`outside_days`)."""

    day_folders: list[str]
    outside_days: list[RefusedFile]


def orders_listing(
    folders: Iterable[str], files: Iterable[str], refused: Iterable[RefusedFile] = ()
) -> OrdersListing:
    """Sort the entries of ``orders/`` (its folders' and files' names, and entries the
    containment rule refused there): a folder named ``date=`` and a day in some spelling
    Python reads as a date is a day's (a misnamed one is reported by its day's run);
    every other entry is outside the days, named relative to the landing root."""
    folders = sorted(folders)
    day_folders = [name for name in folders if _named_day(name) is not None]
    outside = [
        *(RefusedFile(f"{DATASET}/{name}", OUTSIDE_DAYS) for name in sorted(files)),
        *(
            RefusedFile(f"{DATASET}/{name}/", NOT_A_DAY)
            for name in folders
            if _named_day(name) is None
        ),
        *refused,
    ]
    return OrdersListing(day_folders, sorted(outside, key=lambda entry: entry.name))


class LandingRefusedError(PermissionError):
    """A read of something that is not inside the landing zone."""


class LandedFileChangedError(RuntimeError):
    """A landed file was rewritten between the day's listing and its read: the version
    listed (which the day's ``orders/landing_fingerprint`` records) is no longer there to
    read, so nothing is written from a mix of versions. Transient: listed again, the day
    reads the new version. ``shown`` is the file's URI as errors and metadata name it:
    e-mail addresses masked, as :func:`shown_name` names files (a step's error is stored
    and alerted on)."""

    def __init__(self, uri: str, version: str) -> None:
        self.uri = uri
        self.version = version
        self.shown = redact_uri(uri)
        super().__init__(
            f"landed file {self.shown} changed while being read (listed as version"
            f" {version!r}, since rewritten or replaced), so nothing was written from it."
        )


class LandingReadError(OSError):
    """A listed landing file that cannot be opened (gone since the listing, no permission).

    Its message names the file by :func:`shown_name` and says why, never by its path: the
    error of a step reaches Dagster's event log, its alerts and the run's trace, where the
    name of a file, landed text, must not carry an e-mail address in clear (an OSError
    quotes the whole path)."""


def day_prefix(day: dt.date) -> str:
    """Relative folder of one day's files."""
    return f"{DATASET}/date={day.isoformat()}/"


def folder_day(name: str) -> dt.date | None:
    """The day of a folder named ``date=YYYY-MM-DD``, the only spelling :func:`day_prefix`
    reads; None for any other name (see :func:`misnamed_folder_day`)."""
    day = _named_day(name)
    return day if day is not None and name == f"date={day.isoformat()}" else None


def misnamed_folder_day(name: str) -> dt.date | None:
    """The day a folder names in another spelling Python reads as a date (``date=20250101``,
    ``date=2025-W01-3``), else None. Its files are not read (the day's folder is
    ``date=2025-01-01``); the day is still listed, so that its run reports the folder as
    refused and schema_drift holds the day, instead of the files going unread unseen."""
    day = _named_day(name)
    return day if day is not None and name != f"date={day.isoformat()}" else None


def _named_day(name: str) -> dt.date | None:
    if not name.startswith("date="):
        return None
    try:
        return dt.date.fromisoformat(name.removeprefix("date="))
    except ValueError:
        return None


def days_of_folders(names: Iterable[str]) -> list[dt.date]:
    """The days named by day folders (``date=...`` names), each once, in order: a day is
    listed for a misnamed folder too (:func:`misnamed_folder_day`)."""
    return sorted({day for name in names if (day := _named_day(name)) is not None})


def partition_days(
    days: Iterable[dt.date], partitions_def: dg.PartitionsDefinition
) -> list[dt.date]:
    """Those of ``days`` that are partitions of ``partitions_def``, in their order.

    Dagster's keys are listed once: its ``has_partition_key`` looks up the first and last
    partitions (from the clock) on every call, 0.15 ms a day, which made every tick of
    the landing sensor cost 0.1 s more at 730 days of folders (bench/RESULTS.md, session
    35)."""
    keys = frozenset(partitions_def.get_partition_keys())
    return [day for day in days if day.isoformat() in keys]


def misnamed_refusals(
    names: Iterable[str], days: Iterable[dt.date]
) -> dict[dt.date, list[RefusedFile]]:
    """For each of ``days``, its misnamed day folders among ``names``, as refused entries."""
    wanted = set(days)
    refused: dict[dt.date, list[RefusedFile]] = {}
    for name in sorted(names):
        day = misnamed_folder_day(name)
        if day in wanted:
            refused.setdefault(day, []).append(RefusedFile(f"{DATASET}/{name}/", MISNAMED_DAY))
    return refused


def fingerprint(files: list[LandingFileInfo]) -> str:
    """A short digest of a day's listing: changes when a file is added, removed or rewritten."""
    digest = hashlib.sha256()
    for info in sorted(files, key=lambda f: f.uri):
        digest.update(f"{info.uri}\0{info.size}\0{info.version}\n".encode())
    return digest.hexdigest()[:16]


def files_fingerprint(files: list[LandingFileInfo]) -> str:
    """A short digest of a day's files by name, size and version, wherever the landing zone
    is: :func:`fingerprint` digests each file's full URI, so a zone copied or moved to
    another ``ORDERS_LANDING_URI`` (its versions kept) changes every day's fingerprint and
    not this one (the landing sensor's sweep tells such days from changed ones by it)."""
    digest = hashlib.sha256()
    for info in sorted(files, key=lambda f: f.name):
        # A name that is not UTF-8 is listed with its bytes escaped: digested as those bytes.
        digest.update(
            f"{info.name}\0{info.size}\0{info.version}\n".encode("utf-8", "surrogateescape")
        )
    return digest.hexdigest()[:16]


def listing_fingerprint(listing: DayListing) -> str:
    """A short digest of a whole listing (``fx_rates/``): its files as :func:`fingerprint`
    digests them, and its refused entries (a link, a folder) by name and reason, which are
    read as rows saying why: removing or fixing one changes what a run loads."""
    digest = hashlib.sha256(fingerprint(listing.files).encode())
    for entry in sorted(listing.refused, key=lambda e: (e.name, e.reason)):
        digest.update(f"\n{entry.name}\0{entry.reason}".encode())
    return digest.hexdigest()[:16]


class LandingZone(dg.ConfigurableResource):
    """Lists and reads one day's landing files."""

    def list_day(self, day: dt.date) -> list[LandingFileInfo]:
        raise NotImplementedError

    def scan_day(self, day: dt.date) -> DayListing:
        """The day's files and the entries refused by the containment rule."""
        return DayListing(self.list_day(day), [])

    def files_of_days(self, days: Iterable[dt.date]) -> dict[dt.date, list[LandingFileInfo]]:
        """Each of ``days``' files, as :meth:`list_day` lists them (a sensor's tick
        fingerprints several days): a listing of each day here; the S3 zone lists them
        together, in as few requests as it can."""
        return {day: self.list_day(day) for day in sorted(set(days))}

    def read(self, info: LandingFileInfo) -> bytes:
        raise NotImplementedError

    @contextmanager
    def stream(self, info: LandingFileInfo) -> Iterator[BinaryIO]:
        """The landed file open for reading, seekable, from its start (the local zone
        opens the file; S3 downloads it to a temporary file a chunk at a time; this
        default reads it whole)."""
        yield io.BytesIO(self.read(info))

    @contextmanager
    def local_file(self, info: LandingFileInfo) -> Iterator[tuple[BinaryIO, str] | None]:
        """An open handle on a landed file and a path the warehouse engine can open for
        the very same file, when it is on this machine; None otherwise (S3)."""
        yield None

    def has_local_files(self) -> bool:
        """Whether :meth:`local_file` can give the engine a path (files on this machine)."""
        return False

    def missing_root(self) -> str | None:
        """Why the landing zone itself cannot be there (a directory that does not exist:
        a mistyped ORDERS_LANDING_URI), or None. An S3 prefix cannot be told from an empty
        one, so only the local zone says."""
        return None

    def list_days(self) -> list[dt.date]:
        """Every day that has a folder in the landing zone (a misnamed one included)."""
        return days_of_folders(self.day_folder_names())

    def day_folder_names(self) -> list[str]:
        """The names of the folders under ``orders/`` that may hold a day (``date=...``)."""
        return self.scan_orders().day_folders

    def scan_orders(self) -> OrdersListing:
        """One listing of ``orders/`` (not of the days' folders): the day folders, and the
        entries outside any day, which no day's run reads or reports (a file directly
        under ``orders/``, a folder that names no day, a linked folder)."""
        raise NotImplementedError

    def scan_rates(self) -> DayListing:
        """The files directly in ``fx_rates/`` and the entries there that are not read (a
        link, a folder), under the same containment rule as a day's files."""
        raise NotImplementedError

    def misnamed_day_folders(self, days: Iterable[dt.date]) -> dict[dt.date, list[RefusedFile]]:
        """For each of ``days``, its folders spelled otherwise than ``date=YYYY-MM-DD``
        (:func:`misnamed_folder_day`), as refused entries: one listing of ``orders/``."""
        return misnamed_refusals(self.day_folder_names(), days)


def shown_name(info: LandingFileInfo) -> str:
    """The file's name in an error a user reads: undecodable bytes as ``\\xNN``, line
    breaks escaped, e-mail addresses masked (a step's error is stored and alerted on)."""
    return redact_emails(display_name(info.name))


def _local_path(uri: str) -> Path:
    """The path of a local file from its ``Path.as_uri()``: the percent-encoded bytes of
    its name, decoded as the file system encodes names. ``url2pathname`` decodes them as
    UTF-8 with replacement characters, so a file named in Latin-1 (``caf\\xe9.csv``, from
    an older SFTP client) was looked up under another name and its day failed to load."""
    return Path(os.fsdecode(unquote_to_bytes(urlparse(uri).path)))


class LocalLandingZone(LandingZone):
    """Landing zone in a local directory (the embedded default)."""

    root: str

    def _root(self) -> Path:
        return Path(self.root).resolve(strict=True)

    def _refusal(self, path: Path, root: Path) -> str | None:
        """Why ``path`` (under the root) may not be read, or None when it may."""
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):  # dangling link, loop, vanished
            return OUTSIDE_ROOT if path.is_symlink() else "cannot be resolved"
        if not resolved.is_relative_to(root):
            return OUTSIDE_ROOT
        if path.is_symlink():
            return SYMLINK_INSIDE
        return None

    def missing_root(self) -> str | None:
        if Path(self.root).is_dir():
            return None
        return (
            f"the landing zone {self.root} is not a directory (ORDERS_LANDING_URI):"
            " every day would be read as landing no file, and its rows replaced by none"
        )

    def scan_day(self, day: dt.date) -> DayListing:
        return self._scan_folder((DATASET, f"date={day.isoformat()}"))

    def scan_rates(self) -> DayListing:
        return self._scan_folder((RATES_DATASET,))

    def _scan_folder(self, parts: tuple[str, ...]) -> DayListing:
        """The regular files of the folder ``parts`` under the root, and what is refused."""
        if not Path(self.root).is_dir():
            return DayListing([], [])
        root = self._root()
        files: list[LandingFileInfo] = []
        refused: list[RefusedFile] = []
        folder = root
        for part in parts:
            folder = folder / part
            if not folder.exists() and not folder.is_symlink():
                return DayListing([], [])
            reason = self._refusal(folder, root)
            if reason:
                name = folder.relative_to(root).as_posix() + "/"
                return DayListing([], [RefusedFile(name, reason)])
        if not folder.is_dir():
            return DayListing([], [])
        for path in sorted(folder.iterdir()):
            reason = self._refusal(path, root)
            if reason:
                refused.append(RefusedFile(path.name, reason))
                continue
            info = path.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                refused.append(RefusedFile(path.name + "/" * path.is_dir(), NOT_A_FILE))
                continue
            files.append(
                LandingFileInfo(
                    uri=path.as_uri(),
                    name=path.name,
                    size=info.st_size,
                    version=str(info.st_mtime_ns),
                )
            )
        return DayListing(files, refused)

    def list_day(self, day: dt.date) -> list[LandingFileInfo]:
        return self.scan_day(day).files

    def read(self, info: LandingFileInfo) -> bytes:
        """The file's bytes, if it is still a regular file inside the root (no link on the way)."""
        with self._open(info) as handle:
            return handle.read()

    def has_local_files(self) -> bool:
        return True

    def stream(self, info: LandingFileInfo) -> AbstractContextManager[BinaryIO]:
        return self._open(info)

    @contextmanager
    def local_file(self, info: LandingFileInfo) -> Iterator[tuple[BinaryIO, str] | None]:
        """The checked, open file and ``/proc/self/fd/N`` naming that open file: the engine
        reads the file that was checked, even if the name is swapped for a link meanwhile."""
        with self._open(info) as handle:
            proc = f"/proc/self/fd/{handle.fileno()}"
            yield (handle, proc) if os.path.exists(proc) else None

    @contextmanager
    def _open(self, info: LandingFileInfo) -> Iterator[BinaryIO]:
        """The landed file opened for reading, if it is still a regular file inside the
        root (no link on the way)."""
        path = _local_path(info.uri)
        root = self._root()
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            if not path.is_symlink() and not path.exists():
                raise LandingReadError(f"{shown_name(info)}: {GONE}") from None
            raise LandingRefusedError(f"{shown_name(info)}: {OUTSIDE_ROOT}") from None
        if resolved != path or not resolved.is_relative_to(root):
            raise LandingRefusedError(f"{shown_name(info)}: {OUTSIDE_ROOT}")
        # O_NOFOLLOW: a file swapped for a link between the check and the open is refused.
        try:
            fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            if os.path.islink(resolved):
                raise LandingRefusedError(f"{shown_name(info)}: {SYMLINK_INSIDE}") from None
            reason = GONE if isinstance(error, FileNotFoundError) else error.strerror
            raise LandingReadError(f"{shown_name(info)}: {reason}") from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise LandingRefusedError(f"{shown_name(info)}: not a regular file")
            yield handle

    def scan_orders(self) -> OrdersListing:
        """Folders inside the root; a linked entry is refused (not listed as a day)."""
        base = Path(self.root) / DATASET
        if not base.is_dir():
            return OrdersListing([], [])
        root = self._root()
        if reason := self._refusal(base, root):
            return OrdersListing([], [RefusedFile(f"{DATASET}/", reason)])
        folders, files, refused = [], [], []
        for entry in base.iterdir():
            if reason := self._refusal(entry, root):
                refused.append(RefusedFile(f"{DATASET}/{entry.name}", reason))
            elif entry.is_dir():
                folders.append(entry.name)
            else:
                files.append(entry.name)
        return orders_listing(folders, files, refused)
