"""The house rules, drawn from the imports: a pure core at the bottom, one way up.

Layers, bottom to top: ``orders_core`` (no Dagster) < ``resources`` < ``platform_assets``,
``asset_checks``, ``sensors`` (none importing another) < ``orders_platform`` (the
composition root) < ``devtools`` < ``bench`` < ``tests``. A module may import only from
layers below its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO

LAYERS = {
    "orders_core": 0,
    "resources": 1,
    "platform_assets": 2,
    "asset_checks": 2,
    "sensors": 2,
    "orders_platform": 3,
    "devtools": 4,
    "bench": 5,
    "tests": 6,
}
PRODUCT = (
    "orders_core",
    "resources",
    "platform_assets",
    "asset_checks",
    "sensors",
    "orders_platform",
)
PRIVATE_DAGSTER_SHIM = REPO / "resources" / "dagster_internals.py"


def modules(package: str) -> Iterator[Path]:
    yield from sorted((REPO / package).rglob("*.py"))


def imported(path: Path) -> Iterator[str]:
    """Every absolute module name ``path`` imports, at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def arrows() -> Iterator[tuple[str, str, str]]:
    """(importing file, its package, imported package) for every import between packages."""
    for package in LAYERS:
        for path in modules(package):
            for name in imported(path):
                target = name.split(".")[0]
                if target in LAYERS and target != package:
                    yield str(path.relative_to(REPO)), package, target


def test_every_import_points_down_a_layer():
    wrong = [
        f"{path} imports {target}"
        for path, package, target in arrows()
        if LAYERS[target] >= LAYERS[package]
    ]
    assert wrong == []


def test_the_layers_are_all_in_use():
    """Guards the rule above against passing on an empty tree."""
    seen = {(package, target) for _, package, target in arrows()}
    assert ("resources", "orders_core") in seen
    assert ("asset_checks", "resources") in seen
    assert ("orders_platform", "sensors") in seen
    assert len(list(modules("orders_core"))) >= 10


@pytest.mark.parametrize("package", ["orders_core"])
def test_the_core_has_no_dagster(package):
    dagster = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in modules(package)
        for name in imported(path)
        if name.split(".")[0].startswith("dagster")
    ]
    assert dagster == []


def test_private_dagster_is_imported_in_one_module_only():
    private = [
        str(path.relative_to(REPO))
        for package in PRODUCT
        for path in modules(package)
        if path != PRIVATE_DAGSTER_SHIM
        and any(name.startswith("dagster._") for name in imported(path))
    ]
    assert private == []
    assert any(name.startswith("dagster._") for name in imported(PRIVATE_DAGSTER_SHIM))


def test_test_files_do_not_import_each_other_or_conftest():
    wrong = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in modules("tests")
        for name in imported(path)
        if name.startswith("tests.")
        and (name.rsplit(".", 1)[-1].startswith("test_") or name.endswith(".conftest"))
    ]
    assert wrong == []


def test_the_production_image_copies_the_product_only():
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    assert set(PRODUCT) <= copied
    assert not {"devtools", "tests", "bench"} & copied
