"""The Snowflake IO manager (on fakesnow): atomic partition replacement and typed loads."""

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from resources.snowflake_io_manager import SnowflakeWarehouseIOManager, snowflake_type
from resources.snowflake_warehouse import SnowflakeWarehouse, snowflake_resource
from tests.support.snowflake_faults import failing_statement

pytestmark = pytest.mark.services

DAILY = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
DATE = pd.ArrowDtype(pa.date32())


def _frame(day: str, amounts: list[float], tag: str = "v1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": pd.array([f"{day}-{n}" for n in range(len(amounts))], dtype="string"),
            "amount": amounts,
            "quantity": pd.array([1] * (len(amounts) - 1) + [None], dtype="Int64")[: len(amounts)],
            "order_ts": pd.to_datetime([f"{day}T10:00:00Z"] * len(amounts), utc=True),
            "tag": pd.array([tag] * len(amounts), dtype="string"),
            "partition_date": pd.array([pd.Timestamp(day).date()] * len(amounts), dtype=DATE),
        }
    )


def _assets(frames: dict[str, pd.DataFrame], whole: pd.DataFrame | None = None):
    @dg.asset(
        key=["warehouse", "facts"],
        partitions_def=DAILY,
        io_manager_key="warehouse_io_manager",
        metadata={"partition_expr": "partition_date"},
    )
    def facts(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return frames[context.partition_key]

    @dg.asset(key=["warehouse", "summary"], io_manager_key="warehouse_io_manager")
    def summary() -> pd.DataFrame:
        return whole if whole is not None else pd.DataFrame({"n": [1]})

    @dg.asset(
        partitions_def=DAILY,
        ins={"facts": dg.AssetIn(["warehouse", "facts"])},
        io_manager_key="warehouse_io_manager",
        metadata={"schema": "analytics", "partition_expr": "partition_date"},
    )
    def echo(facts: pd.DataFrame) -> pd.DataFrame:
        return facts

    return [facts, summary, echo]


def _resources() -> dict:
    snowflake = snowflake_resource(key_pair=False, key_passphrase=False)
    return {
        "warehouse_io_manager": SnowflakeWarehouseIOManager(snowflake=snowflake),
        "warehouse": SnowflakeWarehouse(snowflake=snowflake),
    }


def _materialize(frames, day: str | None, selection=("warehouse/facts",), whole=None, **kwargs):
    """Materialize the selection: one day of the partitioned assets, or the whole table."""
    return dg.materialize(
        _assets(frames, whole),
        partition_key=day,
        resources=_resources(),
        selection=list(selection),
        **kwargs,
    )


def _query(sql: str) -> pd.DataFrame:
    with dg.build_resources({"warehouse": _resources()["warehouse"]}) as resources:
        return resources.warehouse.query(sql)


def test_snowflake_types_of_the_platform_dtypes():
    frame = _frame("2025-01-01", [1.0, 2.0])
    assert {c: snowflake_type(t) for c, t in frame.dtypes.items()} == {
        "order_id": "VARCHAR",
        "amount": "FLOAT",
        "quantity": "NUMBER(38,0)",
        "order_ts": "TIMESTAMP_TZ",
        "tag": "VARCHAR",
        "partition_date": "DATE",
    }


def test_rewriting_a_partition_replaces_only_its_rows(fake_snowflake):
    frames = {
        "2025-01-01": _frame("2025-01-01", [1.0, 2.0, 3.0]),
        "2025-01-02": _frame("2025-01-02", [5.0]),
    }
    assert _materialize(frames, "2025-01-01").success
    assert _materialize(frames, "2025-01-02").success
    frames["2025-01-01"] = _frame("2025-01-01", [7.0, 8.0], tag="v2")
    assert _materialize(frames, "2025-01-01").success
    assert _materialize(frames, "2025-01-01").success

    stored = _query(
        "select partition_date, tag, count(*) as n, sum(amount) as total"
        " from warehouse.facts group by 1, 2 order by 1"
    )
    assert stored[["tag", "n", "total"]].to_dict("records") == [
        {"tag": "v2", "n": 2, "total": 15.0},
        {"tag": "v1", "n": 1, "total": 5.0},
    ]


def test_loaded_partition_keeps_types_and_lowercase_columns(fake_snowflake):
    frames = {
        "2025-01-01": _frame("2025-01-01", [1.0, 2.0]),
        "2025-01-02": _frame("2025-01-02", [5.0]),
    }
    _materialize(frames, "2025-01-01")
    _materialize(frames, "2025-01-02")

    assert _materialize(frames, "2025-01-01", selection=["echo"]).success
    echoed = _query("select * from analytics.echo")
    expected = frames["2025-01-01"]
    pd.testing.assert_frame_equal(echoed, expected, check_dtype=False)
    assert echoed.dtypes.astype(str).to_dict() == {
        "order_id": "string",
        "amount": "float64",
        "quantity": "Int64",
        "order_ts": "datetime64[us, UTC]",
        "tag": "string",
        "partition_date": "date32[day][pyarrow]",
    }


def test_failure_after_the_delete_keeps_the_old_rows(fake_snowflake):
    frames = {"2025-01-01": _frame("2025-01-01", [1.0, 2.0, 3.0])}
    assert _materialize(frames, "2025-01-01").success
    frames["2025-01-01"] = _frame("2025-01-01", [9.0], tag="v2")

    with failing_statement('insert into "WAREHOUSE"."FACTS"') as executed:
        result = _materialize(frames, "2025-01-01", raise_on_error=False)

    assert not result.success
    assert any(s.startswith('delete from "WAREHOUSE"."FACTS"') for s in executed), executed
    old = _query("select tag, amount from warehouse.facts order by amount")
    assert old.to_dict("records") == [{"tag": "v1", "amount": a} for a in (1.0, 2.0, 3.0)]

    assert _materialize(frames, "2025-01-01").success
    assert _query("select tag, amount from warehouse.facts").to_dict("records") == [
        {"tag": "v2", "amount": 9.0}
    ]


def test_failed_staging_load_changes_nothing(fake_snowflake):
    frames = {"2025-01-01": _frame("2025-01-01", [1.0])}
    assert _materialize(frames, None, selection=["warehouse/summary"]).success

    with failing_statement('create or replace table "WAREHOUSE"."SUMMARY"'):
        result = _materialize(
            frames,
            None,
            selection=["warehouse/summary"],
            whole=pd.DataFrame({"n": [2], "extra": ["x"]}),
            raise_on_error=False,
        )

    assert not result.success
    assert _query("select * from warehouse.summary").to_dict("records") == [{"n": 1}]


def test_whole_table_is_replaced_even_with_new_columns_or_no_rows(fake_snowflake):
    frames = {"2025-01-01": _frame("2025-01-01", [1.0])}
    whole = pd.DataFrame({"n": [1, 2], "label": pd.array(["a", "b"], dtype="string")})
    assert _materialize(frames, None, selection=["warehouse/summary"], whole=whole).success
    assert _query("select count(*) as n from warehouse.summary")["n"].iloc[0] == 2

    empty = pd.DataFrame({"n": pd.array([], dtype="Int64"), "other": pd.array([], dtype="string")})
    assert _materialize(frames, None, selection=["warehouse/summary"], whole=empty).success
    stored = _query("select * from warehouse.summary")
    assert list(stored.columns) == ["n", "other"] and stored.empty


def test_empty_partition_creates_the_table(fake_snowflake):
    frames = {"2025-01-01": _frame("2025-01-01", [1.0]).iloc[0:0]}
    assert _materialize(frames, "2025-01-01").success

    assert _query("select count(*) as n from warehouse.facts")["n"].iloc[0] == 0
