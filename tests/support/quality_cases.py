"""A cleaned day broken once per quality rule, for the quality checks' tests."""

from __future__ import annotations

import pandas as pd


def broken(cleaned: pd.DataFrame) -> pd.DataFrame:
    """The clean day with one fault per rule (and nulls where GX skips or counts them)."""
    bad = cleaned.copy()
    for column in ("currency", "status", "region", "order_id", "customer_email_hash"):
        bad[column] = bad[column].astype(object)
    bad.loc[0, "amount"] = 999.0  # off quantity x unit_price
    bad.loc[1, "order_id"] = bad.loc[2, "order_id"]
    bad.loc[3, "currency"] = "XYZ"
    bad.loc[4, "status"] = "lost"
    bad.loc[5, "order_ts"] = pd.Timestamp("2030-01-01", tz="UTC")
    bad.loc[6, "updated_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    bad.loc[7, "quantity"] = 0
    bad.loc[8, "customer_email_hash"] = "not-a-digest"
    bad.loc[9, "region"] = "x" * 65
    bad.loc[10, "region"] = "=HYPERLINK(1)"
    bad.loc[11, "customer_id"] = None
    bad.loc[12, ["status", "region", "quantity"]] = None
    bad.loc[13, "updated_at"] = None  # one side of the pair missing: judged, unexpected
    bad.loc[14, ["order_ts", "updated_at"]] = None  # both missing: skipped by the pair
    bad.loc[15, "region"] = "@mail bob.smith@example.com"
    bad.loc[16, "amount"] = 0.0  # lines non-zero: an infinite line error
    return bad


def bounded_day(cleaned: pd.DataFrame) -> pd.DataFrame:
    """Orders in currencies of each kind of bound: in and over JPY's (1e9), VND's (1e11),
    the default's (USD: 1e6), and a NULL currency (which no set holds: NOT IN picks it)."""
    cases = [
        ("JPY", 2_000_000.0),
        ("JPY", 1e9),
        ("JPY", 2.5e9),
        ("VND", 2e9),
        ("USD", 1e6),
        ("USD", 2e6),
        ("IRR", 5e12),
        (None, 3e6),
    ]
    day = cleaned.iloc[: len(cases)].copy()
    day["currency"] = pd.Series([c for c, _ in cases], index=day.index, dtype=object)
    day["amount"] = [a for _, a in cases]
    day["unit_price"] = day["amount"]
    day["quantity"] = 1
    return day


def boundary_day(cleaned: pd.DataFrame) -> pd.DataFrame:
    """Orders placed at the edges of the partition's UTC day (and one given in Tokyo
    time): the first and last microsecond inside it, one microsecond before, the next
    midnight."""
    date = cleaned["partition_date"].iloc[0]
    midnight = pd.Timestamp(date, tz="UTC")
    instants = [
        midnight,
        midnight + pd.Timedelta(microseconds=1),
        midnight + pd.Timedelta(days=1, microseconds=-1),
        pd.Timestamp(f"{date} 08:59:59.999999", tz="Asia/Tokyo"),  # 1 µs before midnight UTC
        midnight + pd.Timedelta(days=1),
        pd.Timestamp(f"{date} 12:00", tz="Asia/Tokyo"),  # 03:00 UTC
    ]
    day = cleaned.iloc[: len(instants)].copy()
    day["order_ts"] = pd.Series([t.tz_convert("UTC") for t in instants], index=day.index)
    day["updated_at"] = day["order_ts"]
    return day


def fail_order_suite(monkeypatch, days: set[str]) -> set[str]:
    """Make cleaned_orders' order suite fail each day of ``days`` while the set holds it
    (a day whose cleaned rows break an expectation the cleaning let through); returns the
    set, which a test empties to fix the days."""
    from asset_checks import quality
    from asset_checks.partitioned import PartitionOutcome

    real = quality.validate_days

    def validate(execute, table, suite, group, *args, **kwargs):
        outcomes = real(execute, table, suite, group, *args, **kwargs)
        if table == quality.CLEANED_ORDERS:
            for day in days & set(outcomes):
                outcomes[day] = PartitionOutcome(
                    False,
                    description="expect_column_values_to_be_unique(order_id): 2 rows (4.0%)",
                    metadata=outcomes[day].metadata,
                )
        return outcomes

    monkeypatch.setattr(quality, "validate_days", validate)
    return days


def refuse_amounts_above(monkeypatch, limit: float = 500) -> None:
    """cleaned_orders' order suite made stricter than the cleaning: amounts above
    ``limit`` are refused (gx_quality fails a day holding one, which the cleaning kept)."""
    from asset_checks import quality
    from orders_core import expectations

    shipped = expectations.order_suite

    def stricter(contract):
        return [
            *shipped(contract),
            expectations.Expectation(
                "expect_column_values_to_be_between",
                {"column": "amount", "min_value": 0, "max_value": limit},
            ),
        ]

    monkeypatch.setattr(quality, "order_suite", stricter)
