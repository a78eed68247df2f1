"""MLflow's artifact proxy (what `mlflow server --serve-artifacts` serves), over the
fsspec artifact store at the server's artifacts destination.

    GET    /api/2.0/mlflow-artifacts/artifacts?path=DIR   the children of DIR: {"files"}
    GET    /api/2.0/mlflow-artifacts/artifacts/PATH       a file's bytes, streamed
    PUT    /api/2.0/mlflow-artifacts/artifacts/PATH       the body becomes the file: {}
    DELETE /api/2.0/mlflow-artifacts/artifacts/PATH       a file or directory tree: {}
    POST   /api/2.0/mlflow-artifacts/mpu/{create,complete,abort}/PATH, and
    GET    /api/2.0/mlflow-artifacts/presigned/PATH
           NOT_IMPLEMENTED: those hand out an object store's presigned URLs, which an fsspec
           destination does not have; MLflow's client then sends the file in one PUT.

PATH is relative to the destination: an experiment created through a proxying server has
the artifact location `mlflow-artifacts:/<experiment id>`, so a run's files lie under
`<destination>/<experiment id>/<run id>/artifacts/`. Percent escapes left in a path are
decoded until none is left (as MLflow's proxy does), then a path that leaves the
destination (`..`, absolute, a drive, a control character) or holds '#' is refused with
INVALID_PARAMETER_VALUE before anything is read or written.

Bodies are never held whole in memory: a download is read and sent in chunks, and an
upload is written in chunks to a scratch file, which the artifact store then puts in place
(a local destination renames it in atomically; an object store uploads it), so a broken
upload leaves nothing behind.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import posixpath
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tuitrack.core import registry
from tuitrack.core.store import ArtifactStore, TrackingStore
from tuitrack.core.validation import normalize_artifact_path
from tuitrack.core.wire import endpoints as api
from tuitrack.core.wire import mlflow_json
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError, NotFoundError, TuitrackError
from tuitrack.server.requests import Fields
from tuitrack.server.responses import error_response, json_response, tuitrack_error_response
from tuitrack.server.routing import GET, Endpoint, route

FILE_ROUTE = f"{api.MLFLOW_ARTIFACTS}/{{path:path}}"
MULTIPART_ROUTES = tuple(
    f"{api.MLFLOW_ARTIFACTS_API}/mpu/{action}/{{path:path}}"
    for action in ("create", "complete", "abort")
)
PRESIGNED_ROUTE = f"{api.MLFLOW_ARTIFACTS_API}/presigned/{{path:path}}"
CHUNK_BYTES = 1024 * 1024
# MLflow's client falls back to a plain PUT when the answer's message starts with this.
_MULTIPART_UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"
_MAX_DECODES = 10
# Types a browser would render or run: sent as text so that opening one shows its source.
_ACTIVE_TYPES = ("text/html", "application/javascript", "text/javascript", "image/svg+xml")
_log = logging.getLogger("tuitrack.server")


def proxy_path(raw: str) -> str:
    """`raw` (already URL-decoded once) as a clean path below the destination ('' for it).

    Raises InvalidValueError for a path that leaves the destination, holds '#', or keeps
    changing when decoded."""
    text = raw
    for _ in range(_MAX_DECODES):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    else:
        raise InvalidValueError(
            f"artifact path {raw[:200]!r} is percent-encoded more than {_MAX_DECODES} times"
        )
    if "#" in text:
        raise InvalidValueError(f"artifact path {raw[:200]!r} holds '#', which is not allowed")
    return normalize_artifact_path(text)


def proxied_root_path(artifact_uri: str) -> str | None:
    """The path below the destination of a run root this proxy serves
    (`mlflow-artifacts:[//host]/PATH`, or an http(s) URL of the proxy); None for another
    root (a bucket, a folder), which clients reach directly."""
    parts = urlsplit(artifact_uri)
    scheme = parts.scheme.lower()
    if scheme == "mlflow-artifacts":
        return proxy_path(parts.path.lstrip("/"))
    if scheme in ("http", "https"):
        _, anchor, rest = parts.path.partition(api.MLFLOW_ARTIFACTS)
        if anchor and (not rest or rest.startswith("/")):
            return proxy_path(rest.lstrip("/"))
    return None


def _file_path(request: Request) -> str:
    clean = proxy_path(request.path_params["path"])
    if not clean:
        raise InvalidValueError(
            f"{request.method} {request.url.path} names the artifacts root, not a file: "
            f"add the file's path, {api.MLFLOW_ARTIFACTS}/<experiment id>/<run id>/artifacts/..."
        )
    return clean


def _media_type(path: str) -> str:
    guessed = mimetypes.guess_type(posixpath.basename(path))[0] or "application/octet-stream"
    return "text/plain" if guessed in _ACTIVE_TYPES or guessed.endswith("+xml") else guessed


def _attachment(path: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(posixpath.basename(path), safe='')}"


def _size_of(handle: IO[bytes]) -> int | None:
    """The file's size when its handle can seek (local files, object stores), else None."""
    try:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(0)
    except (OSError, ValueError):
        return None
    return size


def _chunks(handle: IO[bytes], cleanup: ExitStack) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
    finally:
        cleanup.close()


def _answered(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """`handler` with tuitrack's errors in MLflow's shape, as routing.route answers them."""

    async def serve(request: Request) -> Response:
        try:
            return await handler(request)
        except TuitrackError as error:
            return tuitrack_error_response(error)
        except ClientDisconnect:  # gone before its body arrived: nothing to answer
            return Response(status_code=400)
        except Exception:
            _log.exception("%s %s failed", request.method, request.url.path)
            return error_response(
                "INTERNAL_ERROR",
                f"{request.method} {request.url.path} failed inside the server; "
                "its log has the details",
            )

    return serve


class ArtifactProxy:
    """The proxy's routes over the artifact store rooted at the destination URI."""

    def __init__(self, destination_uri: str) -> None:
        self.destination_uri = destination_uri
        self.destination = registry.get_artifact_store(destination_uri)

    def store_below(self, path: str) -> ArtifactStore:
        """The artifact store of the directory `path` (clean) below the destination."""
        if not path:
            return self.destination
        separator = "" if self.destination_uri.endswith("/") else "/"
        return registry.get_artifact_store(f"{self.destination_uri}{separator}{path}")

    # --- the proxy's endpoints ----------------------------------------------------------

    async def list_files(self, request: Request) -> Response:
        folder = proxy_path(request.query_params.get("path", ""))
        infos = await run_in_threadpool(self.destination.list_artifacts, folder or None)
        files = [
            mlflow_json.file_info_to_json(
                FileInfo(posixpath.basename(info.path), info.is_dir, info.file_size)
            )
            for info in infos
        ]
        return json_response({"files": files})

    async def file(self, request: Request) -> Response:
        if request.method == "PUT":
            return await self.upload(request)
        if request.method == "DELETE":
            return await self.delete(request)
        return await self.download(request)

    async def download(self, request: Request) -> Response:
        path = _file_path(request)
        cleanup = ExitStack()
        handle, size = await run_in_threadpool(self._open, path, cleanup)
        headers = {"Content-Disposition": _attachment(path), "X-Content-Type-Options": "nosniff"}
        if size is not None:
            headers["Content-Length"] = str(size)
        return StreamingResponse(
            _chunks(handle, cleanup),
            media_type=_media_type(path),
            headers=headers,
            # Also closes the file when the client leaves before the body is read.
            background=BackgroundTask(cleanup.close),
        )

    def _open(self, path: str, cleanup: ExitStack) -> tuple[IO[bytes], int | None]:
        try:
            handle = cleanup.enter_context(self.destination.open_artifact(path))
        except NotFoundError:
            if self.destination.list_artifacts(path):
                raise InvalidValueError(
                    f"artifact {path!r} is a directory, not a file: list it with "
                    f"GET {api.MLFLOW_ARTIFACTS}?path={quote(path)}"
                ) from None
            raise NotFoundError(f"artifact {path!r} does not exist") from None
        return handle, _size_of(handle)

    async def upload(self, request: Request) -> Response:
        path = _file_path(request)
        folder, _, name = path.rpartition("/")
        with tempfile.TemporaryDirectory(prefix="tuitrack-upload-") as scratch:
            local = os.path.join(scratch, name)
            with open(local, "wb") as spool:
                pending = bytearray()
                async for chunk in request.stream():
                    pending += chunk
                    if len(pending) >= CHUNK_BYTES:
                        await run_in_threadpool(spool.write, bytes(pending))
                        pending.clear()
                await run_in_threadpool(spool.write, bytes(pending))
            await run_in_threadpool(self.destination.log_artifact, local, folder or None)
        return json_response({})

    async def delete(self, request: Request) -> Response:
        path = _file_path(request)
        await run_in_threadpool(self.destination.delete_artifacts, path)
        return json_response({})

    async def multipart_unsupported(self, request: Request) -> Response:
        _file_path(request)  # a bad path is refused as such, before saying what is missing
        return error_response(
            "NOT_IMPLEMENTED",
            f"{_MULTIPART_UNSUPPORTED}: tuitrack server takes each file in one streamed "
            f"PUT {api.MLFLOW_ARTIFACTS}/<path>",
        )

    async def presigned_unsupported(self, request: Request) -> Response:
        _file_path(request)
        return error_response(
            "NOT_IMPLEMENTED",
            "Presigned downloads are not supported by tuitrack server: download the file "
            f"with GET {api.MLFLOW_ARTIFACTS}/<path>",
        )

    # --- the run listing of MLflow's tracking API, for proxied run roots ------------------

    def list_run_artifacts(self, store: TrackingStore, fields: Fields) -> dict[str, Any]:
        """GET /api/2.0/mlflow/artifacts/list, reading a proxied run root (mlflow-artifacts:)
        at the destination, and any other root as the tracking endpoint does."""
        run = store.get_run(fields.required_text("run_id", ("run_uuid",)))
        root = run.info.artifact_uri
        below = proxied_root_path(root)
        if below is not None:
            artifacts = self.store_below(below)
        else:
            artifacts = store.artifact_store_for(root) or registry.get_artifact_store(root)
        files = artifacts.list_artifacts(fields.text("path") or None)
        return {"root_uri": root, "files": [mlflow_json.file_info_to_json(f) for f in files]}

    def routes(self, store: TrackingStore) -> list[BaseRoute]:
        """The proxy's routes, and the run listing that reads proxied roots: put them before
        mlflow_routes' (the first route that matches a request answers it)."""
        return [
            Route(api.MLFLOW_ARTIFACTS, _answered(self.list_files), methods=["GET"]),
            # One route for the three methods: tuitrack.server.auth reads a request's
            # access from the first route whose path matches it.
            Route(FILE_ROUTE, _answered(self.file), methods=["GET", "PUT", "DELETE"]),
            *(
                Route(path, _answered(self.multipart_unsupported), methods=["POST"])
                for path in MULTIPART_ROUTES
            ),
            Route(PRESIGNED_ROUTE, _answered(self.presigned_unsupported), methods=["GET"]),
            route(Endpoint(api.ARTIFACTS_LIST, GET, self.list_run_artifacts), store),
        ]


def proxy_routes(store: TrackingStore, destination_uri: str | None) -> list[BaseRoute]:
    """The artifact proxy's routes over `destination_uri`; none when it is None (the server
    runs with --no-serve-artifacts)."""
    return [] if destination_uri is None else ArtifactProxy(destination_uri).routes(store)
