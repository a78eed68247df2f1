"""MLflow's artifact proxy on a `tuitrack server` subprocess started as a user would start
it (no --default-artifact-root, files under --artifacts-destination): MLflow's own client
and tuitrack's REST client log, list, download and delete runs' files through it, and
paths that leave the destination are refused with nothing written. Needs MLflow (dev extra).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.tuitrack_server import TuitrackServer
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

PROXY = "/api/2.0/mlflow-artifacts"
LARGE_BYTES = 20 * 1024 * 1024


class ProxyingServer(TuitrackServer):
    """`tuitrack server` with its artifacts destination given and the experiments' root
    left to the server (so mlflow-artifacts:/), or with --no-serve-artifacts."""

    def __init__(
        self, root: Path, *, serve_artifacts: bool = True, destination_uri: str | None = None
    ) -> None:
        super().__init__(root)
        self.destination = root / "destination"
        self.destination_uri = destination_uri or str(self.destination)
        self.serve_artifacts = serve_artifacts

    def command(self) -> list[str]:
        command = super().command()
        at = command.index("--default-artifact-root")
        del command[at : at + 2]
        if self.serve_artifacts:
            return [*command, "--artifacts-destination", self.destination_uri]
        return [*command, "--no-serve-artifacts", "--artifact-uri", self.artifact_root]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyingServer]:
    with ProxyingServer(tmp_path_factory.mktemp("proxy-server")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ProxyingServer) -> MlflowClient:
    return MlflowClient(tracking_uri=server.url)


@pytest.fixture
def run_id(client: MlflowClient, request: pytest.FixtureRequest) -> str:
    experiment_id = client.create_experiment(f"proxy {request.node.name}")
    return str(client.create_run(experiment_id).info.run_id)


def run_folder(server: ProxyingServer, client: MlflowClient, run_id: str) -> Path:
    """Where the destination keeps a run's files."""
    experiment_id = client.get_run(run_id).info.experiment_id
    return server.destination / experiment_id / run_id / "artifacts"


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            sha.update(chunk)
    return sha.hexdigest()


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def raw_request(server: ProxyingServer, method: str, path: str, body: bytes = b"") -> Any:
    """(status, JSON) for a request whose path is sent exactly as given: httpx and MLflow's
    client would drop its dot segments."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body if method in ("PUT", "POST") else None)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        connection.close()


def test_experiments_created_through_the_server_get_proxied_roots(
    client: MlflowClient, run_id: str
) -> None:
    run = client.get_run(run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.experiment_id}"
    expected = f"mlflow-artifacts:/{experiment.experiment_id}/{run_id}/artifacts"
    assert run.info.artifact_uri == expected


def test_mlflow_client_round_trips_files(
    server: ProxyingServer, client: MlflowClient, run_id: str, tmp_path: Path
) -> None:
    single = tmp_path / "notes.txt"
    single.write_text("one file")
    tree = tmp_path / "tree"
    (tree / "deep").mkdir(parents=True)
    (tree / "a.json").write_text('{"a": 1}')
    (tree / "deep" / "b.bin").write_bytes(bytes(range(256)))
    client.log_artifact(run_id, str(single))
    client.log_artifacts(run_id, str(tree), "tree")

    assert [(f.path, f.is_dir) for f in client.list_artifacts(run_id)] == [
        ("notes.txt", False),
        ("tree", True),
    ]
    listed = client.list_artifacts(run_id, "tree")
    assert [(f.path, f.file_size) for f in listed] == [("tree/a.json", 8), ("tree/deep", None)]

    back = Path(client.download_artifacts(run_id, "tree", str(tmp_path / "back")))
    assert (back / "a.json").read_text() == '{"a": 1}'
    assert (back / "deep" / "b.bin").read_bytes() == bytes(range(256))
    on_disk = run_folder(server, client, run_id)
    assert (on_disk / "notes.txt").read_text() == "one file"
    assert (on_disk / "tree" / "deep" / "b.bin").read_bytes() == bytes(range(256))


def test_mlflow_fluent_log_text(
    server: ProxyingServer, client: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
        monkeypatch.delenv(name, raising=False)
    mlflow.set_tracking_uri(server.url)
    try:
        mlflow.set_experiment("proxy fluent")
        with mlflow.start_run() as run:
            mlflow.log_text("written by log_text", "texts/hello.txt")
        run_id = run.info.run_id
        loaded = mlflow.artifacts.load_text(f"runs:/{run_id}/texts/hello.txt")
    finally:
        mlflow.set_tracking_uri(None)
    assert loaded == "written by log_text"
    on_disk = run_folder(server, client, run_id) / "texts" / "hello.txt"
    assert on_disk.read_text() == "written by log_text"


def test_a_large_file_streams_both_ways(
    server: ProxyingServer, client: MlflowClient, run_id: str, tmp_path: Path
) -> None:
    large = tmp_path / "weights.bin"
    with large.open("wb") as handle:
        for _ in range(LARGE_BYTES // (1024 * 1024)):
            handle.write(os.urandom(1024 * 1024))
    assert server.process is not None
    before = peak_rss_bytes(server.process.pid)

    client.log_artifact(run_id, str(large), "model")
    back = Path(client.download_artifacts(run_id, "model/weights.bin", str(tmp_path / "back")))

    assert digest(back) == digest(large)
    assert digest(run_folder(server, client, run_id) / "model" / "weights.bin") == digest(large)
    grown = peak_rss_bytes(server.process.pid) - before
    assert grown < LARGE_BYTES // 2, f"the server's peak RSS grew by {grown} bytes"


def test_tuitrack_rest_artifact_store_round_trips_files(
    server: ProxyingServer, tmp_path: Path
) -> None:
    rest = registry.get_tracking_store(server.url, str(tmp_path / "unused"))
    try:
        experiment_id = rest.create_experiment("proxy rest")
        run = rest.create_run(experiment_id)
        artifacts = rest.artifact_store_for(run.info.artifact_uri)
        assert artifacts is not None
        source = tmp_path / "table.csv"
        source.write_text("a,b\n1,2\n")
        artifacts.log_artifact(str(source), "data")
        artifacts.log_bytes(b"raw bytes", "data/raw.bin")

        assert [info.path for info in artifacts.list_artifacts("data")] == [
            "data/raw.bin",
            "data/table.csv",
        ]
        assert artifacts.read_bytes("data/table.csv") == b"a,b\n1,2\n"
        local = Path(artifacts.download_artifacts("data", str(tmp_path / "back")))
        assert (local / "raw.bin").read_bytes() == b"raw bytes"
        on_disk = server.destination / experiment_id / run.info.run_id / "artifacts" / "data"
        assert sorted(p.name for p in on_disk.iterdir()) == ["raw.bin", "table.csv"]

        artifacts.delete_artifacts("data/raw.bin")
        assert not (on_disk / "raw.bin").exists()
        assert [info.path for info in artifacts.list_artifacts("data")] == ["data/table.csv"]
    finally:
        rest.close()


def test_the_tracking_listing_reads_proxied_roots(
    server: ProxyingServer, client: MlflowClient, run_id: str, tmp_path: Path
) -> None:
    note = tmp_path / "listed.txt"
    note.write_text("x")
    client.log_artifact(run_id, str(note), "dir")
    answer = httpx.get(
        f"{server.url}/api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": "dir"}
    ).json()
    assert answer["root_uri"] == client.get_run(run_id).info.artifact_uri
    assert answer["files"] == [{"path": "dir/listed.txt", "is_dir": False, "file_size": 1}]


def test_missing_files_are_404_and_directories_400(server: ProxyingServer, run_id: str) -> None:
    status, body = raw_request(server, "GET", f"{PROXY}/artifacts/1/nothing/here.txt")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert "nothing/here.txt" in body["message"]
    raw_request(server, "PUT", f"{PROXY}/artifacts/folder-test/inner/file.txt", b"x")
    status, body = raw_request(server, "GET", f"{PROXY}/artifacts/folder-test/inner")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "is a directory" in body["message"]


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "a/../../escape.txt",
        "%2e%2e/escape.txt",
        "..%2fescape.txt",
        "%252e%252e%252fescape.txt",
        "/tmp/escape.txt",
        "a%00escape.txt",
        "a%23escape.txt",
    ],
)
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_paths_leaving_the_destination_are_refused(
    server: ProxyingServer, method: str, path: str
) -> None:
    status, body = raw_request(server, method, f"{PROXY}/artifacts/{path}", b"not stored")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
    assert not list(server.root.rglob("*escape*"))
    assert not Path("/tmp/escape.txt").exists()


def test_listings_and_multipart_paths_are_checked(server: ProxyingServer) -> None:
    status, body = raw_request(server, "GET", f"{PROXY}/artifacts?path=..%2F..")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    status, body = raw_request(server, "POST", f"{PROXY}/mpu/create/../x", b"{}")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_multipart_uploads_are_declined_as_mlflows_client_expects(server: ProxyingServer) -> None:
    status, body = raw_request(server, "POST", f"{PROXY}/mpu/create/1/run/artifacts/x", b"{}")
    assert (status, body["error_code"]) == (501, "NOT_IMPLEMENTED")
    from mlflow.exceptions import _UnsupportedMultipartUploadException

    assert body["message"].startswith(_UnsupportedMultipartUploadException.MESSAGE)


def test_without_serving_artifacts_experiments_get_the_plain_root(tmp_path: Path) -> None:
    with ProxyingServer(tmp_path / "plain", serve_artifacts=False) as plain:
        client = MlflowClient(tracking_uri=plain.url)
        experiment_id = client.create_experiment("not proxied")
        location = client.get_experiment(experiment_id).artifact_location
        assert location == f"{plain.artifact_root}/{experiment_id}"
        answer = httpx.get(f"{plain.url}{PROXY}/artifacts/x.txt")
        assert (answer.status_code, answer.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
        assert "--no-serve-artifacts" in answer.json()["message"]


def test_the_store_read_directly_sees_what_the_proxy_wrote(
    server: ProxyingServer, client: MlflowClient, run_id: str
) -> None:
    client.log_text(run_id, "direct", "d.txt")
    store: TrackingStore = server.open_store()
    try:
        root = store.get_run(run_id).info.artifact_uri
        assert root.startswith("mlflow-artifacts:/")
    finally:
        store.close()
    assert (run_folder(server, client, run_id) / "d.txt").read_text() == "direct"


def test_an_interrupted_upload_leaves_nothing(server: ProxyingServer) -> None:
    path = f"{PROXY}/artifacts/interrupted/half.bin"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n"
        connection.sendall(head.encode("ascii") + b"x" * 1000)
    status, body = raw_request(server, "GET", f"{PROXY}/artifacts?path=interrupted")
    assert (status, body.get("files", [])) == (200, [])
    assert not (server.destination / "interrupted").exists()


def test_an_fsspec_url_destination(tmp_path: Path) -> None:
    with ProxyingServer(tmp_path / "memory", destination_uri="memory://proxied") as remote:
        client = MlflowClient(tracking_uri=remote.url)
        run_id = client.create_run(client.create_experiment("in memory")).info.run_id
        note = tmp_path / "kept.txt"
        note.write_text("kept in the server's memory filesystem")
        client.log_artifact(run_id, str(note), "notes")
        assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/kept.txt"]
        back = client.download_artifacts(run_id, "notes/kept.txt", str(tmp_path / "back"))
        assert Path(back).read_text() == note.read_text()
        answer = httpx.get(
            f"{remote.url}/api/2.0/mlflow/artifacts/list", params={"run_id": run_id}
        ).json()
        assert answer["files"] == [{"path": "notes", "is_dir": True}]
        assert not remote.destination.exists()
