"""RestConnection against real misbehaving HTTP servers: each failure gives one line naming
the method, the URL and what to check (never a credential); retries count the attempts the
server saw; credentials and TLS settings reach the wire; a forked child gets its own client."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rest.misbehaving_server import MisbehavingServer, closed_port
from tests.self_signed import write_self_signed_certificate
from tuitrack.errors import (
    AlreadyExistsError,
    FilterSyntaxError,
    InvalidValueError,
    NotFoundError,
    ParamConflictError,
    ReadOnlyError,
    StoreUnavailableError,
    TuitrackError,
)
from tuitrack_rest.connection import EndpointMissingError, RestConnection
from tuitrack_rest.connection_settings import ConnectionSettings

TOKEN = "s3cr3t-t0ken-value"
PASSWORD = "pa55-w0rd-value"
FAST = ConnectionSettings(
    timeout_seconds=2.0,
    max_retries=3,
    backoff_factor=0.01,
    backoff_max_seconds=2.0,
    retry_deadline_seconds=20.0,
)


def settings(**changes: Any) -> ConnectionSettings:
    return dataclasses.replace(FAST, **changes)


@pytest.fixture
def server() -> Iterator[MisbehavingServer]:
    with MisbehavingServer() as running:
        yield running


@pytest.fixture
def connection(server: MisbehavingServer) -> Iterator[RestConnection]:
    with RestConnection(server.url, FAST) as opened:
        yield opened


def failure(
    connection: RestConnection,
    endpoint: str,
    expected: type[TuitrackError] = StoreUnavailableError,
    method: str = "GET",
    retry: bool = True,
) -> str:
    """The message of the error a call raises; checked to be one line naming the URL."""
    with pytest.raises(expected) as raised:
        connection.call(method, endpoint, retry=retry)
    message = str(raised.value)
    assert "\n" not in message
    assert TOKEN not in message
    assert PASSWORD not in message
    return message


def test_html_page_is_not_mlflow(connection: RestConnection, server: MisbehavingServer) -> None:
    message = failure(connection, "/html-page")
    assert message == (
        f"GET {server.url}/html-page: answered with an HTML page titled 'Welcome', not MLflow "
        f"JSON — is {server.url} an MLflow tracking server? check the tracking URI"
    )


def test_html_error_page(connection: RestConnection, server: MisbehavingServer) -> None:
    message = failure(connection, "/html-error", method="POST", retry=False)
    assert message.startswith(f"POST {server.url}/html-error: 500 Internal Server Error")
    assert "HTML page titled 'Oops'" in message
    assert f"is {server.url} an MLflow tracking server? check the tracking URI" in message


def test_401_without_credentials(connection: RestConnection, server: MisbehavingServer) -> None:
    message = failure(connection, "/status/401")
    assert message.startswith(f"GET {server.url}/status/401: 401 Unauthorized")
    assert "none were sent" in message
    assert "check MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD" in message
    assert "TUITRACK_TRACKING_TOKEN" in message


def test_401_with_a_token_never_shows_it(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(token=TOKEN)) as connection:
        message = failure(connection, "/status/401")
    assert "refused the credentials sent" in message
    assert "MLFLOW_TRACKING_TOKEN" in message


def test_403(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(username="ann", password=PASSWORD)) as connection:
        message = failure(connection, "/status/403")
    assert message.startswith(f"GET {server.url}/status/403: 403 Forbidden")
    assert "not allowed to do this" in message
    assert "MLFLOW_TRACKING_USERNAME/PASSWORD" in message


@pytest.mark.parametrize("endpoint", ["/missing", "/status/405", "/status/501"])
def test_endpoint_missing(
    connection: RestConnection, server: MisbehavingServer, endpoint: str
) -> None:
    message = failure(connection, endpoint, EndpointMissingError)
    assert message.startswith(f"GET {server.url}{endpoint}: ")
    assert "the server has no such endpoint" in message
    assert "check the tracking URI" in message


def test_redirect_names_where_to(connection: RestConnection, server: MisbehavingServer) -> None:
    message = failure(connection, "/redirect")
    assert message == (
        f"GET {server.url}/redirect: 301 Moved Permanently: it redirects to "
        "https://tracking.example.com/ — set the tracking URI to the address it redirects to"
    )


def test_invalid_json(connection: RestConnection, server: MisbehavingServer) -> None:
    message = failure(connection, "/invalid-json")
    assert message.startswith(f"GET {server.url}/invalid-json: answered 200 with invalid JSON")
    assert "'{\"runs\": [unfinished'" in message
    assert "check the tracking URI" in message


def test_timeout_names_the_variable(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(timeout_seconds=0.2, max_retries=0)) as connection:
        message = failure(connection, "/slow/1")
    assert message.startswith(f"GET {server.url}/slow/1: no answer within 0.2 s")
    assert "TUITRACK_HTTP_TIMEOUT_SECONDS" in message


def test_timeouts_are_retried_only_when_idempotent(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(timeout_seconds=0.2, max_retries=2)) as connection:
        failure(connection, "/slow/0.6")
        assert server.hits("/slow/0.6") == 3
        failure(connection, "/slow/0.5", method="POST", retry=False)
        assert server.hits("/slow/0.5") == 1


def test_connection_refused() -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    with RestConnection(base, settings(max_retries=2)) as connection:
        started = time.monotonic()
        message = failure(connection, "/api/2.0/mlflow/runs/get", method="GET")
    assert message == (
        f"GET {base}/api/2.0/mlflow/runs/get: connection refused after 3 attempts — "
        f"is the server running at {base}?"
    )
    assert time.monotonic() - started < 5


def test_connection_refused_is_retried_even_when_not_idempotent() -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    with RestConnection(base, settings(max_retries=1)) as connection:
        message = failure(connection, "/api/2.0/mlflow/runs/create", method="POST", retry=False)
    assert "connection refused after 2 attempts" in message


def test_retries_until_success(connection: RestConnection, server: MisbehavingServer) -> None:
    assert connection.call("GET", "/flaky/2/503") == {"ok": True, "hits": 3}
    assert connection.call("GET", "/flaky/1/500") == {"ok": True, "hits": 2}
    assert connection.call("POST", "/flaky/3/502", body={}) == {"ok": True, "hits": 4}
    assert server.hits("/flaky/2/503") == 3


def test_retries_give_up(connection: RestConnection, server: MisbehavingServer) -> None:
    message = failure(connection, "/flaky/99/504")
    assert server.hits("/flaky/99/504") == FAST.max_retries + 1
    assert message.startswith(
        f"GET {server.url}/flaky/99/504: 504 Gateway Timeout after 4 attempts ('try again')"
    )
    assert "see its log" in message


def test_retry_deadline_stops_early(server: MisbehavingServer) -> None:
    patient = settings(max_retries=50, backoff_factor=0.2, retry_deadline_seconds=0.5)
    with RestConnection(server.url, patient) as connection:
        started = time.monotonic()
        failure(connection, "/flaky/99/503")
    assert time.monotonic() - started < 3
    assert 1 < server.hits("/flaky/99/503") < 10


def test_not_idempotent_is_not_retried(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    message = failure(connection, "/flaky/1/500", method="POST", retry=False)
    assert server.hits("/flaky/1/500") == 1
    assert "500 Internal Server Error ('try again')" in message
    failure(connection, "/flaky/1/503", method="POST", retry=False)
    assert server.hits("/flaky/1/503") == 1


def test_retry_after_is_honoured(connection: RestConnection, server: MisbehavingServer) -> None:
    started = time.monotonic()
    assert connection.call("GET", "/rate-limited/1") == {"ok": True}
    assert server.hits("/rate-limited/1") == 2
    # FAST's own backoff is 10 ms; the server asked for a second.
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("RESOURCE_DOES_NOT_EXIST", 404, NotFoundError),
        ("RESOURCE_ALREADY_EXISTS", 400, AlreadyExistsError),
        ("INVALID_PARAMETER_VALUE", 400, InvalidValueError),
        ("BAD_REQUEST", 400, InvalidValueError),
        ("INVALID_STATE", 500, ReadOnlyError),
        ("ENDPOINT_NOT_FOUND", 404, EndpointMissingError),
    ],
)
def test_mlflow_error_codes(
    connection: RestConnection,
    server: MisbehavingServer,
    code: str,
    status: int,
    expected: type[TuitrackError],
) -> None:
    endpoint = f"/mlflow-error/{code}?status={status}&message=Run+abc+not+found"
    with pytest.raises(expected) as raised:
        connection.call("GET", endpoint)
    if expected is not EndpointMissingError:
        assert str(raised.value) == "Run abc not found"
    # A final answer is not asked again, even with a retry status.
    assert server.hits(f"/mlflow-error/{code}") == 1


def test_mlflow_internal_error_is_retried_then_one_line(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    message = failure(connection, "/mlflow-error/INTERNAL_ERROR?status=500&message=db%0Alocked")
    assert server.hits("/mlflow-error/INTERNAL_ERROR") == FAST.max_retries + 1
    assert message == (
        f"GET {server.url}/mlflow-error/INTERNAL_ERROR?status=500&message=db%0Alocked: "
        "500 Internal Server Error after 4 attempts (INTERNAL_ERROR: db locked) — the server "
        f"at {server.url} failed; see its log, or try again later"
    )


def test_a_secret_the_server_repeats_is_hidden(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(token=TOKEN, max_retries=0)) as connection:
        message = failure(connection, f"/mlflow-error/INTERNAL_ERROR?status=500&message={TOKEN}")
    assert "INTERNAL_ERROR: ***" in message


def test_write_to_a_deleted_run_is_read_only(connection: RestConnection) -> None:
    # MLflow's wording (sqlalchemy_store.py) for a write to a deleted run.
    text = "The run abc must be in the 'active' state. Current state is deleted."
    with pytest.raises(ReadOnlyError, match="must be in the 'active' state"):
        connection.call("POST", "/mlflow-error/INVALID_PARAMETER_VALUE", params={"message": text})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # MLflow renaming an experiment to a taken name (SQLite's and PostgreSQL's words).
        (
            "(sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, "
            "experiments.name",
            AlreadyExistsError,
        ),
        (
            'duplicate key value violates unique constraint "experiments_name_key"',
            AlreadyExistsError,
        ),
        # MLflow's answer for an experiment id that is not a number: no experiment has it.
        (
            "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.",
            NotFoundError,
        ),
    ],
)
def test_mlflow_wording_refines_invalid_parameter_value(
    connection: RestConnection, text: str, expected: type[TuitrackError]
) -> None:
    with pytest.raises(expected):
        connection.call("POST", "/mlflow-error/INVALID_PARAMETER_VALUE", params={"message": text})


@pytest.mark.parametrize(
    "text",
    [
        # MLflow's wording for one param (log_param) and for a batch (log_batch).
        "Changing param values is not allowed. Param with key='lr' was already logged with "
        "value='0.1' for run ID='abc'. Attempted logging new value '0.2'.",
        "Changing param values is not allowed. Params were already logged="
        "'[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.2'}]' for run ID='abc'.",
        # tuitrack's own server sends its ParamConflictError's message.
        str(ParamConflictError("abc", "lr", "0.1", "0.2")),
    ],
)
def test_changed_param_is_a_param_conflict(connection: RestConnection, text: str) -> None:
    with pytest.raises(ParamConflictError) as raised:
        connection.call("POST", "/mlflow-error/INVALID_PARAMETER_VALUE", params={"message": text})
    conflict = raised.value
    assert (conflict.run_id, conflict.key, conflict.old_value, conflict.new_value) == (
        "abc",
        "lr",
        "0.1",
        "0.2",
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ReadOnlyError", ReadOnlyError),
        ("FilterSyntaxError", FilterSyntaxError),
        ("NotFoundError", NotFoundError),
        ("InvalidValueError", InvalidValueError),
        ("NoSuchClass", InvalidValueError),
    ],
)
def test_a_tuitrack_server_names_its_error_class(
    connection: RestConnection, name: str, expected: type[TuitrackError]
) -> None:
    params = {"message": "run abc is deleted", "tuitrack_error": name}
    with pytest.raises(expected, match=r"^run abc is deleted$") as raised:
        connection.call("POST", "/mlflow-error/INVALID_PARAMETER_VALUE", params=params)
    assert type(raised.value) is expected


def test_a_tuitrack_server_names_a_param_conflict(connection: RestConnection) -> None:
    text = str(ParamConflictError("abc", "lr", "0.1", "0.2"))
    params = {"message": text, "tuitrack_error": "ParamConflictError"}
    with pytest.raises(ParamConflictError) as raised:
        connection.call("POST", "/mlflow-error/INVALID_PARAMETER_VALUE", params=params)
    assert str(raised.value) == text


def test_query_lists_repeat_the_key_and_body_is_json(
    connection: RestConnection,
) -> None:
    echoed = connection.call(
        "POST",
        "/echo",
        params={"run_ids": ["a", "b"], "flag": True, "gone": None, "n": 3},
        body={"x": [1, 2]},
    )
    assert echoed["query"] == "run_ids=a&run_ids=b&flag=true&n=3"
    assert echoed["method"] == "POST"
    assert echoed["body"] == '{"x":[1,2]}' or echoed["body"] == '{"x": [1, 2]}'


def test_bearer_token(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(token=TOKEN)) as connection:
        assert connection.call("GET", "/echo")["authorization"] == f"Bearer {TOKEN}"


def test_basic_auth(server: MisbehavingServer) -> None:
    with RestConnection(server.url, settings(username="ann", password=PASSWORD)) as connection:
        expected = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
        assert connection.call("GET", "/echo")["authorization"] == f"Basic {expected}"


def test_credentials_in_the_url_are_basic_auth(server: MisbehavingServer) -> None:
    host = server.url.removeprefix("http://")
    with RestConnection(f"mlflow+http://ann:{PASSWORD}@{host}/", FAST) as connection:
        assert connection.base_url == server.url
        expected = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
        assert connection.call("GET", "/echo")["authorization"] == f"Basic {expected}"
        assert PASSWORD not in failure(connection, "/status/401")


def test_no_credentials_sends_no_authorization(connection: RestConnection) -> None:
    assert connection.call("GET", "/echo")["authorization"] is None


def test_environment_tuitrack_wins_over_mlflow(server: MisbehavingServer) -> None:
    environ = {
        "MLFLOW_TRACKING_TOKEN": "mlflow-token",
        "TUITRACK_TRACKING_TOKEN": TOKEN,
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "7",
        "TUITRACK_HTTP_TIMEOUT_SECONDS": "3.5",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "9",
        "MLFLOW_TRACKING_INSECURE_TLS": "true",
        "TUITRACK_TRACKING_INSECURE_TLS": "false",
    }
    read = ConnectionSettings.from_environment(environ)
    assert (read.token, read.timeout_seconds, read.max_retries, read.insecure_tls) == (
        TOKEN,
        3.5,
        9,
        False,
    )
    with RestConnection(server.url, read) as connection:
        assert connection.call("GET", "/echo")["authorization"] == f"Bearer {TOKEN}"


def test_environment_basic_auth_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("MLFLOW_", "TUITRACK_")):
            monkeypatch.delenv(name)
    assert ConnectionSettings.from_environment() == ConnectionSettings()
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ann")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "mlflow-password")
    monkeypatch.setenv("TUITRACK_TRACKING_PASSWORD", PASSWORD)
    read = ConnectionSettings.from_environment()
    assert (read.username, read.password) == ("ann", PASSWORD)
    assert PASSWORD not in repr(read)


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("TUITRACK_HTTP_TIMEOUT_SECONDS", "abc", "a number of seconds, greater than 0"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "-1", "a number of seconds, greater than 0"),
        ("TUITRACK_HTTP_MAX_RETRIES", "2.5", "a whole number, 0 or more"),
        ("TUITRACK_HTTP_BACKOFF_FACTOR", "nan", "a number of seconds, 0 or more"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "maybe", "true or false"),
        ("MLFLOW_TRACKING_SERVER_CERT_PATH", "/no/such/ca.pem", "an existing PEM file"),
    ],
)
def test_bad_environment_values(name: str, value: str, allowed: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        ConnectionSettings.from_environment({name: value})
    message = str(raised.value)
    assert f"{name}={value!r}" in message
    assert allowed in message


def test_username_without_password_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="MLFLOW_TRACKING_PASSWORD"):
        ConnectionSettings.from_environment({"MLFLOW_TRACKING_USERNAME": "ann"})


@pytest.mark.parametrize("url", ["ftp://host/x", "host:5000", "http://", "sqlite:///x.db"])
def test_bad_base_url(url: str) -> None:
    with pytest.raises(InvalidValueError, match="http"):
        RestConnection(url, FAST)


def test_upload_and_download_stream(connection: RestConnection, server: MisbehavingServer) -> None:
    payload = bytes(range(256)) * 10_000
    connection.upload("/files/run/blob.bin", io.BytesIO(payload))
    assert server.files["run/blob.bin"] == payload
    assert server.last_headers["Content-Length"] == str(len(payload))
    with connection.download("/files/run/blob.bin") as handle:
        assert handle.read(10) == payload[:10]
        assert handle.read() == payload[10:]


def test_upload_of_an_unseekable_source(
    connection: RestConnection, server: MisbehavingServer, tmp_path: Path
) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped bytes")
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as pipe:
        connection.upload("/files/piped", pipe)
    assert server.files["piped"] == b"piped bytes"


def test_a_seekable_upload_is_sent_again_whole(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    source = io.BytesIO(b"header|" + b"payload" * 1000)
    source.seek(len(b"header|"))
    connection.upload("/flaky-files/2/run/p.bin", source)
    assert server.hits("/flaky-files/2/run/p.bin") == 3
    assert server.files["run/p.bin"] == b"payload" * 1000


def test_an_unseekable_upload_is_not_sent_twice(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"once")
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as pipe, pytest.raises(StoreUnavailableError) as raised:
        connection.upload("/flaky-files/1/piped", pipe)
    assert server.hits("/flaky-files/1/piped") == 1
    assert str(raised.value).startswith(
        f"PUT {server.url}/flaky-files/1/piped: 503 Service Unavailable ('busy')"
    )


def test_download_missing_file(connection: RestConnection) -> None:
    with pytest.raises(NotFoundError, match=r"No such artifact: 'nope\.txt'"):
        connection.download("/files/nope.txt")
    with pytest.raises(NotFoundError, match="404"):
        connection.download("/missing/file.txt")


def test_download_failure_is_one_line(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    with pytest.raises(StoreUnavailableError) as raised:
        connection.download("/status/401")
    assert str(raised.value).startswith(f"GET {server.url}/status/401: 401 Unauthorized")


def test_a_download_cut_short_is_one_line(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    with (
        connection.download("/truncated") as handle,
        pytest.raises(StoreUnavailableError) as raised,
    ):
        handle.read()
    message = str(raised.value)
    assert message.startswith(f"GET {server.url}/truncated: the connection broke")
    assert "\n" not in message


def test_threads_share_one_connection(connection: RestConnection) -> None:
    answers: list[object] = []

    def work() -> None:
        for _ in range(10):
            answers.append(connection.call("GET", "/echo")["method"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["GET"] * 80


def test_forked_child_gets_its_own_client(
    connection: RestConnection, server: MisbehavingServer
) -> None:
    assert connection.call("GET", "/echo")["method"] == "GET"
    parent_client = connection.client
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only when its own client worked
        code = 1
        try:
            fresh = connection.client is not parent_client
            ok = connection.call("POST", "/echo", body={"child": True})["method"] == "POST"
            code = 0 if fresh and ok else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert connection.client is parent_client
    assert connection.call("GET", "/echo")["method"] == "GET"
    assert server.hits("/echo") == 3


# --- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    pytest.importorskip("cryptography.x509")
    return write_self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(self_signed: tuple[Path, Path]) -> Iterator[MisbehavingServer]:
    with MisbehavingServer(tls=self_signed) as running:
        yield running


def test_tls_verification_failure_names_the_variables(
    tls_server: MisbehavingServer,
) -> None:
    with RestConnection(tls_server.url, FAST) as connection:
        message = failure(connection, "/echo")
    assert message.startswith(f"GET {tls_server.url}/echo: TLS certificate verification failed")
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in message
    assert "MLFLOW_TRACKING_INSECURE_TLS=true" in message
    # A certificate that does not verify is not tried again.
    assert tls_server.hits("/echo") == 0


def test_insecure_tls_flag_reaches_httpx(tls_server: MisbehavingServer) -> None:
    read = ConnectionSettings.from_environment({"MLFLOW_TRACKING_INSECURE_TLS": "true"})
    with RestConnection(tls_server.url, read) as connection:
        assert connection.call("GET", "/echo")["method"] == "GET"


def test_server_cert_path_reaches_httpx(
    tls_server: MisbehavingServer, self_signed: tuple[Path, Path]
) -> None:
    read = ConnectionSettings.from_environment(
        {"TUITRACK_TRACKING_SERVER_CERT_PATH": str(self_signed[0])}
    )
    with RestConnection(tls_server.url, read) as connection:
        assert connection.call("GET", "/echo")["method"] == "GET"
