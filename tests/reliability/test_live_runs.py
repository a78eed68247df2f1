"""A live run is never marked FAILED by orphan cleanup, and a wrong verdict does not stick.

Each test runs the training script as a real process and `tuitrack runs orphans` as
another, with heartbeat and stale thresholds shortened through the environment:
- a run resumed by a second process is judged by that process, not by the first one's pid;
- a process stopped with SIGSTOP for longer than the stale threshold is not an orphan;
- a store locked for longer than the stale threshold does not make its runs look dead,
  and the heartbeat lands as soon as the lock goes;
- a run wrongly marked FAILED (another host, heartbeat stale) and then finished by its own
  process ends with that process's status and without `tuitrack.orphan_reason`.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox, wait_for_line
from tuitrack import Run, RunStatus
from tuitrack.core.orphans import PID_TAG, REASON_TAG
from tuitrack.sdk.client import TrackingClient
from tuitrack.sdk.heartbeat import Heartbeat

PROCESS_START_TAG = "tuitrack.pid.start_time"

HEARTBEAT_SECONDS = "0.3"
STALE_AFTER_SECONDS = 1.0
EXPERIMENT = "sdk-tests"  # the sandbox's experiment

# Starts (or resumes) a run, logs a point every 20 ms, and ends the run when a line
# arrives on stdin; prints the run id and, at the end, how many points it logged.
LOG_UNTIL_TOLD = """
import sys, threading, time, tuitrack
run = tuitrack.start_run({start_args})
print("run:", run.info.run_id, flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
step = 0
while not done.is_set():
    tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
    step += 1
    time.sleep(0.02)
tuitrack.end_run()
print("logged:", step, flush=True)
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SdkSandbox]:
    box = SdkSandbox(tmp_path)
    yield box
    box.close()


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; any still running (or stopped) at the end are killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=60)


def _start_logging(
    sandbox: SdkSandbox, children: list[subprocess.Popen[str]], start_args: str = ""
) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", LOG_UNTIL_TOLD.format(start_args=start_args)],
        env={**sandbox.env, "TUITRACK_HEARTBEAT_SECONDS": HEARTBEAT_SECONDS},
        cwd=sandbox.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    children.append(child)
    return child, wait_for_line(child, "run:")


def _finish(sandbox: SdkSandbox, child: subprocess.Popen[str], run_id: str) -> Run:
    """Tell the child to end its run; check it ended FINISHED with every point it logged."""
    out, err = child.communicate("\n", timeout=120)
    assert child.returncode == 0, err
    logged = [line for line in out.splitlines() if line.startswith("logged:")]
    assert logged, f"the child never finished its run; stderr:\n{err}"
    run = sandbox.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert len(sandbox.metric_values(run_id, "loss")) == int(logged[0].split()[1])
    return run


def _orphans_cli(sandbox: SdkSandbox, *extra: str) -> subprocess.CompletedProcess[str]:
    """`tuitrack runs orphans` in its own process, with the short stale threshold."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tuitrack.cli.main import main; sys.exit(main())",
            "runs",
            "orphans",
            "-e",
            EXPERIMENT,
            *extra,
        ],
        env={**sandbox.env, "TUITRACK_ORPHAN_AFTER_SECONDS": str(STALE_AFTER_SECONDS)},
        cwd=sandbox.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _wait_for_stale_heartbeat(sandbox: SdkSandbox, run_id: str) -> None:
    """Wait until the run's heartbeat is older than the stale threshold, with margin."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        beat = sandbox.get_run(run_id).info.heartbeat_time
        if beat is not None and time.time() * 1000 - beat > (STALE_AFTER_SECONDS + 0.8) * 1000:
            return
        time.sleep(0.2)
    raise AssertionError("the heartbeat never went stale")


@contextlib.contextmanager
def _stopped_until_stale(
    child: subprocess.Popen[str], sandbox: SdkSandbox, run_id: str
) -> Iterator[None]:
    """SIGSTOP the child until its heartbeat is stale; SIGCONT it after the block."""
    # The first heartbeat is written by a thread just after start_run returns: stopping
    # the child before it lands would leave no heartbeat to go stale.
    _heartbeat_after(sandbox, run_id, 0, within=60)
    child.send_signal(signal.SIGSTOP)
    try:
        _wait_for_stale_heartbeat(sandbox, run_id)
        yield
    finally:
        child.send_signal(signal.SIGCONT)


def _heartbeat_after(sandbox: SdkSandbox, run_id: str, moment_ms: float, within: float) -> float:
    """Seconds until the run records a heartbeat newer than `moment_ms`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        beat = sandbox.get_run(run_id).info.heartbeat_time
        if beat is not None and beat > moment_ms:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"no heartbeat within {within}s")


def test_a_run_resumed_in_another_process_is_judged_by_that_process(
    sandbox: SdkSandbox, children: list[subprocess.Popen[str]]
) -> None:
    first = sandbox.run(
        """
        import tuitrack
        run = tuitrack.start_run()
        tuitrack.log_metric("warmup", 1.0, step=0)
        print(run.info.run_id)
        """
    )
    assert first.returncode == 0, first.stderr
    run_id = first.stdout.strip()
    first_pid = sandbox.get_run(run_id).data.tags[PID_TAG]
    resumer, _ = _start_logging(sandbox, children, f"run_id={run_id!r}")

    done = _orphans_cli(sandbox, "--mark-failed", "--yes")
    assert done.returncode == 0, done.stderr
    assert "No orphaned runs" in done.stdout, done.stdout + done.stderr
    run = sandbox.get_run(run_id)
    assert run.info.status is RunStatus.RUNNING
    assert run.data.tags[PID_TAG] == str(resumer.pid) != first_pid
    assert PROCESS_START_TAG in run.data.tags

    _finish(sandbox, resumer, run_id)
    assert sandbox.metric_values(run_id, "warmup") == [1.0]


def test_a_stopped_process_is_not_an_orphan(
    sandbox: SdkSandbox, children: list[subprocess.Popen[str]]
) -> None:
    child, run_id = _start_logging(sandbox, children)
    with _stopped_until_stale(child, sandbox, run_id):
        done = _orphans_cli(sandbox, "--mark-failed", "--yes")
        assert done.returncode == 0, done.stderr
        assert "No orphaned runs" in done.stdout, done.stdout + done.stderr
        assert sandbox.get_run(run_id).info.status is RunStatus.RUNNING
    _finish(sandbox, child, run_id)


def test_a_locked_store_does_not_make_a_live_run_look_dead(
    sandbox: SdkSandbox, children: list[subprocess.Popen[str]]
) -> None:
    child, run_id = _start_logging(sandbox, children)
    _heartbeat_after(sandbox, run_id, time.time() * 1000, within=30)
    # Another program holds the write lock (readers still read: the store runs in WAL mode).
    locker = sqlite3.connect(sandbox.root / "tracking.db", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        _wait_for_stale_heartbeat(sandbox, run_id)
        done = _orphans_cli(sandbox, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []
    finally:
        released_ms = time.time() * 1000
        locker.execute("ROLLBACK")
        locker.close()
    # The heartbeat thread was waiting on the lock: it lands at once, not an interval later.
    assert _heartbeat_after(sandbox, run_id, released_ms, within=30) < 10
    _finish(sandbox, child, run_id)


def test_a_live_run_marked_failed_ends_with_its_own_status_and_no_orphan_reason(
    sandbox: SdkSandbox, children: list[subprocess.Popen[str]]
) -> None:
    # Tagged as running on another host, the run is judged by its heartbeat alone, so a
    # stopped process (or a network partition) gets it marked FAILED while it lives.
    child, run_id = _start_logging(sandbox, children, "tags={'tuitrack.host': 'gpu-node-7'}")
    with _stopped_until_stale(child, sandbox, run_id):
        done = _orphans_cli(sandbox, "--mark-failed", "--yes")
        assert done.returncode == 0, done.stderr
        assert f"marked {run_id[:8]} FAILED" in done.stdout
        run = sandbox.get_run(run_id)
        assert run.info.status is RunStatus.FAILED
        assert run.data.tags[REASON_TAG].startswith("heartbeat stale")
    assert REASON_TAG not in _finish(sandbox, child, run_id).data.tags


def test_the_heartbeat_is_retried_soon_after_a_failed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A beat that fails (store down, or locked past its busy timeout) is tried again within
    # a second, not an interval later: back from an outage, the run looks alive at once.
    monkeypatch.setenv("TUITRACK_SQL_NULLPOOL", "1")  # each write opens the file anew
    database = tmp_path / "tracking.db"
    client = TrackingClient(f"sqlite:///{database}", artifact_uri=str(tmp_path / "artifacts"))
    run_id = client.create_run(client.create_experiment("heartbeat")).info.run_id
    before = client.get_run(run_id).info.heartbeat_time
    moved = list(tmp_path.glob("tracking.db*"))
    for path in moved:  # the store goes away: writes fail at once
        path.rename(path.with_name(path.name + ".away"))
    database.write_bytes(b"this is not a database " * 500)
    heartbeat = Heartbeat(client.store, interval=30.0)
    heartbeat.add(run_id)  # the first beat, right away, fails
    try:
        time.sleep(0.5)
        database.unlink()
        for path in moved:
            path.with_name(path.name + ".away").rename(path)
        started = time.monotonic()
        while client.get_run(run_id).info.heartbeat_time == before:
            assert time.monotonic() - started < 10, "no heartbeat after the store came back"
            time.sleep(0.05)
    finally:
        heartbeat.stop()
        client.close()
