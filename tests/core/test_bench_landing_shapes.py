"""`python -m bench.landing_shapes` (README, Benchmarks) names the shapes it can land."""

from __future__ import annotations

import inspect
import re

import pytest

from bench import landing_shapes


def test_the_listed_shapes_are_those_write_shape_lands():
    source = inspect.getsource(landing_shapes.write_shape)
    landed = set(re.findall(r'shape == "([a-z0-9-]+)"', source))
    for group in re.findall(r"shape in \(([^)]*)\)", source):
        landed |= set(re.findall(r'"([a-z0-9-]+)"', group))
    assert sorted(landed) == sorted(landing_shapes.SHAPES)


def test_an_unknown_shape_is_refused_before_anything_is_written(capsys):
    with pytest.raises(SystemExit) as refused:
        landing_shapes.main(["--shapes", "quoted", "xlsx", "many-8-parquet"])
    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert "unknown shape(s) xlsx, many-8-parquet" in error


def test_the_help_lists_every_shape(capsys):
    with pytest.raises(SystemExit):
        landing_shapes.main(["--help"])
    # argparse wraps lines after a hyphen too
    shown = re.sub(r"-\s+", "-", " ".join(capsys.readouterr().out.split()))
    for shape in landing_shapes.SHAPES:
        assert shape in shown
    assert "many-<files>-<csv|quoted|jsonl>" in shown
