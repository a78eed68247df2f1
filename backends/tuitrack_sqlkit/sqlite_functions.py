"""SQL functions tuitrack installs on SQLite connections."""

from __future__ import annotations

from typing import Any


def _lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


def install_unicode_lower(dbapi_connection: Any) -> None:
    """Replace SQLite's lower(), which folds ASCII only: ILIKE must fold any letter, as the
    Python filter evaluator does."""
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
