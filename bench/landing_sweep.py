"""What orders_landing_sensor's sweep costs against a quiet tick, at years of days.

Lands ``--days`` day folders of ``--files`` small files each (locally, or in moto's S3
server in this process with ``--s3``), reports a raw_orders materialization of each day
into a SQLite instance configured by the repository's dagster.yaml (the fingerprints of
its files and ``--metadata`` numeric entries more, about what a real load records), catches
the sensor's cursor up, then alternates ``--repetitions`` times, from the same cursor:

* ``quiet``: ``evaluate_landing`` with nothing new and no sweep (what most ticks are);
* ``sweep``: the same tick with a sweep (``sweep_ticks=1``);
* ``listing``: the zone's listing of every day alone (``files_of_days``).

and prints the median wall and CPU seconds of each, the SQL statements it made against the
instance (a SQLAlchemy listener) and, on S3, its ListObjectsV2 requests (a botocore event
hook). Then a file lands in a day 400 days back and one sweep tick must request that day
alone. CPU seconds include moto's server work on S3 (the same process).

    python -m bench.landing_sweep --out /tmp/sweep-bench [--days 730] [--s3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import warnings
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from bench.harness import Timer
from bench.history_build import open_instance

START = dt.date(2024, 1, 1)
_STATEMENTS = [0]
_REQUESTS = [0]


def _count_statement(*_args, **_kwargs) -> None:
    _STATEMENTS[0] += 1


def _land_local(root: Path, days: list[dt.date], files: int) -> None:
    for day in days:
        folder = root / "orders" / f"date={day.isoformat()}"
        folder.mkdir(parents=True)
        for n in range(files):
            (folder / f"part-{n:03d}.csv").write_text(f"order_id\n{day}-{n}\n")


def _land_s3(client, bucket: str, days: list[dt.date], files: int) -> None:
    for day in days:
        for n in range(files):
            key = f"landing/orders/date={day.isoformat()}/part-{n:03d}.csv"
            client.put_object(Bucket=bucket, Key=key, Body=f"order_id\n{day}-{n}\n".encode())


def measured(fn, repetitions_log: dict, name: str):
    _STATEMENTS[0] = _REQUESTS[0] = 0
    with Timer() as timer:
        result = fn()
    repetitions_log.setdefault(name, []).append(
        (timer.wall_s, timer.cpu_s, _STATEMENTS[0], _REQUESTS[0])
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--metadata", type=int, default=40)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--s3", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from orders_platform.definitions import build_definitions
    from resources.instance_history import FILES_FINGERPRINT, FINGERPRINT, RAW_ORDERS
    from resources.landing import LocalLandingZone, files_fingerprint, fingerprint
    from resources.settings import PlatformSettings
    from sensors.batching import JobAssets
    from sensors.landing import evaluate_landing

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    days = [START + dt.timedelta(days=i) for i in range(args.days)]
    settings = PlatformSettings(partitions_start=START.isoformat())
    defs = build_definitions(settings)
    job = JobAssets.of(defs.assets or [])
    partitions_def = defs.resolve_assets_def(RAW_ORDERS).partitions_def
    with ExitStack() as stack:
        if args.s3:
            import boto3
            from moto.server import ThreadedMotoServer

            from resources.landing_s3 import s3_landing_zone

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            stack.callback(server.stop)
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            # moto accepts any credentials; the zone's client reads them from here too
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                os.environ.setdefault(name, "bench")
            client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            client.create_bucket(Bucket="bench")
            _land_s3(client, "bench", days, args.files)
            zone = s3_landing_zone(
                "s3://bench/landing",
                endpoint_url=endpoint,
                region="us-east-1",
                max_attempts=3,
                retry_mode="standard",
            )
            zone.client.meta.events.register(
                "provide-client-params.s3.ListObjectsV2",
                lambda **_: _REQUESTS.__setitem__(0, _REQUESTS[0] + 1),
            )
        else:
            _land_local(args.out / "landing", days, args.files)
            zone = LocalLandingZone(root=str(args.out / "landing"))
        instance = stack.enter_context(open_instance(args.out / "home"))
        for day in days:
            files = zone.list_day(day)
            metadata = {f"orders/bench_{n}": float(n) for n in range(args.metadata)}
            metadata |= {
                FINGERPRINT: fingerprint(files),
                FILES_FINGERPRINT: files_fingerprint(files),
            }
            instance.report_runless_asset_event(
                dg.AssetMaterialization(RAW_ORDERS, partition=day.isoformat(), metadata=metadata)
            )
        cursor = None
        for _ in range(5):
            tick = evaluate_landing(instance, cursor, zone, partitions_def, 7, job)
            cursor = tick.cursor
            if json.loads(cursor)["newest"] == days[-1].isoformat():
                break
        assert not tick.run_requests, tick.decisions
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", _count_statement)
        log: dict = {}
        for _ in range(args.repetitions):
            quiet = measured(
                lambda: evaluate_landing(instance, cursor, zone, partitions_def, 7, job),
                log,
                "quiet",
            )
            sweep = measured(
                lambda: evaluate_landing(
                    instance, cursor, zone, partitions_def, 7, job, sweep_ticks=1
                ),
                log,
                "sweep",
            )
            measured(lambda: zone.files_of_days(days), log, "listing")
            assert not quiet.run_requests and not sweep.run_requests, sweep.decisions
        late = days[-400]
        if args.s3:
            key = f"landing/orders/date={late.isoformat()}/late.csv"
            client.put_object(Bucket="bench", Key=key, Body=b"order_id\nlate\n")
        else:
            late_file = args.out / "landing" / "orders" / f"date={late.isoformat()}" / "late.csv"
            late_file.write_text("order_id\nlate\n")
        found = measured(
            lambda: evaluate_landing(instance, cursor, zone, partitions_def, 7, job, sweep_ticks=1),
            log,
            "sweep, 1 late day",
        )
        assert [r.partition_key for r in found.run_requests] == [late.isoformat()], found.decisions
    print(f"{args.days} days x {args.files} files, {'moto S3' if args.s3 else 'local'}")
    print("| | wall s | CPU s | SQL statements | ListObjectsV2 |")
    print("|---|---:|---:|---:|---:|")
    for name, samples in log.items():
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {samples[-1][2]} | {samples[-1][3]} |")


if __name__ == "__main__":
    main()
