"""The local warehouse reads instants in UTC whatever the machine's time zone.

Snowflake's connections are opened with ``timezone=UTC`` (resources/snowflake_warehouse.py);
DuckDB takes the machine's zone unless told, so a day cut from a timestamp, or a timestamp
formatted as text, would differ between a laptop in Kolkata and CI.
"""

import json
import os
import subprocess
import sys

from resources.settings import REPO_ROOT

PROBE = """
import json
from resources.warehouse import DuckDBWarehouse
sql = "select cast(TIMESTAMPTZ '2025-01-01 23:30:00+00' as date)::varchar as day"
warehouse = DuckDBWarehouse(database=":memory:")
with warehouse.session() as session:
    (session_day,) = session.execute(sql)[0]
print(json.dumps({"query": warehouse.query(sql)["day"].iloc[0], "session": session_day}))
"""


def test_queries_and_sessions_cut_days_in_utc_on_a_machine_in_another_zone():
    env = {**os.environ, "TZ": "Asia/Kolkata"}  # 23:30 UTC is already the 2nd there
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    days = json.loads(done.stdout.strip().splitlines()[-1])
    assert days == {"query": "2025-01-01", "session": "2025-01-01"}
