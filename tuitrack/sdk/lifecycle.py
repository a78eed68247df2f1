"""Process hooks that give every open run its final status, however the process ends.

- an uncaught exception (sys.excepthook) -> FAILED, or KILLED for KeyboardInterrupt (Ctrl-C);
- an uncaught exception in a thread -> FAILED for the runs that thread started;
- SIGTERM / SIGHUP -> KILLED, then the previous handler runs (the default one still ends
  the process, by the same signal);
- the interpreter exiting (atexit) -> FINISHED, or FAILED when a `sys.exit` (or `exit()`)
  with a non-zero code in the main thread is what ends it.
- a `multiprocessing` child's target returning (or raising), since such a child ends with
  `os._exit`, skipping atexit: as at exit, FAILED when the target raised.
Every hook chains to what was installed before it, and never raises. `sys.exit` and the
`exit` / `quit` builtins are wrapped once the process has used runs, and put back at exit.
What the hooks remember lives in `STATE.hooks`.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import NoReturn

from tuitrack.entities import RunStatus
from tuitrack.sdk.notices import warn_once
from tuitrack.sdk.state import STATE, EndRuns

KILLING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def status_for_exception(error: BaseException | None) -> RunStatus:
    """FINISHED for no error or `sys.exit(0)`, KILLED for Ctrl-C, FAILED otherwise."""
    if error is None:
        return RunStatus.FINISHED
    if isinstance(error, KeyboardInterrupt):
        return RunStatus.KILLED
    if isinstance(error, SystemExit) and error.code in (None, 0):
        return RunStatus.FINISHED
    return RunStatus.FAILED


def install(end_runs: EndRuns, at_exit: Callable[[], None]) -> None:
    """Install the hooks once per process; signal handlers as soon as we are in the main
    thread (Python only allows them there)."""
    hooks = STATE.hooks
    hooks.end_runs = end_runs
    hooks.at_exit = at_exit
    if not hooks.installed:
        hooks.installed = True
        atexit.register(_on_exit)
        _wrap_exit_functions()
        hooks.previous_excepthook = sys.excepthook
        sys.excepthook = _on_uncaught_exception
        hooks.previous_thread_excepthook = threading.excepthook
        threading.excepthook = _on_uncaught_thread_exception
    _watch_multiprocessing_exit()
    if threading.current_thread() is threading.main_thread():
        for signum in KILLING_SIGNALS:
            if signum not in hooks.previous_signal_handlers:
                _install_signal_handler(signum)


def _watch_multiprocessing_exit() -> None:
    """In a multiprocessing child, end its runs and store its data when its target
    returns: a forked child then ends with os._exit, which skips atexit."""
    hooks = STATE.hooks
    multiprocessing = sys.modules.get("multiprocessing")
    if hooks.child_exit_watched or multiprocessing is None:
        return
    if multiprocessing.parent_process() is None:
        return  # not a multiprocessing child: atexit does it
    from multiprocessing import util

    hooks.child_exit_watched = True
    # Finalizers with an exit priority run as the child's target returns or raises, in
    # the `finally` that ends the child, where sys.exc_info() is what the target raised.
    util.Finalize(None, _on_multiprocessing_child_exit, exitpriority=0)


def _on_multiprocessing_child_exit() -> None:
    _end(status_for_exception(sys.exc_info()[1]))
    _close()


def _install_signal_handler(signum: int) -> None:
    try:
        previous = signal.getsignal(signum)
        if previous is signal.SIG_IGN:
            STATE.hooks.previous_signal_handlers[signum] = previous  # the user wants it ignored
            return
        signal.signal(signum, _on_killing_signal)
        STATE.hooks.previous_signal_handlers[signum] = previous
    except (ValueError, OSError) as error:  # embedded interpreters may refuse
        warn_once(f"signal:{signum}", f"cannot watch signal {signum}: {error}")


def _end(status: RunStatus, only_current_thread: bool = False) -> None:
    end_runs = STATE.hooks.end_runs
    if end_runs is None:
        return
    try:
        end_runs(status, only_current_thread)
    except Exception as error:  # a hook must never fail the process on its way out
        warn_once("end-runs", f"could not end the open runs: {error}")


def _on_killing_signal(signum: int, frame: FrameType | None) -> None:
    _end(RunStatus.KILLED)
    previous = STATE.hooks.previous_signal_handlers.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    # SIG_DFL (or a handler set outside Python): die of the same signal, as without us.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _on_uncaught_exception(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    _end(status_for_exception(error))
    STATE.hooks.previous_excepthook(kind, error, traceback)


def _on_uncaught_thread_exception(args: threading.ExceptHookArgs) -> None:
    _end(status_for_exception(args.exc_value), only_current_thread=True)
    STATE.hooks.previous_thread_excepthook(args)


class _RememberingExit:
    """An exit function (sys.exit, the exit and quit builtins) that remembers the main
    thread's exit: atexit hooks are not told the exit code."""

    def __init__(self, wrapped: Callable[..., NoReturn]) -> None:
        self.wrapped = wrapped

    def __call__(self, code: object = None) -> NoReturn:
        try:
            self.wrapped(code)
        except SystemExit as error:
            if threading.current_thread() is threading.main_thread():
                STATE.hooks.main_thread_exit = error
            raise

    def __repr__(self) -> str:
        return repr(self.wrapped)  # the REPL's "Use exit() or Ctrl-D (i.e. EOF) to exit"


def _wrap_exit_functions() -> None:
    import builtins

    for namespace, name in ((sys, "exit"), (builtins, "exit"), (builtins, "quit")):
        original = getattr(namespace, name, None)
        if callable(original):
            wrapper = _RememberingExit(original)
            setattr(namespace, name, wrapper)
            STATE.hooks.wrapped_exits.append((namespace, name, wrapper, original))


def _unwrap_exit_functions() -> None:
    """Put the originals back, unless someone replaced our wrapper since."""
    wrapped_exits = STATE.hooks.wrapped_exits
    for namespace, name, wrapper, original in wrapped_exits:
        if getattr(namespace, name, None) is wrapper:
            setattr(namespace, name, original)
    wrapped_exits.clear()


def _ended_the_process(error: SystemExit) -> bool:
    """Whether `error` left the main thread's outermost frame, rather than being caught.

    An exception's __traceback__ is brought up to date only when a handler (an except,
    finally or with block) receives it, so its outermost entry is the last frame that
    handled it: the frame that caught it, or one that cleaned up and raised it on (ours,
    at least). A frame that caught it and went on has since returned (or is a suspended
    generator); one that passed it on stopped where it raised it."""
    import opcode

    traceback = error.__traceback__
    if traceback is None:
        return False
    frame = traceback.tb_frame
    code = frame.f_code.co_code
    last = opcode.opname[code[frame.f_lasti]] if 0 <= frame.f_lasti < len(code) else ""
    return last not in ("RETURN_VALUE", "RETURN_CONST", "YIELD_VALUE")


def _exit_status() -> RunStatus:
    """The final status of runs still open when the interpreter exits."""
    error = STATE.hooks.main_thread_exit
    if error is not None and _ended_the_process(error):
        return status_for_exception(error)
    return RunStatus.FINISHED


def _on_exit() -> None:
    _end(_exit_status())
    STATE.hooks.main_thread_exit = None
    _unwrap_exit_functions()
    _close()


def _close() -> None:
    at_exit = STATE.hooks.at_exit
    if at_exit is not None:
        try:
            at_exit()
        except Exception as error:
            warn_once("at-exit", f"could not close the tracking stores: {error}")
