"""Page tokens of the store contract.

Keyset tokens carry the sort values of a page's last row plus a fingerprint of the query,
so a token cannot be replayed against a different search. Offset tokens resume a list that
the store sorts itself in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from tuitrack.entities import PagedList
from tuitrack.errors import InvalidValueError

T = TypeVar("T")


def fingerprint(*parts: Any) -> str:
    """A short digest of what defines a search (filter, ordering, experiments, ...)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_token(values: Sequence[Any], query_fingerprint: str) -> str:
    """A token resuming after the row whose sort values are `values` (JSON-able)."""
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


def page_of(
    items: Sequence[T], max_results: int, page_token: str | None, query_fingerprint: str
) -> PagedList[T]:
    """One page of `items`, sorted already, resuming where `page_token` left off; the
    token also names the search (`query_fingerprint`). Raises InvalidValueError for a bad
    or foreign token."""
    start = int(decode_token(page_token, query_fingerprint, 1)[0]) if page_token else 0
    end = start + max_results
    token = encode_token([end], query_fingerprint) if end < len(items) else None
    return PagedList(list(items[start:end]), token)


def offset_token(offset: int) -> str:
    """A page token that resumes at row `offset` of a list the store sorts itself."""
    return f"offset:{offset}"


def read_offset_token(token: str | None) -> int:
    """The row an offset_token resumes at (0 for None); InvalidValueError for another token."""
    if token is None:
        return 0
    prefix, _, number = token.partition(":")
    if prefix != "offset" or not number.isdigit():
        raise InvalidValueError(f"page token {token[:40]!r} is not valid")
    return int(number)
