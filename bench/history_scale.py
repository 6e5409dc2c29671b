"""What a tick and a check cost after 30, 180, 365 and 730 days of real history.

Reads the snapshots ``bench.history_build`` wrote (``<history>/days-N``: the SQLite
instance of ``make run`` and the warehouse after real range runs of N days), each copied
back to where the build ran (``<history>/work``, replaced: a landed file's fingerprint
names its path), and times the plain functions the sensors and the check call:

* ``landing idle``: ``evaluate_landing`` with nothing new (its cursor caught up first);
* ``landing +1 day``: the same cursor, the next day's folder landed;
* ``anomaly first``: ``evaluate_tick`` without a cursor (the sensor's first tick);
* ``anomaly idle``: a tick after that with nothing to read;
* ``anomaly +1 judged``: from that cursor, once a real run (raw_orders and its checks)
  loaded and judged the next day;
* ``check 1 day``: ``evaluate_days`` of that day (what metadata_anomaly does in its run);
* ``newest day alone, run``: a real run of the newest of N landed days alone, on an empty
  instance, none of the others loaded (``--sections newest``, see :func:`newest_alone`).

Each figure is the median of ``--repetitions`` (the cursor and the instance are the same
each time), with the SQL statements it made against the instance (the event log's and the
runs' databases, counted by a SQLAlchemy listener), and the decisions it took, so that two
versions of the code can be compared for equal decisions (``--decisions FILE`` writes them).

    python -m bench.history_scale --history /dev/shm/history [--sizes 30 180 365 730]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import shutil
import statistics
import warnings
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.harness import Timer
from bench.history_build import START, copy_landing, open_instance, settings_for

_STATEMENTS = [0]


def _count(*_args, **_kwargs) -> None:
    _STATEMENTS[0] += 1


def timed(fn: Callable[[], object], repetitions: int) -> tuple[float, int, object]:
    """Median wall seconds of ``fn``, its SQL statements (of one call) and its result."""
    samples, statements, result = [], 0, None
    for _ in range(repetitions):
        _STATEMENTS[0] = 0
        with Timer() as timer:
            result = fn()
        samples.append(timer.wall_s)
        statements = _STATEMENTS[0]
    return statistics.median(samples), statements, result


def _requests(requests) -> list[str]:
    return sorted(f"{r.run_key} {sorted(map(str, r.asset_selection or []))}" for r in requests)


def measure(snapshot: Path, size: int, repetitions: int) -> tuple[dict, dict]:
    from asset_checks.anomaly import anomaly_config, evaluate_days
    from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
    from resources.instance_history import RAW_ORDERS
    from resources.landing import LocalLandingZone
    from sensors.batching import JobAssets
    from sensors.landing import evaluate_landing
    from sensors.orders_anomaly import evaluate_tick

    figures: dict[str, tuple[float, int]] = {}
    decisions: dict[str, object] = {}
    # Restored where the build ran: a landed file's fingerprint names its path.
    work = snapshot.parent / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(snapshot / "home", work / "home")
    shutil.copy(snapshot / "orders.duckdb", work / "orders.duckdb")
    shutil.copytree(snapshot / "landing", work / "landing")
    settings = settings_for(work / "landing", work / "orders.duckdb")
    defs = build_definitions(settings)
    job = JobAssets.of(defs.assets or [])
    partitions_def = defs.resolve_assets_def(RAW_ORDERS).partitions_def
    landing = LocalLandingZone(root=str(work / "landing"))
    lookback = settings.landing_lookback_days
    last = (START + dt.timedelta(days=size - 1)).isoformat()
    new_day = START + dt.timedelta(days=size)
    with open_instance(work / "home") as instance:
        # The landing sensor's cursor, caught up (at most 400 new days a tick).
        cursor = None
        for _ in range(5):
            tick = evaluate_landing(instance, cursor, landing, partitions_def, lookback, job)
            cursor = tick.cursor
            if json.loads(cursor)["newest"] == last and not tick.run_requests:
                break
        caught_up = cursor

        def landing_tick():
            return evaluate_landing(instance, caught_up, landing, partitions_def, lookback, job)

        seconds, statements, tick = timed(landing_tick, repetitions)
        figures["landing idle"] = (seconds, statements)
        decisions["landing idle"] = [tick.decisions, _requests(tick.run_requests), tick.cursor]

        def anomaly_tick(cursor):
            return lambda: evaluate_tick(instance, cursor, landing, job)

        seconds, statements, outcome = timed(anomaly_tick(None), repetitions)
        figures["anomaly first"] = (seconds, statements)
        decisions["anomaly first"] = [outcome.decisions, outcome.state.to_json()]
        first_cursor = outcome.state.to_json()
        seconds, statements, outcome = timed(anomaly_tick(first_cursor), repetitions)
        figures["anomaly idle"] = (seconds, statements)
        decisions["anomaly idle"] = [outcome.decisions, outcome.state.to_json()]
        idle_cursor = outcome.state.to_json()

        copy_landing(snapshot / "next", work / "landing", [new_day])
        seconds, statements, tick = timed(landing_tick, repetitions)
        figures["landing +1 day"] = (seconds, statements)
        decisions["landing +1 day"] = [
            tick.decisions,
            _requests(tick.run_requests),
            tick.cursor,
        ]

        # The new day loaded and judged by a real run, as the landing sensor asks.
        result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
            instance=instance,
            partition_key=new_day.isoformat(),
            asset_selection=[RAW_ORDERS],
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            raise_on_error=False,
        )
        seconds, statements, outcome = timed(anomaly_tick(idle_cursor), repetitions)
        figures["anomaly +1 judged"] = (seconds, statements)
        decisions["anomaly +1 judged"] = [
            outcome.decisions,
            _requests(outcome.run_requests),
            [h.day for h in outcome.held],
            outcome.judged,
        ]
        decisions["run of the new day"] = result.success

        config = anomaly_config(settings.anomaly_threshold, settings.anomaly_training_days)

        def landed() -> list[str]:
            keys = (day.isoformat() for day in landing.list_days())
            return [key for key in keys if partitions_def.has_partition_key(key)]

        def check():
            return list(evaluate_days(instance, [new_day.isoformat()], config, None, landed))

        seconds, statements, evaluations = timed(check, repetitions)
        figures["check 1 day"] = (seconds, statements)
        decisions["check 1 day"] = [
            (e.partition, e.passed, e.description, sorted(e.metadata)) for e in evaluations
        ]
    return figures, decisions


def newest_alone(history: Path, size: int) -> tuple[float, dict]:
    """Seconds of a real run of the newest of ``size`` landed days alone (raw_orders and its
    checks), none of the others loaded: metadata_anomaly profiles them from their files
    and judges them with it, as a range run would (the first run of days run newest
    first). On an empty instance and warehouse of their own, under ``<history>/newest``."""
    from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
    from resources.instance_history import CHECK_NAME, RAW_ORDERS

    work = history / "newest"
    shutil.rmtree(work, ignore_errors=True)
    days = [START + dt.timedelta(days=i) for i in range(size)]
    copy_landing(history / "landing-all", work / "landing", days)
    settings = settings_for(work / "landing", work / "orders.duckdb")
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    with open_instance(work / "home") as instance, Timer() as timer:
        result = job.execute_in_process(
            instance=instance,
            partition_key=days[-1].isoformat(),
            asset_selection=[RAW_ORDERS],
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            raise_on_error=False,
        )
    verdicts = {
        e.event_specific_data.partition: [
            e.event_specific_data.passed,
            e.event_specific_data.description,
            {k: str(v.value) for k, v in e.event_specific_data.metadata.items()},
        ]
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == CHECK_NAME
    }
    shutil.rmtree(work, ignore_errors=True)
    return timer.wall_s, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 180, 365, 730])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--decisions", type=Path, help="write every decision taken here (JSON)")
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=["ticks", "newest"],
        default=["ticks", "newest"],
        help="ticks: the table above; newest: a run of the newest day alone (see newest_alone)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", _count)
    table: dict[int, dict] = {}
    decisions: dict[str, dict] = {}
    for size in args.sizes:
        table[size], decisions[str(size)] = (
            measure(args.history / f"days-{size}", size, args.repetitions)
            if "ticks" in args.sections
            else ({}, {})
        )
        if "newest" in args.sections:
            seconds, verdicts = newest_alone(args.history, size)
            table[size]["newest day alone, run"] = (seconds, None)
            decisions[str(size)]["newest day alone"] = verdicts
    names = list(next(iter(table.values())))
    print("| what | " + " | ".join(f"{size} days" for size in args.sizes) + " |")
    print("|---|" + "---:|" * len(args.sizes))
    for name in names:
        cells = [
            f"{table[s][name][0]:.3f} s"
            + (f", {table[s][name][1]} q" if table[s][name][1] is not None else "")
            for s in args.sizes
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.decisions:
        with contextlib.suppress(FileNotFoundError):
            args.decisions.unlink()
        args.decisions.write_text(json.dumps(decisions, indent=1, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
