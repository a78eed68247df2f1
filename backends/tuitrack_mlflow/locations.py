"""Artifact locations as MLflow stores them: a local one absolute, others as given."""

from __future__ import annotations

import os
import re
import urllib.parse

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def absolute_location(location: str) -> str:
    """`./mlruns` -> `/cwd/mlruns`, `file:./x` -> `file:///cwd/x`; a remote URI unchanged."""
    if not _SCHEME.match(location) or _WINDOWS_DRIVE.match(location):
        return os.path.abspath(location)
    parts = urllib.parse.urlsplit(location)
    if parts.scheme != "file" or parts.netloc or os.path.isabs(parts.path):
        return location
    return "file://" + os.path.abspath(urllib.parse.unquote(parts.path))


def child_location(parent: str, *names: str) -> str:
    """`parent` with `names` appended as path segments (query and fragment kept)."""
    parts = urllib.parse.urlsplit(parent)
    if not _SCHEME.match(parent) or _WINDOWS_DRIVE.match(parent):
        return "/".join([parent.rstrip("/"), *names])
    path = "/".join([parts.path.rstrip("/"), *names])
    return urllib.parse.urlunsplit(parts._replace(path=path))
