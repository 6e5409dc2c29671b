"""Landed values at the edges of cleaned_orders' rules, through the real assets: the
day's blocking checks (gx_quality, reconciliation) pass and every landed row is cleaned,
quarantined with its reason or superseded.

cleaned_orders' checks test what the cleaning enforces: a landed value that makes one
fail is a disagreement between the two, which withholds the day from fct_orders and makes
customer_metrics refuse. Each value lands in CSV, JSON Lines and Parquet; numbers also as
JSON numbers and Parquet float64 / int64 columns.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from tests.support.bad_inputs import TINY
from tests.support.order_fixtures import DAY, csv_bytes, land, order_rows, settings_for

UNPRICED = {"quantity": "", "unit_price": ""}
# (name, reason code or None for cleaned, values), as text in every format; "{id}" in an
# order_id is the row's own id.
TEXT_CASES = [
    ("id-nbsp", None, {"order_id": "\u00a0{id}\u00a0"}),
    ("id-line-separator", "invalid_order_id", {"order_id": "{id}\u2028Y"}),
    ("id-zero-width", "invalid_order_id", {"order_id": "{id}\u200bY"}),
    ("id-full-width", "invalid_order_id", {"order_id": "{id}\uff2f\uff11"}),
    ("currency-full-width", "invalid_currency", {"currency": "\uff35\uff33\uff24"}),
    ("currency-nbsp", None, {"currency": "usd\u00a0"}),
    ("status-ideographic-space", None, {"status": "\u3000SHIPPED"}),
    ("region-formula-after-space", "formula_like_region", {"region": "\u3000=1+1"}),
    ("region-formula-combining", "formula_like_region", {"region": "=\u0301"}),
    ("region-65", "region_too_long", {"region": "x" * 65}),
    ("region-64", None, {"region": "\u00e9" * 64}),
    ("email-spaces", None, {"customer_email": "\u00a0A@B.COM\u2029"}),
    ("amount-full-width", "invalid_amount", {"amount": "\uff11\uff12", **UNPRICED}),
    ("amount-arabic-digits", "invalid_amount", {"amount": "\u0661\u0662", **UNPRICED}),
    ("amount-thousands", "invalid_amount", {"amount": "1,000.00", **UNPRICED}),
    ("amount-nan", "invalid_amount", {"amount": "NaN", **UNPRICED}),
    ("amount-infinity", "invalid_amount", {"amount": "Infinity", **UNPRICED}),
    ("amount-underflow", "invalid_amount", {"amount": "1e-400", **UNPRICED}),
    ("amount-minus-zero", None, {"amount": "-0", **UNPRICED}),
    ("amount-max", None, {"amount": "1000000", **UNPRICED}),
    ("amount-over-max", "amount_out_of_range", {"amount": "1000000.01", **UNPRICED}),
    # max_by_currency: 2,000,000 JPY (about 13,000 USD) is no unit error; over JPY's bound is
    ("amount-jpy-2m", None, {"amount": "2000000", "currency": "JPY", **UNPRICED}),
    ("amount-jpy-bound", None, {"amount": "1000000000", "currency": "jpy", **UNPRICED}),
    ("amount-jpy-over", "amount_out_of_range", {"amount": "2500000000", "currency": "JPY"}),
    ("amount-irr-bound", None, {"amount": "10000000000000", "currency": "IRR", **UNPRICED}),
    (
        "price-jpy-over",
        "unit_price_out_of_range",
        {"amount": "1000000000", "currency": "JPY", "quantity": "1", "unit_price": "1000000000.5"},
    ),
    ("amount-many-decimals", None, {"amount": "10.000000000000000000001", "unit_price": "10"}),
    ("amount-exponent", None, {"amount": "1.25E1", "unit_price": "12.5"}),
    ("ts-plus-14", None, {"order_ts": "2025-01-03T09:00:00+14:00", "updated_at": ""}),
    ("ts-minus-12", None, {"order_ts": "2025-01-01T13:00:00-12:00", "updated_at": ""}),
    ("ts-nanoseconds", None, {"order_ts": "2025-01-02T23:59:59.999999999Z", "updated_at": ""}),
    ("ts-leap-second", "invalid_order_ts", {"order_ts": "2025-01-02T23:59:60Z"}),
    ("ts-no-seconds", None, {"order_ts": "2025-01-02T10:00Z", "updated_at": ""}),
    ("ts-lower-case", None, {"order_ts": "2025-01-02t10:00:00z", "updated_at": ""}),
    ("ts-next-midnight", "order_ts_outside_partition", {"order_ts": "2025-01-03T00:00:00Z"}),
    ("updated-year-10000", "invalid_updated_at", {"updated_at": "9999-12-31T23:59:59-01:00"}),
    ("updated-year-9999", None, {"updated_at": "9999-12-31T23:59:59.999999Z"}),
]
# Numbers, as JSON numbers and Parquet float64 / int64 columns (and their repr in CSV).
NUMBER_CASES = [
    # 0.01 x 151 x TINY rounds up to 2 x TINY: a product test kept this row, 1.3 % off
    ("subnormal-off", "amount_mismatch", {"amount": 151 * TINY, "unit_price": 153 * TINY}),
    ("subnormal-at-tolerance", None, {"amount": 100 * TINY, "unit_price": 101 * TINY}),
    ("float-noise", None, {"amount": 0.1 + 0.2, "quantity": 3, "unit_price": 0.1}),
    ("minus-zero", None, {"amount": -0.0, "unit_price": 0.0}),
    ("max", None, {"amount": 1e6, "quantity": 100000, "unit_price": 10.0}),
    ("jpy-2m", None, {"amount": 2e6, "currency": "JPY", "quantity": 1, "unit_price": 2e6}),
    ("jpy-over", "amount_out_of_range", {"amount": 2.5e9, "currency": "JPY", "unit_price": 2.5e9}),
    ("quantity-zero", "quantity_below_minimum", {"quantity": 0}),
]
# The same order in every file with the same updated_at: the later file's row is kept.
TIED = "tied-version"


def _rows(fmt: str, cases: list, typed: bool) -> tuple[list[dict], dict[str, str | None]]:
    """One file's orders, and the reason code each must get (None: cleaned), by
    customer_id (each row's own: the values under test may be its order_id)."""
    (good,) = order_rows(1, prefix=f"{fmt}-good")
    if typed:
        good = {**good, "amount": 12.5, "quantity": 1, "unit_price": 12.5}
    rows = [{**good, "customer_id": f"{fmt}-good"}]
    expected: dict[str, str | None] = {f"{fmt}-good": None}
    for name, reason, values in cases:
        customer = f"{fmt}-{name}"
        order_id = values.get("order_id", "{id}").format(id=customer)
        rows.append({**good, **values, "order_id": order_id, "customer_id": customer})
        expected[customer] = reason
    rows.append({**good, "order_id": TIED, "customer_id": f"{fmt}-{TIED}"})
    return rows, expected


def _csv(rows: list[dict]) -> bytes:
    return csv_bytes(
        [{k: v if isinstance(v, str) else repr(v) for k, v in r.items()} for r in rows]
    )


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _parquet(rows: list[dict]) -> bytes:
    columns = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        kinds = {type(v) for v in values}
        arrow_type = {float: pa.float64(), int: pa.int64()}.get(kinds.pop(), pa.string())
        columns[name] = pa.array(values, arrow_type if not kinds else pa.string())
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()


def test_edge_values_pass_cleaned_orders_checks_in_every_format(tmp_path, instance):
    expected: dict[str, str | None] = {}
    files = []
    for fmt, write in (("csv", _csv), ("jsonl", _jsonl), ("parquet", _parquet)):
        for group, cases, typed in (("text", TEXT_CASES, False), ("numbers", NUMBER_CASES, True)):
            rows, reasons = _rows(f"{fmt}-{group}", cases, typed)
            files.append((f"{group}.{fmt}", write(rows)))
            expected.update(reasons)
    for name, data in files:
        land(tmp_path / "landing", DAY, name, data)

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
    for check in ("gx_quality", "reconciliation"):
        assert evaluations[check].passed, (check, evaluations[check].description)
    # nothing downstream fails either: the published day passes its own suite
    (published,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "warehouse/fct_orders" and e.check_name == "gx_quality"
    ]
    assert published.passed, published.description
    assert result.success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        raw = conn.execute("select count(*) from raw.raw_orders").fetchone()[0]
        cleaned = conn.execute("select customer_id from staging.cleaned_orders").fetchall()
        quarantined = conn.execute(
            "select customer_id, reason_code from staging.quarantined_orders"
        ).fetchall()
    # the tied version of the last file by URI (text.parquet) is kept, the others superseded
    expected[f"parquet-text-{TIED}"] = None
    superseded = len(files) - 1
    assert raw == len(expected) + superseded == len(cleaned) + len(quarantined) + superseded
    assert {**dict.fromkeys(c for (c,) in cleaned), **dict(quarantined)} == expected
