"""Money across currencies: customer_metrics in the reporting currency, whatever the batching.

customer_metrics summed ``amount`` across currencies: a customer with a 10,000 JPY order
and a 50 USD order had total_revenue 10,050. Now each purchase is converted at its
currency's rate of its order date (fx_rates, landed under ``fx_rates/``), or the latest
earlier rate at most ``fx.max_rate_age_days`` old (a weekend); a purchase without one is
left out, counted per currency and named by the fx_rates_available check, and counted
once its rate lands. Bad rate rows are kept with a reason and named by fx_rates_valid.
fct_orders keeps amounts as landed and never adds currencies in its day figures. A range
run, day-by-day runs in either order and a random batching leave the same tables.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from tests.support.batching import (
    ALL_TABLES,
    DAYS,
    random_batches,
    settings_for,
    tables_after,
)
from tests.support.fixture_data import day_dir, order, write_csv
from tests.support.local_instance import local_instance
from tests.support.pipeline_helpers import run_range, table_checksums

pytestmark = pytest.mark.slow

d = DAYS  # Wednesday 2025-01-01 to Monday 2025-01-06

RATES = """rate_date,currency,rate
2024-12-27,GBP,1.25
2025-01-01,JPY,0.0065
2025-01-01,EUR,1.10
2025-01-02,JPY,0.0064
2025-01-02,EUR,1.05
2025-01-03,EUR,1.04
2025-01-06,EUR,1.03
2025-01-06,KWD,3.25
2025-01-06,USD,1
"""
# Each row is wrong in one way; the Sunday EUR rates disagree, so neither is used.
BAD_RATES = """currency,rate_date,rate
XYZ,2025-01-02,1.0
CHF,2025-01-02,0
CHF,2025-01-02,abc
CHF,2025-13-01,1.1
EUR,2025-01-05,1.50
EUR,2025-01-05,1.60
USD,2025-01-02,1.2
CHF,2025-01-02
"""


def _ts(day, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def _landing(root) -> None:
    # c1: 10,000 JPY on Wednesday (0.0065: 65.00) and 50 USD on Thursday: 115.00.
    # c2: 100 EUR on Saturday and 10 EUR on Sunday, no rate on either: Friday's 1.04.
    # c3: 5 USD on Wednesday; 20 GBP on Thursday, whose latest rate (Friday 2024-12-27)
    #     is 6 days old: left out until a rate lands.
    # c4: 1.234 KWD (three minor digits) on Monday at 3.25: 4.0105.
    days = {
        0: [
            order("j1", "c1", _ts(d[0], 9), "10000", currency="JPY"),
            order("u1", "c3", _ts(d[0], 9), "5.00"),
        ],
        1: [
            order("u2", "c1", _ts(d[1], 9), "50.00"),
            order("g1", "c3", _ts(d[1], 9), "20.00", currency="GBP"),
        ],
        3: [order("e1", "c2", _ts(d[3], 9), "100.00", currency="eur")],
        4: [order("e2", "c2", _ts(d[4], 9), "10.00", currency="EUR")],
        5: [order("k1", "c4", _ts(d[5], 9), "1.234", currency="KWD")],
    }
    for index in range(len(d)):
        write_csv(day_dir(root, d[index]) / "orders.csv", days.get(index, []))
    rates = root / "fx_rates"
    rates.mkdir(parents=True)
    (rates / "rates.csv").write_text(RATES, encoding="utf-8")
    (rates / "bad.csv").write_text(BAD_RATES, encoding="utf-8")
    (rates / "notes.txt").write_text("rates are in rates.csv\n", encoding="utf-8")


def _read(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _metrics(path) -> dict:
    return {
        row[0]: row[1:]
        for row in _read(
            path,
            "SELECT customer_id, order_count, round(total_revenue, 6), round(monetary_value, 6)"
            " FROM analytics.customer_metrics",
        )
    }


def _latest(instance: dg.DagsterInstance, key: str, day: str | None = None) -> dict:
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey.from_user_string(key),
            asset_partitions=[day] if day else None,
        ),
        limit=1,
    ).records
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def _checks(result: dg.ExecuteInProcessResult) -> dict:
    return {
        e.check_name: (e.passed, e.description or "")
        for e in result.get_asset_check_evaluations()
        if e.check_name.startswith("fx_")
    }


def test_metrics_are_in_the_reporting_currency_whatever_the_batching(tmp_path):
    landing = tmp_path / "landing"
    _landing(landing)
    settings = settings_for(landing, tmp_path / "wh")
    with local_instance() as instance:
        result = run_range(settings, instance, str(d[0]), str(d[-1]))
        assert result.success
        # c1 had total_revenue 10,050 (10,000 JPY + 50 USD added as they landed)
        assert _metrics(settings.duckdb_path) == {
            "c1": (2, 115.0, 50.0),
            "c2": (2, 114.4, 10.4),
            "c3": (1, 5.0, 0.0),
            "c4": (1, 4.0105, 0.0),
        }
        metadata = _latest(instance, "customer_metrics")
        rates = _latest(instance, "fx_rates")
        facts = {i: _latest(instance, "warehouse/fct_orders", str(d[i])) for i in (0, 1, 5)}
    path = settings.duckdb_path
    assert metadata["total_revenue"] == 238.41
    assert metadata["fx/orders_without_rate"] == 1
    assert metadata["fx/without_rate"] == "GBP: 1 orders, 2025-01-02..2025-01-02"
    checks = _checks(result)
    passed, said = checks["fx_rates_available"]
    assert not passed and "GBP on 2025-01-02" in said, said
    # Every bad rate row is kept with its reason, none used.
    assert sorted(
        _read(
            path,
            "SELECT reason_code, count(*) FROM staging.fx_rates"
            " WHERE reason_code IS NOT NULL GROUP BY ALL",
        )
    ) == [
        ("conflicting_rate", 2),
        ("invalid_rate", 2),
        ("invalid_rate_date", 1),
        ("malformed_record", 2),  # the short record, notes.txt
        ("reporting_currency_rate", 1),
        ("unknown_currency", 1),
    ]
    assert (rates["fx/quarantined_rows"], rates["fx/usable_rows"]) == (9, 9)
    passed, said = checks["fx_rates_valid"]
    assert not passed and "conflicting_rate" in said and "notes.txt" in said, said
    # fct_orders keeps amounts as landed and never adds two currencies.
    assert _read(
        path, "SELECT order_id, amount, currency FROM warehouse.fct_orders ORDER BY order_id"
    ) == [
        ("e1", 100.0, "EUR"),
        ("e2", 10.0, "EUR"),
        ("g1", 20.0, "GBP"),
        ("j1", 10000.0, "JPY"),
        ("k1", 1.234, "KWD"),
        ("u1", 5.0, "USD"),
        ("u2", 50.0, "USD"),
    ]
    revenue = {
        i: {k: v for k, v in f.items() if k.startswith("orders/revenue")} for i, f in facts.items()
    }
    assert revenue == {
        0: {"orders/revenue/JPY": 10000.0, "orders/revenue/USD": 5.0},
        1: {"orders/revenue/GBP": 20.0, "orders/revenue/USD": 50.0},
        5: {"orders/revenue/KWD": 1.23},
    }
    assert "orders/revenue" not in facts[0]

    whole = table_checksums(path, ALL_TABLES)
    for name, batches in (
        ("fwd", [(i, i) for i in range(len(DAYS))]),
        ("back", [(i, i) for i in reversed(range(len(DAYS)))]),
        ("rand", random_batches(7)),
    ):
        assert tables_after(tmp_path / name, landing, batches) == whole, batches


def test_a_rate_that_lands_or_is_corrected_later_counts_at_the_next_run(tmp_path):
    landing = tmp_path / "landing"
    _landing(landing)
    settings = settings_for(landing, tmp_path / "wh")
    with local_instance() as instance:
        assert run_range(settings, instance, str(d[0]), str(d[-1])).success
        # the GBP order has no rate within 4 days: left out (it counted 20 "GBP-dollars")
        assert _metrics(settings.duckdb_path)["c3"] == (1, 5.0, 0.0)
        # Thursday's GBP rate lands; Wednesday's JPY rate is corrected in its file.
        (landing / "fx_rates" / "late.csv").write_text(
            "rate_date,currency,rate\n2025-01-02,GBP,1.27\n", encoding="utf-8"
        )
        corrected = RATES.replace("2025-01-01,JPY,0.0065", "2025-01-01,JPY,0.0066")
        (landing / "fx_rates" / "rates.csv").write_text(corrected, encoding="utf-8")
        result = run_range(settings, instance, str(d[-1]), str(d[-1]))
        assert result.success
        metadata = _latest(instance, "customer_metrics")
    metrics = _metrics(settings.duckdb_path)
    assert metrics["c1"] == (2, 116.0, 50.0)
    assert metrics["c3"] == (2, 30.4, 25.4)
    assert metadata["fx/orders_without_rate"] == 0
    assert _checks(result)["fx_rates_available"][0]
