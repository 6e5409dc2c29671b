"""Extra-column values holding quotes and backslashes are loaded by the engine
(``SqlSession._checked_values``, ``_json_object``) from every format it scans, with the
very JSON the reader writes, and routed to ``pii_extra_columns_json`` as the reader
routes them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orders_core.contract import load_contract
from orders_core.sql.cleaning import raw_columns
from tests.support.order_fixtures import land, order_rows
from tests.support.raw_rows import RANGE_ORDER, raw_orders_range_with_loads, reader_rows

DAY = dt.date(2025, 1, 2)
# An e-mail address in one row of a column whose other rows hold quotes and
# backslashes; a column named as e-mail whose values hold some.
NOTES = ['said "hi"', "back\\slash", "ann@example.org", ""]
BACKUPS = ['x"y', None, "z\\/", "w"]


def _landed_day(landing) -> list:
    """One day of the same four orders, with the extras above, as CSV, JSON Lines (``/``
    escaped), a text-only and a typed Parquet file."""
    rows = [
        {**row, "note": note, "email_backup": backup}
        for row, note, backup in zip(order_rows(4, DAY), NOTES, BACKUPS, strict=True)
    ]
    text = io.StringIO()
    writer = csv.DictWriter(text, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    jsonl = "".join(json.dumps(row).replace("/", "\\/") + "\n" for row in rows)
    table = pa.Table.from_pylist(rows)
    typed = table.set_column(5, "quantity", pa.array([int(r["quantity"]) for r in rows]))
    files = {"a.csv": text.getvalue().encode(), "b.jsonl": jsonl.encode()}
    for name, parquet in (("c.parquet", table), ("d.parquet", typed)):
        buffer = io.BytesIO()
        pq.write_table(parquet, buffer)
        files[name] = buffer.getvalue()
    return [(DAY, land(landing, DAY, name, data)) for name, data in files.items()]


@pytest.mark.parametrize(
    ("load", "files"),
    [("load_plain_csv", 1), ("load_plain_jsonl", 1), ("load_plain_parquet", 2)],
)
def test_a_day_of_every_format_with_quoted_extras_loads_the_readers_rows(
    tmp_path, instance, load, files
):
    landed = _landed_day(tmp_path / "landing")
    loaded, loads = raw_orders_range_with_loads(tmp_path, instance, [DAY], load)
    assert loads == [("raw.raw_orders", True)] * files  # the engine loaded them
    assert loaded == reader_rows(landed, RANGE_ORDER)
    columns = raw_columns(load_contract())
    pii = columns.index("pii_extra_columns_json")
    assert [row[pii] for row in loaded[:2]] == [
        '{"note": "said \\"hi\\"", "email_backup": "x\\"y"}',
        '{"note": "back\\\\slash", "email_backup": null}',
    ]
    assert {row[columns.index("extra_columns_json")] for row in loaded} == {None}
