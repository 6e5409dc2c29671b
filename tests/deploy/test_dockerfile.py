"""Invariants of deploy/Dockerfile (no Docker engine here, so it is read, not built)."""

from __future__ import annotations

import json
import re
import shlex
import tomllib

import pytest
import yaml

from tests.support.paths import DEPLOY_DIR

REPO_ROOT = DEPLOY_DIR.parent
DOCKERFILE = DEPLOY_DIR / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def values(keyword: str) -> list[str]:
    """Arguments of every ``keyword`` instruction, in order."""
    return [rest for kw, rest in instructions() if kw == keyword]


def env() -> dict[str, str]:
    """Variables set by ENV instructions (``KEY=value`` form)."""
    return dict(pair.split("=", 1) for rest in values("ENV") for pair in shlex.split(rest))


def test_base_image_is_python_311_slim() -> None:
    [base] = values("FROM")
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base)


def test_dependencies_come_only_from_the_lock_file() -> None:
    runs = values("RUN")
    locked = tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))
    [uv] = [p["version"] for p in locked["package"] if p["name"] == "uv"]
    syncs = [run for run in runs if "uv sync" in run]

    assert f"pip install --no-cache-dir uv=={uv}" in runs, "uv is pinned to the locked version"
    assert syncs and all("--frozen" in run and "--no-dev" in run for run in syncs)
    assert not any(re.search(r"\b(pip|uv pip) install\b(?!.*uv==)", run) for run in runs)
    copied = " ".join(values("COPY"))
    assert "uv.lock" in copied and "pyproject.toml" in copied
    assert env()["UV_PYTHON_DOWNLOADS"] == "never", "the base image's Python is the one tested"


def test_every_package_of_the_project_is_copied() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in patterns}
    copied = {rest.split()[0] for rest in values("COPY")}

    assert packages <= copied
    ignore = (DEPLOY_DIR / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {f"!{package}/" for package in packages} <= set(ignore)


def test_runs_as_a_numeric_non_root_user() -> None:
    users = values("USER")
    assert users, "the image must not run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 0, "numeric, so Kubernetes can check runAsNonRoot"
    last_user_at = max(i for i, (kw, _) in enumerate(instructions()) if kw == "USER")
    assert all(kw != "RUN" for kw, _ in instructions()[last_user_at:])


def test_code_server_command_matches_the_code_location() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [cmd] = values("CMD")
    command = json.loads(cmd)

    assert not values("ENTRYPOINT"), "run launchers pass container args; an ENTRYPOINT eats them"
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("-m") + 1] == pyproject["tool"]["dagster"]["module_name"]
    assert command[command.index("-p") + 1] == values("EXPOSE")[0] == "4000"


def test_dagster_home_matches_the_run_launcher() -> None:
    instance = yaml.safe_load((DEPLOY_DIR / "dagster.yaml").read_text(encoding="utf-8"))

    assert env()["DAGSTER_HOME"] == instance["run_launcher"]["config"]["dagster_home"]


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?i)\b(password|secret|token|api_?key|private_?key)\s*=",
        r"AKIA[0-9A-Z]{16}",
    ],
)
def test_no_secrets_in_the_image(pattern: str) -> None:
    for keyword, rest in instructions():
        assert not re.search(pattern, rest), f"{keyword} {rest}"
    assert all(not rest.startswith((".env", "data")) for rest in values("COPY"))
    assert "**" in (DEPLOY_DIR / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
