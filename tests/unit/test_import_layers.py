"""The layers import downwards only: core <- SQL toolkit <- backends, and no backend imports
another. A third-party backend can then rely on the core (and the toolkit) alone."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ROOT / "backends"
CORE = "tuitrack"
TOOLKIT = "tuitrack_sqlkit"
PACKAGES = sorted(path.parent.name for path in BACKENDS.glob("*/__init__.py"))
STORES = [name for name in PACKAGES if name != TOOLKIT]
OURS = {CORE, *PACKAGES}


def _imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of each absolute import in `path`, wherever it sits
    (module level, functions, TYPE_CHECKING blocks)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def _violations(folder: Path, allowed: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in sorted(folder.rglob("*.py"))
        for line, package in _imported_packages(path)
        if package in OURS and package not in allowed
    ]


def test_the_layout_has_the_packages_these_rules_name() -> None:
    assert TOOLKIT in PACKAGES
    assert {"tuitrack_sql", "tuitrack_mlflow", "tuitrack_fsspec"} <= set(STORES)


@pytest.mark.parametrize("backend", STORES)
def test_a_backend_imports_only_the_core_the_toolkit_and_itself(backend: str) -> None:
    assert _violations(BACKENDS / backend, {CORE, TOOLKIT, backend}) == []


def test_the_sql_toolkit_imports_only_the_core() -> None:
    assert _violations(BACKENDS / TOOLKIT, {CORE, TOOLKIT}) == []


def test_the_core_imports_no_backend_and_no_toolkit() -> None:
    assert _violations(ROOT / CORE, {CORE}) == []


def test_the_example_third_party_backend_needs_only_the_core() -> None:
    example = ROOT / "tests" / "example_backend"
    assert (example / "store.py").is_file()
    assert _violations(example, {CORE}) == []


def test_a_stray_import_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tuitrack_sql.history import read_history\n"
        "def f() -> None:\n"
        "    import tuitrack_mlflow.tables\n"
    )
    assert sorted(_imported_packages(module)) == [
        (1, "typing"),
        (3, "tuitrack_sql"),
        (5, "tuitrack_mlflow"),
    ]
