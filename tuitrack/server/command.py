"""The `tuitrack server` subcommand: its options, and starting the server from them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tuitrack.errors import InvalidValueError
from tuitrack.server import tokens

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
PROXIED_ARTIFACT_ROOT = "mlflow-artifacts:/"
"""New experiments' artifact root when the server proxies artifacts (as MLflow's)."""


def add_parser(commands: Any) -> None:
    """Register `server` on the `tuitrack` command's subparsers."""
    server = commands.add_parser(
        "server",
        help="serve a store over MLflow's REST API (MLflow clients log into it unchanged)",
        description="Serve a tracking store over MLflow's REST API 2.0 and tuitrack's own "
        "endpoints (docs/rest.md). Beyond this machine (--host other than 127.0.0.1) it "
        "needs --auth: every request then carries a token from `tuitrack server token add`.",
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
        help="artifact root of new experiments (default: mlflow-artifacts:/ when serving "
        "artifacts, else --artifact-uri, $TUITRACK_ARTIFACT_URI or tuitrack's local "
        "artifact folder)",
    )
    server.add_argument(
        "--serve-artifacts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve MLflow's artifact proxy (/api/2.0/mlflow-artifacts/...), so that clients "
        "upload and download runs' files through this server (default: on)",
    )
    server.add_argument(
        "--artifacts-destination",
        metavar="URI",
        help="where the proxy keeps the files: a folder or any fsspec URL (default: "
        "--default-artifact-root, else --artifact-uri, $TUITRACK_ARTIFACT_URI or "
        "tuitrack's local artifact folder)",
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
    server.add_argument(
        "--auth",
        action="store_true",
        help="require a token on every request but GET /health (read-only tokens may only "
        "read); tokens come from `tuitrack server token add NAME --scope read|write`",
    )
    server.add_argument(
        "--auth-file",
        metavar="PATH",
        type=Path,
        help=f"the tokens' file (default {tokens.default_token_path()})",
    )
    server.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="listen on a non-loopback --host without --auth: anyone who reaches the port "
        "can read and change every run",
    )
    server.add_argument(
        "--ssl-certfile", metavar="PATH", type=Path, help="serve HTTPS with this certificate"
    )
    server.add_argument(
        "--ssl-keyfile", metavar="PATH", type=Path, help="the certificate's private key"
    )
    tokens.add_token_commands(server)


def run(args: argparse.Namespace) -> int:
    from tuitrack.core import config
    from tuitrack.server.security import ServerSecurity
    from tuitrack.server.serving import serve

    if args.server_action == "token":
        return tokens.run_token_command(args)
    if args.auth_file is not None and not args.auth:
        raise InvalidValueError(f"--auth-file {args.auth_file} is used only with --auth: add it")
    security = ServerSecurity(
        auth_file=(args.auth_file or tokens.default_token_path()) if args.auth else None,
        insecure_no_auth=args.insecure_no_auth,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    artifact_root = args.default_artifact_root or (
        getattr(args, "artifact_uri", None) or config.default_artifact_uri()
    )
    if args.artifacts_destination is not None and not args.serve_artifacts:
        raise InvalidValueError(
            f"--artifacts-destination {args.artifacts_destination} is used only when serving "
            "artifacts: drop --no-serve-artifacts"
        )
    serve(
        args.backend_store_uri
        or getattr(args, "uri", None)
        or f"sqlite:///{config.default_database_path()}",
        # As MLflow's server: proxied unless new experiments' root is given.
        args.default_artifact_root
        or (PROXIED_ARTIFACT_ROOT if args.serve_artifacts else artifact_root),
        host=args.host,
        port=args.port,
        workers=args.workers,
        security=security,
        artifacts_destination=(args.artifacts_destination or artifact_root)
        if args.serve_artifacts
        else None,
    )
    return 0
