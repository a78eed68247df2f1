"""`tuitrack server --auth`: every request but GET /health carries a token (tokens.py), and
the token's scope must allow what the route does.

A token comes the two ways MLflow's clients send one, so they authenticate with their usual
variables:
- `Authorization: Bearer TOKEN` (MLFLOW_TRACKING_TOKEN, TUITRACK_TRACKING_TOKEN);
- HTTP basic, the token's name as user and the token as password
  (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).

ROUTE_ACCESS says what each route does; a route missing from it needs a read-write token
(a new route is never readable with less by mistake), and a test checks that every route of
the app is in it. Paths that match no route need a token too, of any scope: the app then
answers them 404 or 405, and nothing is written.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from enum import Enum

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tuitrack.core.wire import endpoints as api
from tuitrack.errors import TuitrackError
from tuitrack.server import artifact_routes, tuitrack_routes
from tuitrack.server.responses import error_response
from tuitrack.server.tokens import Scope as TokenScope
from tuitrack.server.tokens import StoredToken, TokenFile

REALM = "tuitrack"
_log = logging.getLogger("tuitrack.server")


class Access(Enum):
    OPEN = "open"
    """No token: a load balancer's health check has none."""
    READ = "read"
    """A read-only token or a read-write one."""
    WRITE = "write"
    """A read-write token."""


OPEN, READ, WRITE = Access.OPEN, Access.READ, Access.WRITE

ROUTE_ACCESS: dict[tuple[str, str], Access] = {
    ("GET", "/health"): OPEN,
    ("GET", "/version"): READ,  # a version tells an attacker which weaknesses to try
    # MLflow's tracking endpoints (mlflow_routes.ENDPOINTS)
    ("POST", api.EXPERIMENTS_CREATE): WRITE,
    ("GET", api.EXPERIMENTS_GET): READ,
    ("GET", api.EXPERIMENTS_GET_BY_NAME): READ,
    ("GET", api.EXPERIMENTS_SEARCH): READ,
    ("POST", api.EXPERIMENTS_SEARCH): READ,
    ("POST", api.EXPERIMENTS_UPDATE): WRITE,
    ("POST", api.EXPERIMENTS_DELETE): WRITE,
    ("POST", api.EXPERIMENTS_RESTORE): WRITE,
    ("POST", api.EXPERIMENTS_SET_TAG): WRITE,
    ("POST", api.EXPERIMENTS_DELETE_TAG): WRITE,
    ("POST", api.RUNS_CREATE): WRITE,
    ("GET", api.RUNS_GET): READ,
    ("POST", api.RUNS_UPDATE): WRITE,
    ("POST", api.RUNS_DELETE): WRITE,
    ("POST", api.RUNS_RESTORE): WRITE,
    ("POST", api.RUNS_SEARCH): READ,
    ("POST", api.RUNS_LOG_BATCH): WRITE,
    ("POST", f"{api.MLFLOW_API}/runs/log-metric"): WRITE,
    ("POST", f"{api.MLFLOW_API}/runs/log-parameter"): WRITE,
    ("POST", api.RUNS_SET_TAG): WRITE,
    ("POST", api.RUNS_DELETE_TAG): WRITE,
    ("POST", api.RUNS_LOG_INPUTS): WRITE,
    ("GET", api.METRICS_GET_HISTORY): READ,
    ("GET", api.METRICS_GET_HISTORY_BULK_INTERVAL): READ,
    ("GET", api.ARTIFACTS_LIST): READ,
    ("POST", f"{api.MLFLOW_API}/logged-models/search"): READ,
    # tuitrack's endpoints (tuitrack_routes.ENDPOINTS)
    ("GET", api.TUITRACK_CAPABILITIES): READ,
    ("POST", api.TUITRACK_RUNS_SEARCH): READ,
    ("POST", api.TUITRACK_RUNS_COUNT): READ,
    ("POST", api.TUITRACK_RUNS_CREATE): WRITE,
    ("POST", api.TUITRACK_RUNS_HEARTBEAT): WRITE,
    ("POST", tuitrack_routes.LOG_BATCH): WRITE,
    ("POST", api.TUITRACK_RUNS_LOG_METRIC_COLUMNS): WRITE,
    ("POST", api.TUITRACK_METRICS_GET_HISTORIES): READ,
    ("GET", tuitrack_routes.METRIC_SUMMARIES): READ,
    ("POST", tuitrack_routes.METRIC_SUMMARIES): READ,
    ("POST", api.TUITRACK_RUNS_ORPHANS): READ,  # lists them; mark-failed changes them
    ("POST", api.TUITRACK_RUNS_MARK_FAILED): WRITE,
    ("POST", api.TUITRACK_RUNS_LAST_ACTIVITY): READ,
    ("POST", api.TUITRACK_EXPERIMENTS_ACTIVITY): READ,
    ("POST", api.TUITRACK_RUNS_TAG_SUMMARIES): READ,
    # MLflow's artifact proxy (artifact_routes)
    ("GET", api.MLFLOW_ARTIFACTS): READ,
    ("GET", artifact_routes.FILE_ROUTE): READ,
    ("PUT", artifact_routes.FILE_ROUTE): WRITE,
    ("DELETE", artifact_routes.FILE_ROUTE): WRITE,
    **{("POST", path): WRITE for path in artifact_routes.MULTIPART_ROUTES},
    ("GET", artifact_routes.PRESIGNED_ROUTE): READ,
}


def route_path(route: BaseRoute) -> str | None:
    """The path template a route (or a mount) is declared with, as ROUTE_ACCESS keys it."""
    return route.path if isinstance(route, (Route, Mount)) else None


def access_of(method: str, path: str) -> Access | None:
    """What `method` on the route declared as `path` needs; None when unclassified.
    HEAD is GET without the body."""
    return ROUTE_ACCESS.get(("GET" if method == "HEAD" else method, path))


def required_access(scope: Scope, routes: Sequence[BaseRoute]) -> Access:
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            path = route_path(route)
            found = access_of(scope["method"], path) if path is not None else None
            return WRITE if found is None else found
        if match is Match.PARTIAL:  # the path with another method: answered 405
            return READ
    return READ  # no such path: answered 404


class CredentialsError(Exception):
    """Credentials that name no token; the message says what was sent (never the token)."""


def credentials(headers: Headers) -> tuple[str, str | None] | None:
    """(token, basic user name or None) from the Authorization header; None without one."""
    header = headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value, None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError(
                "the HTTP basic credentials are not base64 of 'NAME:TOKEN'"
            ) from None
        name, colon, token = decoded.partition(":")
        if not colon:
            raise CredentialsError("the HTTP basic credentials are not 'NAME:TOKEN'")
        return token, name
    raise CredentialsError(
        f"the Authorization header's scheme {scheme[:20]!r} is not 'Bearer' or 'Basic'"
    )


_HOW = (
    "send the token as 'Authorization: Bearer TOKEN' (MLFLOW_TRACKING_TOKEN) or as HTTP "
    "basic with the token's name as user and the token as password "
    "(MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD); the server's admin makes tokens "
    "with `tuitrack server token add NAME --scope read|write`"
)


class TokenAuthMiddleware:
    """ASGI middleware: a request whose route needs a token it lacks is answered 401
    (no token, or one the file does not hold) or 403 (a read-only token on a route that
    writes) in MLflow's error shape, before the app reads its body."""

    def __init__(self, app: ASGIApp, tokens: TokenFile, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.tokens = tokens
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        access = required_access(scope, self.routes)
        if access is OPEN:
            await self.app(scope, receive, send)
            return
        where = f"{scope['method']} {scope['path']}"
        try:
            sent = credentials(Headers(scope=scope))
            token = self._token(sent)
        except CredentialsError as error:
            await _unauthenticated(f"{where}: {error}; {_HOW}")(scope, receive, send)
            return
        except TuitrackError:  # the token file was broken after the server started
            _log.exception("%s: cannot check its token", where)
            message = f"{where}: the server cannot read its token file; its log says why"
            await error_response("INTERNAL_ERROR", message)(scope, receive, send)
            return
        if token is None:
            await _unauthenticated(f"{where} needs a token: {_HOW}")(scope, receive, send)
            return
        if access is WRITE and token.scope is not TokenScope.WRITE:
            message = (
                f"{where} writes, and token {token.name!r} is read-only: use a read-write "
                "token (tuitrack server token add NAME --scope write)"
            )
            await error_response("PERMISSION_DENIED", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _token(self, sent: tuple[str, str | None] | None) -> StoredToken | None:
        if sent is None:
            return None
        token, name = sent
        found = self.tokens.find(token, name)
        if found is None:
            raise CredentialsError(
                "the bearer token matches none of this server's tokens (mistyped or removed)"
                if name is None
                else f"HTTP basic user {name[:64]!r} with that password matches none of "
                "this server's tokens (the user must be the token's name, the password "
                "the token)"
            )
        return found


def _unauthenticated(message: str) -> ASGIApp:
    response = error_response("UNAUTHENTICATED", message)
    for scheme in ("Bearer", "Basic"):
        response.raw_headers.append(
            (b"www-authenticate", f'{scheme} realm="{REALM}"'.encode("ascii"))
        )
    return response
