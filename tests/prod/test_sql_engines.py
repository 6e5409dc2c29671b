"""One SQL source, two engines: the cleaning statements rendered for Snowflake give the
same rows under fakesnow as the DuckDB rendering, on the whole bad-input corpus."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from orders_core.cleaning import clean_orders, hmac_pads, hmac_probe_error, raw_table
from orders_core.contract import load_contract
from orders_core.sql.cleaning import (
    hmac_probe_select,
    pads_statements,
)
from orders_core.sql.dialect import SNOWFLAKE, render
from tests.support.bad_inputs import corpus, odd_values
from tests.support.fakesnow_cleaning import fakesnow_session, snowflake_clean
from tests.support.order_fixtures import KEY, raw_frame

pytestmark = pytest.mark.services
CONTRACT = load_contract()


def corpus_raw() -> pd.DataFrame:
    """Every case of the corpus as one day of raw rows (files kept apart by name)."""
    frames = []
    for i, case in enumerate(corpus()):
        frame = raw_frame(list(case.files))
        frame["source_file"] = f"{i:02d}-" + frame["source_file"].astype(str)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as text, instants in UTC (fakesnow returns UTC wall time without a zone)."""
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        values = frame[name]
        if name in ("order_ts", "updated_at"):
            values = pd.to_datetime(values, utc=True)
        out[name] = [_text(v) for v in values]
    return out


def _text(value) -> str | None:
    """fakesnow hands integers with NULLs as floats; 2.0 and 2 are the same value."""
    if pd.isna(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_snowflake_rendering_cleans_the_corpus_as_duckdb_does():
    raw = corpus_raw()
    duck = clean_orders(raw, CONTRACT, KEY)
    cleaned, quarantined = snowflake_clean(raw)

    assert len(cleaned) + len(quarantined) + duck.superseded_rows == len(raw)
    assert len(quarantined) == len(duck.quarantined) > 100
    pd.testing.assert_frame_equal(comparable(cleaned), comparable(duck.cleaned))
    columns = ["source_file", "source_line", "reason_code", "reason_detail"]
    pd.testing.assert_frame_equal(
        comparable(quarantined[columns]), comparable(duck.quarantined[columns])
    )


def test_snowflake_rendering_cleans_odd_values_as_duckdb_does():
    """Amounts, currencies and timestamps written every odd way (``bad_inputs.odd_values``:
    spaces, signs, exponents, underscores, full-width digits, offsets without a colon, a
    24:00 or a leap second) are read alike, or refused with the same reason."""
    raw = raw_frame([file for case in odd_values() for file in case.files])
    duck = clean_orders(raw, CONTRACT, KEY)
    cleaned, quarantined = snowflake_clean(raw)

    assert len(cleaned) == len(duck.cleaned) == sum(c.min_cleaned for c in odd_values())
    pd.testing.assert_frame_equal(comparable(cleaned), comparable(duck.cleaned))
    columns = ["source_file", "source_line", "reason_code", "reason_detail"]
    pd.testing.assert_frame_equal(
        comparable(quarantined[columns]), comparable(duck.quarantined[columns])
    )


def test_snowflake_reads_instants_to_the_microsecond_as_duckdb_does():
    # Snowflake's TIMESTAMP_TZ keeps nanoseconds, DuckDB's TIMESTAMPTZ microseconds: a
    # 9-digit fraction (a Parquet ns timestamp lands as one) must give the same instant
    # in both, else the tables differ and two versions of an order that tie in DuckDB
    # (.0000001 and .0000009) are ranked in Snowflake. fakesnow is DuckDB underneath and
    # cannot tell, so the rendering itself is looked at: the nanoseconds beyond the
    # microsecond are taken off.
    import sqlglot
    from sqlglot import exp

    rendering = render("SELECT ORDERS_TO_UTC(x) FROM t", SNOWFLAKE)
    dropped = [
        node
        for node in sqlglot.parse_one(rendering, read="snowflake").find_all(exp.DateAdd)
        if node.text("unit").upper() == "NANOSECOND"
        and "DATE_PART(NANOSECOND" in node.expression.sql("snowflake").upper()
    ]
    assert dropped, rendering
    with fakesnow_session() as (_, cursor):
        cursor.execute("create table t (x varchar)")
        cursor.executemany(
            "insert into t values (?)",
            [["2025-01-02T10:00:00.123456789Z"], ["2025-01-02T10:00:00+05:45"], ["2025-01-02"]],
        )
        cursor.execute(render("SELECT ORDERS_TO_UTC(x) FROM t", SNOWFLAKE))
        got = sorted(pd.Timestamp(value).tz_convert("UTC") for (value,) in cursor.fetchall())
    assert got == [
        pd.Timestamp("2025-01-02T00:00:00Z"),
        pd.Timestamp("2025-01-02T04:15:00Z"),
        pd.Timestamp("2025-01-02T10:00:00.123456Z"),
    ]


# Snowflake's AUTO detection of TIMESTAMP_TZ text, its ISO formats with an offset
# (https://docs.snowflake.com/en/sql-reference/date-time-input-output, "Supported formats
# for AUTO detection"): YYYY-MM-DD["T"| ]HH24:MI[:SS[.FF]]TZH:TZM.
SNOWFLAKE_AUTO_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?[+-][0-9]{2}:[0-9]{2}"


def test_snowflake_casts_every_timestamp_layout_as_text_its_auto_detection_lists():
    """Every form the contract's layout takes ('Z', '+05', '+0530', '+05:30', none; 'T' or
    a space; minutes, seconds, a fraction; a date alone) reaches Snowflake's TRY_CAST as
    a format its AUTO detection lists, with DuckDB's instant. 'Z', '+05' after a 'T' and
    '+0530' are not in that list: TRY_CAST of them is NULL in Snowflake, and such orders
    were quarantined as invalid_order_ts in production only. fakesnow casts as DuckDB
    does, so the text the cast is given is checked against the documented formats."""
    import re

    import duckdb
    import sqlglot
    from sqlglot import exp

    clocks = ("10:00", "10:00:07", "10:00:07.5", "10:00:07.123456789")
    zones = ("", "Z", "+05", "-0530", "+05:30", "-00:00")
    values = ["2025-01-02"] + [
        f"2025-01-02{sep}{clock}{zone}" for sep in "T " for clock in clocks for zone in zones
    ]
    with duckdb.connect() as duck:
        duck.execute("SET TimeZone = 'UTC'")
        expected = [
            pd.Timestamp(duck.execute("SELECT CAST(? AS TIMESTAMPTZ)", [v]).fetchone()[0])
            for v in values
        ]
    rendering = render("SELECT ORDERS_TO_UTC(x) FROM t", SNOWFLAKE)
    cast = next(sqlglot.parse_one(rendering, read="snowflake").find_all(exp.TryCast))
    with fakesnow_session() as (_, cursor):
        cursor.execute("create table t (n int, x varchar)")
        cursor.executemany("insert into t values (?, ?)", list(enumerate(values)))
        cursor.execute(f"SELECT {cast.this.sql('snowflake')} FROM t ORDER BY n")
        texts = [text for (text,) in cursor.fetchall()]
        cursor.execute(render("SELECT n, ORDERS_TO_UTC(x) FROM t ORDER BY n", SNOWFLAKE))
        got = [pd.Timestamp(value).tz_convert("UTC") for (_, value) in cursor.fetchall()]
    assert [t for t in texts if not re.fullmatch(SNOWFLAKE_AUTO_ISO, t)] == []
    assert got == [value.tz_convert("UTC") for value in expected]


def test_snowflake_reads_a_json_object_with_a_repeated_key_as_duckdb_does():
    # DuckDB's json_valid accepts {"a": 1, "a": 2}; Snowflake's TRY_PARSE_JSON fails it by
    # default ('s', strict: docs.snowflake.com/sql-reference/functions/try_parse_json), so
    # the value was a nested value (invalid_region) locally and plain text in production.
    # fakesnow parses as DuckDB does (and drops the parameter, as sqlglot does): the
    # rendering itself must ask for 'd'.
    from tests.support.order_fixtures import csv_bytes, landed

    row = {
        "order_id": "o1",
        "customer_id": "c1",
        "order_ts": "2025-01-02T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
        "region": '{"a": 1, "a": 2}',
    }
    raw = raw_frame([landed("dup.csv", csv_bytes([row]))])
    cleaned, quarantined = snowflake_clean(raw)
    assert clean_orders(raw, CONTRACT, KEY).quarantined["reason_code"].tolist() == [
        "invalid_region"
    ]
    assert quarantined["reason_code"].tolist() == ["invalid_region"] and cleaned.empty
    rendering = " ".join(render("SELECT ORDERS_IS_JSON_CONTAINER(x) FROM t", SNOWFLAKE).split())
    # the text parsed is x with its non-finite numbers read as 0 (docs/dialects.md)
    assert rendering.count("TRY_PARSE_JSON(") == rendering.count("'\\\\1 0 '), 'd' )") == 1


def test_snowflake_marks_the_records_after_a_reordered_header_as_duckdb_does():
    """raw_orders' UPDATE of a file repeating its header in another order (two exports
    concatenated), in both renderings, on the same raw rows."""
    import duckdb

    from orders_core.sql.dialect import DUCKDB
    from orders_core.sql.run import raw_load
    from tests.support.order_fixtures import DAY, HEADER, csv_bytes, landed, order_rows

    swapped = ["customer_id", "order_id", *HEADER[2:]]
    second = [{c: r[c] for c in swapped} for r in order_rows(2, prefix="b")]
    data = csv_bytes(order_rows(3, prefix="a")) + csv_bytes(second, swapped)
    table = raw_table(raw_frame([landed("concatenated.csv", data)]), CONTRACT)
    statement = raw_load(CONTRACT).reordered_header
    days = [DAY, DAY, DAY, DAY]
    marked = {}
    with duckdb.connect() as duck:
        duck.execute("create schema raw")
        duck.register("incoming", table)
        duck.execute("create table raw.raw_orders as select * from incoming")
        duck.execute(render(statement, DUCKDB), days)
        marked["duckdb"] = duck.execute(
            "select source_line, parse_error from raw.raw_orders order by source_line"
        ).fetchall()
    with fakesnow_session() as (conn, cursor):
        from snowflake.connector.pandas_tools import write_pandas

        types = {"source_line": "BIGINT", "partition_date": "DATE"}
        frame = table.to_pandas()
        columns = ", ".join(f'"{c}" {types.get(c, "VARCHAR")}' for c in frame.columns)
        cursor.execute("create schema if not exists db.raw")
        cursor.execute(f"create table db.raw.raw_orders ({columns})")
        write_pandas(conn, frame, "RAW_ORDERS", schema="RAW", quote_identifiers=True)
        cursor.execute(render(statement, SNOWFLAKE), days)
        cursor.execute("select source_line, parse_error from db.raw.raw_orders order by 1")
        marked["snowflake"] = [(int(line), error) for line, error in cursor.fetchall()]
    assert marked["snowflake"] == marked["duckdb"]
    assert [line for line, error in marked["duckdb"] if error] == [5, 6, 7]
    assert marked["duckdb"][4][1].startswith("header_reordered: line 5 repeats")


def test_snowflake_rendering_gives_hmacs_known_answer():
    """The probe a cleaning run asks first, in the Snowflake form. fakesnow runs it on
    DuckDB, so this pins the form's arithmetic (pads, UTF-8 bytes, hex); whether
    Snowflake's SHA2 hashes BINARY the same way only Snowflake can say, and the cleaning
    step asks it before hashing any e-mail."""
    with fakesnow_session() as (_, cursor):
        create, insert = pads_statements()
        cursor.execute(render(create, SNOWFLAKE))
        cursor.execute(render(insert, SNOWFLAKE), list(hmac_pads(KEY)))
        cursor.execute(render(hmac_probe_select(), SNOWFLAKE))
        ((engine_hex,),) = cursor.fetchall()
    assert hmac_probe_error(engine_hex, KEY) is None


def test_snowflake_rendering_profiles_the_corpus_and_a_currency_mix_as_duckdb_does():
    """raw_orders' day profile (the anomaly detector's input), nominal and scaled per
    currency: the corpus, then one order per currency of the contract (and a lower-cased,
    a padded, an unknown and a missing one) at amounts whose exact sums a double sum
    misses."""
    from orders_core.profiling import profile_days, unit_divisors
    from tests.support.order_fixtures import DAY, csv_bytes, landed, order_rows

    codes = [*CONTRACT.column("currency").allowed, " jpy", "idr ", "XYZ", ""]
    rows = [
        dict(row, currency=code, amount=f"{(1 + i % 7) * 10 ** (i % 9) + 0.1 * (i % 3):.2f}")
        for i, (row, code) in enumerate(zip(order_rows(len(codes)), codes, strict=True))
    ]
    mix = raw_frame([landed("mix.csv", csv_bytes(rows))])
    mix["partition_date"] = DAY + dt.timedelta(days=1)
    raw = pd.concat([corpus_raw(), mix], ignore_index=True)
    days = sorted(set(pd.to_datetime(raw["partition_date"]).dt.date))
    assert len(days) == 2
    table = raw_table(raw, CONTRACT)

    conn = duckdb.connect()
    conn.register("raw_input", table)
    duck = profile_days(
        lambda sql, params: conn.execute(render(sql), list(params)).fetchall(),
        CONTRACT,
        "raw_input",
        days,
    )
    frame = table.to_pandas()
    with fakesnow_session() as (snow, cursor):
        from snowflake.connector.pandas_tools import write_pandas

        types = {"source_line": "BIGINT", "partition_date": "DATE"}
        columns = ", ".join(f'"{c}" {types.get(c, "VARCHAR")}' for c in frame.columns)
        cursor.execute(f"create table raw_input ({columns})")
        write_pandas(snow, frame, "raw_input", quote_identifiers=True)

        def fetch(sql, params):
            cursor.execute(render(sql, SNOWFLAKE), list(params))
            return cursor.fetchall()

        snowflake = profile_days(fetch, CONTRACT, "raw_input", days)
    assert snowflake == duck
    divisors = unit_divisors(CONTRACT)
    expected = sum(
        float(row["amount"]) / divisors.get(row["currency"].strip().upper(), 1) for row in rows
    )
    assert duck[days[1]]["orders/scaled_revenue"] == pytest.approx(expected, abs=0.01)
    assert duck[days[1]]["orders/scaled_revenue"] < duck[days[1]]["orders/revenue"] / 2
