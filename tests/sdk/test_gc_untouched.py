"""The SDK leaves the garbage collector of the user's program alone: enabled, thresholds
and callbacks are the same before, during and after logging, the writer thread included.
Only tuitrack's own processes (the `tuitrack` command) may pause it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack.core.gc_pause import gc_paused, own_process

GcState = tuple[bool, tuple[int, ...], tuple[Any, ...], int]
CHANGES_STATE = ("disable", "enable", "set_threshold", "freeze", "unfreeze")


def _gc_state() -> GcState:
    return gc.isenabled(), gc.get_threshold(), tuple(gc.callbacks), gc.get_freeze_count()


@pytest.fixture
def gc_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call that would change the collector's state, by name (still performed)."""
    calls: list[str] = []

    def recording(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            calls.append(f"{name} in {threading.current_thread().name}")
            return original(*args)

        return call

    for name in CHANGES_STATE:
        monkeypatch.setattr(gc, name, recording(name, getattr(gc, name)))
    return calls


@pytest.mark.usefixtures("fluent_sandbox")
def test_logging_leaves_the_collector_as_it_was(
    fluent_sandbox: SdkSandbox, gc_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUITRACK_FLUSH_INTERVAL_SECONDS", "0.01")
    before = _gc_state()
    seen: set[GcState] = set()
    stop = threading.Event()

    def watch() -> None:  # samples the state while the writer thread stores batches
        while not stop.is_set():
            seen.add(_gc_state())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with tuitrack.start_run() as run:
            for step in range(30_000):
                tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
                if step % 10_000 == 0:
                    tuitrack.flush()  # the writer writes while the loop goes on
            during = _gc_state()
    finally:
        stop.set()
        watcher.join()
    assert gc_calls == []
    assert seen == {before}
    assert during == before
    assert _gc_state() == before
    history = fluent_sandbox.client.get_metric_history(run.info.run_id, "loss")
    assert len(history) == 30_000


def test_gc_paused_pauses_only_in_tuitracks_own_process(gc_calls: list[str]) -> None:
    before = _gc_state()
    with gc_paused():
        assert _gc_state() == before
    assert gc_calls == []
    with own_process(), gc_paused():
        assert not gc.isenabled()
    assert _gc_state() == before
    with gc_paused():  # own_process has ended
        assert gc.isenabled()
