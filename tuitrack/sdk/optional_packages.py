"""Packages only some SDK functions need (pandas, Pillow, numpy): imported when called, and
named with the tuitrack extra that installs them when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from tuitrack.errors import TuitrackError


class MissingPackageError(TuitrackError, ImportError):
    """A function needs a package that is not installed; the message says how to get it."""


def required(module: str, package: str, extra: str, needed_for: str) -> ModuleType:
    """`module` imported, or MissingPackageError naming `pip install "tuitrack[extra]"`."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingPackageError(
            f'{needed_for} needs {package}, which is not installed: pip install "tuitrack[{extra}]"'
        ) from None
