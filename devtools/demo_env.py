"""The demo's first day, recorded by ``make run`` for ``make ui`` and later runs.

``make run`` generates the demo on an empty landing zone for the days ending yesterday
and takes its first day as ORDERS_PARTITIONS_START, so the partitions match the data.
It records that day in ``<landing>/demo.env`` (one ``ORDERS_PARTITIONS_START=YYYY-MM-DD``
line); ``make run`` and ``make ui`` read it back unless ORDERS_PARTITIONS_START is set.

    python -m devtools.demo_env    # prints the recorded day to use, or nothing

Only a date is ever read from the file (it is parsed, never sourced by a shell).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from resources.settings import PlatformSettings, is_set, parse_day, read_dotenv

FILE_NAME = "demo.env"  # in the landing zone's root, next to orders/
VARIABLE = "ORDERS_PARTITIONS_START"


def read_start(landing_root: Path) -> str | None:
    """The day recorded in ``landing_root/demo.env``, or None when there is none."""
    path = Path(landing_root) / FILE_NAME
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name.strip() == VARIABLE and value.strip():
            return parse_day(value, f"{VARIABLE} in {path}").isoformat()
    return None


def write_start(landing_root: Path, start: dt.date) -> Path:
    """Record ``start`` as the demo's first day; return the file written."""
    path = Path(landing_root) / FILE_NAME
    path.write_text(
        "# Written by `make run` when it generated this demo: its first day is the first\n"
        f"# daily partition. `make run` and `make ui` use it unless {VARIABLE} is set.\n"
        f"{VARIABLE}={start.isoformat()}\n",
        encoding="utf-8",
    )
    return path


def recorded_start(settings: PlatformSettings) -> str | None:
    """The demo's first day for these settings: None if the user set the start themselves."""
    if is_set(VARIABLE) or "://" in settings.landing_uri:
        return None
    return read_start(Path(settings.landing_uri))


def main() -> int:
    read_dotenv()  # as dg dev and dg launch read it
    try:
        start = recorded_start(PlatformSettings.from_env())
    except ValueError as error:
        print(f"devtools.demo_env: {error}", file=sys.stderr)
        return 1
    if start:
        print(start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
