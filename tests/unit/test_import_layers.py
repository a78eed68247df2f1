"""The layers import downwards only. Inside tuitrack: the public types (entities, errors)
<- core (the store contract) and search (the filter language) <- sdk <- tui <- cli. Outside
it: the SQL toolkit needs only the core and the search language, and a backend those and
the toolkit, never another backend, the SDK or the apps. A third-party backend can then rely
on the core alone."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ROOT / "backends"
PACKAGE = ROOT / "tuitrack"
TOOLKIT = "tuitrack_sqlkit"
BACKEND_PACKAGES = sorted(path.parent.name for path in BACKENDS.glob("*/__init__.py"))
STORES = [name for name in BACKEND_PACKAGES if name != TOOLKIT]

PUBLIC_TYPES = {"tuitrack.entities", "tuitrack.errors"}
CORE = {*PUBLIC_TYPES, "tuitrack.core"}
# What each part of tuitrack may import of tuitrack and the backends (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": CORE,
    "search": PUBLIC_TYPES,
    "sdk": {*CORE, "tuitrack.search"},
    "tui": {*CORE, "tuitrack.search", "tuitrack.sdk"},
    "testing": {*CORE, "tuitrack.search", "tuitrack.sdk"},
    "server": CORE,
    "cli": {
        *CORE,
        "tuitrack.search",
        "tuitrack.sdk",
        "tuitrack.tui",
        "tuitrack.server",
        "tuitrack",
    },
}
FOR_BACKENDS = {*CORE, "tuitrack.search"}
# Modules under MLflow's names that only re-export (mlflow.tracking, mlflow.exceptions,
# mlflow.data, mlflow.artifacts).
MLFLOW_NAMES = {"tracking", "exceptions", "data", "artifacts"}


def _imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of each absolute import in `path`, wherever it sits (module level,
    functions, TYPE_CHECKING blocks); `from package import name` counts as package.name,
    which may be a module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _layer(module: str) -> str | None:
    """The part of ours that `module` belongs to: tuitrack.<part> or a backend package."""
    parts = module.split(".")
    if parts[0] in BACKEND_PACKAGES:
        return parts[0]
    if parts[0] != "tuitrack":
        return None
    if len(parts) == 1 or parts[1].startswith("__"):
        return "tuitrack"
    return f"tuitrack.{parts[1]}"


def _file_violations(path: Path, allowed: set[str], own: str) -> list[str]:
    return [
        f"{path.name}:{line} imports {module}"
        for line, module in _imported_modules(path)
        if (layer := _layer(module)) is not None and layer not in allowed | {own}
    ]


def _violations(folder: Path, allowed: set[str], own: str) -> list[str]:
    return [
        f"{path.parent.relative_to(folder.parent)}/{violation}"
        for path in sorted(folder.rglob("*.py"))
        for violation in _file_violations(path, allowed, own)
    ]


def test_the_layout_has_the_packages_these_rules_name() -> None:
    assert TOOLKIT in BACKEND_PACKAGES
    assert {"tuitrack_sql", "tuitrack_mlflow", "tuitrack_fsspec"} <= set(STORES)
    parts = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert parts == set(ALLOWED)
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules == {"__init__", "entities", "errors", *MLFLOW_NAMES}


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_of_tuitrack_imports_only_the_layers_below_it(part: str) -> None:
    assert _violations(PACKAGE / part, ALLOWED[part], f"tuitrack.{part}") == []


def test_the_errors_import_nothing_of_ours() -> None:
    assert _file_violations(PACKAGE / "errors.py", set(), "tuitrack.errors") == []


@pytest.mark.parametrize("name", sorted({"entities", *MLFLOW_NAMES}))
def test_the_modules_under_mlflow_names_only_re_export(name: str) -> None:
    """Loaded again as mlflow.<name> (the sys.modules swap), they must make no class of
    their own: only imports, __all__ and names bound to what was imported."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Expr | ast.Import | ast.ImportFrom):
            continue
        assert isinstance(node, ast.Assign), ast.dump(node)[:80]
        assert isinstance(node.value, ast.Name | ast.List), ast.dump(node)[:80]


@pytest.mark.parametrize("backend", STORES)
def test_a_backend_imports_only_the_core_the_toolkit_and_itself(backend: str) -> None:
    assert _violations(BACKENDS / backend, {*FOR_BACKENDS, TOOLKIT}, backend) == []


def test_the_sql_toolkit_imports_only_the_core_and_the_search_language() -> None:
    assert _violations(BACKENDS / TOOLKIT, FOR_BACKENDS, TOOLKIT) == []


def test_the_example_third_party_backend_needs_only_the_core() -> None:
    example = ROOT / "tests" / "example_backend"
    assert (example / "store.py").is_file()
    allowed = {*FOR_BACKENDS, "tuitrack.testing"}  # its tests run the contract suite
    assert _violations(example, allowed, "example_backend") == []


def test_a_stray_import_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tuitrack_sql.history import read_history\n"
        "def f() -> None:\n"
        "    import tuitrack_mlflow.tables\n"
        "    from tuitrack.sdk import writer\n"
    )
    assert _file_violations(module, FOR_BACKENDS, "bad") == [
        "bad.py:3 imports tuitrack_sql.history.read_history",
        "bad.py:5 imports tuitrack_mlflow.tables",
        "bad.py:6 imports tuitrack.sdk.writer",
    ]
    assert _violations(tmp_path, FOR_BACKENDS, "bad")[0] == (
        f"{tmp_path.name}/bad.py:3 imports tuitrack_sql.history.read_history"
    )
