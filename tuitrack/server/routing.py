"""One endpoint = a path, an HTTP method and a plain function of (store, fields) -> JSON.

The functions are synchronous: the store's calls block (a database, a filesystem), so each
runs in Starlette's threadpool while the event loop goes on reading other requests. The
wrapper here is the one place that reads the request, runs the function and turns every
tuitrack error into MLflow's error shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tuitrack.core.store import TrackingStore
from tuitrack.errors import TuitrackError
from tuitrack.server.requests import DEFAULT_BODY_LIMIT, Fields, read_fields
from tuitrack.server.responses import error_response, json_response, tuitrack_error_response

Handler = Callable[[TrackingStore, Fields], dict[str, Any]]
_log = logging.getLogger("tuitrack.server")


@dataclass(frozen=True)
class Endpoint:
    path: str
    methods: tuple[str, ...]
    handler: Handler
    body_limit: int = DEFAULT_BODY_LIMIT


GET, POST, GET_OR_POST = ("GET",), ("POST",), ("GET", "POST")


def route(endpoint: Endpoint, store: TrackingStore) -> Route:
    """A Starlette route that serves `endpoint` over `store`."""

    async def serve(request: Request) -> Response:
        try:
            fields = await read_fields(request, endpoint.body_limit)
            answer = await run_in_threadpool(endpoint.handler, store, fields)
        except TuitrackError as error:
            return tuitrack_error_response(error)
        except ClientDisconnect:  # gone before its body arrived: nothing to answer
            return Response(status_code=400)
        except Exception:  # a bug or a store failing outside the contract: say so, no trace
            _log.exception("%s %s failed", request.method, endpoint.path)
            return error_response(
                "INTERNAL_ERROR",
                f"{request.method} {endpoint.path} failed inside the server; "
                "its log has the details",
            )
        return json_response(answer)

    return Route(endpoint.path, serve, methods=list(endpoint.methods), name=endpoint.path)
