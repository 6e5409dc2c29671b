"""Paths printed in the commands the repository's tools tell a reader to type."""

from __future__ import annotations

from pathlib import Path


def as_typed(path: Path) -> str:
    """``path`` as typed from the working directory: relative when it lies beneath it
    (``.venv/bin/dg`` from the repository root, where ``make run`` and ``make ui`` run the
    tools), else whole."""
    return str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
