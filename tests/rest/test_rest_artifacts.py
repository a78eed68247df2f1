"""The ArtifactStore contract (tuitrack/testing/artifacts.py) on RestArtifactStore over a real
`mlflow server --serve-artifacts` (tests/rest/conftest.py's shared server), the root URI
forms it accepts, and MLflow's own client reading what it wrote and the other way round."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.rest.mlflow_server import MlflowServer
from tuitrack.core import registry
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError, NotFoundError, StoreUnavailableError
from tuitrack.testing.artifacts import *  # noqa: F403
from tuitrack.testing.plugin import source  # noqa: F401  (the contract's local tree)
from tuitrack_rest.artifacts import RestArtifactStore
from tuitrack_rest.connection import RestConnection
from tuitrack_rest.connection_settings import ConnectionSettings

SETTINGS = ConnectionSettings(timeout_seconds=20, max_retries=1, backoff_factor=0.05)
TRAVERSALS = ("../x", "/etc/passwd", "a/../../b", "..\\x", "C:/x", "s3://b/x")


@pytest.fixture(scope="module")
def connection(mlflow_server: MlflowServer) -> Iterator[RestConnection]:
    with RestConnection(mlflow_server.url, SETTINGS) as opened:
        yield opened


@pytest.fixture
def root_path() -> str:
    return f"tests/{uuid.uuid4().hex}/artifacts"


@pytest.fixture
def artifacts(connection: RestConnection, root_path: str) -> RestArtifactStore:
    return RestArtifactStore(f"mlflow-artifacts:/{root_path}", connection)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "TUITRACK_TRACKING_URI",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_files_land_below_the_root_on_the_server(
    artifacts: RestArtifactStore, mlflow_server: MlflowServer, root_path: str
) -> None:
    artifacts.log_bytes(b"abc", "d/f.txt")
    assert (mlflow_server.artifacts_path / root_path / "d" / "f.txt").read_bytes() == b"abc"


def test_registry_opens_a_root_naming_its_server(
    mlflow_server: MlflowServer, root_path: str, clean_environment: pytest.MonkeyPatch
) -> None:
    host = mlflow_server.url.removeprefix("http://")
    store = registry.get_artifact_store(f"mlflow-artifacts://{host}/{root_path}")
    assert isinstance(store, RestArtifactStore)
    assert store.connection.base_url == mlflow_server.url
    store.log_bytes(b"via registry", "r.txt")
    assert store.read_bytes("r.txt") == b"via registry"


def test_a_root_without_a_server_uses_the_tracking_uri(
    mlflow_server: MlflowServer, root_path: str, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    clean_environment.setenv("TUITRACK_TRACKING_URI", f"mlflow+{mlflow_server.url}")
    store = RestArtifactStore(f"mlflow-artifacts:/{root_path}")
    store.log_bytes(b"env", "e.txt")
    assert store.connection.base_url == mlflow_server.url
    assert store.list_artifacts() == [FileInfo("e.txt", False, 3)]


def test_a_root_without_any_server_says_what_to_set(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    with pytest.raises(StoreUnavailableError) as raised:
        RestArtifactStore("mlflow-artifacts:/1/abc/artifacts")
    message = str(raised.value)
    assert "'mlflow-artifacts:/1/abc/artifacts' names no server" in message
    assert "TUITRACK_TRACKING_URI or MLFLOW_TRACKING_URI" in message
    assert "MLFLOW_TRACKING_URI='sqlite:///mlflow.db'" in message


def test_the_proxy_url_is_a_root_too(
    mlflow_server: MlflowServer, artifacts: RestArtifactStore, root_path: str
) -> None:
    artifacts.log_bytes(b"same", "s/x.txt")
    url = f"{mlflow_server.url}/api/2.0/mlflow-artifacts/artifacts/{root_path}"
    by_url = RestArtifactStore(url, artifacts.connection)
    assert by_url.connection is artifacts.connection
    assert by_url.read_bytes("s/x.txt") == b"same"


def test_another_server_gets_its_own_connection(connection: RestConnection) -> None:
    store = RestArtifactStore("mlflow-artifacts://10.1.2.3:5000/1/r/artifacts", connection)
    assert store.connection is not connection
    assert store.connection.base_url == "http://10.1.2.3:5000"
    assert store.connection.settings == connection.settings
    assert store.root_path == "1/r/artifacts"


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/1/r/artifacts",
        "http://host:5000/some/other/path",
        "https://host/api/2.0/mlflow-artifacts/artifactsX/1",
        "mlflow-artifacts:/1/../../etc",
    ],
)
def test_roots_that_are_not_the_proxy_are_refused(uri: str, connection: RestConnection) -> None:
    with pytest.raises(InvalidValueError):
        RestArtifactStore(uri, connection)


@pytest.mark.parametrize("bad_path", TRAVERSALS)
def test_paths_leaving_the_root_are_refused_before_sending(
    artifacts: RestArtifactStore,
    mlflow_server: MlflowServer,
    root_path: str,
    bad_path: str,
    tmp_path: Path,
) -> None:
    artifacts.log_bytes(b"inside", "a/inside.txt")
    before = sorted(mlflow_server.artifacts_path.rglob("*"))
    local = tmp_path / "f.txt"
    local.write_bytes(b"evil")
    calls: dict[str, Callable[[], object]] = {
        "log_artifact": lambda: artifacts.log_artifact(str(local), bad_path),
        "log_bytes": lambda: artifacts.log_bytes(b"evil", bad_path),
        "list_artifacts": lambda: artifacts.list_artifacts(bad_path),
        "open_artifact": lambda: artifacts.open_artifact(bad_path),
        "delete_artifacts": lambda: artifacts.delete_artifacts(bad_path),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidValueError) as raised:
            call()
        assert repr(bad_path) in str(raised.value), name
    assert sorted(mlflow_server.artifacts_path.rglob("*")) == before


@pytest.mark.parametrize(("name", "shown"), [("100%41.txt", "'%41'"), ("a#b.txt", "'#'")])
def test_names_the_proxy_would_change_are_refused(
    artifacts: RestArtifactStore, name: str, shown: str
) -> None:
    with pytest.raises(InvalidValueError, match=shown):
        artifacts.log_bytes(b"x", f"dir/{name}")
    assert artifacts.list_artifacts() == []


def test_a_percent_sign_alone_is_kept(artifacts: RestArtifactStore) -> None:
    artifacts.log_bytes(b"p", "100% done.txt")
    assert artifacts.list_artifacts() == [FileInfo("100% done.txt", False, 1)]
    assert artifacts.read_bytes("100% done.txt") == b"p"


def test_opening_a_directory_says_so(artifacts: RestArtifactStore) -> None:
    artifacts.log_bytes(b"x", "dir/file.txt")
    with pytest.raises(NotFoundError, match=r"'dir' .* is a directory"):
        artifacts.open_artifact("dir")
    with pytest.raises(NotFoundError, match="'dir/missing' does not exist"):
        artifacts.open_artifact("dir/missing")


def test_an_empty_file_has_size_zero(artifacts: RestArtifactStore) -> None:
    artifacts.log_bytes(b"", "empty.txt")
    assert artifacts.list_artifacts() == [FileInfo("empty.txt", False, 0)]
    assert artifacts.read_bytes("empty.txt") == b""


def test_a_large_file_streams_both_ways(artifacts: RestArtifactStore, tmp_path: Path) -> None:
    local = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with local.open("wb") as handle:
        for _ in range(24):
            handle.write(block)
    artifacts.log_artifact(str(local), "big")
    assert artifacts.list_artifacts("big") == [FileInfo("big/big.bin", False, 24 * len(block))]
    with artifacts.open_artifact("big/big.bin") as remote:
        for _ in range(24):
            assert remote.read(len(block)) == block
        assert remote.read() == b""


def test_a_server_that_is_down_gives_one_line(root_path: str) -> None:
    from tests.rest.misbehaving_server import closed_port

    base = f"http://127.0.0.1:{closed_port()}"
    store = RestArtifactStore(
        f"mlflow-artifacts:/{root_path}",
        RestConnection(base, ConnectionSettings(max_retries=0)),
    )
    with pytest.raises(StoreUnavailableError) as raised:
        store.list_artifacts()
    assert str(raised.value) == (
        f"GET {base}/api/2.0/mlflow-artifacts/artifacts?path={root_path.replace('/', '%2F')}: "
        f"connection refused — is the server running at {base}?"
    )


# --- MLflow's own client on the same server ---------------------------------------------


def test_mlflow_client_sees_what_tuitrack_wrote_and_back(
    mlflow_server: MlflowServer,
    connection: RestConnection,
    tmp_path: Path,
    clean_environment: pytest.MonkeyPatch,
) -> None:
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    experiment_id = client.create_experiment(f"artifacts-{uuid.uuid4().hex}")
    run = client.create_run(experiment_id)
    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    store = RestArtifactStore(run.info.artifact_uri, connection)

    store.log_bytes(b"from tuitrack", "ours/note.txt")
    assert [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, "ours")] == [
        ("ours/note.txt", False, 13)
    ]
    local = client.download_artifacts(run_id, "ours/note.txt", str(tmp_path / "mlflow-dl"))
    assert Path(local).read_bytes() == b"from tuitrack"

    theirs = tmp_path / "theirs.txt"
    theirs.write_bytes(b"from mlflow")
    client.log_artifact(run_id, str(theirs), "theirs")
    assert store.list_artifacts() == [FileInfo("ours", True), FileInfo("theirs", True)]
    assert store.list_artifacts("theirs") == [FileInfo("theirs/theirs.txt", False, 11)]
    assert store.read_bytes("theirs/theirs.txt") == b"from mlflow"
