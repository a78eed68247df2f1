"""The runs this process has open: one stack per thread, and the handles behind them.

A thread that started no run of its own logs into the main thread's active run, so
data-loader or callback threads need no setup; a thread can still start its own runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuitrack.client import TrackingClient
    from tuitrack.heartbeat import Heartbeat
    from tuitrack.writer import BackgroundWriter, MetricItem


@dataclass(eq=False)
class RunHandle:
    """What the SDK keeps for one open run; `append` queues a metric point."""

    run_id: str
    experiment_id: str
    artifact_uri: str
    client: TrackingClient
    writer: BackgroundWriter
    heartbeat: Heartbeat | None
    append: Callable[[MetricItem], None]
    params: dict[str, str] = field(default_factory=dict)
    stack: list[RunHandle] | None = None
    capture: threading.Thread | None = None
    ended: bool = False
    active_run: Any = None  # the ActiveRun start_run returned
    lock: threading.Lock = field(default_factory=threading.Lock)


main_runs: list[RunHandle] = []


class _ThreadRuns(threading.local):
    def __init__(self) -> None:
        self.runs: list[RunHandle] = (
            main_runs if threading.current_thread() is threading.main_thread() else []
        )


thread_runs = _ThreadRuns()
open_runs: dict[str, RunHandle] = {}
open_runs_lock = threading.RLock()


def own_runs() -> list[RunHandle]:
    """The stack of runs the calling thread started."""
    return thread_runs.runs


def visible_runs() -> list[RunHandle]:
    """The calling thread's stack, or the main thread's when it started none."""
    return thread_runs.runs or main_runs


def push(handle: RunHandle) -> None:
    stack = thread_runs.runs
    with open_runs_lock:
        handle.stack = stack
        stack.append(handle)
        open_runs[handle.run_id] = handle


def remove(handle: RunHandle) -> None:
    with open_runs_lock:
        if handle.stack is not None and handle in handle.stack:
            handle.stack.remove(handle)
        if open_runs.get(handle.run_id) is handle:
            del open_runs[handle.run_id]


def all_open() -> list[RunHandle]:
    """Every open run, the most recently started first (children before parents)."""
    with open_runs_lock:
        return list(reversed(open_runs.values()))


def forget_all() -> None:
    """Drop every handle without ending it: a forked child must not end its parent's runs."""
    global open_runs_lock
    open_runs_lock = threading.RLock()
    open_runs.clear()
    main_runs.clear()
    thread_runs.runs = main_runs if thread_runs.runs is main_runs else []
