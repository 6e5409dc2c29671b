"""The markdown table of a benchmark run, figures next to their targets."""

from __future__ import annotations

from collections.abc import Callable

# (label, how to read the figure, how to print it, target text, is the target met)
Row = tuple[str, Callable[[dict], object], str, str, Callable[[float], bool] | None]


class Failed(str):
    """A figure that could not be measured because what it measures failed: printed as
    its text and always a missed target, never the figure of what ran before it."""


def _largest_step(memory: list[dict], orders: int, parts: int) -> float | Failed:
    run = next(m for m in memory if m["orders"] == orders and m["parts"] == parts)
    failed = [step for step, figures in run["steps"].items() if "failed" in figures]
    if failed:
        return Failed(f"{', '.join(failed)} failed")
    return run["max_step_peak_rss_mb"]


ROWS: list[Row] = [
    ("End to end: platform (s)", lambda r: r["end_to_end"]["platform_s"], "{:.1f}", "", None),
    ("End to end: baseline (s)", lambda r: r["end_to_end"]["baseline_s"], "{:.1f}", "", None),
    ("End to end: platform / baseline", lambda r: r["end_to_end"]["ratio"], "{:.2f}x", "", None),
    ("End to end: plain DuckDB SQL script (s)", lambda r: r["end_to_end"]["duckdb_script_s"],
     "{:.1f}", "", None),
    ("End to end: platform / plain DuckDB script", lambda r: r["end_to_end"]["ratio_to_duckdb_script"],
     "{:.2f}x", "<= 1.0x", lambda v: v <= 1.0),
    ("End to end: platform / plain DuckDB script, median of same-repetition pairs",
     lambda r: r["end_to_end"]["paired_ratio_to_duckdb_script"], "{:.2f}x", "<= 1.0x",
     lambda v: v <= 1.0),
    ("End to end: platform, whole process: interpreter, imports, definitions (s)",
     lambda r: r["end_to_end"]["platform_process_s"], "{:.1f}", "", None),
    ("End to end: plain DuckDB script, whole process (s)",
     lambda r: r["end_to_end"]["duckdb_script_process_s"], "{:.1f}", "", None),
    ("End to end: plain DuckDB script, landed orders per second",
     lambda r: r["end_to_end"]["duckdb_script_orders_per_s"], "{:,.0f}", "", None),
    ("End to end: landed orders per second, whole graph", lambda r: r["end_to_end"]["orders_per_s"],
     "{:,.0f}", "", None),
    ("End to end: orders per second, raw_orders + clean_orders + fct_orders steps",
     lambda r: r["end_to_end"]["orders_per_s_raw_to_fct_steps"], "{:,.0f}", ">= 200,000",
     lambda v: v >= 200_000),
    ("End to end: platform CPU (s)", lambda r: r["end_to_end"]["platform_cpu_s"], "{:.1f}", "", None),
    ("End to end: plain DuckDB script CPU (s)", lambda r: r["end_to_end"]["duckdb_script_cpu_s"],
     "{:.1f}", "", None),
    ("End to end: baseline CPU (s)", lambda r: r["end_to_end"]["baseline_cpu_s"], "{:.1f}", "", None),
    ("End to end: platform peak RSS (MiB)", lambda r: r["end_to_end"]["peak_rss_mb"], "{:,.0f}", "", None),
    ("End to end: baseline peak RSS (MiB)", lambda r: r["end_to_end"]["baseline_peak_rss_mb"],
     "{:,.0f}", "", None),
    ("Backfill: single run (s)", lambda r: r["backfill"]["single_run_s"], "{:.1f}", "", None),
    ("Backfill: one run per partition (s)", lambda r: r["backfill"]["per_partition_s"], "{:.1f}", "", None),
    ("Backfill: speed-up of the single run", lambda r: r["backfill"]["speedup"], "{:.1f}x",
     ">= 10x", lambda v: v >= 10),
    ("Backfill, a process per run: single run (s)",
     lambda r: r["backfill"]["launched_single_run_s"], "{:.1f}", "", None),
    ("Backfill, a process per run: one run per partition (s)",
     lambda r: r["backfill"]["launched_per_partition_s"], "{:.1f}", "", None),
    ("Backfill, a process per run: speed-up of the single run",
     lambda r: r["backfill"]["launched_speedup"], "{:.1f}x", ">= 10x", lambda v: v >= 10),
    *[
        (f"Sensor tick, {size} partitions of history (s)",
         lambda r, size=size: r["sensor_tick_s"][size], "{:.3f}", "", None)
        for size in ("1000", "10000", "100000")
    ],
    ("Definitions load (s)", lambda r: r["definitions_load_s"], "{:.2f}", "< 2 s", lambda v: v < 2),
    ("CLV fit, 100,000 customers (s)", lambda r: r["clv_fit_s"]["100000"], "{:.1f}", "", None),
    ("CLV fit, 1,000,000 customers (s)", lambda r: r["clv_fit_s"]["1000000"], "{:.1f}", "", None),
    *[
        (f"Sensor first tick, {size} partitions of history (s)",
         lambda r, size=size: r["sensor_first_tick_s"][size], "{:.3f}", "", None)
        for size in ("1000", "10000", "100000")
    ],
    ("Checks overhead, one day of --overhead-rows orders (%)",
     lambda r: Failed("failed (latest.json: checks_overhead)") if "failed" in r["checks_overhead"]
     else r["checks_overhead"]["overhead_pct"], "{:+.1f}", "<= 15%", lambda v: v <= 15),
    ("Tracing overhead, whole graph, same day (%)",
     lambda r: r["tracing_overhead"]["overhead_pct"], "{:+.1f}", "< 5%", lambda v: v < 5),
    ("Tracing overhead, median of alternating on/off pairs (%)",
     lambda r: r["tracing_overhead"]["paired_overhead_pct"], "{:+.1f}", "< 5%", lambda v: v < 5),
    ("Tracing overhead, CPU seconds, median of the same pairs (%)",
     lambda r: r["tracing_overhead"]["paired_cpu_overhead_pct"], "{:+.1f}", "< 5%",
     lambda v: v < 5),
    *[
        (f"Memory: largest step process, day of {orders:,} orders in {parts} file(s) (MiB)",
         lambda r, orders=orders, parts=parts: _largest_step(r["memory"], orders, parts),
         "{:,.0f}", "<= 1,024 (1 GiB)", lambda v: v <= 1024)
        for orders in (1_000_000, 4_000_000, 8_000_000) for parts in (8, 1)
    ],
]  # fmt: skip


def _cell(results: dict, read: Callable[[dict], object]) -> object:
    try:
        return read(results)
    except (KeyError, TypeError, StopIteration):
        return None


def markdown(results: dict) -> str:
    """The results as a markdown table, with the machine and the notes underneath."""
    lines = ["| Measure | Value | Target | |", "|---|---:|---|---|"]
    for label, read, fmt, target, met in ROWS:
        value = _cell(results, read)
        if value is None:
            lines.append(f"| {label} | n/a | {target} | |")
            continue
        if isinstance(value, Failed):
            lines.append(f"| {label} | {value} | {target} | missed |")
            continue
        status = "" if met is None else ("met" if met(value) else "missed")
        lines.append(f"| {label} | {fmt.format(value)} | {target} | {status} |")
    m = results["machine"]
    lines += [
        "",
        f"Machine: {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, dagster {m['dagster_version']}, pandas {m['pandas_version']}, "
        f"pyarrow {m['pyarrow_version']}, duckdb {m['duckdb_version']}; {m['date']}; "
        f"load average at start {m['load_average_1m']}"
        + (
            f", when written {results['load_average_written']} (1, 5, 15 minutes)."
            if "load_average_written" in results
            else "."
        ),
    ]
    spent = results.get("section_seconds")
    if spent:
        lines.append(
            "Sections, wall (CPU of the bench and its child processes): "
            + ", ".join(
                f"{name} {s['wall_s']:,.0f} s ({s['cpu_s']:,.0f} s)" for name, s in spent.items()
            )
            + "."
        )
    e2e = results.get("end_to_end")
    if e2e:
        lines.append(
            f"End to end: {e2e['days']} days x {e2e['orders_per_day']:,} orders/day "
            f"({e2e['landed_rows']:,} landed rows, CSV); executor {e2e['executor']}; "
            "fct_orders rows "
            + ", ".join(f"{name} {rows:,}" for name, rows in e2e["fct_orders_rows"].items())
            + f"; load average {e2e.get('load_average_start')} -> {e2e.get('load_average_end')}."
            + (
                " Every run of every contender published the same fct_orders and dim_customers"
                " (rows, amounts, revenue: checked, bench/published.py)."
                if "published" in e2e
                else ""
            )
        )
    notes = [
        results.get("sensor_tick_note") and f"Sensor tick: {results['sensor_tick_note']}.",
        results.get("clv_fit_note") and f"CLV: {results['clv_fit_note']}.",
        results.get("checks_overhead", {}).get("note")
        and f"Checks: {results['checks_overhead']['note']}.",
        results.get("checks_overhead", {}).get("failed")
        and f"Checks overhead failed: {results['checks_overhead']['failed'][:600]}",
        results.get("tracing_overhead") and f"Tracing: {results['tracing_overhead']['note']}.",
    ]
    lines += [note for note in notes if note]
    return "\n".join(lines) + "\n"
