"""Landed values at the edges of cleaned_orders' rules, through the real assets: the
day's blocking checks (gx_quality, reconciliation) pass and every landed row is cleaned,
quarantined with its reason or superseded.

cleaned_orders' checks test what the cleaning enforces; a landed value that makes one
fail is a disagreement between the two, which withholds the day from fct_orders and
makes customer_metrics refuse. Each value is landed in CSV, JSON Lines and typed Parquet.
"""

from __future__ import annotations

import json
import math

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from tests.support.order_fixtures import DAY, csv_bytes, land, order_rows, settings_for

TINY = math.ulp(0.0)  # the smallest positive double, 4.9e-324
CHECKS = ("gx_quality", "reconciliation")


def _rows(prefix: str) -> tuple[list[dict], dict[str, str | None]]:
    """Orders landing with the values under test, and the reason code each must get
    (None: cleaned)."""
    good, *_ = order_rows(1, prefix=f"{prefix}-good")
    expected: dict[str, str | None] = {good["order_id"]: None}
    rows = [good]

    def add(name: str, reason: str | None, **values: object) -> None:
        order_id = f"{prefix}-{name}"
        rows.append({**good, "order_id": order_id, **values})
        expected[order_id] = reason

    # 0.01 x 151 x TINY rounds up to 2 x TINY: 1.3 % off, but kept by a product test
    add("subnormal-off", "amount_mismatch", amount=151 * TINY, quantity=1, unit_price=153 * TINY)
    add("subnormal-even", None, amount=100 * TINY, quantity=1, unit_price=101 * TINY)
    return rows, expected


def _csv(rows: list[dict]) -> bytes:
    return csv_bytes(
        [{k: repr(v) if isinstance(v, float) else str(v) for k, v in r.items()} for r in rows]
    )


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _parquet(rows: list[dict]) -> bytes:
    typed = {
        "amount": (float, pa.float64()),
        "unit_price": (float, pa.float64()),
        "quantity": (int, pa.int64()),
    }
    columns = {}
    for name in rows[0]:
        kind, arrow_type = typed.get(name, (str, pa.string()))
        columns[name] = pa.array([kind(r[name]) for r in rows], arrow_type)
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()


def test_edge_values_pass_cleaned_orders_checks_in_every_format(tmp_path, instance):
    expected: dict[str, str | None] = {}
    for name, write in (("a.csv", _csv), ("b.jsonl", _jsonl), ("c.parquet", _parquet)):
        rows, reasons = _rows(name.split(".")[1])
        land(tmp_path / "landing", DAY, name, write(rows))
        expected.update(reasons)

    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(
        instance=instance, partition_key=DAY.isoformat(), raise_on_error=False
    )

    evaluations = {
        e.check_name: e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "cleaned_orders"
    }
    for check in CHECKS:
        assert evaluations[check].passed, (check, evaluations[check].description)
    assert result.success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        raw = conn.execute("select count(*) from raw.raw_orders").fetchone()[0]
        cleaned = dict.fromkeys(
            r[0] for r in conn.execute("select order_id from staging.cleaned_orders").fetchall()
        )
        quarantined = dict(
            conn.execute("select order_id, reason_code from staging.quarantined_orders").fetchall()
        )
    assert raw == len(expected) == len(cleaned) + len(quarantined)
    assert {**cleaned, **quarantined} == expected
