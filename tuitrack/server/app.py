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


# MLflow endpoints' path parts (after /api/<version>/mlflow/) and the feature they belong to,
# which tuitrack server does not implement.
UNSUPPORTED_MLFLOW_FEATURES = {
    "registered-models": "MLflow's model registry (registered models)",
    "model-versions": "MLflow's model registry (model versions)",
    "traces": "MLflow's tracing (traces)",
    "logged-models": "MLflow 3's logged models",
    "gateway": "MLflow's AI gateway",
    "endpoints": "MLflow's AI gateway endpoints",
    "secrets": "MLflow's AI gateway secrets",
    "prompts": "MLflow's prompt registry",
    "scorers": "MLflow's GenAI evaluation scorers",
    "datasets": "MLflow's GenAI evaluation datasets",
    "webhooks": "MLflow's model registry webhooks",
    "assessments": "MLflow's trace assessments",
    "server-info": "MLflow's server info",
}


def unsupported_feature(path: str) -> str | None:
    """The MLflow feature an unknown `path` belongs to, or None when it names none."""
    parts = path.strip("/").split("/")
    if len(parts) < 4 or parts[0] not in ("api", "ajax-api") or parts[2] != "mlflow":
        return None
    return UNSUPPORTED_MLFLOW_FEATURES.get(parts[3])


async def _no_such_endpoint(request: Request, error: Exception) -> Response:
    """Unknown paths and wrong methods, in MLflow's error shape (never Starlette's text)."""
    status = error.status_code if isinstance(error, HTTPException) else 404
    where = f"{request.method} {request.url.path}"
    if status == 405:
        return error_response(
            "ENDPOINT_NOT_FOUND", f"{where}: this endpoint does not take {request.method}", 405
        )
    feature = unsupported_feature(request.url.path)
    if feature is not None:
        return error_response(
            "ENDPOINT_NOT_FOUND",
            f"{where}: tuitrack server does not support {feature}; it serves MLflow's "
            "experiment tracking (experiments, runs, metrics, params, tags, datasets, "
            "artifacts) only",
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
