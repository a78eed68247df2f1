"""However a script ends, its run gets the status its exit means, and the process exits
as it would without tuitrack.

Each script runs as a real process twice: with a run open (no `with` block, no end_run)
and without tuitrack, and both must exit with the same code:
- `sys.exit(n)` (or `exit(n)`) with n non-zero or a message is FAILED, and an exit that
  the script catches, or one in a thread, does not fail the run;
- Ctrl-C exits by SIGINT (a shell shows 130) with the run KILLED, while the environment
  capture is still running too;
- a script that ends without end_run() right after start_run() still saves its
  environment (installed packages), with no warning.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox, wait_for_line
from tuitrack import RunStatus

WITH_RUN = """
import tuitrack
run = tuitrack.start_run()
print("run:", run.info.run_id, flush=True)
"""
WITHOUT_RUN = """
import contextlib
run = contextlib.nullcontext()
print("run: none", flush=True)
"""

# name: (what the script does after starting its run, exit code, status of the run)
EXITS: dict[str, tuple[str, int, RunStatus]] = {
    "exit 1": ("sys.exit(1)", 1, RunStatus.FAILED),
    "exit with a message": ("sys.exit('diverged at step 12')", 1, RunStatus.FAILED),
    "the exit builtin": ("exit(6)", 6, RunStatus.FAILED),
    "exit from a function, through finally": (
        """
        def train():
            try:
                sys.exit(3)
            finally:
                print("cleaned up")

        if __name__ == "__main__":
            train()
        """,
        3,
        RunStatus.FAILED,
    ),
    "argparse error": (
        """
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int)
        parser.parse_args(["--epochs", "many"])
        """,
        2,
        RunStatus.FAILED,
    ),
    "exit caught by the script": (
        """
        try:
            sys.exit(1)
        except SystemExit:
            pass
        """,
        0,
        RunStatus.FINISHED,
    ),
    "exit in a thread": (
        """
        import threading
        thread = threading.Thread(target=sys.exit, args=(5,))
        thread.start()
        thread.join()
        """,
        0,
        RunStatus.FINISHED,
    ),
}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SdkSandbox]:
    box = SdkSandbox(tmp_path)
    yield box
    box.close()


def _script(sandbox: SdkSandbox, name: str, start: str, body: str) -> Path:
    path = sandbox.root / (re.sub(r"\W+", "_", name) + ".py")
    path.write_text("import sys\n" + start + textwrap.dedent(body) + "\n")
    return path


def _spawn(sandbox: SdkSandbox, script: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script)],
        env={**sandbox.env, **env},
        cwd=sandbox.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_id(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("run:")).split()[1]


def test_the_exit_code_decides_the_status_of_a_run_left_open(sandbox: SdkSandbox) -> None:
    tracked = {
        name: _spawn(sandbox, _script(sandbox, name, WITH_RUN, body))
        for name, (body, _, _) in EXITS.items()
    }
    plain = {
        name: _spawn(sandbox, _script(sandbox, f"plain {name}", WITHOUT_RUN, body))
        for name, (body, _, _) in EXITS.items()
    }
    wrong = []
    for name, (_, code, status) in EXITS.items():
        out, err = tracked[name].communicate(timeout=120)
        _plain_out, plain_err = plain[name].communicate(timeout=120)
        got = sandbox.get_run(_run_id(out)).info.status
        if (tracked[name].returncode, got) != (code, status) or plain[name].returncode != code:
            wrong.append(
                f"{name}: exit {tracked[name].returncode} {got.value}, want {code} "
                f"{status.value} (without tuitrack: {plain[name].returncode})\n{err}"
            )
        if name == "exit with a message":
            assert "diverged at step 12" in err
            assert "diverged at step 12" in plain_err
    assert not wrong, "\n".join(wrong)


def test_ctrl_c_exits_by_sigint_with_the_run_killed(sandbox: SdkSandbox) -> None:
    # Ctrl-C right after start_run, while the environment capture still runs. (In a with
    # block, leaving the block waits for the capture, so that case never raced.)
    body = "import time\ntime.sleep(60)\n"
    codes, run_ids = [], []
    for label, start in (("tracked", WITH_RUN), ("plain", WITHOUT_RUN)):
        script = _script(sandbox, f"ctrl-c {label}", start, body)
        child = _spawn(sandbox, script, TUITRACK_CAPTURE_ENV="1")
        run_ids.append(wait_for_line(child, "run:"))
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=120)
        assert "KeyboardInterrupt" in err
        codes.append(child.returncode)
    assert codes == [-signal.SIGINT, -signal.SIGINT]  # a shell shows 130
    assert sandbox.get_run(run_ids[0]).info.status is RunStatus.KILLED


def test_a_script_ending_at_once_without_end_run_still_saves_its_environment(
    sandbox: SdkSandbox,
) -> None:
    script = _script(sandbox, "short", WITH_RUN, "tuitrack.log_metric('loss', 0.5)")
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**sandbox.env, "TUITRACK_CAPTURE_ENV": "1"},
        cwd=sandbox.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr, done.stderr
    run_id = _run_id(done.stdout)
    assert sandbox.get_run(run_id).info.status is RunStatus.FINISHED
    store = sandbox.client.artifact_store(run_id)
    lines = store.read_bytes("environment/requirements.txt").decode().splitlines()
    assert "tuitrack" in {line.split("==")[0] for line in lines}
