"""The repository's own commands, as the README and docs/*.md write them, run.

A reader copies `python -m devtools.held --json`, `make bench ARGS="--sections end_to_end"`
or the demo generator's command from the docs: each module must exist and take every
option the docs give it (its `--help` lists it), and the generator's command must run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.paths import REPO

DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
# The Makefile's targets that run one of the repository's modules with the user's ARGS.
MAKE_TARGETS = {"make run": "devtools.run_local", "make bench": "bench.run"}
COMMAND = re.compile(r"python -m ([a-z_]+(?:\.[a-z_]+)+)|(make run|make bench)\b")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def commands(markdown: str) -> list[str]:
    """Every command of a page: each line of its fenced blocks (continuation lines joined)
    and each inline code span, white space collapsed."""
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", markdown, flags=re.DOTALL):
        found += block.replace("\\\n", " ").splitlines()
    prose = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    found += re.findall(r"`([^`]+)`", " ".join(prose.split()))
    return [" ".join(command.split()) for command in found]


def documented_options() -> dict[str, set[str]]:
    """Module -> the options the docs give it: the flags written after `python -m <module>`
    (or `make run` / `make bench`) in the same command, up to the next one."""
    options: dict[str, set[str]] = {}
    for path in DOCS:
        for command in commands(path.read_text(encoding="utf-8")):
            matches = list(COMMAND.finditer(command))
            for match, after in zip(matches, [*matches[1:], None][: len(matches)], strict=True):
                module = match.group(1) or MAKE_TARGETS[match.group(2)]
                tail = command[match.end() : after.start() if after else None]
                options.setdefault(module, set()).update(FLAG.findall(tail))
    return options


def help_text(module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_docs_commands_are_found():
    options = documented_options()
    assert {"--json"} <= options["devtools.held"]
    assert {"--end"} <= options["devtools.lost_runs"]
    assert {"--sections"} <= options["bench.run"]
    assert {"--days", "--orders-per-day", "--no-anomaly"} <= options["devtools.run_local"]
    assert {"--shapes"} <= options["bench.landing_shapes"]
    assert "resources.warehouse_pool" in options  # named with no option


def test_every_documented_module_takes_the_options_the_docs_give_it():
    """`python -m <module> --help` succeeds and lists each documented option (modules that
    take no argument, such as the pool's and the demo's first day, are only imported)."""
    options = documented_options()
    with_parser = sorted(m for m in options if "argparse" in module_source(m))
    without = sorted(set(options) - set(with_parser))
    assert without == ["devtools.demo_env", "resources.warehouse_pool"], without
    for module in without:
        assert options[module] == set(), module
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(with_parser, pool.map(help_text, with_parser), strict=True))
    problems = {}
    for module, result in results.items():
        listed = set(FLAG.findall(result.stdout))
        if result.returncode != 0 or not options[module] <= listed | {"--help"}:
            problems[module] = (
                result.returncode,
                sorted(options[module] - listed - {"--help"}),
                result.stderr[-500:],
            )
    assert problems == {}


def module_source(module: str) -> str:
    path = REPO / Path(*module.split(".")).with_suffix(".py")
    assert path.is_file(), f"the docs name `python -m {module}`, which is not a module here"
    return path.read_text(encoding="utf-8")


def test_the_readme_s_demo_generator_command_runs(tmp_path: Path):
    """The README's `devtools.simulate` command, smaller (two days of 20 orders) and into a
    folder of the test's: it lands order files per day and a rates file per day."""
    (command,) = [
        c for c in commands((REPO / "README.md").read_text(encoding="utf-8"))
        if "devtools.simulate" in c
    ]  # fmt: skip
    words = shlex.split(command)
    assert words[0] == ".venv/bin/python", command
    start = dt.date.fromisoformat(words[words.index("--start") + 1])
    expected = [(start + dt.timedelta(days=i)).isoformat() for i in range(2)]
    anomaly = words[words.index("--anomaly") + 1].split("=", 1)[1]  # moved into the two days
    sizes = {
        "--landing": str(tmp_path / "landing"),
        "--days": "2",
        "--orders-per-day": "20",
        "--anomaly": f"{expected[1]}={anomaly}",
    }
    for flag, value in sizes.items():
        words[words.index(flag) + 1] = value
    result = subprocess.run(
        [sys.executable, *words[1:]], cwd=REPO, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert sorted(summary["per_day"]) == expected
    assert summary["anomalies"] == {expected[1]: anomaly}
    days = sorted(p.name for p in (tmp_path / "landing" / "orders").iterdir())
    assert days == [f"date={day}" for day in expected]
    assert len(list((tmp_path / "landing" / "fx_rates").glob("*.csv"))) == 2


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Run `python -m devtools.held --json` now", {"devtools.held": {"--json"}}),
        (
            "```bash\n.venv/bin/python -m devtools.simulate --landing x \\\n  --days 3\n```\n",
            {"devtools.simulate": {"--landing", "--days"}},
        ),
        (
            '`make bench ARGS="--sections end_to_end"` and `python -m bench.clv_memory`',
            {"bench.run": {"--sections"}, "bench.clv_memory": set()},
        ),
    ],
)
def test_the_options_are_read_per_command(monkeypatch, tmp_path: Path, markdown, expected):
    page = tmp_path / "page.md"
    page.write_text(markdown, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "DOCS", (page,))
    assert documented_options() == expected
