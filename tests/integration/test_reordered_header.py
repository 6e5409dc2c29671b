"""A file that repeats its header with the columns in another order (two exports
concatenated) is never published with its fields swapped: from that line on its records
are broken (``header_reordered``), kept in quarantine with their values and lines, and
the day still reconciles. A header repeated as it was changes nothing after it."""

from __future__ import annotations

import duckdb
import pytest

from tests.support.batching import run, settings_for
from tests.support.fixture_data import day_dir
from tests.support.local_instance import local_instance
from tests.support.order_fixtures import DAY, HEADER, csv_bytes, order_rows

SWAPPED = ["customer_id", "order_id", *HEADER[2:]]


def _concatenated(second_header: list[str], order: list[str] = SWAPPED) -> bytes:
    """Three orders, then ``second_header`` (cells spelling ``order``'s columns) and two
    orders written in that order."""
    second = [
        dict(zip(second_header, (r[c] for c in order), strict=True))
        for r in order_rows(2, prefix="b")
    ]
    return csv_bytes(order_rows(3, prefix="a")) + csv_bytes(second, second_header)


def _tables(tmp_path, data: bytes, name: str = "orders.csv") -> tuple[list, list]:
    landing = tmp_path / "landing"
    day_dir(landing, DAY).mkdir(parents=True)
    (day_dir(landing, DAY) / name).write_bytes(data)
    settings = settings_for(landing, tmp_path)
    with local_instance() as instance:
        run(settings, instance, DAY, DAY)
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        facts = conn.execute(
            "SELECT order_id, customer_id FROM warehouse.fct_orders ORDER BY order_id"
        ).fetchall()
        quarantined = conn.execute(
            "SELECT q.source_line, landed.order_id, q.reason_code, q.reason_detail"
            " FROM staging.quarantined_orders AS q JOIN raw.raw_orders AS landed"
            " ON landed.source_file = q.source_file AND landed.source_line = q.source_line"
            " ORDER BY q.source_line"
        ).fetchall()
    return facts, quarantined


# Cells padded as the reader strips header names (Python's whitespace): a tab, a no-break
# space (which Snowflake's bare TRIM keeps).
PADDED = ["customer_id\t", "\u00a0order_id\u00a0", *HEADER[2:]]


@pytest.mark.parametrize(
    "spelled", [SWAPPED, [name.replace("_", " ").title() for name in SWAPPED], PADDED]
)
def test_records_after_a_reordered_header_are_quarantined_not_published_swapped(tmp_path, spelled):
    facts, quarantined = _tables(tmp_path, _concatenated(spelled))
    first = order_rows(3, prefix="a")
    assert facts == [(row["order_id"], row["customer_id"]) for row in first]
    # Lines: 1 header, 2-4 the first export, 5 its header again, 6-7 its rows.
    assert [line for line, *_ in quarantined] == [5, 6, 7]
    assert {code for _, _, code, _ in quarantined} == {"malformed_record"}
    assert all(
        detail.startswith("malformed_record: header_reordered: line 5 repeats the file's header")
        for *_, detail in quarantined
    )
    # The raw rows keep the values they landed with (swapped), for whoever fixes them.
    second = order_rows(2, prefix="b")
    assert [order_id for _, order_id, _, _ in quarantined[1:]] == [
        row["customer_id"] for row in second
    ]


def test_a_header_repeated_as_it_was_quarantines_its_own_line_only(tmp_path):
    facts, quarantined = _tables(tmp_path, _concatenated(list(HEADER), list(HEADER)))
    expected = order_rows(3, prefix="a") + order_rows(2, prefix="b")
    assert facts == sorted((row["order_id"], row["customer_id"]) for row in expected)
    assert [line for line, *_ in quarantined] == [5]
    assert "header_reordered" not in quarantined[0][3]


def test_a_reordered_header_in_a_gzip_file_is_found_too(tmp_path):
    import gzip

    data = gzip.compress(_concatenated(SWAPPED), mtime=0)
    facts, quarantined = _tables(tmp_path, data, "orders.csv.gz")
    assert len(facts) == 3
    assert [line for line, *_ in quarantined] == [5, 6, 7]


@pytest.mark.parametrize("name", ["orders.csv", "orders.csv.gz"])
def test_blank_lines_before_the_header_load_every_order_and_keep_the_files_lines(tmp_path, name):
    """Blank lines before the header: read as the header, they made every record of the
    file a broken one (field_count). The header is the first line that is not blank, the
    engine loads the file (gzip too) and a reordered header is found at its own line."""
    import gzip

    data = b"\n \t\n" + _concatenated(SWAPPED)
    facts, quarantined = _tables(
        tmp_path, gzip.compress(data, mtime=0) if "gz" in name else data, name
    )
    assert facts == [(row["order_id"], row["customer_id"]) for row in order_rows(3, prefix="a")]
    # Lines: 1-2 blank, 3 header, 4-6 the first export, 7 its header again, 8-9 its rows.
    assert [line for line, *_ in quarantined] == [7, 8, 9]
    assert all("header_reordered: line 7 " in detail for *_, detail in quarantined)
