"""`tuitrack server --workers 4` over SQLite: every worker answers, and what one worker
writes, another reads at once (no worker keeps state of its own)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.server.contract_postgres.workers_server import WorkersServer
from tuitrack.cli.main import main
from tuitrack.server.serving import AUTH_FILE_VARIABLE
from tuitrack.server.tokens import Scope, TokenFile

WORKERS = 4
API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def workers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkersServer]:
    with WorkersServer(tmp_path_factory.mktemp("workers-server"), WORKERS) as running:
        yield running


def _worker_pids(server: WorkersServer) -> set[int]:
    """The pids of the server's worker processes: the children of uvicorn's supervisor
    that multiprocessing spawned (not its resource tracker)."""
    assert server.process is not None
    supervisor = server.process.pid
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return {
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }


def _fresh_client(server: WorkersServer) -> httpx.Client:
    """A client whose first request opens a new connection: the kernel hands new
    connections to whichever worker accepts first."""
    return httpx.Client(base_url=server.url, timeout=30)


def test_every_worker_serves(workers_server: WorkersServer) -> None:
    pids = _worker_pids(workers_server)
    assert len(pids) == WORKERS
    with _fresh_client(workers_server) as client:
        assert client.get("/health").text == "OK"


def test_a_write_through_one_connection_is_read_at_once_through_every_other(
    workers_server: WorkersServer,
) -> None:
    with _fresh_client(workers_server) as writer:
        created = writer.post(f"{API}/experiments/create", json={"name": "across workers"})
        experiment_id = created.json()["experiment_id"]
        run = writer.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
        run_id = run.json()["run"]["info"]["run_id"]
    for value in range(20):
        with _fresh_client(workers_server) as client:
            logged = client.post(
                f"{API}/runs/log-metric",
                json={
                    "run_id": run_id,
                    "key": "loss",
                    "value": value,
                    "timestamp": 1,
                    "step": value,
                },
            )
            assert logged.status_code == 200, logged.text
        with _fresh_client(workers_server) as reader:
            history = reader.get(
                f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
            ).json()["metrics"]
            assert [point["step"] for point in history] == list(range(value + 1))


def test_the_sqlite_store_holds_every_write_of_concurrent_workers(
    workers_server: WorkersServer,
) -> None:
    with _fresh_client(workers_server) as client:
        created = client.post(f"{API}/experiments/create", json={"name": "concurrent"})
        experiment_id = created.json()["experiment_id"]
        run_id = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()[
            "run"
        ]["info"]["run_id"]

    def log_batch(start: int) -> int:
        with _fresh_client(workers_server) as client:
            metrics = [
                {"key": "x", "value": step, "timestamp": 1, "step": step}
                for step in range(start, start + 100)
            ]
            answer = client.post(
                f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics}
            )
            return answer.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(log_batch, range(0, 1600, 100)))
    assert statuses == [200] * 16
    store = workers_server.open_store()
    try:
        steps = [point.step for point in store.get_metric_history(run_id, "x")]
    finally:
        store.close()
    assert sorted(steps) == list(range(1600))


class _ServerWithStrayVariables(WorkersServer):
    """Started where the workers' variables are already set, as by a shell that ran a
    server with --auth before."""

    def __init__(self, root: Path, stray: dict[str, str]) -> None:
        super().__init__(root, 2)
        self.stray = stray

    def environment(self) -> dict[str, str]:
        return super().environment() | self.stray


def test_workers_take_no_tokens_from_variables_this_command_did_not_set(
    tmp_path: Path,
) -> None:
    tokens = tmp_path / "tokens.json"
    TokenFile(tokens).add("stray", Scope.WRITE)
    stray = {AUTH_FILE_VARIABLE: str(tokens)}
    with (
        _ServerWithStrayVariables(tmp_path / "server", stray) as server,
        _fresh_client(server) as client,
    ):
        answer = client.get(f"{API}/experiments/search", params={"max_results": 1})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_a_count_of_workers_below_one_is_refused(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--port", "5999", "--workers", workers]) == 1
    assert f"--workers {workers} is not a number of processes (1 or more)" in (
        capsys.readouterr().err
    )
    assert os.environ.get("TUITRACK_SERVER_STORE_URI") is None
