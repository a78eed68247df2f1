"""How tuitrack talks to a tracking server over HTTP: timeouts, retries, TLS and credentials,
read from tuitrack's environment variables first and MLflow's second."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from tuitrack.errors import InvalidValueError

T = TypeVar("T")

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything a RestConnection needs besides the server's address.

    Retries wait `backoff_factor * 2**n` seconds (with jitter, at most `backoff_max_seconds`)
    and stop after `max_retries` retries or when `retry_deadline_seconds` have passed since
    the first attempt, whichever comes first.
    """

    timeout_seconds: float = 30.0
    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max_seconds: float = 30.0
    retry_deadline_seconds: float = 120.0
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    insecure_tls: bool = False
    server_cert_path: str | None = None
    client_cert_path: str | None = None

    def __post_init__(self) -> None:
        for name in ("timeout_seconds", "backoff_max_seconds", "retry_deadline_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InvalidValueError(
                    f"ConnectionSettings.{name}={value!r} is not allowed: "
                    "it must be a finite number of seconds greater than 0"
                )
        if not isinstance(self.backoff_factor, int | float) or not (
            math.isfinite(self.backoff_factor) and self.backoff_factor >= 0
        ):
            raise InvalidValueError(
                f"ConnectionSettings.backoff_factor={self.backoff_factor!r} is not allowed: "
                "it must be a finite number of seconds, 0 or more"
            )
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise InvalidValueError(
                f"ConnectionSettings.max_retries={self.max_retries!r} is not allowed: "
                "it must be a whole number, 0 or more"
            )
        if (self.username is None) != (self.password is None):
            given, missing = (
                ("username", "password") if self.password is None else ("password", "username")
            )
            raise InvalidValueError(
                f"a {given} for HTTP basic auth was given without a {missing}: set both "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or TUITRACK_TRACKING_"
                "USERNAME and TUITRACK_TRACKING_PASSWORD), or neither"
            )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in a message: the token and the password."""
        return tuple(s for s in (self.token, self.password) if s)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ConnectionSettings:
        """Settings from the environment; for each setting, tuitrack's variable wins over
        MLflow's. Raises InvalidValueError naming the variable, its value and what is allowed.
        """
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        defaults = cls()
        return cls(
            timeout_seconds=reader.number(
                ("TUITRACK_HTTP_TIMEOUT_SECONDS", "MLFLOW_HTTP_REQUEST_TIMEOUT"),
                defaults.timeout_seconds,
            ),
            max_retries=reader.count(
                ("TUITRACK_HTTP_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_MAX_RETRIES"),
                defaults.max_retries,
            ),
            backoff_factor=reader.number(
                ("TUITRACK_HTTP_BACKOFF_FACTOR", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"),
                defaults.backoff_factor,
                allow_zero=True,
            ),
            backoff_max_seconds=reader.number(
                ("TUITRACK_HTTP_BACKOFF_MAX_SECONDS",), defaults.backoff_max_seconds
            ),
            retry_deadline_seconds=reader.number(
                ("TUITRACK_HTTP_RETRY_DEADLINE_SECONDS",), defaults.retry_deadline_seconds
            ),
            token=reader.text(("TUITRACK_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")),
            username=reader.text(("TUITRACK_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME")),
            password=reader.text(("TUITRACK_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD")),
            insecure_tls=reader.flag(
                ("TUITRACK_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_INSECURE_TLS")
            ),
            server_cert_path=reader.file(
                ("TUITRACK_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_SERVER_CERT_PATH")
            ),
            client_cert_path=reader.file(
                ("TUITRACK_TRACKING_CLIENT_CERT_PATH", "MLFLOW_TRACKING_CLIENT_CERT_PATH")
            ),
        )


class _Reader:
    """Reads the first set variable of a list, converting it or naming what is allowed."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _first(self, names: tuple[str, ...]) -> tuple[str, str] | None:
        for name in names:
            value = self._environ.get(name)
            if value is not None and value.strip() != "":
                return name, value
        return None

    def _convert(
        self, names: tuple[str, ...], default: T, convert: Callable[[str], T | None], allowed: str
    ) -> T:
        found = self._first(names)
        if found is None:
            return default
        name, raw = found
        value = convert(raw.strip())
        if value is None:
            raise InvalidValueError(f"{name}={raw!r} is not allowed: it must be {allowed}")
        return value

    def number(self, names: tuple[str, ...], default: float, allow_zero: bool = False) -> float:
        def convert(raw: str) -> float | None:
            try:
                value = float(raw)
            except ValueError:
                return None
            ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
            return value if ok else None

        allowed = "a number of seconds, " + ("0 or more" if allow_zero else "greater than 0")
        return self._convert(names, default, convert, allowed)

    def count(self, names: tuple[str, ...], default: int) -> int:
        def convert(raw: str) -> int | None:
            return int(raw) if raw.isdigit() else None

        return self._convert(names, default, convert, "a whole number, 0 or more")

    def flag(self, names: tuple[str, ...]) -> bool:
        def convert(raw: str) -> bool | None:
            lowered = raw.lower()
            return True if lowered in _TRUE else False if lowered in _FALSE else None

        return self._convert(names, False, convert, "true or false (also 1/0, yes/no, on/off)")

    def text(self, names: tuple[str, ...]) -> str | None:
        found = self._first(names)
        return None if found is None else found[1]

    def file(self, names: tuple[str, ...]) -> str | None:
        def convert(raw: str) -> str | None:
            return raw if os.path.isfile(raw) else None

        return self._convert(names, None, convert, "the path of an existing PEM file")
