"""Who may reach `tuitrack server`: tokens (--auth), TLS (--ssl-certfile, --ssl-keyfile), and
the rule that a server listening beyond this machine needs --auth unless told otherwise."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrack.errors import InvalidValueError


@dataclass(frozen=True)
class ServerSecurity:
    auth_file: Path | None = None
    """The token file every request is checked against; None: no authentication."""
    insecure_no_auth: bool = False
    """Listen beyond this machine without --auth, on purpose."""
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    def __post_init__(self) -> None:
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise InvalidValueError(
                f"--ssl-keyfile {self.ssl_keyfile} needs --ssl-certfile (the certificate "
                "the key belongs to)"
            )
        for option, path in (
            ("--ssl-certfile", self.ssl_certfile),
            ("--ssl-keyfile", self.ssl_keyfile),
        ):
            if path is not None and not path.is_file():
                raise InvalidValueError(f"{option} {path}: no such file (a PEM file is expected)")

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_certfile else "http"

    def uvicorn_options(self) -> dict[str, Any]:
        """uvicorn.run's TLS options (none without a certificate)."""
        if self.ssl_certfile is None:
            return {}
        options: dict[str, Any] = {"ssl_certfile": str(self.ssl_certfile)}
        if self.ssl_keyfile is not None:
            options["ssl_keyfile"] = str(self.ssl_keyfile)
        return options


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth: bool, insecure_no_auth: bool) -> None:
    """InvalidValueError when the server would listen beyond this machine without --auth
    (anyone who reaches the port could read and change every run) and that was not asked
    for with --insecure-no-auth."""
    if auth and insecure_no_auth:
        raise InvalidValueError("--auth and --insecure-no-auth contradict each other: give one")
    if auth or insecure_no_auth or is_loopback(host):
        return
    raise InvalidValueError(
        f"--host {host!r} is not a loopback address, and without --auth anyone who reaches "
        "the port could read and change every run: add --auth (tokens from `tuitrack server "
        "token add NAME --scope read|write`), or --insecure-no-auth on a network you trust "
        "entirely; or keep the server on 127.0.0.1 and reach it through an SSH tunnel: "
        "ssh -L 5000:127.0.0.1:5000 THIS_HOST"
    )
