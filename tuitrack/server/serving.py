"""Opening the store and serving it with uvicorn until interrupted."""

from __future__ import annotations

import ipaddress
import logging
import sys

from tuitrack.core import registry
from tuitrack.errors import InvalidValueError, TuitrackError


def check_loopback(host: str) -> None:
    """InvalidValueError unless `host` is a loopback address: without authentication
    (a later version), anyone who can reach the port could read and change every run."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InvalidValueError(
            f"--host {host!r} is not a loopback address: tuitrack server has no "
            "authentication yet, so it listens only on this machine (127.0.0.1, ::1 or "
            "localhost). Reach it from elsewhere through an SSH tunnel: "
            "ssh -L 5000:127.0.0.1:5000 THIS_HOST"
        )


def serve(store_uri: str, artifact_root: str, host: str, port: int) -> None:
    """Serve the store at `store_uri` (created when missing) on host:port until Ctrl-C."""
    check_loopback(host)
    if not 0 < port < 65536:
        raise InvalidValueError(f"--port {port} is not a TCP port (1 to 65535)")
    try:
        import uvicorn

        from tuitrack.server.app import create_app
    except ImportError as error:
        raise TuitrackError(
            f"tuitrack server needs Starlette and uvicorn ({error}): pip install 'tuitrack[server]'"
        ) from None

    store = registry.get_tracking_store(store_uri, artifact_root)
    try:
        print(
            f"tuitrack server: serving {store_uri} on http://{host}:{port} "
            f"(artifacts of new experiments under {artifact_root})",
            file=sys.stderr,
            flush=True,
        )
        logging.getLogger("tuitrack.server").addHandler(logging.StreamHandler())
        uvicorn.run(create_app(store), host=host, port=port, log_level="warning", lifespan="off")
    finally:
        store.close()
