"""The TUI is models plus views: the modules at the top of `tuitrack.tui` (queries, rows,
comparisons, chart data, formatting) never import Textual, so the CLI can use them; the
views are the screens, the widgets and the few app-level modules named here."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import tuitrack.tui

VIEW_MODULES = {"app", "messages", "typeahead"}
"""Top-level modules that are part of the view (they import Textual)."""


def model_modules() -> list[str]:
    return sorted(
        f"tuitrack.tui.{module.name}"
        for module in pkgutil.iter_modules(tuitrack.tui.__path__)
        if not module.ispkg and module.name not in VIEW_MODULES
    )


def test_the_models_do_not_import_textual() -> None:
    modules = model_modules()
    assert {"tuitrack.tui.queries", "tuitrack.tui.run_overview"} <= set(modules)
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "imported = sorted(m for m in sys.modules if m.startswith('textual'))\n"
        "assert not imported, imported\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_views_ask_the_store_only_through_the_queries() -> None:
    # Screens and widgets call tuitrack.tui.queries (plain functions run in workers), never
    # `client.store` itself: what the UI asks of a store stays in one place.
    root = Path(tuitrack.tui.__file__).parent
    reaching = [
        f"{path.relative_to(root)}:{node.lineno}"
        for folder in ("screens", "widgets")
        for path in sorted((root / folder).glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "store"
    ]
    assert not reaching, reaching
