"""What a tracking server's answer means: a JSON object, or the tuitrack error to raise.

MLflow's error bodies ({"error_code", "message"}) become the tuitrack error of the same
code; anything else that went wrong becomes a StoreUnavailableError whose message is one
line: the method, the full URL, what happened and what to check.
"""

from __future__ import annotations

import ast
import json
import re
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from tuitrack.errors import (
    AlreadyExistsError,
    FilterSyntaxError,
    InvalidValueError,
    NotFoundError,
    ParamConflictError,
    ReadOnlyError,
    StoreUnavailableError,
    TuitrackError,
    UnknownSchemeError,
)

AUTH_HINT = (
    "check MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD "
    "(or TUITRACK_TRACKING_TOKEN, TUITRACK_TRACKING_USERNAME/PASSWORD)"
)
TLS_HINT = (
    "set MLFLOW_TRACKING_SERVER_CERT_PATH (or TUITRACK_TRACKING_SERVER_CERT_PATH) to the "
    "server's CA bundle, or MLFLOW_TRACKING_INSECURE_TLS=true (or TUITRACK_TRACKING_INSECURE_TLS) "
    "to skip verification"
)
TIMEOUT_VARIABLE = "TUITRACK_HTTP_TIMEOUT_SECONDS"
_EXCERPT_CHARACTERS = 160

# MLflow's wording for a param logged again with another value (sqlalchemy_store.py), one
# param at a time and for a whole batch; and tuitrack's own (errors.ParamConflictError).
_MLFLOW_PARAM_CHANGE = re.compile(
    r"Changing param values is not allowed\. Param with key='(?P<key>.*)' was already logged "
    r"with value='(?P<old>.*)' for run ID='(?P<run>[^']*)'\. Attempted logging new value "
    r"'(?P<new>.*)'\.",
    re.DOTALL,
)
_MLFLOW_PARAMS_CHANGE = re.compile(
    r"Changing param values is not allowed\. Params were already logged='(?P<params>\[.*\])' "
    r"for run ID='(?P<run>[^']*)'\.",
    re.DOTALL,
)
_TUITRACK_PARAM_CHANGE = re.compile(
    r"Param (?P<key>'.*'|\".*\") of run (?P<run>\S+) is already logged with value "
    r"(?P<old>'.*'|\".*\"); refusing the different value (?P<new>'.*'|\".*\")\. Params are",
    re.DOTALL,
)
# MLflow's wording for a write to a deleted run or experiment.
_NOT_ACTIVE = "must be in the 'active' state"
# MLflow answers INVALID_PARAMETER_VALUE with the database's own words when a unique name is
# taken (renaming an experiment to another's name), and for an experiment id that is not a
# number, which no experiment can have.
_UNIQUE_VIOLATION = re.compile(
    r"UNIQUE constraint failed|violates unique constraint|Duplicate entry .* for key", re.I
)
_ID_NOT_A_NUMBER = re.compile(r"Invalid experiment ID '.*'\. Experiment ID must be a valid integer")

# The classes a tuitrack server may name whose constructor takes the message alone; the
# others (StoreUnavailableError, ...) are described by their error code like MLflow's.
_NAMED_ERRORS: dict[str, type[TuitrackError]] = {
    cls.__name__: cls
    for cls in (
        NotFoundError,
        AlreadyExistsError,
        InvalidValueError,
        ReadOnlyError,
        FilterSyntaxError,
        UnknownSchemeError,
    )
}
_INVALID_CODES = frozenset(
    {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST", "INVALID_REQUEST"}
)
_ENDPOINT_MISSING_STATUSES = frozenset({404, 405, 501})


class EndpointMissingError(StoreUnavailableError):
    """The server has no such endpoint (404/405/501 without an MLflow error body)."""


@dataclass(frozen=True)
class Exchange:
    """One request as the messages name it: never with credentials in it."""

    method: str
    url: str
    base_url: str
    secrets: tuple[str, ...] = ()
    sent_credentials: bool = False
    timeout_seconds: float = 0.0
    attempts: int = 1

    def fail(
        self, what: str, hint: str, cls: type[StoreUnavailableError] = StoreUnavailableError
    ) -> StoreUnavailableError:
        """The one-line error: METHOD URL: what happened — what to check."""
        return cls(self.redact(one_line(f"{self.method} {self.url}: {what} — {hint}", limit=600)))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    @property
    def tries(self) -> str:
        return f" after {self.attempts} attempts" if self.attempts > 1 else ""


def one_line(text: str, limit: int = _EXCERPT_CHARACTERS) -> str:
    """`text` with its whitespace runs as single spaces, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def json_answer(response: httpx.Response, exchange: Exchange) -> dict[str, Any]:
    """The JSON object of a successful answer ({} for an empty body), or the error of a
    failed one (see error_for_answer)."""
    if not response.is_success:
        raise error_for_answer(response, exchange)
    if _looks_like_html(response):
        raise _html_page(response, exchange)
    text = response.text
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise exchange.fail(
            f"answered {response.status_code} with invalid JSON ({one_line(text, 60)!r})",
            f"is {exchange.base_url} an MLflow tracking server? check the tracking URI",
        ) from None
    if not isinstance(data, dict):
        raise exchange.fail(
            f"answered {response.status_code} with JSON that is not an object "
            f"({one_line(text, 60)!r})",
            f"is {exchange.base_url} an MLflow tracking server? check the tracking URI",
        )
    return data


def error_for_answer(response: httpx.Response, exchange: Exchange) -> TuitrackError:
    """The error a failed answer stands for. The body must have been read."""
    status = f"{response.status_code} {response.reason_phrase}".strip()
    body = _mlflow_error_body(response)
    if response.status_code in (401, 403) or (
        body is not None and body[0] in ("UNAUTHENTICATED", "PERMISSION_DENIED")
    ):
        return _auth_error(response, status, body, exchange)
    if body is not None:
        named = _named_tuitrack_error(response, body[1], exchange)
        return named or _error_for_code(body[0], body[1], status, exchange)
    detail = _fastapi_detail(response)
    if detail is not None and 400 <= response.status_code < 500 and response.status_code != 404:
        return InvalidValueError(exchange.redact(detail))
    location = response.headers.get("location")
    if response.is_redirect and location:
        return exchange.fail(
            f"{status}: it redirects to {exchange.redact(location)}",
            "set the tracking URI to the address it redirects to",
        )
    if response.status_code in _ENDPOINT_MISSING_STATUSES:
        return exchange.fail(
            f"{status}{_page_kind(response)}",
            f"the server has no such endpoint: is {exchange.base_url} an MLflow tracking "
            "server (and recent enough)? check the tracking URI",
            EndpointMissingError,
        )
    if _looks_like_html(response):
        return _html_page(response, exchange, status + exchange.tries)
    excerpt = one_line(response.text)
    said = f" ({excerpt!r})" if excerpt else ""
    if response.status_code >= 500:
        return exchange.fail(
            f"{status}{exchange.tries}{said}",
            f"the server at {exchange.base_url} failed; see its log, or try again later",
        )
    return exchange.fail(
        f"{status}{said}",
        f"is {exchange.base_url} an MLflow tracking server? check the tracking URI",
    )


def error_for_exception(exc: httpx.HTTPError, exchange: Exchange) -> StoreUnavailableError:
    """The one-line error for a request that got no answer."""
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            what = f"could not connect within {exchange.timeout_seconds:g} s{exchange.tries}"
            hint = f"is the server at {exchange.base_url} reachable? check the tracking URI"
        else:
            what = f"no answer within {exchange.timeout_seconds:g} s{exchange.tries}"
            hint = (
                f"the server is slow or stuck; raise {TIMEOUT_VARIABLE} "
                f"(now {exchange.timeout_seconds:g}) or check the server"
            )
        return exchange.fail(what, hint)
    if is_tls_failure(exc):
        return exchange.fail(f"TLS certificate verification failed ({_cause(exc)})", TLS_HINT)
    if isinstance(exc, httpx.ConnectError):
        cause = _cause(exc)
        if "refused" in cause.lower():
            return exchange.fail(
                f"connection refused{exchange.tries}",
                f"is the server running at {exchange.base_url}?",
            )
        if "name or service not known" in cause.lower() or "nodename" in cause.lower():
            return exchange.fail(
                f"the host name does not resolve ({cause})",
                "check the host in the tracking URI",
            )
        return exchange.fail(
            f"cannot connect{exchange.tries} ({cause})",
            f"is the server running at {exchange.base_url}? check the tracking URI",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return exchange.fail(
            f"the connection broke{exchange.tries} ({_cause(exc)})",
            "the server (or a proxy before it) closed it, or it does not speak HTTP: "
            "check the server's log and the tracking URI, or try again",
        )
    return exchange.fail(
        f"the request failed ({type(exc).__name__}: {_cause(exc)})",
        "check the tracking URI and the network",
    )


def is_tls_failure(exc: BaseException) -> bool:
    """Whether `exc` comes from a TLS handshake that failed (retrying will not help)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "SSL:" in text


def _cause(exc: BaseException) -> str:
    return one_line(str(exc) or type(exc).__name__, 120)


def _looks_like_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", "").lower():
        return True
    start = response.content[:256].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _page_kind(response: httpx.Response) -> str:
    return " (an HTML page)" if _looks_like_html(response) else ""


def _html_page(
    response: httpx.Response, exchange: Exchange, status: str | None = None
) -> StoreUnavailableError:
    title = re.search(rb"<title[^>]*>(.*?)</title>", response.content[:4096], re.I | re.S)
    named = f" titled {one_line(title.group(1).decode(errors='replace'), 80)!r}" if title else ""
    prefix = f"{status}: " if status else ""
    return exchange.fail(
        f"{prefix}answered with an HTML page{named}, not MLflow JSON",
        f"is {exchange.base_url} an MLflow tracking server? check the tracking URI",
    )


def _named_tuitrack_error(
    response: httpx.Response, message: str, exchange: Exchange
) -> TuitrackError | None:
    """The error a tuitrack server names in its body ("tuitrack_error": the class its store
    raised), for the classes MLflow's error code alone cannot tell apart."""
    data = _json_or_none(response)
    name = data.get("tuitrack_error") if isinstance(data, dict) else None
    message = exchange.redact(message)
    if name == "ParamConflictError":
        return param_conflict(message) or InvalidValueError(message)
    cls = _NAMED_ERRORS.get(name) if isinstance(name, str) else None
    return cls(message) if cls is not None else None


def _mlflow_error_body(response: httpx.Response) -> tuple[str, str] | None:
    data = _json_or_none(response)
    if isinstance(data, dict) and isinstance(data.get("error_code"), str):
        message = data.get("message")
        return data["error_code"], message if isinstance(message, str) else ""
    return None


def _fastapi_detail(response: httpx.Response) -> str | None:
    data = _json_or_none(response)
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return str(data["detail"])
    return None


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content or _looks_like_html(response):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _auth_error(
    response: httpx.Response, status: str, body: tuple[str, str] | None, exchange: Exchange
) -> StoreUnavailableError:
    said = f" ({one_line(body[1])!r})" if body and body[1] else ""
    if response.status_code == 403 or (body is not None and body[0] == "PERMISSION_DENIED"):
        what = f"{status}{said}: the credentials sent are not allowed to do this"
    elif exchange.sent_credentials:
        what = f"{status}{said}: the server refused the credentials sent"
    else:
        what = f"{status}{said}: the server wants credentials and none were sent"
    return exchange.fail(what, AUTH_HINT)


def _error_for_code(code: str, message: str, status: str, exchange: Exchange) -> TuitrackError:
    message = exchange.redact(message)
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFoundError(message)
    if code == "RESOURCE_ALREADY_EXISTS":
        return AlreadyExistsError(message)
    if code == "INVALID_STATE" or (code in _INVALID_CODES and _NOT_ACTIVE in message):
        return ReadOnlyError(message)
    if code in _INVALID_CODES and _UNIQUE_VIOLATION.search(message):
        return AlreadyExistsError(f"the name is already taken ({one_line(message, 300)})")
    if code in _INVALID_CODES and _ID_NOT_A_NUMBER.search(message):
        return NotFoundError(message)
    if code in _INVALID_CODES:
        return param_conflict(message) or InvalidValueError(message)
    if code == "ENDPOINT_NOT_FOUND":
        return exchange.fail(
            f"{status} ({code}: {one_line(message)})",
            f"the server has no such endpoint: is {exchange.base_url} an MLflow tracking "
            "server (and recent enough)? check the tracking URI",
            EndpointMissingError,
        )
    said = f": {one_line(message)}" if message else ""
    return exchange.fail(
        f"{status}{exchange.tries} ({code}{said})",
        f"the server at {exchange.base_url} failed; see its log, or try again later",
    )


def param_conflict(message: str) -> ParamConflictError | None:
    """The ParamConflictError an MLflow or tuitrack server's message describes, if any."""
    single = _MLFLOW_PARAM_CHANGE.search(message)
    if single:
        return ParamConflictError(single["run"], single["key"], single["old"], single["new"])
    batch = _MLFLOW_PARAMS_CHANGE.search(message)
    if batch:
        try:
            changes = ast.literal_eval(batch["params"])
            first = changes[0]
            return ParamConflictError(
                batch["run"], str(first["key"]), str(first["old_value"]), str(first["new_value"])
            )
        except (ValueError, SyntaxError, LookupError, TypeError):
            return None
    own = _TUITRACK_PARAM_CHANGE.search(message)
    if own:
        try:
            key, old, new = (ast.literal_eval(own[name]) for name in ("key", "old", "new"))
        except (ValueError, SyntaxError):
            return None
        return ParamConflictError(own["run"], str(key), str(old), str(new))
    return None
