"""The runs this process has open: one stack per thread (kept in `STATE.runs`), and the
handles behind them.

A thread that started no run of its own logs into the main thread's active run, so
data-loader or callback threads need no setup; a thread can still start its own runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tuitrack.sdk.state import STATE

if TYPE_CHECKING:
    from tuitrack.sdk.client import TrackingClient
    from tuitrack.sdk.heartbeat import Heartbeat
    from tuitrack.sdk.writer import BackgroundWriter, Field


@dataclass(eq=False)
class RunHandle:
    """What the SDK keeps for one open run; `queue` queues a metric point's fields."""

    run_id: str
    experiment_id: str
    artifact_uri: str
    client: TrackingClient
    writer: BackgroundWriter
    heartbeat: Heartbeat | None
    queue: Callable[[Iterable[Field]], None]  # the writer's metrics.extend
    params: dict[str, str] = field(default_factory=dict)
    stack: list[RunHandle] | None = None
    capture: threading.Thread | None = None
    ended: bool = False
    active_run: Any = None  # the ActiveRun start_run returned
    log_system_metrics: bool | None = None  # start_run's request, kept for system metrics
    lock: threading.Lock = field(default_factory=threading.Lock)


def own_runs() -> list[RunHandle]:
    """The stack of runs the calling thread started."""
    return STATE.runs.thread.runs


def visible_runs() -> list[RunHandle]:
    """The calling thread's stack, or the main thread's when it started none."""
    runs = STATE.runs
    return runs.thread.runs or runs.main


def push(handle: RunHandle) -> None:
    runs = STATE.runs
    stack = runs.thread.runs
    with runs.lock:
        handle.stack = stack
        stack.append(handle)
        runs.open[handle.run_id] = handle


def remove(handle: RunHandle) -> None:
    runs = STATE.runs
    with runs.lock:
        if handle.stack is not None and handle in handle.stack:
            handle.stack.remove(handle)
        if runs.open.get(handle.run_id) is handle:
            del runs.open[handle.run_id]


def find(run_id: str) -> RunHandle | None:
    """The open run `run_id` of this process, if any."""
    return STATE.runs.open.get(run_id)


def all_open() -> list[RunHandle]:
    """Every open run, the most recently started first (children before parents)."""
    runs = STATE.runs
    with runs.lock:
        return list(reversed(runs.open.values()))
