"""One log_batch as the `runs/log-batch` request bodies MLflow's limits allow.

MLflow refuses a request with more than 1000 metrics, 100 params, 100 tags or 1000 items
in all. A batch within those goes as one request, which the server stores atomically. A
larger one is cut: its params first (so that a changed param is refused before any point
is stored), then its tags, then its metrics, each request as full as the limits allow.
Sending a body again is harmless on MLflow's server: it keeps a metric point once however
often the same (key, value, timestamp, step) arrives, a param's same value is no change
and a tag's last write wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from tuitrack.core.wire.endpoints import (
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
)

JsonItem = dict[str, Any]


def fits_one_request(metrics: int, params: int, tags: int) -> bool:
    """Whether a batch of this many items goes as a single (atomic) request."""
    return (
        metrics <= MAX_METRICS_PER_BATCH
        and params <= MAX_PARAMS_PER_BATCH
        and tags <= MAX_TAGS_PER_BATCH
        and metrics + params + tags <= MAX_ENTITIES_PER_BATCH
    )


def batch_bodies(
    run_id: str,
    metrics: Sequence[JsonItem] = (),
    params: Sequence[JsonItem] = (),
    tags: Sequence[JsonItem] = (),
) -> Iterator[JsonItem]:
    """The request bodies, in sending order, that carry every item given."""
    if fits_one_request(len(metrics), len(params), len(tags)):
        yield _body(run_id, metrics, params, tags)
        return
    for start in range(0, len(params), MAX_PARAMS_PER_BATCH):
        yield _body(run_id, (), params[start : start + MAX_PARAMS_PER_BATCH], ())
    for start in range(0, len(tags), MAX_TAGS_PER_BATCH):
        yield _body(run_id, (), (), tags[start : start + MAX_TAGS_PER_BATCH])
    for start in range(0, len(metrics), MAX_METRICS_PER_BATCH):
        yield _body(run_id, metrics[start : start + MAX_METRICS_PER_BATCH], (), ())


def _body(
    run_id: str, metrics: Sequence[JsonItem], params: Sequence[JsonItem], tags: Sequence[JsonItem]
) -> JsonItem:
    body: JsonItem = {"run_id": run_id}
    if metrics:
        body["metrics"] = list(metrics)
    if params:
        body["params"] = list(params)
    if tags:
        body["tags"] = list(tags)
    return body
