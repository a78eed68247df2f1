"""`tuitrack server --auth` and TLS, on real server subprocesses: every route of the app
walked without a token, with a read-only token (nothing written) and with a read-write one;
MLflow's client and tuitrack's REST client authenticating with their usual variables; HTTPS
with a self-signed certificate; the token file and its command line."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.self_signed import write_self_signed_certificate
from tests.server.tuitrack_server import TuitrackServer
from tuitrack.cli.main import main
from tuitrack.core import registry
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric
from tuitrack.server import auth
from tuitrack.server.app import create_app
from tuitrack.server.security import check_exposure
from tuitrack.server.tokens import Scope, TokenFile, digest

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

Row = tuple[str, str]  # (method, path template)


class AuthServer(TuitrackServer):
    """A `tuitrack server --auth` over a token file, optionally serving HTTPS."""

    def __init__(
        self,
        root: Path,
        token_file: Path,
        tls: tuple[Path, Path] | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        super().__init__(root)
        self.token_file = token_file
        self.tls = tls
        self.options = options
        if tls is not None:
            self.url = f"https://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        options = ["--auth", "--auth-file", str(self.token_file)]
        if self.tls is not None:
            options += ["--ssl-certfile", str(self.tls[0]), "--ssl-keyfile", str(self.tls[1])]
        return [*super().command(), *options, *self.options]

    def wait_until_ready(self) -> None:
        if self.tls is None:
            super().wait_until_ready()
            return
        verify = ssl.create_default_context(cafile=str(self.tls[0]))
        deadline = time.monotonic() + self.start_timeout_seconds
        while time.monotonic() < deadline and self.is_running():
            try:
                if httpx.get(f"{self.url}/health", verify=verify, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise self.error_type(f"{self.name} did not start; its log ends with:\n{self.log_tail()}")


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> TokenFile:
    return TokenFile(tmp_path_factory.mktemp("tokens") / "server-tokens.toml")


@pytest.fixture(scope="module")
def reader(token_file: TokenFile) -> str:
    return token_file.add("reader", Scope.READ)


@pytest.fixture(scope="module")
def writer(token_file: TokenFile) -> str:
    return token_file.add("writer", Scope.WRITE)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, token_file: TokenFile, reader: str, writer: str
) -> Iterator[AuthServer]:
    with AuthServer(tmp_path_factory.mktemp("auth-server"), token_file.path) as running:
        yield running


@pytest.fixture(scope="module")
def store(server: AuthServer) -> Iterator[TrackingStore]:
    opened = server.open_store()
    yield opened
    opened.close()


def app_routes(tmp_path: Path) -> list[Row]:
    """Every (method, path) the app serves, HEAD aside (it is GET's)."""
    store = registry.get_tracking_store(f"sqlite:///{tmp_path / 'routes.db'}", str(tmp_path))
    try:
        app = create_app(store, None, str(tmp_path / "proxied"))
    finally:
        store.close()
    rows = []
    for route in app.routes:
        path = auth.route_path(route)
        assert path is not None, route
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                rows.append((method, path))
    return rows


def snapshot(server: AuthServer, store: TrackingStore) -> dict[str, list[str]]:
    """Every row of every table of the server's SQLite store, and every file its artifact
    proxy keeps."""
    from tuitrack_sql import schema

    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        rows = {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in schema.metadata.sorted_tables
        }
    artifacts = Path(server.artifact_root)
    files = sorted(str(path) for path in artifacts.rglob("*")) if artifacts.exists() else []
    return rows | {"artifact files": files}


def walk(
    http: httpx.Client, rows: list[Row], experiment_id: str, run_id: str
) -> dict[Row, httpx.Response]:
    """Each route asked once, with fields that would make a writing route write."""
    body: dict[str, Any] = {
        "experiment_id": experiment_id,
        "experiment_ids": [experiment_id],
        "run_id": run_id,
        "run_ids": [run_id],
        "name": "walked",
        "new_name": "walked-renamed",
        "experiment_name": "walked",
        "key": "walked",
        "value": "1",
        "timestamp": 1,
        "step": 0,
        "metric_key": "acc",
        "metrics": [{"key": "walked", "value": 1.0, "timestamp": 1, "step": 0}],
        "params": [{"key": "walked", "value": "1"}],
        "tags": [{"key": "walked", "value": "1"}],
    }
    query = {k: v for k, v in body.items() if isinstance(v, str)} | {"run_ids": run_id}
    answers = {}
    for method, template in rows:
        path = template.replace("{path:path}", "walked/file.txt")
        if method == "GET":
            answers[method, template] = http.get(path, params=query)
        else:
            answers[method, template] = http.request(method, path, json=body)
    return answers


@pytest.fixture
def seeded(store: TrackingStore) -> tuple[str, str]:
    experiment_id = store.create_experiment(f"seeded-{time.monotonic_ns()}")
    run = store.create_run(experiment_id)
    store.log_batch(run.info.run_id, metrics=[Metric(key="acc", value=0.5, timestamp=1)])
    return experiment_id, run.info.run_id


def test_every_route_of_the_app_is_classified_and_nothing_else(tmp_path: Path) -> None:
    rows = app_routes(tmp_path)
    assert [row for row in rows if auth.access_of(*row) is None] == []
    assert set(auth.ROUTE_ACCESS) - set(rows) == set()
    assert auth.access_of("GET", "/health") is auth.Access.OPEN


def test_every_route_but_health_refuses_a_request_without_a_token(
    server: AuthServer, tmp_path: Path, store: TrackingStore, seeded: tuple[str, str]
) -> None:
    rows = app_routes(tmp_path)
    before = snapshot(server, store)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answers = walk(http, rows, *seeded)
        answers["GET", "/nowhere"] = http.get("/nowhere")
        answers["POST", "/health"] = http.post("/health")
    for row, answer in answers.items():
        if row == ("GET", "/health"):
            assert answer.status_code == 200
            continue
        assert answer.status_code == 401, (row, answer.text)
        assert answer.json()["error_code"] == "UNAUTHENTICATED"
        assert "MLFLOW_TRACKING_TOKEN" in answer.json()["message"]
        assert answer.headers.get_list("www-authenticate") == [
            'Bearer realm="tuitrack"',
            'Basic realm="tuitrack"',
        ]
    assert snapshot(server, store) == before


def test_a_read_only_token_reads_and_is_refused_every_write(
    server: AuthServer, tmp_path: Path, store: TrackingStore, seeded: tuple[str, str], reader: str
) -> None:
    rows = app_routes(tmp_path)
    before = snapshot(server, store)
    headers = {"Authorization": f"Bearer {reader}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as http:
        answers = walk(http, rows, *seeded)
        missing = http.get("/nowhere")
    assert missing.status_code == 404
    for row, answer in answers.items():
        if auth.access_of(*row) is auth.Access.WRITE:
            assert answer.status_code == 403, (row, answer.text)
            assert answer.json()["error_code"] == "PERMISSION_DENIED"
            assert "'reader' is read-only" in answer.json()["message"]
        else:
            assert answer.status_code not in (401, 403, 500), (row, answer.text)
    assert answers["GET", "/api/2.0/mlflow/runs/get"].status_code == 200
    assert answers["POST", "/api/2.0/mlflow/runs/search"].status_code == 200
    assert snapshot(server, store) == before


def test_a_read_write_token_reaches_every_route_as_http_basic(
    server: AuthServer, tmp_path: Path, store: TrackingStore, seeded: tuple[str, str], writer: str
) -> None:
    rows = app_routes(tmp_path)
    before = snapshot(server, store)
    with httpx.Client(base_url=server.url, timeout=30, auth=("writer", writer)) as http:
        answers = walk(http, rows, *seeded)
    for row, answer in answers.items():
        assert answer.status_code not in (401, 403), (row, answer.text)
    assert answers["POST", "/api/2.0/mlflow/runs/log-batch"].status_code == 200
    assert snapshot(server, store) != before


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer tuitrack_not-a-token",
        "Digest username=reader",
        "Basic !!!",
        "Basic cmVhZGVy",  # "reader", no colon
    ],
)
def test_wrong_credentials_are_refused(server: AuthServer, authorization: str) -> None:
    answer = httpx.get(
        f"{server.url}/api/2.0/tuitrack/capabilities", headers={"Authorization": authorization}
    )
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "UNAUTHENTICATED"


def test_basic_credentials_need_the_tokens_own_name(
    server: AuthServer, reader: str, writer: str
) -> None:
    url = f"{server.url}/api/2.0/mlflow/experiments/search"
    assert httpx.post(url, json={}, auth=("reader", reader)).status_code == 200
    refused = httpx.post(url, json={}, auth=("writer", reader))
    assert refused.status_code == 401
    assert "HTTP basic user 'writer'" in refused.json()["message"]
    assert reader not in refused.text


def test_a_token_added_or_removed_counts_at_once(server: AuthServer, token_file: TokenFile) -> None:
    url = f"{server.url}/api/2.0/tuitrack/capabilities"
    added = token_file.add("short-lived", Scope.READ)
    bearer = {"Authorization": f"Bearer {added}"}
    assert httpx.get(url, headers=bearer).status_code == 200
    token_file.remove("short-lived")
    assert httpx.get(url, headers=bearer).status_code == 401


def log_with_mlflow(url: str, name: str) -> tuple[str, str]:
    client = MlflowClient(tracking_uri=url)
    experiment_id = client.create_experiment(name)
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "loss", 0.25, step=3)
    client.log_param(run.info.run_id, "lr", "0.1")
    client.set_terminated(run.info.run_id)
    return experiment_id, run.info.run_id


def test_mlflow_client_authenticates_with_its_bearer_token(
    server: AuthServer, store: TrackingStore, writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", writer)
    _, run_id = log_with_mlflow(server.url, "mlflow-bearer")
    run = store.get_run(run_id)
    assert (run.data.metrics, run.data.params) == ({"loss": 0.25}, {"lr": "0.1"})


def test_mlflow_client_authenticates_with_username_and_password(
    server: AuthServer, store: TrackingStore, writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "writer")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", writer)
    _, run_id = log_with_mlflow(server.url, "mlflow-basic")
    assert store.get_run(run_id).data.metrics == {"loss": 0.25}


def test_mlflow_client_is_told_what_its_token_may_not_do(
    server: AuthServer, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", reader)
    client = MlflowClient(tracking_uri=server.url)
    assert client.search_experiments() is not None
    with pytest.raises(MlflowException) as refused:
        client.create_experiment("not with a read-only token")
    assert refused.value.error_code == "PERMISSION_DENIED"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tuitrack_wrong")
    with pytest.raises(MlflowException) as unknown:
        client.search_experiments()
    assert unknown.value.error_code == "UNAUTHENTICATED"


def test_tuitrack_rest_client_authenticates_with_its_token(
    server: AuthServer,
    store: TrackingStore,
    writer: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUITRACK_TRACKING_TOKEN", writer)
    remote = registry.get_tracking_store(server.url, str(tmp_path))
    try:
        experiment_id = remote.create_experiment("tuitrack-rest-token")
        run = remote.create_run(experiment_id)
        remote.log_batch(run.info.run_id, metrics=[Metric(key="acc", value=0.9, timestamp=1)])
        assert remote.search_runs([experiment_id], "metrics.acc > 0.5")[0].info.run_id == (
            run.info.run_id
        )
    finally:
        remote.close()
    assert store.get_run(run.info.run_id).data.metrics == {"acc": 0.9}


def test_the_token_file_keeps_digests_only(token_file: TokenFile, reader: str, writer: str) -> None:
    text = token_file.path.read_text()
    assert reader not in text
    assert writer not in text
    assert digest(reader) in text
    assert digest(writer) in text
    assert token_file.path.stat().st_mode & 0o077 == 0


def test_every_worker_checks_tokens(
    tmp_path: Path, token_file: TokenFile, reader: str, writer: str
) -> None:
    with AuthServer(tmp_path / "workers", token_file.path, options=("--workers", "2")) as server:
        url = f"{server.url}/api/2.0/mlflow/experiments/create"
        for _ in range(6):  # spread over both workers
            assert httpx.post(url, json={"name": "x"}).status_code == 401
            assert httpx.post(url, json={"name": "x"}, auth=("reader", reader)).status_code == 403
        for index in range(6):
            created = httpx.post(url, json={"name": f"w{index}"}, auth=("writer", writer))
            assert created.status_code == 200, created.text


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, and its key."""
    return write_self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_clients_log_over_https_with_the_servers_certificate(
    tmp_path: Path,
    token_file: TokenFile,
    writer: str,
    self_signed: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with AuthServer(tmp_path / "tls-server", token_file.path, tls=self_signed) as server:
        assert server.url.startswith("https://")
        with pytest.raises(httpx.ConnectError):  # not trusted without the certificate
            httpx.get(f"{server.url}/health")
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(self_signed[0]))
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", writer)
        _, run_id = log_with_mlflow(server.url, "over-tls")
        remote = registry.get_tracking_store(server.url, str(tmp_path / "artifacts"))
        try:
            assert remote.get_run(run_id).data.metrics == {"loss": 0.25}
        finally:
            remote.close()


# --- options -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_a_non_loopback_host_needs_auth_or_insecure_no_auth(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--host", host, "--port", "5999"]) == 1
    message = capsys.readouterr().err
    assert f"--host {host!r} is not a loopback address" in message
    assert "--auth" in message
    assert "--insecure-no-auth" in message
    check_exposure(host, auth=True, insecure_no_auth=False)
    check_exposure(host, auth=False, insecure_no_auth=True)


def test_auth_without_any_token_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "none.toml"
    assert main(["server", "--auth", "--auth-file", str(empty), "--port", "5999"]) == 1
    assert "holds no token" in capsys.readouterr().err
    assert main(["server", "--auth-file", str(empty), "--port", "5999"]) == 1
    assert "only with --auth" in capsys.readouterr().err
    assert main(["server", "--ssl-keyfile", str(empty), "--port", "5999"]) == 1
    assert "needs --ssl-certfile" in capsys.readouterr().err


def test_token_commands_add_list_and_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["server", "token", "add", "ci", "--scope", "write"]) == 0
    token = capsys.readouterr().out.strip()
    assert TokenFile(tmp_path / "tuitrack" / "server-tokens.toml").find(token) is not None
    other = str(tmp_path / "other.toml")
    assert main(["server", "token", "add", "viewer", "--auth-file", other]) == 0
    capsys.readouterr()
    assert main(["server", "--auth-file", other, "token", "list"]) == 0
    assert capsys.readouterr().out.split("\t")[:2] == ["viewer", "read"]
    assert main(["server", "token", "add", "ci"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["server", "token", "add", "a:b"]) == 1
    assert "token name 'a:b' is not allowed" in capsys.readouterr().err
    assert main(["server", "token", "remove", "ci"]) == 0
    assert main(["server", "token", "remove", "ci"]) == 1
    assert "no token named 'ci'" in capsys.readouterr().err
