"""The production landing zone: the same ``orders/date=YYYY-MM-DD/`` layout under ``s3://bucket/prefix``.

Listed like the local zone (see :mod:`resources.landing`): every object directly under
the day's prefix is a file, dot-files included; keys under a deeper "folder" of the day
are refused (``NOT_A_FILE``), named by that folder.

Throttling (``SlowDown``) and 5xx answers are retried by botocore's own retry
modes, configured once on the client; this module never loops on errors itself.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, Literal
from urllib.parse import quote, unquote

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from resources.landing import (
    DATASET,
    NOT_A_FILE,
    OUTSIDE_ROOT,
    RATES_DATASET,
    DayListing,
    LandedFileChangedError,
    LandingFileInfo,
    LandingRefusedError,
    LandingZone,
    OrdersListing,
    RefusedFile,
    day_prefix,
    orders_listing,
    shown_name,
)

# Bytes of a landed object downloaded at a time by S3LandingZone.stream.
DOWNLOAD_CHUNK_BYTES = 8 * 1024 * 1024


def s3_file_uri(bucket: str, folder: str, name: str) -> str:
    """The URI of the file ``name`` of ``folder`` (a key prefix ending with ``/``), its name
    percent-encoded as ``Path.as_uri`` encodes a local file's: ``source_file`` then orders
    the files of a day as locally (the tie rule: ``%C3%A9.csv`` before ``z.csv``), and a
    ``#`` or ``?`` in a name is not read as a fragment or a query."""
    return f"s3://{bucket}/{folder}{quote(name)}"


def s3_file_key(uri: str) -> tuple[str, str]:
    """``s3_file_uri``'s bucket and the file's key (its name decoded)."""
    bucket, path = parse_s3_uri(uri)
    folder, _, name = path.rpartition("/")
    return bucket, f"{folder}/{unquote(name)}" if folder else unquote(name)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` -> ``("bucket", "some/prefix")``.

    Split by hand, not with ``urlparse``: a key may hold ``#`` or ``?``, which a URL parser
    reads as a fragment or a query (``s3://b/land#ing`` was the prefix ``land``)."""
    scheme, separator, rest = uri.partition("://")
    bucket, _, path = rest.partition("/")
    if scheme != "s3" or not separator or not bucket:
        raise ValueError(f"expected an s3://bucket[/prefix] URI, got {uri!r}")
    return bucket, path.strip("/")


class RetryingS3Resource(S3Resource):
    """dagster-aws's S3Resource with botocore's retry mode chosen in configuration.

    S3Resource always builds its client in ``standard`` mode; ``adaptive`` adds
    client-side rate limiting, which suits a prefix that S3 keeps throttling.
    ``max_attempts`` counts the first request too (botocore's ``total_max_attempts``;
    its ``max_attempts`` key would count retries only).
    """

    retry_mode: Literal["standard", "adaptive", "legacy"] = "standard"
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def get_client(self) -> Any:
        config = Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            signature_version=UNSIGNED if self.use_unsigned_session else None,
        )
        session = boto3.session.Session(profile_name=self.profile_name)
        return session.client(
            "s3",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            use_ssl=self.use_ssl,
            verify=self.verify,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            config=config,
        )


class S3LandingZone(LandingZone):
    """Landing zone in S3: ``s3://<bucket>/<prefix>/orders/date=YYYY-MM-DD/<file>``.

    A file's version is its ETag, and a read asks for exactly that ETag, so the
    bytes read always match the listing that the partition's fingerprint covers.
    """

    s3: RetryingS3Resource
    bucket: str
    prefix: str = ""
    page_size: int = 1000
    _client: Any = PrivateAttr(default=None)

    @property
    def client(self) -> Any:
        """The boto3 S3 client, created on first use and reused for the run."""
        if self._client is None:
            self._client = self.s3.get_client()
        return self._client

    def _key(self, relative: str) -> str:
        return (
            posixpath.join(self.prefix.strip("/"), relative) if self.prefix.strip("/") else relative
        )

    def _pages(self, folder: str) -> Iterator[dict]:
        paginator = self.client.get_paginator("list_objects_v2")
        yield from paginator.paginate(
            Bucket=self.bucket,
            Prefix=folder,
            Delimiter="/",
            PaginationConfig={"PageSize": self.page_size},
        )

    def scan_day(self, day: dt.date) -> DayListing:
        return self._scan_folder(self._key(day_prefix(day)))

    def scan_rates(self) -> DayListing:
        return self._scan_folder(self._key(f"{RATES_DATASET}/"))

    def _scan_folder(self, folder: str) -> DayListing:
        """The objects directly under ``folder`` (a key prefix ending with ``/``), and the
        keys refused there."""
        files = []
        refused = []
        for page in self._pages(folder):
            for item in page.get("Contents", []):
                key = item["Key"]
                name = key[len(folder) :] if key.startswith(folder) else key
                if key == folder:  # a "folder" marker object, not a file
                    continue
                outside = name in (".", "..") or not self._owns(key, folder)
                if outside:
                    refused.append(RefusedFile(name, OUTSIDE_ROOT))
                    continue
                files.append(
                    LandingFileInfo(
                        uri=s3_file_uri(self.bucket, folder, name),
                        name=name,
                        size=int(item["Size"]),
                        version=item["ETag"].strip('"'),
                    )
                )
            for common in page.get("CommonPrefixes", []):  # keys in a "folder" of the day
                refused.append(RefusedFile(common["Prefix"][len(folder) :], NOT_A_FILE))
        return DayListing(
            sorted(files, key=lambda info: info.name), sorted(refused, key=lambda r: r.name)
        )

    @staticmethod
    def _owns(key: str, folder: str) -> bool:
        """True when ``key`` is a plain file name directly under ``folder`` (no ``..``, no ``/``).

        A backslash is an ordinary character of a key, as of a local file name: refusing it
        here (only) made prod skip a file the local zone reads."""
        name = key[len(folder) :]
        return key.startswith(folder) and bool(name) and "/" not in name and name not in (".", "..")

    def list_day(self, day: dt.date) -> list[LandingFileInfo]:
        return self.scan_day(day).files

    def files_of_days(self, days: Iterable[dt.date]) -> dict[dt.date, list[LandingFileInfo]]:
        """Each of ``days``' files, as :meth:`list_day` lists them, from one walk through the
        keys of ``orders/`` in S3's order (a day's keys are next to each other, the days in
        date order), without the delimiter: a request lists up to ``page_size`` keys,
        however many days they belong to. Where a page ends before the next wanted day,
        the walk goes on from that day's prefix (``StartAfter``), skipping the days
        between: one request for days whose keys fit a page together, and at most one
        more a day than a listing of each day (the page that runs past a day's end), but
        for keys in a sub-folder of a day's folder (refused: not the day's files), which
        the walk pages through where a day's own listing folds them into one entry. A
        sensor's tick listing each held day cost a request a day (500 held days: 500
        requests a tick, bench/RESULTS.md, hunt 67)."""
        wanted = {self._key(day_prefix(day)): day for day in set(days)}
        found: dict[dt.date, list[LandingFileInfo]] = {day: [] for day in wanted.values()}
        prefixes = sorted(wanted)
        index = 0  # prefixes[index]: the first wanted day not wholly listed yet
        start_after = ""
        while index < len(prefixes):
            # Never back: a key between the last one listed and the next day's prefix
            # (``date=2025-01-01-old/x`` sorts before ``date=2025-01-01/``) is no day's.
            start_after = max(start_after, prefixes[index][:-1])
            page = self.client.list_objects_v2(
                Bucket=self.bucket,
                Prefix=self._key(f"{DATASET}/"),
                StartAfter=start_after,
                MaxKeys=self.page_size,
            )
            for item in page.get("Contents", []):
                key = item["Key"]
                while (
                    index < len(prefixes)
                    and key > prefixes[index]
                    and not key.startswith(prefixes[index])
                ):
                    index += 1  # past that day's keys
                if index == len(prefixes):
                    break
                folder = prefixes[index]
                if self._owns(key, folder):  # as _scan_folder reads a day's files
                    name = key[len(folder) :]
                    found[wanted[folder]].append(
                        LandingFileInfo(
                            uri=s3_file_uri(self.bucket, folder, name),
                            name=name,
                            size=int(item["Size"]),
                            version=item["ETag"].strip('"'),
                        )
                    )
                start_after = key
            if not page.get("IsTruncated"):
                break
        return {
            day: sorted(files, key=lambda info: info.name) for day, files in sorted(found.items())
        }

    def read(self, info: LandingFileInfo) -> bytes:
        return self._get(info)["Body"].read()

    @contextmanager
    def stream(self, info: LandingFileInfo) -> Iterator[BinaryIO]:
        """The landed object, downloaded :data:`DOWNLOAD_CHUNK_BYTES` at a time into a
        temporary file (no name left behind) and open for reading from its start: the
        readers stream it as they stream a local file, and the object is never held whole
        in memory. Read whole, a CSV file of 4M orders (626 MB) alone was 626 MB of the
        step process's memory."""
        body = self._get(info)["Body"]
        with tempfile.TemporaryFile(prefix="orders-landed-") as copy:
            try:
                for chunk in body.iter_chunks(DOWNLOAD_CHUNK_BYTES):
                    copy.write(chunk)
            finally:
                body.close()
            copy.seek(0)
            yield copy

    def _get(self, info: LandingFileInfo) -> dict:
        """``get_object`` of the file, at the version listed, once its key is checked to be
        a file of a day folder (or of ``fx_rates/``) of this zone;
        :class:`LandedFileChangedError` when the file
        was rewritten since it was listed."""
        bucket, key = s3_file_key(info.uri)
        folder = posixpath.dirname(key) + "/"
        under = self._key(f"{DATASET}/")
        day_folder = folder[len(under) :] if folder.startswith(under) else ""
        in_landing = re.fullmatch(
            r"date=\d{4}-\d{2}-\d{2}/", day_folder
        ) is not None or folder == self._key(f"{RATES_DATASET}/")
        if bucket != self.bucket or not in_landing or not self._owns(key, folder):
            raise LandingRefusedError(f"{shown_name(info)}: {OUTSIDE_ROOT}")
        if posixpath.normpath(key) != key or ".." in key.split("/"):
            raise LandingRefusedError(f"{shown_name(info)}: {OUTSIDE_ROOT}")
        try:
            return self.client.get_object(Bucket=bucket, Key=key, IfMatch=f'"{info.version}"')
        except ClientError as error:
            # 412: the object's ETag is no longer the one listed (If-Match).
            if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
                raise LandedFileChangedError(info.uri, info.version) from error
            raise

    def scan_orders(self) -> OrdersListing:
        """The listing of ``orders/`` the days' folders come from, which also holds the
        objects directly under it (files outside any day): no request more."""
        folder = self._key(f"{DATASET}/")
        folders, files = [], []
        for page in self._pages(folder):
            folders += [
                common["Prefix"][len(folder) :].strip("/")
                for common in page.get("CommonPrefixes", [])
            ]
            files += [
                item["Key"][len(folder) :]
                for item in page.get("Contents", [])
                if item["Key"] != folder
            ]
        return orders_listing(folders, files)


def s3_landing_zone(
    uri: str,
    *,
    endpoint_url: str | None,
    region: str | None,
    max_attempts: int,
    retry_mode: str,
) -> S3LandingZone:
    """The landing zone for an ``s3://bucket/prefix`` URI and the client's retry settings."""
    try:
        bucket, prefix = parse_s3_uri(uri)
    except ValueError:
        raise ValueError(
            f"PLATFORM_ENV=prod reads the landing zone from S3: ORDERS_LANDING_URI must be"
            f" s3://bucket/prefix, got {uri!r}"
        ) from None
    return S3LandingZone(
        s3=RetryingS3Resource(
            endpoint_url=endpoint_url,
            region_name=region,
            max_attempts=max_attempts,
            retry_mode=retry_mode,
        ),
        bucket=bucket,
        prefix=prefix,
    )
