"""Reading a request's fields, as MLflow's handlers accept them, and checking their types.

A GET request with a query string takes its fields from it (a field given several times,
`?run_ids=a&run_ids=b`, is a list); any other request from its JSON body, which must be an
object (an empty body is `{}`). Numbers are accepted as JSON numbers or as the strings
protobuf's JSON writes for 64-bit integers ("12"). A field of the wrong type is refused with
INVALID_PARAMETER_VALUE naming the field, the value and what is allowed; nothing is coerced
silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request

from tuitrack.core.wire.json_values import float_from_json
from tuitrack.server.responses import RequestError

DEFAULT_BODY_LIMIT = 4 * 1024 * 1024
"""Bytes of a request body, unless an endpoint allows more."""
_SHOWN_CHARACTERS = 80


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 1] + "…"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _wrong(name: str, value: object, allowed: str) -> RequestError:
    return RequestError(
        f"Invalid value {_shown(value)} for parameter '{name}': expected {allowed}, "
        f"got {_type_name(value)}"
    )


def _integer(name: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _wrong(name, value, "an integer")


class Fields:
    """The fields of one request (or of one object inside it, such as a metric of a batch)."""

    def __init__(self, values: Mapping[str, Any], where: str = "") -> None:
        self._values = values
        self._where = where

    def _name(self, name: str) -> str:
        return f"{self._where}{name}"

    def _get(self, name: str, aliases: Sequence[str] = ()) -> Any:
        for key in (name, *aliases):
            value = self._values.get(key)
            if value is not None:
                return value
        return None

    def has(self, name: str) -> bool:
        return self._values.get(name) is not None

    def text(self, name: str, aliases: Sequence[str] = ()) -> str | None:
        value = self._get(name, aliases)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _wrong(self._name(name), value, "a string")
        return value

    def required_text(self, name: str, aliases: Sequence[str] = ()) -> str:
        value = self.text(name, aliases)
        if value is None or value == "":
            raise RequestError(f"Missing value for required parameter '{self._name(name)}'.")
        return value

    def integer(
        self, name: str, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        number = _integer(self._name(name), value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            low = "" if minimum is None else f"{minimum}"
            high = "" if maximum is None else f"{maximum}"
            raise RequestError(
                f"Invalid value {number} for parameter '{self._name(name)}': "
                f"it must be in the range {low}..{high}"
            )
        return number

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise RequestError(f"Missing value for required parameter '{self._name(name)}'.")
        return value

    def number(self, name: str) -> float:
        """A required double: a JSON number, a decimal string, or "NaN", "Infinity",
        "-Infinity" as protobuf's JSON writes them (tuitrack.core.wire.json_values)."""
        value = self._get(name)
        if value is None:
            raise RequestError(f"Missing value for required parameter '{self._name(name)}'.")
        if isinstance(value, bool):
            raise _wrong(self._name(name), value, 'a number, "NaN", "Infinity" or "-Infinity"')
        return float_from_json(value, f"parameter '{self._name(name)}'")

    def boolean(self, name: str) -> bool | None:
        value = self._get(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _wrong(self._name(name), value, "true or false")

    def text_list(self, name: str, aliases: Sequence[str] = ()) -> list[str]:
        value = self._get(name, aliases)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _wrong(self._name(name), value, "an array of strings")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise _wrong(f"{self._name(name)}[{index}]", item, "a string")
        return value

    def array(self, name: str) -> list[Any]:
        """A JSON array as it came (its items unchecked); [] when absent."""
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _wrong(self._name(name), value, "an array")
        return value

    def objects(self, name: str) -> list[Fields]:
        """A list of JSON objects, each as Fields whose errors name `name[i].field`."""
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _wrong(self._name(name), value, "an array of objects")
        found = []
        for index, item in enumerate(value):
            where = f"{self._name(name)}[{index}]"
            if not isinstance(item, dict):
                raise _wrong(where, item, "an object")
            found.append(Fields(item, f"{where}."))
        return found

    def raw(self, name: str) -> Any:
        """The field as it came, for a wire converter that checks it itself."""
        return self._get(name)

    def key_values(self, name: str) -> dict[str, str]:
        """MLflow's tag lists, `[{"key": k, "value": v}, ...]`, as a dict (last one wins);
        a missing value is the empty string, as in MLflow."""
        pairs: dict[str, str] = {}
        for item in self.objects(name):
            pairs[item.required_text("key")] = item.text("value") or ""
        return pairs


class QueryFields(Fields):
    """Fields of a query string: a field given once is a string, several times a list."""

    def text(self, name: str, aliases: Sequence[str] = ()) -> str | None:
        value = self._get(name, aliases)
        if isinstance(value, list):
            return str(value[0])  # given several times: the first, as MLflow's server reads it
        return super().text(name, aliases)

    def text_list(self, name: str, aliases: Sequence[str] = ()) -> list[str]:
        value = self._get(name, aliases)
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)


async def read_fields(request: Request, body_limit: int = DEFAULT_BODY_LIMIT) -> Fields:
    """The request's fields: its query string for a GET that has one, else its JSON body."""
    if request.method == "GET" and request.query_params:
        values: dict[str, Any] = {}
        for key in request.query_params:
            found = request.query_params.getlist(key)
            values[key] = found[0] if len(found) == 1 else found
        return QueryFields(values)
    body = await read_body(request, body_limit)
    if not body.strip():
        return Fields({})
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise RequestError(f"The request body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise RequestError(f"The request body must be a JSON object, got {_type_name(document)}")
    return Fields(document)


async def read_body(request: Request, body_limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `body_limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > body_limit:
        raise _too_large(body_limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > body_limit:
            raise _too_large(body_limit)
        chunks.append(chunk)
    return b"".join(chunks)


class BodyTooLargeError(RequestError):
    status_code = 413


def _too_large(body_limit: int) -> BodyTooLargeError:
    return BodyTooLargeError(
        f"The request body exceeds this endpoint's limit of {body_limit} bytes; "
        "send less per request (MLflow's log-batch limits: 1000 metrics, 100 params, 100 tags)"
    )
