"""One keep-alive HTTP connection to a tracking server: JSON calls, streamed uploads and
downloads, retries with backoff, credentials and TLS from ConnectionSettings.

Thread-safe (httpx.Client is); fork-safe: a process forked from one that used the
connection gets a client of its own on its first request.
"""

from __future__ import annotations

import dataclasses
import email.utils
import io
import json
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import certifi
import httpx
import tenacity

from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack_rest.answers import (
    EndpointMissingError,
    Exchange,
    error_for_answer,
    error_for_exception,
    is_tls_failure,
    json_answer,
)
from tuitrack_rest.connection_settings import ConnectionSettings

__all__ = ["EndpointMissingError", "RestConnection"]

Params = Mapping[str, Any]

# Answers that ask for the same request again (MLflow's client retries the same ones).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# MLflow error codes that say the server is (temporarily) failing; with any other code, an
# error answer is final, whatever its status (MLflow answers INVALID_STATE with a 500).
_PASSING_CODES = frozenset({"INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED"})
_UPLOAD_CHUNK_BYTES = 1024 * 1024
_DOWNLOAD_CHUNK_BYTES = 1024 * 1024
# Errors after which the request may have reached the server: retried only when it is
# idempotent. A connect error or connect timeout means nothing was sent.
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


class _RetryableAnswer(Exception):
    """An answer with a retry status that asks for the request again; its body is read."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class RestConnection:
    """Requests to one server at `base_url` ("http(s)://host:port[/prefix]").

    A "mlflow+" prefix on the scheme is dropped; user:password in the URL is used as HTTP
    basic auth when the settings name no credentials. Raises InvalidValueError for a URL
    that is not http(s).
    """

    def __init__(self, base_url: str, settings: ConnectionSettings | None = None) -> None:
        settings = settings if settings is not None else ConnectionSettings.from_environment()
        self.base_url, settings = _clean_base_url(base_url, settings)
        self.settings = settings
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._client_pid = 0

    def __repr__(self) -> str:
        return f"RestConnection({self.base_url!r})"

    def url(self, endpoint: str) -> str:
        """The full URL of `endpoint` ("/api/2.0/...") on this server."""
        return self.base_url + "/" + endpoint.lstrip("/")

    # -- the requests ------------------------------------------------------------------

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        """Send a JSON request and return the JSON object answered.

        `params` go in the query string (a list value repeats the key); `body` is sent as
        JSON. With retry=False (a request that must not happen twice) only a request that
        certainly did not reach the server is sent again.
        Raises the tuitrack error of an MLflow error body, else StoreUnavailableError
        (EndpointMissingError for an endpoint the server lacks).
        """
        method = method.upper()

        def build(client: httpx.Client) -> httpx.Request:
            return client.build_request(
                method, self.url(endpoint), params=_query(params), json=body
            )

        response, exchange = self._exchange(method, endpoint, build, retry=retry)
        return json_answer(response, exchange)

    def delete(self, endpoint: str, *, params: Params | None = None) -> dict[str, Any]:
        """DELETE `endpoint` (retried: deleting is idempotent); the JSON answered."""
        return self.call("DELETE", endpoint, params=params)

    def upload(self, endpoint: str, source: IO[bytes], *, content_type: str | None = None) -> None:
        """PUT the rest of `source` to `endpoint`, streamed in chunks.

        A seekable source is rewound and sent again on retries; one that is not is only
        sent again when the first attempt never reached the server.
        """
        start = _tell(source)
        length = None if start is None else _remaining(source, start)
        headers = {"Content-Type": content_type or "application/octet-stream"}
        if length is not None:
            headers["Content-Length"] = str(length)

        def build(client: httpx.Client) -> httpx.Request:
            if start is not None:
                source.seek(start)
            return client.build_request(
                "PUT", self.url(endpoint), content=_chunks(source), headers=headers
            )

        response, exchange = self._exchange("PUT", endpoint, build, retry=start is not None)
        json_answer(response, exchange)

    def download(self, endpoint: str) -> _Download:
        """GET `endpoint` as a stream: a context manager giving a binary file-like object.

        The request is made by this call, so a missing file raises NotFoundError here;
        use the result in a `with` block so that the connection is given back.
        """

        def build(client: httpx.Client) -> httpx.Request:
            return client.build_request("GET", self.url(endpoint))

        response, exchange = self._exchange("GET", endpoint, build, retry=True, stream=True)
        if not response.is_success:
            response.read()
            response.close()
            if response.status_code == 404:
                error = error_for_answer(response, exchange)
                if isinstance(error, EndpointMissingError):
                    raise NotFoundError(f"no file at {exchange.url} (404 Not Found)")
                raise error
            raise error_for_answer(response, exchange)
        return _Download(response, exchange)

    def close(self) -> None:
        """Close the pooled connections (a later request opens new ones)."""
        with self._lock:
            client, self._client = self._client, None
            if client is not None and self._client_pid == os.getpid():
                client.close()

    def __enter__(self) -> RestConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- machinery ---------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        """This process's httpx client, made on first use (again in a forked child)."""
        pid = os.getpid()
        client = self._client
        if client is not None and self._client_pid == pid:
            return client
        with self._lock:
            if self._client is None or self._client_pid != pid:
                # A parent's client is dropped, not closed: its sockets are the parent's.
                self._client = self._new_client()
                self._client_pid = pid
            return self._client

    def _new_client(self) -> httpx.Client:
        settings = self.settings
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if settings.username is not None and settings.password is not None:
            auth = httpx.BasicAuth(settings.username, settings.password)
        elif settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        return httpx.Client(
            auth=auth,
            headers=headers,
            verify=_tls_context(settings),
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            trust_env=True,
        )

    def _describe(self, method: str, url: str, attempts: int) -> Exchange:
        settings = self.settings
        return Exchange(
            method=method,
            url=url,
            base_url=self.base_url,
            secrets=settings.secrets,
            sent_credentials=bool(settings.token or settings.username),
            timeout_seconds=settings.timeout_seconds,
            attempts=attempts,
        )

    def _exchange(
        self,
        method: str,
        endpoint: str,
        build: Callable[[httpx.Client], httpx.Request],
        *,
        retry: bool,
        stream: bool = False,
    ) -> tuple[httpx.Response, Exchange]:
        """Send the request `build` makes, retrying as `retry` allows; the final response
        (whatever its status) with the Exchange that describes it."""
        settings = self.settings
        url = self.url(endpoint)
        attempts = 0

        def attempt() -> httpx.Response:
            nonlocal attempts, url
            attempts += 1
            client = self.client
            request = build(client)
            url = str(request.url)
            response = client.send(request, stream=stream)
            if retry and response.status_code in RETRY_STATUSES:
                response.read()
                response.close()
                if _asks_again(response):
                    raise _RetryableAnswer(response)
            return response

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retryable(retry)),
            stop=(
                tenacity.stop_after_attempt(settings.max_retries + 1)
                | tenacity.stop_after_delay(settings.retry_deadline_seconds)
            ),
            wait=_Wait(settings),
            reraise=True,
        )
        try:
            response = retrying(attempt)
        except _RetryableAnswer as answer:
            raise error_for_answer(answer.response, self._describe(method, url, attempts)) from None
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, self._describe(method, url, attempts)) from None
        return response, self._describe(method, url, attempts)


def _tls_context(settings: ConnectionSettings) -> ssl.SSLContext | bool:
    """How to check the server's certificate (and which one to show it, if any)."""
    if not (settings.insecure_tls or settings.server_cert_path or settings.client_cert_path):
        return True
    if settings.insecure_tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        cafile = settings.server_cert_path or certifi.where()
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (ssl.SSLError, OSError) as exc:
            raise InvalidValueError(
                f"the server certificate file {cafile!r} cannot be used ({exc}): "
                "MLFLOW_TRACKING_SERVER_CERT_PATH (or TUITRACK_TRACKING_SERVER_CERT_PATH) must "
                "name a PEM file of CA certificates"
            ) from None
    if settings.client_cert_path:
        try:
            context.load_cert_chain(settings.client_cert_path)
        except (ssl.SSLError, OSError) as exc:
            raise InvalidValueError(
                f"the client certificate file {settings.client_cert_path!r} cannot be used "
                f"({exc}): MLFLOW_TRACKING_CLIENT_CERT_PATH (or TUITRACK_TRACKING_CLIENT_CERT_"
                "PATH) must name a PEM file holding the certificate and its private key"
            ) from None
    return context


def _asks_again(response: httpx.Response) -> bool:
    """Whether a retry status is worth a retry: not when its MLflow error code is final."""
    try:
        data = json.loads(response.content) if response.content else None
    except ValueError:
        return True
    code = data.get("error_code") if isinstance(data, dict) else None
    return not isinstance(code, str) or code in _PASSING_CODES


def _retryable(idempotent: bool) -> Callable[[BaseException], bool]:
    def retryable(exc: BaseException) -> bool:
        if isinstance(exc, _RetryableAnswer):
            return True
        if isinstance(exc, _NOT_SENT):
            return not is_tls_failure(exc)
        return idempotent and isinstance(exc, _MAYBE_SENT)

    return retryable


class _Wait:
    """Exponential backoff with jitter; a Retry-After the server sent wins (up to the cap)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self._factor = settings.backoff_factor
        self._cap = settings.backoff_max_seconds

    def __call__(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, _RetryableAnswer):
            asked = _retry_after(failure.response)
            if asked is not None:
                return min(asked, self._cap)
        exponent = min(state.attempt_number - 1, 30)
        backoff = self._factor * 2.0**exponent + random.uniform(0, self._factor)
        return min(backoff, self._cap)


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds a Retry-After header asks for (a number or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Download:
    """The context manager `RestConnection.download` returns."""

    def __init__(self, response: httpx.Response, exchange: Exchange) -> None:
        self._response = response
        self._reader = io.BufferedReader(_ResponseReader(response, exchange), _DOWNLOAD_CHUNK_BYTES)

    def __enter__(self) -> IO[bytes]:
        return self._reader

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._reader.close()


class _ResponseReader(io.RawIOBase):
    """A streamed response body as a raw binary file; transport errors become the
    one-line StoreUnavailableError."""

    def __init__(self, response: httpx.Response, exchange: Exchange) -> None:
        self._response = response
        self._exchange = exchange
        self._chunks = response.iter_bytes(_DOWNLOAD_CHUNK_BYTES)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as exc:
                raise error_for_exception(exc, self._exchange) from None
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


def _query(params: Params | None) -> httpx.QueryParams | None:
    """Query pairs: a list value repeats its key, booleans are true/false, None is left out."""
    if params is None:
        return None
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((key, text))
    return httpx.QueryParams(pairs)


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(_UPLOAD_CHUNK_BYTES):
        yield chunk


def _tell(source: IO[bytes]) -> int | None:
    try:
        return source.tell() if source.seekable() else None
    except (OSError, ValueError):
        return None


def _remaining(source: IO[bytes], start: int) -> int | None:
    try:
        end = source.seek(0, os.SEEK_END)
        source.seek(start)
    except (OSError, ValueError):
        return None
    return max(0, end - start)


def _clean_base_url(base_url: str, settings: ConnectionSettings) -> tuple[str, ConnectionSettings]:
    """The URL without "mlflow+", credentials or a trailing slash, and the settings with the
    URL's credentials when they name none of their own."""
    text = base_url.strip()
    if text.lower().startswith("mlflow+"):
        text = text[len("mlflow+") :]
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidValueError(
            f"tracking server URL {base_url!r} is not allowed: it must be "
            "http(s)://host[:port][/path] (or mlflow+http(s)://...)"
        )
    if parts.username is not None or parts.password is not None:
        if not (settings.token or settings.username):
            settings = _with_basic_auth(
                settings, unquote(parts.username or ""), unquote(parts.password or "")
            )
        netloc = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=netloc)
    clean = urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))
    return clean, settings


def _with_basic_auth(
    settings: ConnectionSettings, username: str, password: str
) -> ConnectionSettings:
    return dataclasses.replace(settings, username=username, password=password)
