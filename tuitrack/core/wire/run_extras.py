"""tuitrack's extras object of a run: what tuitrack's RunInfo holds beyond MLflow's
(heartbeat_time, host, pid). tuitrack's endpoints send it beside MLflow's info and data,
under RUN_EXTRAS_KEY; MLflow's never do, and these fields are None for MLflow's runs."""

from __future__ import annotations

from typing import Any

from tuitrack.core.wire.json_values import (
    JsonObject,
    object_from_json,
    optional_int64_from_json,
    optional_text_from_json,
)
from tuitrack.entities import RunInfo

RUN_EXTRAS_KEY = "tuitrack"
"""Where tuitrack's endpoints put a run's extras object, beside MLflow's info and data."""


def run_extras_to_json(info: RunInfo) -> JsonObject:
    """{"heartbeat_time", "host", "pid"}: what tuitrack's RunInfo holds beyond MLflow's;
    absent ones are left out."""
    found: JsonObject = {}
    if info.heartbeat_time is not None:
        found["heartbeat_time"] = info.heartbeat_time
    if info.host is not None:
        found["host"] = info.host
    if info.pid is not None:
        found["pid"] = info.pid
    return found


def run_extras_from_json(data: object, where: str = "run") -> dict[str, Any]:
    """{"heartbeat_time": int | None, "host": str | None, "pid": int | None} from the extras
    object, as RunInfo's keyword arguments."""
    fields = object_from_json(data, f"{where}.{RUN_EXTRAS_KEY}")
    return {
        "heartbeat_time": optional_int64_from_json(fields, "heartbeat_time", where),
        "host": optional_text_from_json(fields, "host", where),
        "pid": optional_int64_from_json(fields, "pid", where),
    }
