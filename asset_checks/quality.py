"""Great Expectations (GX Core 1.x) suites as blocking, partitioned checks of the typed tables.

Each day is validated on its own: an ephemeral GX context (nothing written to disk),
a pandas datasource fed the day's rows from the warehouse, and the suite of
:mod:`asset_checks.expectations`. Failing counts, percentages and a few sample values
of every expectation go into the check's metadata. GX is imported inside the check
function only, so loading the definitions does not pay for it.

Speed on a million-row day comes from feeding GX less, never from checking less: row
rules see text as integer codes, and value rules of text run once per distinct value
with the rows counted back from the value counts (see ``DaySuite``).
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

from asset_checks.expectations import (
    DaySuite,
    order_expectations,
    prepare_for_suite,
    publication_expectations,
)
from asset_checks.partitioned import PartitionOutcome, partition_check_events
from orders_core.calendar import days_in_window
from orders_core.contract import load_contract
from orders_core.pii import redact_emails
from orders_core.sql.facts import current_orders_sql
from orders_core.tables import (
    CLEANED_ORDERS,
    FCT_ORDERS,
    FCT_ORDERS_COLUMNS,
    GX_QUALITY,
    QUALITY_COLUMNS,
)
from resources.telemetry import TelemetryResource
from resources.warehouse import Warehouse, quoted_table
from resources.warehouse_pool import WAREHOUSE_POOL

SAMPLE_VALUES = 5
CLEANED = dg.AssetKey(CLEANED_ORDERS.key)
FACTS = dg.AssetKey(FCT_ORDERS.key)
RESULT_COLUMNS = (
    "expectation",
    "column",
    "success",
    "unexpected_count",
    "unexpected_percent",
    "sample",
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """What one expectation found on one day."""

    expectation: str
    column: str
    success: bool
    unexpected_count: int
    unexpected_percent: float
    sample: str


def _sample(result: Any, decoder: Any = None) -> str:
    """What to show of a result: a few unexpected values (decoded when the column was
    encoded), the observed value of a failed table expectation, or GX's error; e-mail
    addresses masked."""
    return redact_emails(_sample_text(result, decoder))


def _sample_text(result: Any, decoder: Any) -> str:
    details = result.result or {}
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message", ""))
    unexpected = details.get("partial_unexpected_list") or details.get("unexpected_list") or []
    if unexpected:
        values = unexpected[:SAMPLE_VALUES]
        if decoder is not None:
            values = [None if pd.isna(code) else decoder[int(code)] for code in values]
        return ", ".join(repr(value) for value in values)
    if not result.success and "observed_value" in details:
        return str(details["observed_value"])
    return ""


def _column(kwargs: Any) -> str:
    return (
        kwargs.get("column")
        or ", ".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
        or "(table)"
    )


def _row_outcome(result: Any, decoders: dict[str, Any]) -> ExpectationOutcome:
    """An expectation run on every row."""
    config = result.expectation_config
    column = _column(config.kwargs)
    details = result.result or {}
    return ExpectationOutcome(
        expectation=config.type,
        column=column,
        success=bool(result.success),
        unexpected_count=int(details.get("unexpected_count") or 0),
        unexpected_percent=round(float(details.get("unexpected_percent") or 0.0), 4),
        sample=_sample(result, decoders.get(column))[:500],
    )


def _value_outcome(result: Any, counts: pd.Series) -> ExpectationOutcome:
    """An expectation run on distinct values, counted back in rows (of non-null values,
    as GX counts)."""
    config = result.expectation_config
    unexpected = (result.result or {}).get("unexpected_list") or []
    rows = int(counts.loc[unexpected].sum()) if unexpected else 0
    total = int(counts.sum())
    return ExpectationOutcome(
        expectation=config.type,
        column=_column(config.kwargs),
        success=bool(result.success),
        unexpected_count=rows,
        unexpected_percent=round(100 * rows / total, 4) if total else 0.0,
        sample=_sample(result)[:500],
    )


class SuiteRunner:
    """An ephemeral GX context with one pandas dataframe asset, reused for every day."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self._context.data_sources.add_pandas("orders").add_dataframe_asset("day")
        self._batch = asset.add_batch_definition_whole_dataframe("whole_day")
        self._runs = 0

    def _validate(self, frame: pd.DataFrame, expectations: Sequence[Any], result_format: dict):
        gx = self._gx
        self._runs += 1
        suite = self._context.suites.add(gx.ExpectationSuite(name=f"suite_{self._runs}"))
        for expectation in expectations:
            suite.add_expectation(expectation)
        validation = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validation_{self._runs}", data=self._batch, suite=suite)
        )
        result = validation.run(batch_parameters={"dataframe": frame}, result_format=result_format)
        return result.results

    def run(self, frame: pd.DataFrame, day: dt.date, suite: DaySuite) -> list[ExpectationOutcome]:
        """Validate one day's frame: row expectations on every row, value expectations on
        each text column's distinct values."""
        rows, decoders = prepare_for_suite(frame, day)
        # BASIC keeps the counts, percentages and samples we report, without GX's
        # index lists and queries (each a copy of the million-row frame per expectation).
        basic = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_VALUES}
        outcomes = [_row_outcome(r, decoders) for r in self._validate(rows, suite.rows, basic)]
        complete = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
        for column, expectations in suite.values.items():
            # Distinct values and their row counts straight from the factorization.
            codes = rows[column].dropna().to_numpy(dtype="int64")
            uniques = decoders[column]
            counts = pd.Series(np.bincount(codes, minlength=len(uniques)), index=uniques)
            # A categorical of the distinct values: GX reads the same strings, but
            # fingerprints and null-tests the integer codes instead of every string.
            distinct = pd.DataFrame(
                {
                    column: pd.Categorical.from_codes(
                        np.arange(len(uniques)), dtype=pd.CategoricalDtype(uniques)
                    )
                }
            )
            results = self._validate(distinct, expectations, complete)
            outcomes += [_value_outcome(r, counts) for r in results]
        return outcomes


def quality_outcome(outcomes: Sequence[ExpectationOutcome], rows: int) -> PartitionOutcome:
    """Passes when every expectation holds; the per-expectation findings as a table."""
    failed = [o for o in outcomes if not o.success]
    metadata: dict[str, Any] = {
        "rows": rows,
        "gx/evaluated_expectations": len(outcomes),
        "gx/failed_expectations": len(failed),
        "gx/unexpected_rows_max": max((o.unexpected_count for o in outcomes), default=0),
        "gx/results": dg.MetadataValue.table(
            records=[dg.TableRecord(asdict(o)) for o in outcomes],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name,
                        {
                            "success": "bool",
                            "unexpected_count": "int",
                            "unexpected_percent": "float",
                        }.get(name, "string"),
                    )
                    for name in RESULT_COLUMNS
                ]
            ),
        ),
    }
    if not failed:
        return PartitionOutcome(
            True, description=f"{len(outcomes)} expectations met.", metadata=metadata
        )
    summary = "; ".join(
        f"{o.expectation}({o.column}): {o.unexpected_count} rows ({o.unexpected_percent}%)"
        for o in failed
    )
    return PartitionOutcome(False, description=summary[:2000], metadata=metadata)


Suite = Callable[[dt.date], DaySuite]


def validate_days(
    frames: Iterable[tuple[dt.date, pd.DataFrame]], suite: Suite
) -> dict[str, PartitionOutcome]:
    """Run the day's suite on each day's frame; one outcome per partition key."""
    runner = SuiteRunner()
    return {
        day.isoformat(): quality_outcome(runner.run(frame, day, suite(day)), len(frame))
        for day, frame in frames
    }


def _select(table: tuple[str, str], columns: Sequence[str] | None) -> str:
    projection = "*" if columns is None else ", ".join(f'"{c}"' for c in columns)
    return f"select {projection} from {quoted_table(*table)} where partition_date = ?"  # noqa: S608 (validated identifiers)


def _check_description(asset: dg.AssetKey) -> str:
    if asset == CLEANED:
        return (
            "Great Expectations suite from the contract: keys not null, order_id unique, "
            "amounts and quantities in range, currency (ISO 4217) and status in their sets, "
            "id patterns, text lengths, no formula-like text, order_ts inside the partition "
            "day, updated_at >= order_ts, amount = quantity x unit_price within tolerance, "
            "e-mail hash a hex digest."
        )
    return (
        "Great Expectations publication suite: exactly the published columns (no lineage, "
        "no PII in clear), as many rows as the cleaned day, keys present and unique, "
        "orders of the partition day, amounts in range."
    )


def _suite_events(
    context: dg.AssetCheckExecutionContext,
    telemetry: TelemetryResource,
    warehouse: Warehouse,
    day_sql: str,
    suite: Suite,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """One GX check over the run's days: each day read with ``day_sql`` and validated
    with its suite, one evaluation per day, all on the check's span."""
    (check_key,) = [spec.key for spec in context.check_specs]
    with telemetry.check_span(context, check_key) as span:
        days = days_in_window(context.partition_time_window)
        outcomes = validate_days(((day, warehouse.query(day_sql, [day])) for day in days), suite)
        yield from span.record_events(
            partition_check_events(context.op_execution_context, check_key, outcomes)
        )


def build_quality_checks(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    """GX checks of cleaned_orders (content) and of the published warehouse/fct_orders."""
    contract = load_contract()
    cleaned_sql = _select((CLEANED_ORDERS.schema, CLEANED_ORDERS.name), QUALITY_COLUMNS)
    facts_sql = _select((FCT_ORDERS.schema, FCT_ORDERS.name), None)
    # A day publishes the current versions of its cleaned orders (one row per order
    # across days: orders_core.sql.facts).
    count_sql = (
        f"select count(*) as n from ({current_orders_sql()}) as current_orders"  # noqa: S608 (constant SQL)
        " where partition_date = ?"
    )

    @dg.asset_check(
        asset=CLEANED,
        name=GX_QUALITY,
        partitions_def=partitions_def,
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=_check_description(CLEANED),
    )
    def cleaned_quality(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ):
        yield from _suite_events(
            context, telemetry, warehouse, cleaned_sql, lambda day: order_expectations(contract)
        )

    @dg.asset_check(
        asset=FACTS,
        name=GX_QUALITY,
        partitions_def=partitions_def,
        blocking=True,
        pool=WAREHOUSE_POOL,
        additional_deps=[CLEANED],
        description=_check_description(FACTS),
    )
    def facts_quality(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, telemetry: TelemetryResource
    ):
        def suite(day: dt.date) -> DaySuite:
            rows = int(warehouse.query(count_sql, [day])["n"].iloc[0])
            return publication_expectations(contract, FCT_ORDERS_COLUMNS, rows)

        yield from _suite_events(context, telemetry, warehouse, facts_sql, suite)

    return [cleaned_quality, facts_quality]
