"""The ASGI application: MLflow's tracking endpoints and tuitrack's, over one TrackingStore.

The app holds the store and nothing else: no cache, no per-run state, so several workers
or servers over one shared database answer alike.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from tuitrack.core.store import TrackingStore
from tuitrack.server import artifact_routes, mlflow_routes, tuitrack_routes
from tuitrack.server.auth import TokenAuthMiddleware
from tuitrack.server.responses import error_response
from tuitrack.server.routing import route
from tuitrack.server.tokens import TokenFile


async def _health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def _version(request: Request) -> Response:
    return PlainTextResponse(tuitrack_routes.server_version())


async def _no_such_endpoint(request: Request, error: Exception) -> Response:
    """Unknown paths and wrong methods, in MLflow's error shape (never Starlette's text)."""
    status = error.status_code if isinstance(error, HTTPException) else 404
    where = f"{request.method} {request.url.path}"
    if status == 405:
        return error_response(
            "ENDPOINT_NOT_FOUND", f"{where}: this endpoint does not take {request.method}", 405
        )
    return error_response(
        "ENDPOINT_NOT_FOUND",
        f"{where}: no such endpoint. tuitrack server serves MLflow's REST API 2.0 tracking "
        "endpoints (/api/2.0/mlflow/experiments/..., runs/..., metrics/..., artifacts/list) "
        "and tuitrack's own (/api/2.0/tuitrack/...), and MLflow's artifact proxy "
        "(/api/2.0/mlflow-artifacts/artifacts) unless started with --no-serve-artifacts; "
        "not MLflow's model registry, traces or logged models",
    )


def create_app(
    store: TrackingStore, tokens: TokenFile | None = None, artifacts_destination: str | None = None
) -> Starlette:
    """The server over `store`; the caller keeps the store and closes it after serving.
    With `tokens`, every route but /health needs one of them (tuitrack.server.auth).
    With `artifacts_destination`, MLflow's artifact proxy serves the files there."""
    routes: list[BaseRoute] = [
        Route("/health", _health, methods=["GET"]),
        Route("/version", _version, methods=["GET"]),
        *artifact_routes.proxy_routes(store, artifacts_destination),
    ]
    for endpoint in (*mlflow_routes.ENDPOINTS, *tuitrack_routes.ENDPOINTS):
        routes.append(route(endpoint, store))
    middleware = [] if tokens is None else [Middleware(TokenAuthMiddleware, tokens, routes)]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: _no_such_endpoint, 405: _no_such_endpoint},
    )
