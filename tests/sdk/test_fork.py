"""A forked child (multiprocessing with fork, a DataLoader worker) logs through its own
writer: it starts with none of its parent's runs or threads, never ends its parent's run,
and never waits on a lock one of its parent's threads held at the fork."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing.queues import SimpleQueue

import pytest

import tuitrack
from tests.sdk.processes import SdkSandbox
from tuitrack import RunStatus
from tuitrack.sdk.state import STATE

FORK = multiprocessing.get_context("fork")
CHILD_SECONDS = 30


def _child_starts_its_own_run(results: SimpleQueue[object]) -> None:
    run = tuitrack.start_run(run_name="child")  # no nested=True: the parent's run is not its
    for step in range(20):
        tuitrack.log_metric("child_loss", float(step), step=step)
    results.put(run.info.run_id)
    # Returns without end_run or flush: the run ends as the child's target returns.


def _child_fails_in_its_own_run(results: SimpleQueue[object]) -> None:
    run = tuitrack.start_run(run_name="failing child")
    for step in range(20):
        tuitrack.log_metric("child_loss", float(step), step=step)
    results.put(run.info.run_id)
    raise RuntimeError("the child's target fails")


def _child_logs_without_a_run(results: SimpleQueue[object]) -> None:
    for step in range(20):
        tuitrack.log_metric("worker_loss", float(step), step=step)
    tuitrack.set_tag("worker", "done")
    results.put(tuitrack.active_run() is None)


def _run_child(target: object, exit_code: int = 0) -> object:
    results: SimpleQueue[object] = FORK.SimpleQueue()
    child = FORK.Process(target=target, args=(results,))
    child.start()
    child.join(CHILD_SECONDS)
    if child.is_alive():
        child.kill()
        pytest.fail(f"the forked child did not end within {CHILD_SECONDS} s (deadlocked?)")
    assert child.exitcode == exit_code
    return results.get()


@pytest.mark.usefixtures("fluent_sandbox")
def test_a_forked_child_logs_its_own_run_while_the_parent_logs_on(
    fluent_sandbox: SdkSandbox,
) -> None:
    client = fluent_sandbox.client
    with tuitrack.start_run() as parent:
        tuitrack.log_metric("loss", 1.0, step=0)
        tuitrack.flush()  # the writer thread runs when the child is forked
        child_run_id = _run_child(_child_starts_its_own_run)
        assert isinstance(child_run_id, str)
        assert child_run_id != parent.info.run_id
        assert client.get_run(parent.info.run_id).info.status is RunStatus.RUNNING
        tuitrack.log_metric("loss", 2.0, step=1)
    child = client.get_run(child_run_id)
    assert child.info.status is RunStatus.FINISHED
    assert fluent_sandbox.metric_values(child_run_id, "child_loss") == [float(s) for s in range(20)]
    assert fluent_sandbox.metric_values(parent.info.run_id, "loss") == [1.0, 2.0]
    assert "child_loss" not in client.get_run(parent.info.run_id).data.metrics
    assert client.get_run(parent.info.run_id).info.status is RunStatus.FINISHED


@pytest.mark.usefixtures("fluent_sandbox")
def test_a_forked_child_whose_target_raises_ends_its_run_failed(
    fluent_sandbox: SdkSandbox,
) -> None:
    with tuitrack.start_run():
        child_run_id = _run_child(_child_fails_in_its_own_run, exit_code=1)
    assert isinstance(child_run_id, str)
    assert fluent_sandbox.get_run(child_run_id).info.status is RunStatus.FAILED
    assert fluent_sandbox.metric_values(child_run_id, "child_loss") == [float(s) for s in range(20)]


@pytest.mark.usefixtures("fluent_sandbox")
def test_a_forked_child_without_a_run_logs_into_its_parents_run_and_leaves_it_open(
    fluent_sandbox: SdkSandbox,
) -> None:
    client = fluent_sandbox.client
    with tuitrack.start_run() as parent:
        tuitrack.log_metric("loss", 1.0)
        tuitrack.flush()
        had_no_active_run = _run_child(_child_logs_without_a_run)
        assert had_no_active_run is True  # the parent's run is not the child's to end
        stored = client.get_run(parent.info.run_id)
        assert stored.info.status is RunStatus.RUNNING
        assert stored.data.tags["worker"] == "done"
        values = fluent_sandbox.metric_values(parent.info.run_id, "worker_loss")
        assert values == [float(s) for s in range(20)]
        assert tuitrack.active_run() is parent
    assert client.get_run(parent.info.run_id).info.status is RunStatus.FINISHED


@contextmanager
def _held_by_another_thread(locks: list[threading.Lock | threading.RLock]) -> Iterator[None]:
    """Hold `locks` in a second thread (as the writer does at times) while the body runs."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with ExitStack() as stack:
            for lock in locks:
                stack.enter_context(lock)
            taken.set()
            release.wait(CHILD_SECONDS)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    try:
        yield
    finally:
        release.set()
        holder.join()


@pytest.mark.usefixtures("fluent_sandbox")
def test_a_child_forked_while_the_parents_threads_hold_the_sdks_locks_logs_and_ends(
    fluent_sandbox: SdkSandbox,
) -> None:
    with tuitrack.start_run():
        tuitrack.log_metric("loss", 1.0)
        tuitrack.flush()
        (session,) = STATE.sessions.values()
        writer = session.writer
        assert writer is not None
        locks = [
            STATE.lock,
            STATE.notices_lock,
            STATE.runs.lock,
            session.lock,
            writer._room._lock,  # type: ignore[attr-defined]
            writer._progress._lock,  # type: ignore[attr-defined]
        ]
        with _held_by_another_thread(locks):
            child_run_id = _run_child(_child_starts_its_own_run)
    assert isinstance(child_run_id, str)
    assert fluent_sandbox.metric_values(child_run_id, "child_loss") == [float(s) for s in range(20)]


def test_a_fork_waits_for_the_sdks_threads_to_leave_the_store() -> None:
    entered, left = threading.Event(), threading.Event()

    def write_for_a_while() -> None:  # as the writer thread's store call does
        with STATE.store_calls.call():
            entered.set()
            time.sleep(0.3)
            left.set()

    writer = threading.Thread(target=write_for_a_while)
    writer.start()
    assert entered.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: had the call ended when the fork happened?
        os._exit(0 if left.is_set() else 1)
    writer.join()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
