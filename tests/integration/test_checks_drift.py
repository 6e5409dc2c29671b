"""Schema drift detection, its policy, and the freshness/automation policies of the checks."""

import datetime as dt
import gzip

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from asset_checks.drift import detect_drift, drift_outcome, rows_by_day
from orders_core.contract import load_contract, parse_contract
from orders_platform.automation import held_by_blocking_checks
from orders_platform.definitions import build_definitions
from orders_platform.freshness import PUBLISHED_FRESHNESS
from resources.settings import PlatformSettings
from tests.support.order_fixtures import HEADER, csv_bytes, landed, order_rows, raw_frame


def _drift(rows, header=HEADER, name="a.csv"):
    return detect_drift(raw_frame([landed(name, csv_bytes(rows, header))]), load_contract())


def _kinds(findings):
    return {(f.kind, f.column) for f in findings}


def test_matching_files_have_no_drift():
    findings = _drift(order_rows(50))
    assert findings == []
    assert drift_outcome(findings, 50).passed


@pytest.mark.parametrize(
    "dates",
    [
        pd.array([dt.date(2025, 1, d) for d in (3, 1, 3, 2, 1)], dtype=pd.ArrowDtype(pa.date32())),
        pd.to_datetime(["2025-01-03", "2025-01-01", "2025-01-03", "2025-01-02", "2025-01-01"]),
        [dt.date(2025, 1, d) for d in (3, 1, 3, 2, 1)],
    ],
    ids=["arrow-dates", "datetime64", "python-dates"],
)
def test_rows_by_day_keeps_each_days_rows_in_their_order(dates):
    frame = pd.DataFrame({"source_line": [1, 2, 3, 4, 5], "partition_date": dates})
    by_day = rows_by_day(frame)
    assert list(by_day) == [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)]
    assert {day: rows["source_line"].tolist() for day, rows in by_day.items()} == {
        dt.date(2025, 1, 1): [2, 5],
        dt.date(2025, 1, 2): [4],
        dt.date(2025, 1, 3): [1, 3],
    }
    assert all(list(rows.columns) == ["source_line"] for rows in by_day.values())
    assert all(list(rows.index) == list(range(len(rows))) for rows in by_day.values())
    assert rows_by_day(frame.iloc[:0]) == {}


def test_added_column_is_a_warning_and_carried():
    rows = [{**r, "sales_channel": "web"} for r in order_rows(10)]
    findings = _drift(rows, [*HEADER, "sales_channel"])
    assert _kinds(findings) == {("added", "sales_channel")}
    outcome = drift_outcome(findings, 10)
    assert not outcome.passed and outcome.severity == dg.AssetCheckSeverity.WARN
    table = outcome.metadata["drift"].value
    assert table.records[0].data["kind"] == "added"
    assert table.records[0].data["rows"] == 10
    assert "next_step" not in outcome.metadata  # a warning holds nothing back


def test_a_header_cell_of_control_characters_is_shown_escaped_never_sent_to_a_terminal():
    # The finding is printed by the step's log, make run, devtools.held and the alerts:
    # a header cell holding a terminal escape sequence cleared the screen or planted a
    # hyperlink (OSC 8) there, and a right-to-left override turned the text around.
    link = "\x1b]8;;http://evil.example\x1b\\Click\x1b]8;;\x1b\\"
    cells = ["\x1b[2Jcleared", link, "\x07bell\u202eevil"]
    rows = [{**r, **dict.fromkeys(cells, "x")} for r in order_rows(10)]
    outcome = drift_outcome(_drift(rows, [*HEADER, *cells]), 10)
    shown = [
        outcome.description,
        *(r.data["column"] for r in outcome.metadata["drift"].value.records),
    ]
    assert all(text.isprintable() for text in shown)
    assert "added \\u001b[2jcleared" in outcome.description
    assert "added \\u001b]8;;http://evil.example\\u001b\\\\click" in outcome.description
    assert "added \\u0007bell\\u202eevil" in outcome.description


def test_renamed_required_column_is_an_error_with_a_rename_hint():
    rows = [
        {("total_amount" if k == "amount" else k): v for k, v in r.items()} for r in order_rows(30)
    ]
    header = ["total_amount" if h == "amount" else h for h in HEADER]
    findings = _drift(rows, header)
    assert {
        ("missing_required", "amount"),
        ("renamed", "amount"),
        ("added", "total_amount"),
    } <= _kinds(findings)
    renamed = next(f for f in findings if f.kind == "renamed")
    assert "total_amount" in renamed.detail
    assert drift_outcome(findings, 30).severity == dg.AssetCheckSeverity.ERROR


def test_a_day_failing_with_an_error_says_on_its_page_what_to_do():
    # The day's page (raw_orders > Checks > schema_drift > Partitions) said what drifted,
    # not what it holds back or how the day gets through. The landing sensor re-runs a
    # day whose files change at its next tick within its lookback, an older day at its sweep.
    rows = [{k: v for k, v in r.items() if k != "customer_id"} for r in order_rows(10)]
    findings = _drift(rows, [h for h in HEADER if h != "customer_id"])
    outcome = drift_outcome(findings, 10)
    assert outcome.severity == dg.AssetCheckSeverity.ERROR
    step = outcome.metadata["next_step"]
    assert step.startswith("Nothing downstream of raw_orders is built for this day")
    for said in (
        "Fix the day's landing files",
        "ORDERS_LANDING_LOOKBACK_DAYS",
        "ORDERS_LANDING_SWEEP_TICKS",
        "dg launch",
    ):
        assert said in step, said


def test_a_renamed_timestamp_column_holding_far_dates_is_judged_not_crashed_on():
    # A "valid until" sentinel and a year before 1677: both beyond pandas' nanoseconds.
    # Typing the renamed column's values for the rename hint failed the step
    # (OutOfBoundsDatetime), so the day got no verdict and nothing downstream ran.
    rows = [
        {**{k: v for k, v in r.items() if k != "updated_at"}, "last_updated": when}
        for r, when in zip(
            order_rows(30), ["9999-12-31T00:00:00Z", "1500-01-01T00:00:00Z"] * 15, strict=True
        )
    ]
    findings = _drift(rows, [*[h for h in HEADER if h != "updated_at"], "last_updated"])
    assert {("missing_optional", "updated_at"), ("added", "last_updated")} <= _kinds(findings)
    assert ("renamed", "updated_at") in _kinds(findings)  # its values are timestamps


def test_unrelated_extra_column_is_not_taken_for_a_rename():
    rows = [
        {**{k: v for k, v in r.items() if k != "region"}, "coupon": "X"} for r in order_rows(30)
    ]
    findings = _drift(rows, [*[h for h in HEADER if h != "region"], "coupon"])
    assert ("renamed", "region") not in _kinds(findings)
    assert ("missing_optional", "region") in _kinds(findings)


def test_retyped_column_needs_a_share_and_a_count():
    few = order_rows(100)
    for row in few[:3]:
        row["quantity"] = "two"
    assert _drift(few) == []  # three bad rows: quarantine's job, not drift
    many = order_rows(100)
    for row in many[:40]:
        row["order_ts"] = "02/01/2025 10:00"
    [finding] = _drift(many)
    assert (finding.kind, finding.column, finding.severity) == ("retyped", "order_ts", "ERROR")
    assert "40.0%" in finding.detail and "02/01/2025 10:00" in finding.detail


def test_drift_is_judged_per_file_header():
    good = landed("a.csv", csv_bytes(order_rows(5)))
    bad = landed(
        "b.csv", csv_bytes(order_rows(5, prefix="b"), [h for h in HEADER if h != "currency"])
    )
    findings = detect_drift(raw_frame([good, bad]), load_contract())
    [missing] = findings
    assert (missing.kind, missing.column, missing.files, missing.rows) == (
        "missing_required",
        "currency",
        1,
        5,
    )


def test_policy_comes_from_the_contract():
    document = {
        "name": "orders",
        "version": 1,
        "dedup": {"key": "order_id", "order_by": "updated_at"},
        "columns": [{"name": "order_id", "type": "string", "required": True}],
        "drift": {"added": "error", "retyped_max_unparseable": 0.5},
    }
    policy = parse_contract(document).drift
    assert policy.severity("added") == "ERROR" and policy.retyped_max_unparseable == 0.5
    with pytest.raises(ValueError, match="drift.renamed"):
        parse_contract({**document, "drift": {"renamed": "LOUD"}})


def test_contract_lists_iso_currencies():
    allowed = load_contract().column("currency").allowed
    assert {"USD", "EUR", "GBP", "JPY", "CHF"} <= set(allowed)
    assert not {"XXX", "XTS", "XAU"} & set(allowed)


def test_checks_are_wired_blocking_and_published_assets_have_freshness():
    defs = build_definitions(PlatformSettings(partitions_start="2025-01-01"))
    graph = defs.resolve_asset_graph()
    blocking = {
        (key.asset_key.to_user_string(), key.name)
        for key in graph.asset_check_keys
        if graph.get(key).blocking
    }
    assert blocking == {
        ("raw_orders", "schema_drift"),
        ("cleaned_orders", "reconciliation"),
        ("cleaned_orders", "gx_quality"),
        ("warehouse/fct_orders", "gx_quality"),
        ("raw_orders", "metadata_anomaly"),
        ("customer_clv", "clv_finite_and_non_negative"),
        ("customer_clv", "prob_alive_within_unit_interval"),
        ("customer_clv", "model_parameters_finite_and_positive"),
        ("customer_clv", "no_missing_or_infinite_values"),
    }
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        published = key.path[0] == "warehouse"
        assert (node.freshness_policy == PUBLISHED_FRESHNESS) == published, key
        if key == dg.AssetKey("customer_metrics"):  # leaves failing days out itself
            # and neither waits for nor follows fx_rates, which every run reloads
            rates = dg.AssetSelection.assets(dg.AssetKey("fx_rates"))
            assert node.automation_condition == dg.AutomationCondition.eager().ignore(rates), key
        elif node.parent_keys:
            assert node.automation_condition == held_by_blocking_checks(), key


def test_engine_counts_malformed_values_per_day_and_file():
    """retyped_counts_sql over a small raw table (every row sampled): per day the present
    and malformed values of a column, the files holding one, the lowest and highest."""
    import datetime as dt

    import duckdb

    from asset_checks.drift import HEAD_ROWS, RETYPE_SAMPLE_ROWS, retyped_counts_sql
    from orders_core.sql.dialect import render
    from orders_core.sql.tables import create_statements
    from orders_core.tables import RAW_ORDERS

    contract = load_contract()
    day1, day2 = dt.date(2025, 1, 1), dt.date(2025, 1, 2)
    # (day, file, order_ts, amount): bad order_ts in two files of day 1, one of day 2
    landed_rows = [
        (day1, "a.csv", "yesterday", "10"),
        (day1, "a.csv", "2025-01-01T00:00:00Z", "x1"),
        (day1, "a.csv", "noon", "12"),
        (day1, "b.csv", "2025-01-01T01:00:00Z", "13"),
        (day1, "b.csv", "later", None),
        (day1, "c.csv", None, "15"),
        (day2, "d.csv", "2025-01-02T00:00:00Z", "abc"),
        (day2, "e.csv", "soon", "17"),
    ]
    with duckdb.connect() as conn:
        for statement in create_statements(contract, RAW_ORDERS):
            conn.execute(render(statement))
        for line, (day, name, order_ts, amount) in enumerate(landed_rows, start=2):
            conn.execute(
                "INSERT INTO raw.raw_orders (order_id, order_ts, amount, source_file,"
                " source_line, partition_date) VALUES (?, ?, ?, ?, ?, ?)",
                [f"o{line}", order_ts, amount, name, line, day],
            )
        cursor = conn.execute(
            render(retyped_counts_sql(contract, "raw.raw_orders")),
            [day1, day2, day1, day2, RETYPE_SAMPLE_ROWS, HEAD_ROWS],
        )
        names = [d[0] for d in cursor.description]
        counted = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    figures = {
        day: {
            k: counted[day][k]
            for k in (
                "sampled",
                "present_order_ts",
                "bad_order_ts",
                "files_order_ts",
                "low_order_ts",
                "high_order_ts",
                "bad_amount",
                "files_amount",
                "low_amount",
                "present_order_id",
                "bad_order_id",
                "files_order_id",
            )
        }  # fmt: skip
        for day in (day1, day2)
    }
    assert figures == {
        day1: {
            "sampled": 6, "present_order_ts": 5, "bad_order_ts": 3, "files_order_ts": 2,
            "low_order_ts": "later", "high_order_ts": "yesterday", "bad_amount": 1,
            "files_amount": 1, "low_amount": "x1", "present_order_id": 6, "bad_order_id": 0,
            "files_order_id": 0,
        },
        day2: {
            "sampled": 2, "present_order_ts": 2, "bad_order_ts": 1, "files_order_ts": 1,
            "low_order_ts": "soon", "high_order_ts": "soon", "bad_amount": 1,
            "files_amount": 1, "low_amount": "abc", "present_order_id": 2, "bad_order_id": 0,
            "files_order_id": 0,
        },
    }  # fmt: skip


def test_cells_named_alike_in_one_file_count_that_file_and_its_rows_once():
    # A header repeating a name ("promo" and "Promo", or a rename candidate twice) is one
    # file of 4 rows, not one file per cell: the finding's files and rows are the day's.
    rows = [{**r, "promo": "X", "regoin": "north"} for r in order_rows(4)]
    header = [*(h for h in HEADER if h != "region"), "promo", "Promo", "regoin", "Regoin"]
    findings = _drift(rows, header)
    counts = {(f.kind, f.column): (f.files, f.rows) for f in findings}
    assert counts[("added", "promo")] == (1, 4)
    assert counts[("added", "regoin")] == (1, 4)
    assert counts[("renamed", "region")] == (1, 4)


def test_a_file_of_which_nothing_could_be_read_is_named_with_why():
    """A corrupt Parquet or truncated gzip file is one malformed_record: the finding says
    so, instead of every contract column missing from a header the file never had."""
    good = landed("a.csv", csv_bytes(order_rows(5)))
    truncated = gzip.compress(csv_bytes(order_rows(50, prefix="b")))[:60]
    findings = detect_drift(
        raw_frame([good, landed("b.csv.gz", truncated), landed("c.parquet", b"PAR1 not")]),
        load_contract(),
    )
    [finding] = findings
    assert (finding.kind, finding.severity, finding.files, finding.rows) == (
        "unreadable",
        "ERROR",
        2,
        2,
    )
    assert "b.csv.gz (unreadable_gzip: " in finding.detail
    assert "c.parquet (unreadable_parquet: " in finding.detail
    assert not drift_outcome(findings, 7).passed
