"""Opaque keyset page tokens: the sort values of the last row returned, plus a fingerprint
of the query so a token cannot be replayed against a different search."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from tuitrack.errors import InvalidValueError


def fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_token(values: Sequence[Any], query_fingerprint: str) -> str:
    payload = json.dumps({"v": list(values), "q": query_fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, query_fingerprint: str, size: int) -> list[Any]:
    """The sort values in `token`; raises InvalidValueError for a malformed or foreign token."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        values = payload["v"]
        matches = payload["q"] == query_fingerprint
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidValueError(f"page token {token[:40]!r} is not valid") from None
    if not matches:
        raise InvalidValueError(
            "page token belongs to a different search (filter, ordering or experiments changed)"
        )
    if not isinstance(values, list) or len(values) != size:
        raise InvalidValueError(f"page token {token[:40]!r} is not valid")
    return values
