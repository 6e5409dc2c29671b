"""``make run`` (devtools.run_local) as a newcomer meets it: a demo that ends yesterday, whose
partitions start on its first day, with a day held by the anomaly check, every other day
published, and a closing message that names the held day and how to release it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shlex
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from asset_checks.anomaly import HELD_DAYS_TAG, anomaly_config, held_run_tags
from devtools import held, run_local, simulate
from devtools.demo_env import read_start, recorded_start
from devtools.run_local import ANOMALY_DAYS_BEFORE_END, STAGE_TAG, plan_demo, stretches
from resources.settings import PlatformSettings
from sensors.alerting import release_command
from tests.support.fixture_data import DAY2, build_landing, day_dir, order, write_csv

TRAINING_DAYS = 28
# The spike lands ANOMALY_DAYS_BEFORE_END days before the end; its training window ends on
# the anchor (a Monday) up to 6 days before it and must hold the detector's min_history days.
DAYS = anomaly_config(0.65, TRAINING_DAYS).min_history + 7 + ANOMALY_DAYS_BEFORE_END + 1


def local_env(monkeypatch, tmp_path: Path, landing: Path, start: str) -> Path:
    """The environment `make run` gives run_local: a Dagster home of its own, ``landing``,
    partitions from ``start`` and a warehouse file in ``tmp_path`` (its path returned)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    duckdb_path = tmp_path / "orders.duckdb"
    for name, value in {
        "DAGSTER_HOME": str(home),
        "ORDERS_LANDING_URI": str(landing),
        "ORDERS_PARTITIONS_START": start,
        "DUCKDB_PATH": str(duckdb_path),
    }.items():
        monkeypatch.setenv(name, value)
    return duckdb_path


def test_the_demo_ends_yesterday_unless_the_user_chose_its_start():
    yesterday = dt.date(2026, 12, 2)
    demo = plan_demo(45, yesterday, None)
    assert (demo.start, demo.end, demo.days) == (dt.date(2026, 10, 19), yesterday, 45)
    assert demo.anomaly_day == yesterday - dt.timedelta(days=ANOMALY_DAYS_BEFORE_END)
    assert plan_demo(45, yesterday, None, anomaly=False).anomaly_day is None
    users = plan_demo(45, yesterday, dt.date(2025, 1, 1))
    assert (users.start, users.end) == (dt.date(2025, 1, 1), dt.date(2025, 2, 14))
    # A start close to today: only the days up to yesterday.
    assert plan_demo(45, yesterday, dt.date(2026, 11, 23)).end == yesterday
    with pytest.raises(ValueError, match="not before today"):
        plan_demo(45, yesterday, dt.date(2026, 12, 3))


def test_normal_days_run_in_stretches_around_the_held_ones():
    days = [f"2026-11-0{i}" for i in range(1, 8)]
    assert stretches(days, set()) == [("2026-11-01", "2026-11-07")]
    assert stretches(days, {"2026-11-03", "2026-11-04"}) == [
        ("2026-11-01", "2026-11-02"),
        ("2026-11-05", "2026-11-07"),
    ]
    assert stretches(days, {"2026-11-07"}) == [("2026-11-01", "2026-11-06")]
    assert stretches(days, set(days)) == []
    # The days between landed ones are in the range runs too, and split them when held.
    landed = ["2026-11-01", "2026-11-02", "2026-11-05"]
    assert stretches(landed, set()) == [("2026-11-01", "2026-11-05")]
    assert stretches(landed, {"2026-11-03"}) == [
        ("2026-11-01", "2026-11-02"),
        ("2026-11-04", "2026-11-05"),
    ]


def test_demo_options_on_a_landing_zone_with_files_are_said_to_be_ignored(tmp_path, capsys):
    """`make run ARGS="--days 30"` after a first run generates nothing: it says so."""
    landing = tmp_path / "landing"
    build_landing(landing)
    settings = PlatformSettings(landing_uri=str(landing), duckdb_path=str(tmp_path / "o.duckdb"))
    parser = run_local._parser()
    run_local.prepare_landing(settings, parser.parse_args([]), dt.date(2026, 12, 2))
    assert "ignored" not in capsys.readouterr().out
    args = parser.parse_args(["--days", "30", "--no-anomaly"])
    run_local.prepare_landing(settings, args, dt.date(2026, 12, 2))
    out = capsys.readouterr().out
    assert "--days, --no-anomaly shape only a demo generated on an empty one" in out, out
    assert "ignored" in out
    assert not (landing / "demo.env").exists()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One `make run` on an empty landing zone: its exit code, console output and paths."""
    root = tmp_path_factory.mktemp("make_run")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {
        "DAGSTER_HOME": str(home),
        "ORDERS_LANDING_URI": str(root / "landing"),
        "DUCKDB_PATH": str(root / "orders.duckdb"),
        "ORDERS_ANOMALY_TRAINING_DAYS": str(TRAINING_DAYS),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in ("ORDERS_PARTITIONS_START", "PLATFORM_ENV", "PII_HASH_KEY"):
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run_local.main(["--days", str(DAYS), "--orders-per-day", "20"])
        settings = PlatformSettings.from_env()
        recorded = recorded_start(settings)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return {
        "code": code,
        "output": out.getvalue(),
        "errors": err.getvalue(),
        "root": root,
        "home": home,
        "settings": settings,
        "recorded": recorded,
        "first": yesterday - dt.timedelta(days=DAYS - 1),
        "spike": (yesterday - dt.timedelta(days=ANOMALY_DAYS_BEFORE_END)).isoformat(),
        "yesterday": yesterday,
    }


def test_the_partitions_start_on_the_demos_first_day(demo_run):
    first = demo_run["first"].isoformat()
    assert read_start(Path(demo_run["root"] / "landing")) == first
    assert demo_run["recorded"] == first  # what `make ui` exports
    assert f"Daily partitions start {first} (the demo's first day" in demo_run["output"]
    with dg.DagsterInstance.from_config(str(demo_run["home"])) as instance:
        (load,) = [run for run in instance.get_runs() if run.tags.get(STAGE_TAG) == "load"]
    assert load.tags["dagster/asset_partition_range_start"] == first
    assert load.tags["dagster/asset_partition_range_end"] == demo_run["yesterday"].isoformat()


def test_a_held_days_downstream_is_never_planned(demo_run):
    """The UI shows the held day's cleaned_orders missing, not failed."""
    with dg.DagsterInstance.from_config(str(demo_run["home"])) as instance:
        runs = instance.get_runs()
        planned = {
            (key.to_user_string(), run.tags.get(STAGE_TAG))
            for run in runs
            for key in instance.get_asset_keys_for_run(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
            )
        }
        publish = [run for run in runs if run.tags.get(STAGE_TAG) == "publish"]
    assert ("raw_orders", "load") in planned
    assert ("cleaned_orders", "load") not in planned
    ranges = {
        (
            run.tags["dagster/asset_partition_range_start"],
            run.tags["dagster/asset_partition_range_end"],
        )
        for run in publish
    }
    assert not any(first <= demo_run["spike"] <= last for first, last in ranges)
    assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in publish)


def test_a_held_day_is_reported_with_its_release_command_and_exit_code_zero(demo_run):
    output, spike = demo_run["output"], demo_run["spike"]
    assert demo_run["code"] == 0, output
    held = re.findall(r"^  (\d{4}-\d{2}-\d{2})  anomalous", output, flags=re.MULTILINE)
    assert spike in held, output
    assert release_command(spike, ".venv/bin/dg") in output
    # The command works typed in another shell: it names the instance, the demo's first
    # day (dg does not read demo.env) and the landing zone and warehouse `make run` used.
    (line,) = [line for line in output.splitlines() if f"--partition {spike}" in line]
    words = shlex.split(line)
    assignments = dict(word.split("=", 1) for word in words[: words.index(".venv/bin/dg")])
    root = demo_run["root"]
    assert assignments == {
        "DAGSTER_HOME": str(demo_run["home"]),
        "ORDERS_PARTITIONS_START": demo_run["first"].isoformat(),
        "ORDERS_LANDING_URI": str(root / "landing"),
        "DUCKDB_PATH": str(root / "orders.duckdb"),
    }
    assert "python -m devtools.held" in output
    assert re.search(r"^Done in .*\.", output, flags=re.MULTILINE)


def assignments_before(words: list[str], program: str) -> dict[str, str]:
    """The ``NAME=value`` words a pasted command sets before ``program``."""
    at = next(i for i, word in enumerate(words) if word.endswith(program))
    return dict(word.split("=", 1) for word in words[:at])


def test_the_printed_held_listing_gives_the_release_command_make_run_gave(
    demo_run, monkeypatch, tmp_path: Path, capsys
):
    """`Held days and why: ... python -m devtools.held`, pasted in another shell (none of
    make run's settings exported, no .env), lists the release command make run printed: it
    named only the instance, so on a landing zone that is not the default the listing lost
    the demo's first day, landing zone and warehouse, and its release ran on others."""
    output, spike = demo_run["output"], demo_run["spike"]
    (printed,) = [line for line in output.splitlines() if "--partition " + spike in line]
    (listing,) = [line for line in output.splitlines() if "Held days and why:" in line]
    words = shlex.split(listing.split("Held days and why:", 1)[1])
    assert words[-3:] == [".venv/bin/python", "-m", "devtools.held"], listing
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("ORDERS_PARTITIONS_START", "ORDERS_LANDING_URI", "DUCKDB_PATH", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in assignments_before(words, "python").items():
        monkeypatch.setenv(name, value)
    assert held.main([]) == 0
    (release,) = [line for line in capsys.readouterr().out.splitlines() if "release:" in line]
    listed = shlex.split(release.split("release:", 1)[1])
    assert assignments_before(listed, "dg") == assignments_before(shlex.split(printed), "dg")


def test_the_run_that_held_a_day_is_tagged_with_it(demo_run):
    output = demo_run["output"]
    held = re.findall(r"^  (\d{4}-\d{2}-\d{2})  anomalous", output, flags=re.MULTILINE)
    with dg.DagsterInstance.from_config(str(demo_run["home"])) as instance:
        runs = instance.get_runs()
        (load,) = [run for run in runs if run.tags.get(STAGE_TAG) == "load"]
        logged = [entry.user_message for entry in instance.all_logs(load.run_id)]
    publish = [run for run in runs if run.tags.get(STAGE_TAG) == "publish"]
    assert load.tags[HELD_DAYS_TAG] == held_run_tags(held)[HELD_DAYS_TAG]
    # A terminal's dg launch shows this line: the days, and what to do about them.
    assert any(
        f"held or deferred by metadata_anomaly: {', '.join(held)}." in message
        and "devtools.held" in message
        for message in logged
    ), logged
    assert all(HELD_DAYS_TAG not in run.tags for run in publish)


def test_every_normal_day_is_published_and_no_held_day_is(demo_run):
    output = demo_run["output"]
    held = set(re.findall(r"^  (\d{4}-\d{2}-\d{2})  anomalous", output, flags=re.MULTILINE))
    landed = {(demo_run["first"] + dt.timedelta(days=i)).isoformat() for i in range(DAYS)}
    with duckdb.connect(demo_run["settings"].duckdb_path, read_only=True) as conn:
        published = {
            str(day)
            for (day,) in conn.execute(
                "select distinct cast(partition_date as date) from warehouse.fct_orders"
            ).fetchall()
        }
        customers = conn.execute("select count(*) from warehouse.dim_customers").fetchone()[0]
    assert published == landed - held
    assert customers > 0
    # One CLV fit for the whole demo, not one per day or per stretch.
    assert len(re.findall(r"^  customer_clv ", output, flags=re.MULTILINE)) == 1


def test_the_console_is_quiet_one_line_per_step(demo_run):
    output = demo_run["output"]
    assert "Warning" not in output + demo_run["errors"]
    step_lines = [line for line in output.splitlines() if re.match(r"^  \S+ +\d+\.\d s", line)]
    assert any(line.startswith("  raw_orders ") and "rows / " in line for line in step_lines)
    assert len(output.splitlines()) < 60


def test_a_drifting_day_exits_one_and_the_other_days_are_published(tmp_path, monkeypatch):
    """A blocking check other than the anomaly hold (here: a file without `amount`) fails
    a day: the other days are published, the day is not, and `make run` exits 1."""
    landing = tmp_path / "landing"
    build_landing(landing)
    row = order("C1", "carol", "2025-01-02T08:00:00Z", "5.00")
    del row["amount"]
    write_csv(day_dir(landing, DAY2) / "part-009.csv", [row], header=list(row))
    local_env(monkeypatch, tmp_path, landing, "2025-01-01")
    out = io.StringIO()
    with redirect_stdout(out):
        code = run_local.main([])
    output = out.getvalue()
    assert code == 1, output
    assert "FAILED schema_drift: 2025-01-02 not published" in output
    # Which day, which check and why (Dagster's step failure names the check only).
    assert "  2025-01-02  schema_drift on raw_orders: Schema drift: missing_required amount" in (
        output
    ), output
    assert "Fix those days' landing files, then `make run` again" in output
    assert "schema_drift failed 2025-01-02. Publishing the 1 other landed days" in output
    assert "Daily partitions start 2025-01-01 (yours)" in output
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        published = conn.execute(
            "select distinct cast(partition_date as date) from warehouse.fct_orders"
        ).fetchall()
        cleaned = conn.execute(
            "select count(*) from staging.cleaned_orders where partition_date = ?", [DAY2]
        ).fetchone()
    assert published == [(dt.date(2025, 1, 1),)]
    assert cleaned == (0,)
    assert not (landing / "demo.env").exists()


def test_a_day_whose_folder_is_gone_is_withdrawn_on_the_next_run(tmp_path, monkeypatch):
    """The last landed day's folder deleted after a run: the next `make run` loads that
    day again, empty, and its orders leave the warehouse (as a fresh run would have it)."""
    import shutil

    from resources.landing import LocalLandingZone

    landing = tmp_path / "landing"
    build_landing(landing)
    duckdb_path = local_env(monkeypatch, tmp_path, landing, "2025-01-01")
    last = LocalLandingZone(root=str(landing)).list_days()[-1]
    with redirect_stdout(io.StringIO()):
        assert run_local.main([]) == 0
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        before = conn.execute(
            "select count(*) from raw.raw_orders where partition_date = ?", [last]
        ).fetchone()[0]
    assert before > 0

    shutil.rmtree(day_dir(landing, last))
    out = io.StringIO()
    with redirect_stdout(out):
        assert run_local.main([]) == 0, out.getvalue()

    assert "1 day(s) loaded before have no folder now" in out.getvalue()
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        for table in ("raw.raw_orders", "staging.cleaned_orders", "warehouse.fct_orders"):
            rows = conn.execute(
                f"select count(*) from {table} where partition_date = ?",  # noqa: S608
                [last],
            ).fetchone()[0]
            assert rows == 0, table


def test_a_gap_between_landed_days_is_published_around(tmp_path, monkeypatch):
    """Your own files with days missing in the middle: the load run's range covers the gap,
    whose days (no landed file) metadata_anomaly holds as drops. Publishing split the
    landed days only, so one publish range held the held gap days and the cleaning refused
    it: nothing published, exit 1."""
    landing = tmp_path / "landing"
    simulate.main(
        [
            *("--landing", str(landing), "--start", "2023-03-01", "--days", "28"),
            *("--orders-per-day", "300", "--seed", "3", "--format", "csv"),
        ]
    )
    gap = [f"2023-03-{day}" for day in (21, 22, 23, 24)]
    for day in gap:
        shutil.rmtree(landing / "orders" / f"date={day}")
    local_env(monkeypatch, tmp_path, landing, "2023-03-01")
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        code = run_local.main([])
    output = out.getvalue()
    assert code == 0, output
    assert "Load and judge (raw_orders and its checks) 2023-03-01...2023-03-28 (28 days" in output
    held = set(re.findall(r"^  (\d{4}-\d{2}-\d{2})  ", output, flags=re.MULTILINE))
    assert held and held <= set(gap), output  # only days without a landed file are held
    with duckdb.connect(str(tmp_path / "orders.duckdb"), read_only=True) as conn:
        published = {
            day
            for (day,) in conn.execute(
                "select distinct cast(partition_date as varchar) from warehouse.fct_orders"
            ).fetchall()
        }
    assert published == {f"2023-03-{day:02d}" for day in range(1, 29)} - set(gap), output
    assert re.search(rf"24 days published, {len(held)} held", output), output
    assert "no file landed for this day" in output  # a held gap day is said to be one


def test_make_run_reads_dotenv_as_dagster_s_cli_does(tmp_path, monkeypatch, capsys):
    """`make ui`'s dg dev and `dg launch` read the working directory's .env over exported
    values; make run ignored it, so a PII_HASH_KEY or landing zone set there gave make run
    other e-mail hashes or files than the UI's runs on the same warehouse."""
    landing, exported = tmp_path / "landing", tmp_path / "exported-landing"
    for root, days in ((landing, 1), (exported, 2)):
        for day in (dt.date(2020, 1, 1) + dt.timedelta(days=n) for n in range(days)):
            write_csv(day_dir(root, day) / "a.csv", [order("o1", "c1", f"{day}T10:00:00Z", "9")])
    local_env(monkeypatch, tmp_path, exported, "2025-01-01")
    monkeypatch.setenv("PII_HASH_KEY", "exported-key-of-sixteen-chars")
    (tmp_path / ".env").write_text(
        f"ORDERS_LANDING_URI={landing}\nPII_HASH_KEY=dotenv-key-of-sixteen-chars\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    # The landed days fall before the partitions: nothing runs, the landing zone is listed.
    assert run_local.main([]) == 1
    out = capsys.readouterr().out
    assert "Read .env as Dagster's CLI does (over exported values): " in out
    assert "(1 landed days outside 2025-01-01" in out  # .env's landing zone, not the export's
    assert os.environ["PII_HASH_KEY"] == "dotenv-key-of-sixteen-chars"


def test_the_release_command_s_settings_name_only_what_differs_from_dg_s_defaults():
    defaults = PlatformSettings()
    assert run_local.cli_settings(replace(defaults, partitions_start="2026-10-19")) == (
        "ORDERS_PARTITIONS_START=2026-10-19"
    )
    own = replace(defaults, landing_uri="/srv/my landing", duckdb_path="/srv/o.duckdb")
    assert run_local.cli_settings(own) == (
        f"ORDERS_PARTITIONS_START={defaults.partitions_start}"
        " ORDERS_LANDING_URI='/srv/my landing' DUCKDB_PATH=/srv/o.duckdb"
    )
