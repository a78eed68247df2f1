"""Checks on keys, values and names, shared by the SDK (before queueing) and every store."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

from tuitrack.entities import Metric, Param, RunStatus, RunTag
from tuitrack.errors import InvalidValueError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 256
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_HOST_LENGTH = 255
# Longest name of one file or folder in an artifact path (what common filesystems hold),
# and of a whole artifact path (S3's limit for a whole key).
MAX_ARTIFACT_NAME_BYTES = 255
MAX_ARTIFACT_PATH_BYTES = 1024
# Timestamps and steps are stored as signed 64-bit integers.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Experiment ids of SQL stores are 32-bit database integers.
INT32_MAX = 2**31 - 1

_KEY_PATTERN = re.compile(r"[\w\-./ :]+")
ALLOWED_KEY_CHARS = "letters, digits and _ - . / space :"

_valid_keys: set[str] = set()


def validate_key(key: object, kind: str = "key") -> str:
    """Return `key` if it is a valid metric, param or tag name, else raise InvalidValueError."""
    if key in _valid_keys:
        return key
    if not isinstance(key, str):
        raise InvalidValueError(f"{kind} must be a string, got {type(key).__name__} {key!r}")
    if not key:
        raise InvalidValueError(f"{kind} must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidValueError(
            f"{kind} {key[:40]!r}... is {len(key)} characters long; "
            f"at most {MAX_KEY_LENGTH} allowed"
        )
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidValueError(f"{kind} {key!r} may only contain {ALLOWED_KEY_CHARS}")
    if not key.strip():
        raise InvalidValueError(f"{kind} {key!r} must not be blank")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidValueError(
            f"{kind} {key!r} must be a normalized relative name "
            "(no leading '/', no '.' or '..' parts, no '//', no trailing '/')"
        )
    if len(_valid_keys) < 100_000:
        _valid_keys.add(key)
    return key


def validate_text(value: object, what: str, limit: int) -> str:
    """`value` if it is a string of at most `limit` characters that every store can hold."""
    if not isinstance(value, str):
        raise InvalidValueError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    if len(value) > limit:
        raise InvalidValueError(
            f"{what} {value[:40]!r}... is {len(value)} characters long; at most {limit} allowed"
        )
    _check_storable(value, what)
    return value


def _check_storable(text: str, what: str) -> None:
    """Refuse what a database cannot store: NUL (PostgreSQL text) and lone surrogates
    (not encodable as UTF-8)."""
    if "\0" in text:
        raise InvalidValueError(
            f"{what} {_excerpt(text)} contains a NUL character (\\x00), which is not allowed"
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidValueError(
                f"{what} {_excerpt(text)} contains {text[error.start]!r}, which is not "
                "a Unicode character (a lone surrogate); only valid Unicode text is allowed"
            ) from None


def _excerpt(text: str) -> str:
    return repr(text) if len(text) <= 60 else f"{text[:40]!r}..."


def value_text(value: object, what: str) -> str:
    """str(value) for a param or tag value given as any object."""
    try:
        return str(value)
    except ValueError as error:  # e.g. an int of more than 4300 digits
        raise InvalidValueError(f"{what} cannot be written as text: {error}") from None


def stored_id(value: object, max_length: int) -> str | None:
    """`value` if it is a string id that a database column of `max_length` characters could
    hold, else None: such an id names nothing in that store."""
    if not isinstance(value, str) or len(value) > max_length or "\0" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def integer_id(value: object, maximum: int = INT32_MAX) -> int | None:
    """The number an integer id such as '42' stands for; None for anything a store whose
    ids are integers from 0 to `maximum` never issued (signs, spaces, other digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= maximum else None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if number <= maximum else None


def validate_param(param: Param) -> None:
    validate_key(param.key, "param key")
    validate_text(param.value, f"value of param {param.key!r}", MAX_PARAM_VALUE_LENGTH)


def validate_tag(tag: RunTag) -> None:
    validate_key(tag.key, "tag key")
    validate_text(tag.value, f"value of tag {tag.key!r}", MAX_TAG_VALUE_LENGTH)


def validate_experiment_tag(key: str, value: str) -> None:
    validate_key(key, "experiment tag key")
    validate_text(value, f"value of experiment tag {key!r}", MAX_TAG_VALUE_LENGTH)


def validate_new_run(
    tags: Mapping[str, str] | None,
    run_name: str | None,
    user_id: str | None,
    host: str | None,
    pid: int | None,
) -> list[RunTag]:
    """Check create_run's arguments (those every store holds as given); return its tags."""
    if run_name is not None:
        validate_run_name(run_name)
    run_tags = [RunTag(key=key, value=value) for key, value in (tags or {}).items()]
    for tag in run_tags:
        validate_tag(tag)
    if user_id is not None:
        validate_text(user_id, "user id", MAX_USER_ID_LENGTH)
    if host is not None:
        validate_text(host, "host name", MAX_HOST_LENGTH)
    if pid is not None and integer_id(pid) is None:
        raise InvalidValueError(f"pid must be an integer from 0 to {INT32_MAX}, got {pid!r}")
    return run_tags


def validate_int64(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{what} must be an integer, got {value!r}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidValueError(f"{what} {value} is outside the 64-bit integer range")
    return value


def validate_metric(metric: Metric) -> None:
    validate_key(metric.key, "metric key")
    value = metric.value
    if not isinstance(value, float):
        raise InvalidValueError(f"value of metric {metric.key!r} must be a number, got {value!r}")
    validate_int64(metric.step, f"step of metric {metric.key!r}")
    validate_int64(metric.timestamp, f"timestamp of metric {metric.key!r}")


def validate_metric_value(key: str, value: object) -> float:
    """Coerce a user's metric value (int, float, numpy scalar) to float or raise."""
    if isinstance(value, float):
        return value
    if isinstance(value, bool | str | bytes):
        raise InvalidValueError(
            f"value of metric {key!r} must be a number, got {reprlib.repr(value)}"
        )
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidValueError(
            f"value of metric {key!r} must be a number a 64-bit float can hold, "
            f"got {reprlib.repr(value)}"
        ) from None


def validate_experiment_name(name: object) -> str:
    text = validate_text(name, "experiment name", MAX_EXPERIMENT_NAME_LENGTH)
    if not text.strip():
        raise InvalidValueError("experiment name must not be empty")
    return text


def validate_run_name(name: object) -> str:
    return validate_text(name, "run name", MAX_RUN_NAME_LENGTH)


def normalize_artifact_path(path: str | None) -> str:
    """Return `path` as a clean relative '/'-separated path ('' for the root).

    Raises InvalidValueError for absolute paths, paths that climb out of the root, control
    characters, and names or paths longer than filesystems and object stores accept.
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidValueError(f"artifact path must be a string, got {path!r}")
    _check_storable(path, "artifact path")
    control = _CONTROL_CHARACTER.search(path)
    if control:
        raise InvalidValueError(
            f"artifact path {_excerpt(path)} contains the control character "
            f"{control.group()!r}; names of artifacts must be printable"
        )
    text = path.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or "://" in text:
        raise InvalidValueError(
            f"artifact path {path!r} must be relative to the run's artifact root"
        )
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidValueError(
            f"artifact path {path!r} leaves the run's artifact root ('..' is not allowed)"
        )
    for part in parts:
        if len(part.encode()) > MAX_ARTIFACT_NAME_BYTES:
            raise InvalidValueError(
                f"artifact name {_excerpt(part)} is {len(part.encode())} bytes long in UTF-8; "
                f"at most {MAX_ARTIFACT_NAME_BYTES} allowed"
            )
    clean = "/".join(parts)
    if len(clean.encode()) > MAX_ARTIFACT_PATH_BYTES:
        raise InvalidValueError(
            f"artifact path {_excerpt(clean)} is {len(clean.encode())} bytes long in UTF-8; "
            f"at most {MAX_ARTIFACT_PATH_BYTES} allowed"
        )
    return clean


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def validate_metric_columns(
    keys: Sequence[object],
    values: Sequence[object],
    timestamps: Sequence[object],
    steps: Sequence[object],
) -> None:
    """Metric points given column by column must have one entry per point in each column."""
    if not len(keys) == len(values) == len(timestamps) == len(steps):
        raise InvalidValueError(
            f"metric columns must be equally long, got {len(keys)} keys, {len(values)} "
            f"values, {len(timestamps)} timestamps and {len(steps)} steps"
        )


def checked_metric_columns(
    keys: Sequence[str], values: Sequence[float], timestamps: Sequence[int], steps: Sequence[int]
) -> list[str]:
    """Check metric points given column by column (equal lengths, each distinct key, steps
    and timestamps within int64; values are not looked at); return the distinct keys in
    order of first use. Cheap per point: keys are checked once each."""
    validate_metric_columns(keys, values, timestamps, steps)
    distinct = list(dict.fromkeys(keys))
    for key in distinct:
        validate_key(key, "metric key")
    for name, column in (("step", steps), ("timestamp", timestamps)):
        if column and (min(column) < INT64_MIN or max(column) > INT64_MAX):
            bad = next(v for v in column if not INT64_MIN <= v <= INT64_MAX)
            raise InvalidValueError(f"metric {name} {bad} is outside the 64-bit integer range")
    return distinct


def run_update_values(
    status: RunStatus | str | None, end_time: object | None, run_name: object | None
) -> dict[str, Any]:
    """The runs-table columns an update_run_info call sets (`status`, `end_time`, `name`),
    checked; InvalidValueError names a bad status, end time or name."""
    values: dict[str, Any] = {}
    if status is not None:
        try:
            values["status"] = RunStatus(status).value
        except ValueError:
            allowed = ", ".join(s.value for s in RunStatus)
            raise InvalidValueError(f"run status {status!r} is not one of {allowed}") from None
    if end_time is not None:
        values["end_time"] = validate_int64(end_time, "end_time")
    if run_name is not None:
        values["name"] = validate_run_name(run_name)
    return values
