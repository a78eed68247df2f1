"""Pausing the cyclic garbage collector while building many small objects, only in
tuitrack's own processes.

Building 100k tuples or entities triggers dozens of collections that scan every live
object and free nothing; pausing them makes bulk reads several times cheaper. But the
collector belongs to the whole process: a library must not switch it off in the program
that imports it. So `gc_paused` pauses only inside `own_process` - the `tuitrack` command
(CLI, TUI, import) - and does nothing, touching neither `gc` nor a lock, in a user's
program (the SDK's writer thread, a TrackingClient in a script or notebook).
Threads may pause at once: the collector comes back, if it was on, when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_own_process = False
_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def own_process() -> Iterator[None]:
    """While this runs, the process is tuitrack's own (the `tuitrack` command)."""
    global _own_process
    previous, _own_process = _own_process, True
    try:
        yield
    finally:
        _own_process = previous


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    if not _own_process:
        yield
        return
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
