"""Connect and read timeouts and a bounded retry for remote artifact filesystems.

Without them an S3 endpoint that accepts the connection and never answers blocks an upload
for tens of minutes: botocore and s3fs each retry, so their waits multiply, and aiohttp has
no timeout at all for a server that stops reading or never sends "100 Continue".
"""

from __future__ import annotations

import functools
import math
import os
import socket
from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.core import split_protocol

from tuitrack.errors import InvalidValueError

TIMEOUT_ENV = "TUITRACK_ARTIFACT_TIMEOUT_SECONDS"
RETRIES_ENV = "TUITRACK_ARTIFACT_RETRIES"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_RETRIES = 2

_S3_PROTOCOLS = ("s3", "s3a")
_SSH_PROTOCOLS = ("sftp", "ssh")
# Error types (by name, so that botocore need not be imported) meaning "no answer in time".
_TIMEOUT_ERRORS = {
    "TimeoutError",
    "FSTimeoutError",
    "ReadTimeoutError",
    "ConnectTimeoutError",
    "ServerTimeoutError",
}


@dataclass(frozen=True)
class NetworkLimits:
    """How long one request may wait, and how many times a failed request is tried."""

    timeout_seconds: float
    retries: int

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def describe(self, retried: bool) -> str:
        """The limits in words; `retried` says whether the filesystem retries failed requests."""
        attempts = f", {self.attempts} attempt{'s' if self.attempts > 1 else ''}" if retried else ""
        return (
            f"{self.timeout_seconds:g} s to connect, {self.timeout_seconds:g} s without "
            f"progress per read or write{attempts}; {TIMEOUT_ENV} and {RETRIES_ENV} change these"
        )


def limits_from_environment() -> NetworkLimits:
    """The limits set by TUITRACK_ARTIFACT_TIMEOUT_SECONDS / TUITRACK_ARTIFACT_RETRIES."""
    timeout_text = os.environ.get(TIMEOUT_ENV, "").strip()
    retries_text = os.environ.get(RETRIES_ENV, "").strip()
    timeout = DEFAULT_TIMEOUT_SECONDS
    retries = DEFAULT_RETRIES
    if timeout_text:
        try:
            timeout = float(timeout_text)
        except ValueError:
            timeout = math.nan
        if not (math.isfinite(timeout) and timeout > 0):
            raise InvalidValueError(
                f"{TIMEOUT_ENV}={timeout_text!r} is not allowed: give a number of seconds > 0 "
                f"(default {DEFAULT_TIMEOUT_SECONDS:g})"
            )
    if retries_text:
        if not retries_text.isdigit():
            raise InvalidValueError(
                f"{RETRIES_ENV}={retries_text!r} is not allowed: give a whole number >= 0 of "
                f"retries after a failed request (default {DEFAULT_RETRIES})"
            )
        retries = int(retries_text)
    return NetworkLimits(timeout, retries)


def _stall_limited_socket(timeout_ms: int, addr_info: tuple[Any, ...]) -> socket.socket:
    """A TCP socket that the kernel closes when sent data stays unacknowledged, or the peer
    accepts no data at all, for `timeout_ms` (Linux: TCP_USER_TIMEOUT).

    aiohttp has no write timeout: without this an upload to a server that stopped reading
    waits forever once the socket's buffers are full.
    """
    family, kind, proto = addr_info[0], addr_info[1], addr_info[2]
    sock = socket.socket(family=family, type=kind, proto=proto)
    user_timeout = getattr(socket, "TCP_USER_TIMEOUT", None)
    if user_timeout is not None and family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, user_timeout, timeout_ms)
    return sock


def _limit_options(protocol: str, limits: NetworkLimits) -> dict[str, Any]:
    """The filesystem options that apply `limits`, for the protocols whose fsspec class has them."""
    seconds = limits.timeout_seconds
    if protocol in _S3_PROTOCOLS:
        retries = {"total_max_attempts": limits.attempts, "mode": "standard"}
        stall_limit = functools.partial(_stall_limited_socket, math.ceil(seconds * 1000))
        return {
            "config_kwargs": {
                "connect_timeout": seconds,
                "read_timeout": seconds,
                "retries": retries,
                "connector_args": {"socket_factory": stall_limit},
            }
        }
    if protocol == "ftp":
        return {"timeout": seconds}
    if protocol in _SSH_PROTOCOLS:
        # paramiko's SSHClient.connect arguments, which fsspec's SFTPFileSystem passes on.
        return {
            "timeout": seconds,
            "banner_timeout": seconds,
            "auth_timeout": seconds,
            "channel_timeout": seconds,
        }
    return {}


def _under(user: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """`ours` with every option the user's fsspec configuration sets taken from there."""
    merged = dict(ours)
    for key, value in user.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _under(value, merged[key])
        else:
            merged[key] = value
    return merged


def storage_options(root_uri: str, limits: NetworkLimits) -> dict[str, dict[str, Any]]:
    """Options for `url_to_fs(root_uri, **options)`, keyed by each protocol of the (chained) URI.

    Settings in the user's fsspec configuration (`fsspec.config.conf`) win over these.
    """
    options: dict[str, dict[str, Any]] = {}
    for part in root_uri.split("::"):
        protocol = split_protocol(part)[0]
        ours = _limit_options(protocol or "file", limits)
        if protocol and ours:
            options[protocol] = _under(dict(fsspec.config.conf.get(protocol, {})), ours)
    return options


def _filesystems(fs: Any) -> list[Any]:
    """`fs` and the filesystems it wraps (a chained URL's caching layers wrap their target)."""
    chain = [fs]
    while getattr(chain[-1], "fs", None) is not None and len(chain) < 8:
        chain.append(chain[-1].fs)
    return chain


def _is_s3(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return any(protocol in _S3_PROTOCOLS for protocol in protocols)


def retries_requests(root_uri: str) -> bool:
    """Whether the retry limit applies to the filesystem of `root_uri` (S3, through botocore)."""
    return any(split_protocol(part)[0] in _S3_PROTOCOLS for part in root_uri.split("::"))


def bound_retries(fs: Any) -> None:
    """Leave retrying to botocore's bounded retry: s3fs would try each of those attempts 5 times."""
    for layer in _filesystems(fs):
        if _is_s3(layer):
            layer.retries = 1


def _send_body_at_once(request: Any, **_: Any) -> None:
    request.headers.pop("Expect", None)


def prepare_for_writes(fs: Any) -> None:
    """Make S3 uploads send their body without first waiting for "100 Continue".

    botocore asks for that answer on every upload, and aiohttp waits for it with no timeout
    at all, so a server that never answers would hold the upload forever despite the read
    timeout. Without the header the read timeout covers the wait for the response.
    """
    for layer in _filesystems(fs):
        if _is_s3(layer):
            layer.s3.meta.events.register(
                "before-send.s3", _send_body_at_once, unique_id="tuitrack-send-body-at-once"
            )


def endpoint(fs: Any) -> str | None:
    """The server a remote filesystem talks to, for error messages; None when unknown."""
    for layer in _filesystems(fs):
        if _is_s3(layer):
            client = getattr(layer, "_s3", None)
            url = getattr(getattr(client, "meta", None), "endpoint_url", None)
            return str(url or layer.endpoint_url or "the default AWS S3 endpoint")
        host = getattr(layer, "host", None)
        if isinstance(host, str) and host:
            port = getattr(layer, "port", None)
            return f"{host}:{port}" if port else host
    return None


def is_timeout(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, means a server did not answer in time."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(cls.__name__ in _TIMEOUT_ERRORS for cls in type(current).__mro__):
            return True
        current = current.__cause__ or current.__context__
    return False
