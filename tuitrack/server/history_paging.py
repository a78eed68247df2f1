"""Pages of one metric's history for MLflow's `metrics/get-history` (max_results + token).

A page token names where the next page starts: a step, and how many points of that step
the pages before already returned (a step may hold several points). A page is read from
that step on through TrackingStore.iter_metric_history, so a page costs one window of the
store, never the whole history, however deep into the series it is.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Sequence

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric
from tuitrack.server.responses import RequestError


def _token(step: int, skip: int) -> str:
    text = json.dumps({"step": step, "skip": skip}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def _read_token(token: str) -> tuple[int, int]:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        step, skip = document["step"], document["skip"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        step = skip = None
    if not isinstance(step, int) or not isinstance(skip, int) or skip < 0:
        raise RequestError(
            f"Invalid page_token {token!r}: pass the next_page_token of the previous page"
        )
    return step, skip


def page(
    store: TrackingStore, run_id: str, key: str, max_results: int, token: str | None
) -> tuple[list[Metric], str | None]:
    """Up to `max_results` points from the token's position on, and the next page's token
    (None on the last page)."""
    start, skip = _read_token(token) if token else (None, 0)
    points = store.iter_metric_history(run_id, key, start_step=start)
    # The first `skip` points are at step `start` (the history is ordered by step): earlier
    # pages returned them.
    found = list(itertools.islice(points, skip, skip + max_results + 1))
    if len(found) <= max_results:
        return found, None
    found = found[:max_results]
    last = found[-1].step
    returned_at_last = sum(1 for point in found if point.step == last)
    if last == start:
        returned_at_last += skip
    return found, _token(last, returned_at_last)


def at_most(points: Sequence[Metric], limit: int) -> Sequence[Metric]:
    """`points` thinned evenly to `limit`, the first and the last kept (the store's
    thinning keeps at least 5 points; MLflow's bulk interval endpoint allows fewer)."""
    if len(points) <= limit:
        return points
    if limit == 1:
        return [points[-1]]
    last = len(points) - 1
    return [points[round(i * last / (limit - 1))] for i in range(limit)]
