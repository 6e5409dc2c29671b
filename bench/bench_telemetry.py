"""Cost of tracing: materialize a pandas-heavy toy asset with telemetry off and on.

"off" is the default deployment (no ``OTEL_*`` endpoint: the API's no-op tracer);
"on" exports spans and metrics over OTLP/HTTP to a receiver on 127.0.0.1, as a
collector sidecar would receive them. Modes alternate, after one warm-up run each,
and the medians are compared.

    ./.venv/bin/python bench/bench_telemetry.py --rows 1000000 --repetitions 7 [--json out.json]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devtools.otlp_receiver import OtlpReceiver  # noqa: E402
from resources.telemetry import TelemetryResource, emit_run_span  # noqa: E402
from resources.telemetry_setup import configure_telemetry, reset_telemetry  # noqa: E402

DAILY = dg.DailyPartitionsDefinition(start_date="2025-01-01")
ROWS = {"count": 1_000_000}


def toy_orders_frame(rows: int) -> pd.DataFrame:
    """A deterministic day of orders: ids, customers, amounts, currencies, timestamps."""
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "order_id": np.arange(rows).astype(str),
            "customer_id": rng.integers(0, rows // 20, rows).astype(str),
            "amount": rng.gamma(2.0, 40.0, rows).round(2),
            "currency": rng.choice(["EUR", "USD", "GBP"], rows),
            "order_ts": pd.Timestamp("2025-01-02", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s"),
        }
    )


@dg.asset(partitions_def=DAILY)
def bench_orders(context: dg.AssetExecutionContext, telemetry: TelemetryResource) -> None:
    """Clean, deduplicate and aggregate a day of orders, like cleaned_orders would."""
    with telemetry.asset_span(context) as span:
        raw = toy_orders_frame(ROWS["count"])
        bad = raw["amount"] > 400
        clean = raw[~bad].drop_duplicates("order_id")
        clean = clean.assign(hour=clean["order_ts"].dt.hour)
        per_customer = clean.groupby("customer_id")["amount"].agg(["sum", "count", "mean"])
        context.log.info(f"{len(per_customer)} customers")
        span.record_rows(rows_in=len(raw), rows_out=len(clean), quarantined=int(bad.sum()))


def materialize_once(
    instance: dg.DagsterInstance,
) -> tuple[float, float, dg.ExecuteInProcessResult]:
    """Wall and CPU seconds (all threads, exporters included) of one materialization."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = dg.materialize(
        [bench_orders],
        partition_key="2025-01-02",
        instance=instance,
        resources={"telemetry": TelemetryResource()},
    )
    return time.perf_counter() - started, time.process_time() - cpu_started, result


def run(rows: int, repetitions: int) -> dict:
    """Median seconds per mode and the overhead of tracing in percent."""
    ROWS["count"] = rows
    instance = dg.DagsterInstance.ephemeral()
    wall: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    with OtlpReceiver() as receiver:
        for repetition in range(repetitions + 1):
            for mode in ("off", "on") if repetition % 2 else ("on", "off"):
                reset_telemetry()
                os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
                if mode == "on":
                    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
                handle = configure_telemetry()
                seconds, cpu_seconds, result = materialize_once(instance)
                record = instance.get_run_record_by_id(result.run_id)
                emit_run_span(
                    handle,
                    result.dagster_run,
                    start_time=record.start_time,
                    end_time=record.end_time,
                    status="SUCCESS",
                )
                if repetition:
                    wall[mode].append(seconds)
                    cpu[mode].append(cpu_seconds)
        reset_telemetry()
        spans = len(receiver.spans())
    figures: dict = {"rows": rows, "repetitions": repetitions, "spans_received": spans}
    for clock, samples in (("wall", wall), ("cpu", cpu)):
        off, on = statistics.median(samples["off"]), statistics.median(samples["on"])
        figures[clock] = {
            "median_s_off": round(off, 4),
            "median_s_on": round(on, 4),
            "overhead_pct": round(100 * (on - off) / off, 2),
            "samples_s": {mode: [round(t, 4) for t in values] for mode, values in samples.items()},
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith("OTEL_")]:
        del os.environ[name]
    figures = run(args.rows, args.repetitions)
    print(f"{figures['rows']:,} rows, {figures['repetitions']} repetitions per mode (medians)")
    for clock in ("wall", "cpu"):
        f = figures[clock]
        print(
            f"  {clock:>4}: off {f['median_s_off']:.3f} s, on {f['median_s_on']:.3f} s, "
            f"overhead {f['overhead_pct']:+.2f} %"
        )
    print(f"  {figures['spans_received']} spans received over OTLP/HTTP")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
