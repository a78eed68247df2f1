"""SIGTERM stops a training process at once, even while its main thread waits.

Python runs signal handlers in the main thread only, but the kernel hands a signal sent
to the process to any thread that does not block it. When it landed on tuitrack's writer
or heartbeat thread, a main thread inside `time.sleep(60)` slept on, and a scheduler's
grace period ended in SIGKILL with the run left RUNNING (1 to 3 times in 10 tries).

Each try is a fresh Python process with the SDK's default settings: with the run's
environment being captured in a thread, SIGTERM went astray in about 1 try of 8.
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox, wait_for_line
from tuitrack import RunStatus

# Each try costs about a second of CPU (the environment capture): the suite runs 10, the
# soak (TUITRACK_SOAK=1) the 50 that failed reliably before the fix.
SOAK = os.environ.get("TUITRACK_SOAK") == "1"
AT_ONCE = 5  # processes per group: the tries run in groups to keep the suite fast
# Unloaded, a process exits within 0.1 s of SIGTERM; the bound leaves room for a loaded
# CI machine and still catches a 60 s sleep that ignores it.
EXIT_BOUND_SECONDS = 5.0

TRAINING = """
import time, tuitrack
run = tuitrack.start_run()
for step in range(200):
    tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
print("ready", run.info.run_id, flush=True)
time.sleep(60)
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SdkSandbox]:
    box = SdkSandbox(tmp_path)
    box.client.create_experiment("sdk-tests")  # the children share a ready store
    yield box
    box.close()


def terminate_group(sandbox: SdkSandbox) -> list[tuple[str, float, int | None]]:
    """Start AT_ONCE training processes and SIGTERM each once it is ready; for each, its
    run id, the seconds until it exited (inf past the bound) and its exit code."""
    processes = [sandbox.spawn(TRAINING, TUITRACK_CAPTURE_ENV="1") for _ in range(AT_ONCE)]
    try:
        run_ids = [wait_for_line(process, "ready") for process in processes]
        sent_at = []
        for process in processes:
            process.send_signal(signal.SIGTERM)
            sent_at.append(time.monotonic())
        exited_at: dict[int, float] = {}
        deadline = time.monotonic() + EXIT_BOUND_SECONDS
        while len(exited_at) < len(processes) and time.monotonic() < deadline:
            for index, process in enumerate(processes):
                if index not in exited_at and process.poll() is not None:
                    exited_at[index] = time.monotonic()
            time.sleep(0.005)
        return [
            (run_id, exited_at.get(index, float("inf")) - sent_at[index], process.poll())
            for index, (run_id, process) in enumerate(zip(run_ids, processes, strict=True))
        ]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate()


@pytest.mark.parametrize(
    "tries",
    [
        10,
        pytest.param(
            50,
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(not SOAK, reason="about 80 s; TUITRACK_SOAK=1 runs it"),
            ],
        ),
    ],
)
def test_sigterm_during_a_sleep_ends_the_process_at_once_with_the_run_killed(
    sandbox: SdkSandbox, tries: int
) -> None:
    results: list[tuple[str, float, int | None]] = []
    for _ in range(tries // AT_ONCE):
        results += terminate_group(sandbox)
    seconds = sorted(elapsed for _run_id, elapsed, _code in results)
    summary = (
        f"exit after SIGTERM, {len(seconds)} tries: median {statistics.median(seconds):.3f} s, "
        f"slowest {seconds[-1]:.3f} s; over {EXIT_BOUND_SECONDS:g} s: "
        f"{sum(s > EXIT_BOUND_SECONDS for s in seconds)}"
    )
    print(summary)
    assert seconds[-1] <= EXIT_BOUND_SECONDS, summary
    assert {code for _run_id, _elapsed, code in results} == {-signal.SIGTERM}
    statuses = [sandbox.get_run(run_id).info.status for run_id, _elapsed, _code in results]
    assert statuses == [RunStatus.KILLED] * tries


def test_the_main_thread_keeps_its_signal_mask(sandbox: SdkSandbox) -> None:
    done = sandbox.run(
        """
        import signal, tuitrack
        before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        with tuitrack.start_run():
            tuitrack.log_metric("loss", 1.0)
        print(before == signal.pthread_sigmask(signal.SIG_BLOCK, []))
        """
    )
    assert done.stdout.strip() == "True", done.stderr
