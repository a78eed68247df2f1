"""What the server answers: JSON bodies, and errors in MLflow's shape.

Every error is `{"error_code": NAME, "message": TEXT}` with the HTTP status MLflow gives
that code, so that MLflow's own client raises the same MlflowException it would get from
`mlflow server`, and tuitrack's REST client maps it back to the same tuitrack error.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from tuitrack.errors import TuitrackError

# MLflow's table (mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS) for the codes this server uses.
HTTP_STATUS_BY_ERROR_CODE: dict[str, int] = {
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}
JSON_MEDIA_TYPE = "application/json"


class RequestError(TuitrackError):
    """A request the server refuses before any store is asked, with MLflow's error code."""

    status_code: int | None = None
    """The HTTP status when it is not the one MLflow gives the error code."""

    def __init__(self, message: str, error_code: str = "INVALID_PARAMETER_VALUE") -> None:
        super().__init__(message)
        self.error_code = error_code


def json_response(content: dict[str, Any], status_code: int = 200) -> Response:
    """`content` as compact JSON. NaN and infinities must already be strings (as MLflow
    writes them); a float that is not would be a bug, so it raises instead of writing
    JSON that strict parsers refuse."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status_code, media_type=JSON_MEDIA_TYPE)


def error_response(
    error_code: str,
    message: str,
    status_code: int | None = None,
    tuitrack_error: str | None = None,
) -> Response:
    status = status_code or HTTP_STATUS_BY_ERROR_CODE.get(error_code, 500)
    body = {"error_code": error_code, "message": message}
    if tuitrack_error is not None:
        body["tuitrack_error"] = tuitrack_error
    return json_response(body, status)


def tuitrack_error_response(error: TuitrackError) -> Response:
    """A store's or the request parser's error; its class carries MLflow's error code.

    A store's error also names its tuitrack class (`tuitrack_error`), which MLflow's code
    alone cannot tell apart (ReadOnlyError and ParamConflictError share
    INVALID_PARAMETER_VALUE with InvalidValueError), so that tuitrack's client raises the
    same class the store raised. MLflow's client ignores the extra key."""
    if isinstance(error, RequestError):
        return error_response(error.error_code, str(error), error.status_code)
    return error_response(error.error_code, str(error), None, type(error).__name__)
