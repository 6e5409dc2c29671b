"""`python -m bench.memory_shapes` (README, Benchmarks) lists its shapes and refuses others."""

from __future__ import annotations

import re

import pytest

from bench import memory_shapes


def test_the_help_lists_every_shape(capsys):
    with pytest.raises(SystemExit):
        memory_shapes.main(["--help"])
    shown = capsys.readouterr().out
    for shape in memory_shapes.SHAPES:
        assert re.search(rf"^  {re.escape(shape)} ", shown, re.MULTILINE), shape
    assert "many-<N>" in shown and "range-<D>" in shown


def test_an_unknown_shape_is_refused_before_anything_is_written(capsys, tmp_path):
    with pytest.raises(SystemExit) as refused:
        memory_shapes.main(["--shapes", "one-order", "huge", "many-x", "--data", str(tmp_path)])
    assert refused.value.code == 2
    assert "unknown shape(s) huge, many-x" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
