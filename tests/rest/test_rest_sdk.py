"""The SDK logs into a real `mlflow server` through tuitrack_rest: a training script in a
child process with TUITRACK_TRACKING_URI (or MLflow's variable) set to the server, its data
read back with MLflow's own client; and a server that stops answering mid-run (SIGSTOP of
its process group) neither slows the loop nor loses a point once it answers again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rest.conftest import mlflow_missing_reason
from tests.rest.mlflow_server import MlflowServer

# Over MLflow's limits of one log-batch request (100 params, 100 tags, 1000 metrics).
PARAMS, TAGS, POINTS = 150, 120, 12_000

TRAINING = textwrap.dedent(
    f"""
    import json, sys, time
    import tuitrack as mlflow

    mlflow.set_experiment("over-http")
    with mlflow.start_run(run_name="trained") as run:
        mlflow.log_params({{f"p{{i}}": i for i in range({PARAMS})}})
        mlflow.set_tags({{f"t{{i}}": str(i) for i in range({TAGS})}})
        for step in range({POINTS}):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("odd", float("nan"), step=0)
        mlflow.log_text("hello", "notes/hello.txt")
    print(json.dumps({{"run_id": run.info.run_id}}))
    """
)

# Logs a first part, says so on stdout, waits for the go-ahead on stdin (the server is
# stopped meanwhile), then logs the rest against the silent server, timing each call.
OUTAGE = textwrap.dedent(
    """
    import json, sys, time
    import tuitrack

    tuitrack.set_experiment("outage")
    run = tuitrack.start_run()
    for step in range(1000):
        tuitrack.log_metric("loss", float(step), step=step)
    tuitrack.flush()
    print("stored", flush=True)
    sys.stdin.readline()  # the server is stopped now
    slowest = 0.0
    started = time.perf_counter()
    for step in range(1000, 21000):
        before = time.perf_counter()
        tuitrack.log_metric("loss", float(step), step=step)
        slowest = max(slowest, time.perf_counter() - before)
    loop = time.perf_counter() - started
    print(json.dumps({"run_id": run.info.run_id, "loop_s": loop, "slowest_s": slowest}),
          flush=True)
    sys.stdin.readline()  # the server answers again
    tuitrack.end_run()
    print("ended", flush=True)
    """
)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A server of this module's own: one test stops it for a while."""
    reason = mlflow_missing_reason()
    if reason:
        pytest.skip(reason)
    with MlflowServer(tmp_path_factory.mktemp("sdk-server")) as server:
        yield server


def _environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MLFLOW_", "TUITRACK_"))
    }
    return {**inherited, "XDG_DATA_HOME": str(tmp_path / "xdg"), **variables}


@pytest.mark.parametrize("variable", ["TUITRACK_TRACKING_URI", "MLFLOW_TRACKING_URI"])
def test_a_training_script_logs_into_the_server(
    own_server: MlflowServer, tmp_path: Path, variable: str
) -> None:
    import mlflow

    done = subprocess.run(
        [sys.executable, "-c", TRAINING],
        env=_environment(tmp_path, **{variable: own_server.url}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout.strip().splitlines()[-1])["run_id"]
    client = mlflow.MlflowClient(tracking_uri=own_server.url)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {f"p{i}": str(i) for i in range(PARAMS)}
    assert {f"t{i}": str(i) for i in range(TAGS)}.items() <= run.data.tags.items()
    history = client.get_metric_history(run_id, "loss")
    assert sorted(m.step for m in history) == list(range(POINTS))
    assert [m.value for m in client.get_metric_history(run_id, "odd")] != [0.0]
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/hello.txt"]
    assert "cannot write" not in done.stderr


def _group(server: MlflowServer) -> int:
    assert server.process is not None
    return os.getpgid(server.process.pid)


def test_a_silent_server_neither_slows_the_loop_nor_loses_points(
    own_server: MlflowServer, tmp_path: Path
) -> None:
    import mlflow

    child = subprocess.Popen(
        [sys.executable, "-c", OUTAGE],
        env=_environment(
            tmp_path,
            TUITRACK_TRACKING_URI=own_server.url,
            TUITRACK_HTTP_TIMEOUT_SECONDS="1",
            TUITRACK_HTTP_MAX_RETRIES="1",
        ),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    stopped = False
    try:
        assert child.stdout.readline().strip() == "stored"
        os.killpg(_group(own_server), signal.SIGSTOP)
        stopped = True
        child.stdin.write("go\n")
        child.stdin.flush()
        timing = json.loads(child.stdout.readline())
        time.sleep(6)  # the writer meets the silence: a timed-out request, sent again
        os.killpg(_group(own_server), signal.SIGCONT)
        stopped = False
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "ended"
        _, errors = child.communicate(timeout=120)
    finally:
        if stopped:
            os.killpg(_group(own_server), signal.SIGCONT)
        child.kill()
    # 20,000 calls against a silent server: queued in memory, none waits for it.
    assert timing["loop_s"] < 2.0, timing
    assert timing["slowest_s"] < 0.5, timing
    assert errors.count("cannot write to the tracking store") == 1, errors
    assert own_server.url in errors
    client = mlflow.MlflowClient(tracking_uri=own_server.url)
    history = client.get_metric_history(timing["run_id"], "loss")
    assert sorted(m.step for m in history) == list(range(21_000))
    assert client.get_run(timing["run_id"]).info.status == "FINISHED"
