"""The `tuitrack server` subcommand: its options, and starting the server from them."""

from __future__ import annotations

import argparse
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def add_parser(commands: Any) -> None:
    """Register `server` on the `tuitrack` command's subparsers."""
    server = commands.add_parser(
        "server",
        help="serve a store over MLflow's REST API (MLflow clients log into it unchanged)",
        description="Serve a tracking store over MLflow's REST API 2.0 and tuitrack's own "
        "endpoints (docs/rest.md). Only on this machine for now: authentication comes later.",
    )
    server.add_argument(
        "--backend-store-uri",
        metavar="URI",
        help="the store to serve (default: --uri, else tuitrack's local SQLite store; "
        "the tracking URI variables are not read: they name servers for clients)",
    )
    server.add_argument(
        "--default-artifact-root",
        metavar="URI",
        help="artifact root of new experiments (default: --artifact-uri, else "
        "$TUITRACK_ARTIFACT_URI or tuitrack's local artifact folder)",
    )
    server.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    server.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    server.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes, each with its own connection to the store (default 1); "
        "they keep no state, so any of them answers any request",
    )


def run(args: argparse.Namespace) -> int:
    from tuitrack.core import config
    from tuitrack.server.serving import serve

    serve(
        args.backend_store_uri
        or getattr(args, "uri", None)
        or f"sqlite:///{config.default_database_path()}",
        args.default_artifact_root
        or getattr(args, "artifact_uri", None)
        or config.default_artifact_uri(),
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    return 0
