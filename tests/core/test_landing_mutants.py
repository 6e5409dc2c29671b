"""Valid landing files mutated byte by byte (``tests.support.landing_mutants``: cut
anywhere, NUL, lone CR, lone quote, byte-order mark or bytes that are not UTF-8 put in,
the header doubled, deleted or repeated inside, lines doubled or deleted, delimiters
swapped, the file twice over, gzip members appended or cut, JSON Lines braces lost),
through the reader: it never raises, every order whose id survives whole in the landed
text is a raw row (or inside an unparseable record's text), a gzip file it cannot
decompress is one unparseable record saying why, and the reader streaming the file
(as raw_orders stages it) gives the rows of the reader of its bytes.

The draws are seeded (a fixed list of 135 mutants, 96 of them also streamed). The platform's other paths
(the engine's scans, range and day-by-day runs) are compared on the nastiest of them in
``tests/integration/test_batching_mutants.py``.
"""

from __future__ import annotations

import io
import zlib

import pandas as pd
import pytest

from orders_core.contract import load_contract
from orders_core.csv_reader import csv_batches
from orders_core.ingest import read_landed_file
from orders_core.jsonl_reader import jsonl_batches
from orders_core.raw_frame import LandedFile, whole
from tests.support.landing_mutants import (
    csv_bytes,
    gzip_mutants,
    jsonl_bytes,
    order_ids_in,
    orders,
    surviving_order_ids,
    text_mutants,
)

CONTRACT = load_contract()
DAY = "2025-01-01"
BASES = {
    "lf.csv": csv_bytes(orders(DAY)),
    "crlf.csv": csv_bytes(orders(DAY), "\r\n"),
    "plain.jsonl": jsonl_bytes(orders(DAY)),
}


def _mutants() -> list[tuple[str, str, bytes]]:
    found = [
        (name, kind, mutant)
        for seed, (name, data) in enumerate(BASES.items())
        for kind, mutant in text_mutants(data, seed)
    ]
    found += [("lf.csv.gz", kind, m) for kind, m in gzip_mutants(BASES["lf.csv"], 64)]
    return found


MUTANTS = _mutants()


def _frame(name: str, data: bytes) -> pd.DataFrame:
    frame = read_landed_file(CONTRACT, LandedFile(f"file:///l/{name}", name, len(data), data))
    assert frame is not None
    return frame


def _decompressed(data: bytes) -> bytes | None:
    """Every member of a gzip file, None when one cannot be decompressed to its end."""
    text = b""
    while data:
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            text += member.decompress(data)
        except zlib.error:
            return None
        if not member.eof:
            return None
        data = member.unused_data
    return text


def _ids(frame: pd.DataFrame) -> set[bytes]:
    return order_ids_in(list(frame.astype(str).itertuples(index=False)))


@pytest.mark.parametrize(
    ("name", "kind", "data"), MUTANTS, ids=[f"{n}-{k}-{i}" for i, (n, k, _) in enumerate(MUTANTS)]
)
def test_a_mutant_loses_no_surviving_order(name, kind, data):
    frame = _frame(name, data)
    text = _decompressed(data) if name.endswith(".gz") else data
    if text is None:  # the file is one unparseable record, saying why
        assert len(frame) == 1
        assert frame["parse_error"].iloc[0].startswith("unreadable_gzip")
        return
    assert surviving_order_ids(text) <= _ids(frame), kind


@pytest.mark.parametrize(
    ("name", "kind", "data"),
    [m for m in MUTANTS if not m[0].endswith(".gz")],
    ids=[f"{n}-{k}-{i}" for i, (n, k, _) in enumerate(MUTANTS) if not n.endswith(".gz")],
)
def test_the_streaming_reader_reads_a_mutant_as_the_reader_of_its_bytes(name, kind, data):
    batches = csv_batches if name.endswith(".csv") else jsonl_batches
    source = LandedFile(f"file:///l/{name}", name, len(data), b"")
    streamed = whole(batches(CONTRACT, source, stream=io.BytesIO(data)))
    pd.testing.assert_frame_equal(
        streamed.reset_index(drop=True), _frame(name, data).reset_index(drop=True)
    )
