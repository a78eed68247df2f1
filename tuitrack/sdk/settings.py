"""SDK behaviour chosen through environment variables, read when a run starts."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tuitrack.errors import InvalidValueError

STRICT_ENV = "TUITRACK_STRICT"
HEARTBEAT_ENV = "TUITRACK_HEARTBEAT_SECONDS"
FLUSH_INTERVAL_ENV = "TUITRACK_FLUSH_INTERVAL_SECONDS"
FLUSH_TIMEOUT_ENV = "TUITRACK_FLUSH_TIMEOUT_SECONDS"
MAX_QUEUED_POINTS_ENV = "TUITRACK_MAX_QUEUED_POINTS"
FULL_QUEUE_WAIT_ENV = "TUITRACK_FULL_QUEUE_WAIT_SECONDS"
CAPTURE_ENVIRONMENT_ENV = "TUITRACK_CAPTURE_ENV"
CAPTURE_GIT_ENV = "TUITRACK_CAPTURE_GIT"
EXPERIMENT_NAME_ENV = "TUITRACK_EXPERIMENT_NAME"
EXPERIMENT_ID_ENV = "TUITRACK_EXPERIMENT_ID"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValueError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no")


def env_number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValueError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise InvalidValueError(f"{name}={raw!r} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class SdkSettings:
    strict: bool = False
    heartbeat_seconds: float = 10.0
    flush_interval_seconds: float = 0.5
    # How long flush() and end_run wait for the store, and interpreter exit keeps retrying.
    flush_timeout_seconds: float = 10.0
    # Metric points waiting in memory; a log call that finds this many waits for room.
    max_queued_points: int = 1_000_000
    # How long log calls wait at a full queue for a store that takes nothing (down, not
    # slow) before they refuse new points; as long as SQLite waits for a lock.
    full_queue_wait_seconds: float = 60.0
    capture_environment: bool = True
    capture_git: bool = True

    @classmethod
    def from_environment(cls) -> SdkSettings:
        return cls(
            strict=env_flag(STRICT_ENV, False),
            heartbeat_seconds=env_number(HEARTBEAT_ENV, 10.0, 0.05),
            flush_interval_seconds=env_number(FLUSH_INTERVAL_ENV, 0.5, 0.01),
            flush_timeout_seconds=env_number(FLUSH_TIMEOUT_ENV, 10.0, 0.0),
            max_queued_points=int(env_number(MAX_QUEUED_POINTS_ENV, 1_000_000, 1)),
            full_queue_wait_seconds=env_number(FULL_QUEUE_WAIT_ENV, 60.0, 0.0),
            capture_environment=env_flag(CAPTURE_ENVIRONMENT_ENV, True),
            capture_git=env_flag(CAPTURE_GIT_ENV, True),
        )
