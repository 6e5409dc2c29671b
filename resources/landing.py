"""The landing zone: where order files arrive, one folder per UTC day.

Layout: ``<root>/orders/date=YYYY-MM-DD/<name>.csv|.jsonl|.parquet``. The local
implementation reads a directory; production reads S3 with the same layout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import dagster as dg

DATASET = "orders"


@dataclass(frozen=True)
class LandingFileInfo:
    """A file in the landing zone, as listed (contents not read yet)."""

    uri: str
    name: str
    size: int
    version: str  # changes whenever the file's content may have changed (mtime, ETag)


def day_prefix(day: dt.date) -> str:
    """Relative folder of one day's files."""
    return f"{DATASET}/date={day.isoformat()}/"


def fingerprint(files: list[LandingFileInfo]) -> str:
    """A short digest of a day's listing: changes when a file is added, removed or rewritten."""
    digest = hashlib.sha256()
    for info in sorted(files, key=lambda f: f.uri):
        digest.update(f"{info.uri}\0{info.size}\0{info.version}\n".encode())
    return digest.hexdigest()[:16]


class LandingZone(dg.ConfigurableResource):
    """Lists and reads one day's landing files."""

    def list_day(self, day: dt.date) -> list[LandingFileInfo]:
        raise NotImplementedError

    def read(self, info: LandingFileInfo) -> bytes:
        raise NotImplementedError

    def list_days(self) -> list[dt.date]:
        """Every day that has a folder in the landing zone."""
        raise NotImplementedError


class LocalLandingZone(LandingZone):
    """Landing zone in a local directory (the embedded default)."""

    root: str

    def _day_dir(self, day: dt.date) -> Path:
        return Path(self.root) / day_prefix(day)

    def list_day(self, day: dt.date) -> list[LandingFileInfo]:
        folder = self._day_dir(day)
        if not folder.is_dir():
            return []
        files = []
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                stat = path.stat()
                files.append(
                    LandingFileInfo(
                        uri=path.resolve().as_uri(),
                        name=path.name,
                        size=stat.st_size,
                        version=str(stat.st_mtime_ns),
                    )
                )
        return files

    def read(self, info: LandingFileInfo) -> bytes:
        return Path(url2pathname(urlparse(info.uri).path)).read_bytes()

    def list_days(self) -> list[dt.date]:
        base = Path(self.root) / DATASET
        if not base.is_dir():
            return []
        days = []
        for folder in base.glob("date=*"):
            try:
                days.append(dt.date.fromisoformat(folder.name.removeprefix("date=")))
            except ValueError:
                continue
        return sorted(days)
