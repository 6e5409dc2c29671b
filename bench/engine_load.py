"""Child process: how fast the engine itself loads a landed day (the COPY INTO stand-in).

DuckDB reads every CSV of the landing zone as text into a table, with the file name,
on ``--threads`` threads: what ``raw_orders`` would cost if the engine loaded the files
(DuckDB ``read_csv`` locally, Snowflake ``COPY INTO`` in production) instead of the
Python lossless reader. Used to extrapolate a 67-million-order day per core.

    python -m bench.engine_load --landing DIR --threads 1
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb

from bench.harness import Timer, emit

LOAD_SQL = """
create table raw_load as
select * from read_csv($files, all_varchar = true, header = true, filename = true,
                       null_padding = true, ignore_errors = true)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    files = sorted(str(p) for p in args.landing.glob("orders/date=*/*.csv"))
    with tempfile.TemporaryDirectory(dir=args.landing.parent) as work:
        config = {"threads": args.threads, "memory_limit": args.memory_limit}
        with duckdb.connect(f"{work}/load.duckdb", config=config) as conn, Timer() as timer:
            conn.execute(LOAD_SQL, {"files": files})
            conn.execute("checkpoint")
            rows = conn.execute("select count(*) from raw_load").fetchone()[0]
    emit({"seconds": timer.wall_s, "cpu_s": timer.cpu_s, "rows": rows, "threads": args.threads})


if __name__ == "__main__":
    main()
