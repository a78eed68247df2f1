"""Each way a process can end gives its run the right final status, with its data stored."""

from __future__ import annotations

import signal

from tests.sdk.processes import SdkSandbox, send_and_wait, wait_for_line
from tuitrack import RunStatus

LOG_AND_WAIT = """
import sys, time, tuitrack
{start}
for step in range(50):
    tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
tuitrack.flush()
print("run:", tuitrack.active_run().info.run_id, flush=True)
{after}
"""


def _script(start: str, after: str) -> str:
    return LOG_AND_WAIT.format(start=start, after=after)


def test_leaving_the_with_block_finishes_the_run(sandbox: SdkSandbox) -> None:
    done = sandbox.run(
        """
        import tuitrack
        with tuitrack.start_run() as run:
            tuitrack.log_param("lr", 0.1)
            for step in range(100):
                tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
        print(run.info.run_id)
        """
    )
    assert done.returncode == 0, done.stderr
    run = sandbox.get_run(done.stdout.strip())
    assert run.info.status is RunStatus.FINISHED
    assert run.info.end_time is not None
    assert run.data.params == {"lr": "0.1"}
    assert len(sandbox.metric_values(run.info.run_id, "loss")) == 100


def test_an_exception_in_the_with_block_fails_the_run_and_propagates(
    sandbox: SdkSandbox,
) -> None:
    done = sandbox.run(
        """
        import tuitrack
        try:
            with tuitrack.start_run() as run:
                tuitrack.log_metric("loss", 0.5)
                raise ValueError("diverged")
        except ValueError as error:
            print(run.info.run_id, error)
        """
    )
    assert done.returncode == 0, done.stderr
    run_id, message = done.stdout.split()
    assert message == "diverged"
    assert sandbox.get_run(run_id).info.status is RunStatus.FAILED
    assert sandbox.metric_values(run_id, "loss") == [0.5]


def test_sigterm_kills_the_run_and_the_process(sandbox: SdkSandbox) -> None:
    child = sandbox.spawn(_script("tuitrack.start_run()", "time.sleep(60)"))
    run_id = wait_for_line(child, "run:")
    code, err = send_and_wait(child, signal.SIGTERM)
    assert code == -signal.SIGTERM, err
    run = sandbox.get_run(run_id)
    assert run.info.status is RunStatus.KILLED
    assert len(sandbox.metric_values(run_id, "loss")) == 50


def test_sigterm_chains_to_the_previous_handler(sandbox: SdkSandbox) -> None:
    child = sandbox.spawn(
        _script(
            "import signal\n"
            "signal.signal(signal.SIGTERM, lambda *a: (print('own handler', flush=True), "
            "sys.exit(3)))\n"
            "tuitrack.start_run()",
            "time.sleep(60)",
        )
    )
    run_id = wait_for_line(child, "run:")
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    assert "own handler" in out
    assert sandbox.get_run(run_id).info.status is RunStatus.KILLED


def test_ctrl_c_kills_the_run_and_raises_keyboard_interrupt(sandbox: SdkSandbox) -> None:
    child = sandbox.spawn(
        _script(
            "run = tuitrack.start_run()",
            "try:\n"
            "    with run:\n"
            "        time.sleep(60)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', flush=True)\n"
            "    raise",
        )
    )
    run_id = wait_for_line(child, "run:")
    code, err = send_and_wait(child, signal.SIGINT)
    assert code == -signal.SIGINT, err
    assert "KeyboardInterrupt" in err
    assert sandbox.get_run(run_id).info.status is RunStatus.KILLED


def test_ctrl_c_outside_a_with_block_kills_the_run(sandbox: SdkSandbox) -> None:
    child = sandbox.spawn(_script("tuitrack.start_run()", "time.sleep(60)"))
    run_id = wait_for_line(child, "run:")
    code, err = send_and_wait(child, signal.SIGINT)
    assert code == -signal.SIGINT, err
    assert sandbox.get_run(run_id).info.status is RunStatus.KILLED


def test_an_uncaught_exception_outside_a_with_block_fails_the_run(sandbox: SdkSandbox) -> None:
    done = sandbox.run(
        """
        import tuitrack
        run = tuitrack.start_run()
        print(run.info.run_id, flush=True)
        for step in range(10):
            tuitrack.log_metric("loss", float(step), step=step)
        raise RuntimeError("out of memory")
        """
    )
    assert done.returncode == 1
    assert "RuntimeError: out of memory" in done.stderr
    run_id = done.stdout.strip()
    assert sandbox.get_run(run_id).info.status is RunStatus.FAILED
    assert len(sandbox.metric_values(run_id, "loss")) == 10


def test_a_clean_exit_with_an_open_run_finishes_it_and_stores_everything(
    sandbox: SdkSandbox,
) -> None:
    done = sandbox.run(
        """
        import tuitrack
        tuitrack.log_param("batch_size", 32)  # starts a run, as MLflow does
        for step in range(5000):
            tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
        print(tuitrack.active_run().info.run_id)
        """
    )
    assert done.returncode == 0, done.stderr
    run = sandbox.get_run(done.stdout.strip())
    assert run.info.status is RunStatus.FINISHED
    assert run.data.params == {"batch_size": "32"}
    assert len(sandbox.metric_values(run.info.run_id, "loss")) == 5000


def test_sigkill_leaves_the_run_running_with_every_flushed_point(sandbox: SdkSandbox) -> None:
    child = sandbox.spawn(
        """
        import time, tuitrack
        run = tuitrack.start_run()
        for step in range(20_000):
            tuitrack.log_metric("loss", float(step), step=step)
        tuitrack.flush()
        print("run:", run.info.run_id, flush=True)
        time.sleep(60)
        """
    )
    run_id = wait_for_line(child, "run:")
    child.kill()
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    run = sandbox.get_run(run_id)
    assert run.info.status is RunStatus.RUNNING
    assert sandbox.metric_values(run_id, "loss") == [float(step) for step in range(20_000)]


def test_heartbeat_is_recorded_while_the_run_is_open(sandbox: SdkSandbox) -> None:
    child = sandbox.spawn(
        """
        import time, tuitrack
        run = tuitrack.start_run()
        print("run:", run.info.run_id, flush=True)
        time.sleep(60)
        """,
        TUITRACK_HEARTBEAT_SECONDS="0.2",
    )
    run_id = wait_for_line(child, "run:")
    import time

    first = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        beat = sandbox.get_run(run_id).info.heartbeat_time
        if first is None and beat is not None:
            first = beat
        elif first is not None and beat is not None and beat > first:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the heartbeat time never advanced")
    child.kill()
    child.communicate(timeout=60)


def test_an_uncaught_exception_in_a_thread_fails_only_that_threads_run(
    sandbox: SdkSandbox,
) -> None:
    done = sandbox.run(
        """
        import threading, tuitrack
        started = []

        def worker():
            started.append(tuitrack.start_run().info.run_id)
            raise RuntimeError("worker crashed")

        with tuitrack.start_run() as main:
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()
        print(main.info.run_id, started[0])
        """
    )
    assert done.returncode == 0, done.stderr
    assert "worker crashed" in done.stderr
    main_id, worker_id = done.stdout.split()
    assert sandbox.get_run(worker_id).info.status is RunStatus.FAILED
    assert sandbox.get_run(main_id).info.status is RunStatus.FINISHED
