"""What the SDK keeps for this process, in one object: `STATE`.

The module-level API (fluent), the run stacks (run_stack), the process hooks (lifecycle)
and the notices keep what they learn here and nowhere else, so that
- a test starts from a freshly imported SDK with `STATE.reset()`;
- a forked child (`os.fork`, a `multiprocessing` or DataLoader worker) starts with none of
  its parent's runs, sessions, writer or heartbeat (`after_fork_in_child`): their threads
  do not exist in the child, and a lock one of them held at the fork would stay held.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuitrack.entities import RunStatus
    from tuitrack.sdk.fluent import Session
    from tuitrack.sdk.run_stack import RunHandle

# end_runs(status, only_current_thread) gives open runs a final status; it must not raise.
EndRuns = Callable[["RunStatus", bool], None]
SignalHandler = Callable[[int, FrameType | None], Any] | int | None
ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]

# How long a fork waits for the SDK's threads to leave the store (see StoreCalls).
FORK_WAIT_SECONDS = 5.0


class StoreCalls:
    """The store calls the SDK's threads (writer, heartbeat) are in; a fork waits for none.

    A thread inside a store call at the fork may hold a lock of the database library that
    the child's own connection then needs (SQLite's per-file locks are shared within a
    process): the child would wait for it forever. So a fork waits, at most
    FORK_WAIT_SECONDS, until no such call runs, and none starts until the fork is done.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._running = 0
        self._forking = False

    @contextmanager
    def call(self) -> Iterator[None]:
        with self._changed:
            while self._forking:
                self._changed.wait()
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def before_fork(self) -> None:
        with self._changed:
            self._forking = True
            self._changed.wait_for(lambda: self._running == 0, FORK_WAIT_SECONDS)

    def after_fork_in_parent(self) -> None:
        with self._changed:
            self._forking = False
            self._changed.notify_all()


class ThreadRuns(threading.local):
    """Each thread's stack of the runs it started; the main thread's is `RunStacks.main`."""

    def __init__(self, main: list[RunHandle]) -> None:
        self.runs = main if threading.current_thread() is threading.main_thread() else []


@dataclass(eq=False)
class RunStacks:
    """The open runs: a stack per thread, and every open run by id."""

    main: list[RunHandle] = field(default_factory=list)
    thread: ThreadRuns = field(init=False)
    open: dict[str, RunHandle] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.thread = ThreadRuns(self.main)


@dataclass(eq=False)
class ProcessHooks:
    """What lifecycle installed in this process, and what was there before it."""

    end_runs: EndRuns | None = None
    at_exit: Callable[[], None] | None = None
    installed: bool = False
    previous_signal_handlers: dict[int, SignalHandler] = field(default_factory=dict)
    previous_excepthook: ExceptHook = field(default_factory=lambda: sys.excepthook)
    previous_thread_excepthook: Callable[[threading.ExceptHookArgs], Any] = field(
        default_factory=lambda: threading.excepthook
    )
    # The last SystemExit raised through a wrapped exit function in the main thread.
    main_thread_exit: SystemExit | None = None
    # (namespace, name, wrapper, original) for each exit function wrapped, to put back.
    wrapped_exits: list[tuple[object, str, object, object]] = field(default_factory=list)
    # Whether this multiprocessing child ends its runs when its target returns.
    child_exit_watched: bool = False


class SdkState:
    """The SDK's state in this process (one instance: `STATE`)."""

    def __init__(self) -> None:
        self.hooks = ProcessHooks()
        self.tracking_uri: str | None = None
        self.artifact_uri: str | None = None
        self.experiment_id: str | None = None  # set_experiment's choice
        self.mlflow_run_id_used = False  # start_run has read MLFLOW_RUN_ID once
        self.metric_keys: set[str] = set()  # metric keys already validated
        self.said: set[str] = set()  # notice topics already printed
        self.notices_lock = threading.Lock()
        self.forked = False  # whether this process was forked from one that imported us
        # The run the forking thread had active: a forked child logs into it (see fluent).
        self.parent_run_id: str | None = None
        # What a forked child inherited: kept, unused, for the child's life. Dropping it
        # would close the parent's database connections from the child (closing an
        # inherited PostgreSQL connection ends it for the parent too).
        self.inherited: list[object] = []
        self.store_calls = StoreCalls()
        self._start_runs()

    def _start_runs(self) -> None:
        self.lock = threading.RLock()
        self.sessions: dict[tuple[str, str], Session] = {}
        self.detached: dict[str, RunHandle] = {}  # runs logged to by id, not started here
        self.last_ended: RunHandle | None = None
        self.runs = RunStacks()

    def reset(self) -> None:
        """Back to a freshly imported SDK, for tests: end the open runs (FINISHED), store
        what is queued, stop the writer and heartbeat threads, and forget the tracking and
        artifact URIs, the experiment, every session and run, and the notices said.
        The process hooks stay installed; they chain to what was there before them."""
        from tuitrack.entities import RunStatus

        hooks = self.hooks
        if hooks.end_runs is not None:
            hooks.end_runs(RunStatus.FINISHED, False)
        if hooks.at_exit is not None:
            hooks.at_exit()
        hooks.main_thread_exit = None
        self.tracking_uri = self.artifact_uri = self.experiment_id = None
        self.mlflow_run_id_used = False
        self.metric_keys = set()
        self.said = set()
        self.notices_lock = threading.Lock()
        self.forked = False
        self.parent_run_id = None
        self._start_runs()

    def before_fork(self) -> None:
        self.store_calls.before_fork()

    def after_fork_in_parent(self) -> None:
        self.store_calls.after_fork_in_parent()

    def after_fork_in_child(self) -> None:
        """Start the child with no runs, sessions or threads of its parent, and new locks.

        Where to log (tracking and artifact URIs, experiment) and what was said carry
        over. The thread that forked is the child's main thread: its stack becomes the
        main stack."""
        stack = self.runs.thread.runs or self.runs.main
        self.parent_run_id = stack[-1].run_id if stack else self.parent_run_id
        self.inherited.append((self.sessions, self.detached, self.runs, self.last_ended))
        self.notices_lock = threading.Lock()
        self.store_calls = StoreCalls()
        self.forked = True
        self.hooks.main_thread_exit = None
        self.hooks.child_exit_watched = False
        self._start_runs()


STATE = SdkState()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=STATE.before_fork,
        after_in_parent=STATE.after_fork_in_parent,
        after_in_child=STATE.after_fork_in_child,
    )
