"""Opening the store and serving it with uvicorn until interrupted.

One worker serves in this process. Several are uvicorn's worker processes: each imports
APP_FACTORY and opens its own store from the environment variables below, which `serve`
sets before they start. The app keeps nothing but its store (see tuitrack.server.app), so
any worker answers any request alike.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tuitrack.core import registry
from tuitrack.errors import InvalidValueError, TuitrackError
from tuitrack.server.security import ServerSecurity, check_exposure
from tuitrack.server.tokens import TokenFile, open_for_serving

if TYPE_CHECKING:
    from starlette.applications import Starlette

STORE_URI_VARIABLE = "TUITRACK_SERVER_STORE_URI"
ARTIFACT_ROOT_VARIABLE = "TUITRACK_SERVER_ARTIFACT_ROOT"
AUTH_FILE_VARIABLE = "TUITRACK_SERVER_AUTH_FILE"  # set only with --auth
ARTIFACTS_DESTINATION_VARIABLE = "TUITRACK_SERVER_ARTIFACTS_DESTINATION"  # set when proxying
APP_FACTORY = "tuitrack.server.serving:app_from_environment"
NO_SECURITY = ServerSecurity()  # no tokens, no TLS: for 127.0.0.1


def app_from_environment() -> Starlette:
    """A worker process's app, over a store of its own opened from the variables `serve`
    set; the store is closed when the worker exits."""
    from tuitrack.server.app import create_app

    try:
        store_uri = os.environ[STORE_URI_VARIABLE]
        artifact_root = os.environ[ARTIFACT_ROOT_VARIABLE]
    except KeyError as missing:
        raise TuitrackError(
            f"{missing} is not set: {APP_FACTORY} serves the store `tuitrack server "
            "--workers N` names in it; start the server with that command"
        ) from None
    store = registry.get_tracking_store(store_uri, artifact_root)
    atexit.register(store.close)
    _log_to_stderr()
    auth_file = os.environ.get(AUTH_FILE_VARIABLE)
    return create_app(
        store,
        TokenFile(Path(auth_file)) if auth_file else None,
        os.environ.get(ARTIFACTS_DESTINATION_VARIABLE),
    )


def _log_to_stderr() -> None:
    logging.getLogger("tuitrack.server").addHandler(logging.StreamHandler())


def _set_or_remove(variable: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = value


def check_workers(workers: int) -> None:
    if workers < 1:
        raise InvalidValueError(f"--workers {workers} is not a number of processes (1 or more)")


def serve(
    store_uri: str,
    artifact_root: str,
    host: str,
    port: int,
    workers: int = 1,
    security: ServerSecurity = NO_SECURITY,
    artifacts_destination: str | None = None,
) -> None:
    """Serve the store at `store_uri` (created when missing) on host:port until Ctrl-C,
    in `workers` processes; MLflow's artifact proxy serves `artifacts_destination`."""
    check_exposure(host, security.auth_file is not None, security.insecure_no_auth)
    tokens = open_for_serving(security.auth_file) if security.auth_file else None
    if not 0 < port < 65536:
        raise InvalidValueError(f"--port {port} is not a TCP port (1 to 65535)")
    check_workers(workers)
    try:
        import uvicorn

        from tuitrack.server.app import create_app
    except ImportError as error:
        raise TuitrackError(
            f"tuitrack server needs Starlette and uvicorn ({error}): pip install 'tuitrack[server]'"
        ) from None

    # Opened here even when workers serve it: a missing store is created (its schema
    # migrated) once, before they start, and a bad URI fails here with its message.
    store = registry.get_tracking_store(store_uri, artifact_root)
    print(
        f"tuitrack server: serving {store_uri} on {security.scheme}://{host}:{port} "
        f"(artifacts of new experiments under {artifact_root})"
        + (f" in {workers} worker processes" if workers > 1 else "")
        + (f", tokens from {security.auth_file}" if security.auth_file else "")
        + (f", proxying artifacts to {artifacts_destination}" if artifacts_destination else ""),
        file=sys.stderr,
        flush=True,
    )
    _log_to_stderr()
    if workers == 1:
        try:
            uvicorn.run(
                create_app(store, tokens, artifacts_destination),
                host=host,
                port=port,
                log_level="warning",
                lifespan="off",
                **security.uvicorn_options(),
            )
        finally:
            store.close()
        return
    store.close()
    os.environ[STORE_URI_VARIABLE] = store_uri
    os.environ[ARTIFACT_ROOT_VARIABLE] = artifact_root
    # Set or removed, never inherited: a variable left in the environment from elsewhere
    # must not give the workers a proxy or tokens this command did not ask for.
    _set_or_remove(AUTH_FILE_VARIABLE, str(security.auth_file) if security.auth_file else None)
    _set_or_remove(ARTIFACTS_DESTINATION_VARIABLE, artifacts_destination)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        **security.uvicorn_options(),
    )
