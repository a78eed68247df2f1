"""The file behind a SQLite store: whether it exists, may be created or written, and how to
open it read-only.

Every refusal is one line naming the path and what to do about it. A store that cannot be
written (a read-only filesystem, another user's files) is opened read-only: SQLite's
`mode=ro`, or `immutable=1` when its WAL index cannot be created beside it. Nothing can
write a database whose folder takes no new files, so nothing is missed that way.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import urllib.parse
from collections.abc import Callable

from tuitrack.errors import StoreLocationError

_WAL_SUFFIX = "-wal"


def _shown(path: str) -> str:
    return shlex.quote(path)


def _first_existing(path: str) -> str:
    """`path`, or the nearest folder above it that exists."""
    current = path
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return current


def _why_unwritable(path: str) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "on a read-only filesystem"
    except OSError:
        pass
    return "no write permission"


def _folder_problem(path: str) -> str | None:
    """What stops a file from being made at `path`, where nothing is yet; None if nothing."""
    folder = os.path.dirname(path)
    existing = _first_existing(folder)
    if not os.path.isdir(existing):
        return f"{_shown(existing)} is a file, not a folder"
    if existing != folder:
        if os.access(existing, os.W_OK | os.X_OK):
            return None  # the missing folders can be made
        return f"the folder {_shown(folder)} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {_shown(folder)} is read-only ({_why_unwritable(folder)})"
    return None


def _refuse_folder(path: str) -> None:
    if os.path.isdir(path):
        raise StoreLocationError(
            f"{_shown(path)} is a folder, not a SQLite database file: give the path of the "
            f"database file, e.g. {_shown(os.path.join(path, 'tuitrack.db'))}"
        )


def check_can_create(path: str) -> None:
    """Make the folder of a new database at `path`; StoreLocationError when it cannot
    be made there (a file in the way, a read-only folder), naming what and where."""
    path = os.path.abspath(path)
    _refuse_folder(path)
    if os.path.lexists(path):
        return
    problem = _folder_problem(path)
    if problem is None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            return
        except OSError as error:
            problem = error.strerror or str(error)
    raise StoreLocationError(
        f"cannot create a tuitrack store at {_shown(path)}: {problem}; "
        "choose a path in a folder you can write to"
    )


def check_exists(path: str) -> None:
    """StoreLocationError unless a database file is at `path`: naming what is missing
    and how a store is created there."""
    path = os.path.abspath(path)
    _refuse_folder(path)
    if os.path.isfile(path):
        return
    folder = os.path.dirname(path)
    existing = _first_existing(folder)
    if not os.path.isdir(existing):
        raise StoreLocationError(
            f"no tuitrack store at {_shown(path)}: {_shown(existing)} is a file, not a "
            "folder; check the path"
        )
    why = "no such file" if existing == folder else f"no folder {_shown(folder)}"
    raise StoreLocationError(
        f"no tuitrack store at {_shown(path)} ({why}); check the path, or create a store "
        f"there by logging a run to it or with `tuitrack db upgrade {_shown(path)}`"
    )


def read_only_reason(path: str) -> str | None:
    """Why the database at `path` cannot be written here, or None when it can.

    Writing needs the file and its folder (SQLite makes its journal or WAL files there).
    """
    path = os.path.abspath(path)
    for place in (path, os.path.dirname(path)):
        if not os.access(place, os.W_OK):
            return (
                f"the store {_shown(path)} is read-only here ({_shown(place)}: "
                f"{_why_unwritable(place)}): it can be browsed, not written to"
            )
    return None


def read_only_connector(path: str, timeout_s: float) -> Callable[[], sqlite3.Connection]:
    """Connections that only read the database at `path`.

    `mode=ro` reads a WAL database together with its -wal file, but SQLite must be able to
    find or make the -wal and -shm files beside it; in a folder that takes no new files and
    has no -wal file, the database is complete in its main file, and `immutable=1` reads it
    without them.
    """
    path = os.path.abspath(path)
    folder_writable = os.access(os.path.dirname(path), os.W_OK)
    immutable = not folder_writable and not os.path.exists(path + _WAL_SUFFIX)
    uri = f"file:{urllib.parse.quote(path)}?mode=ro" + ("&immutable=1" if immutable else "")

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=timeout_s, check_same_thread=False)

    return connect
