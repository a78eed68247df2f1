"""Threads that leave the process's signals to the main thread.

Python runs signal handlers only in the main thread, but the kernel may deliver a signal
sent to the process to any thread that does not block it. When SIGTERM lands on one of
tuitrack's threads, a main thread blocked in `time.sleep` or I/O is never interrupted, and
the process reacts only when that call returns. Every thread tuitrack starts blocks the
signals a user expects to stop their program, so the kernel hands those to another thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from tuitrack.sdk.lifecycle import KILLING_SIGNALS

# SIGINT too: Ctrl-C must interrupt the main thread's wait as it would without tuitrack.
PROCESS_SIGNALS = frozenset((*KILLING_SIGNALS, signal.SIGINT))


def block_process_signals() -> None:
    """Block SIGTERM, SIGHUP and SIGINT in the calling thread; never in the main thread,
    whose mask belongs to the user's program."""
    if threading.current_thread() is threading.main_thread():
        return
    if hasattr(signal, "pthread_sigmask"):  # not on Windows, where this problem is absent
        signal.pthread_sigmask(signal.SIG_BLOCK, PROCESS_SIGNALS)


def start_quiet_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """Start a daemon thread running `target` with the process signals blocked."""

    def run() -> None:
        block_process_signals()
        target()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
