"""Random JSON posted to every route of a `tuitrack server` subprocess never makes it fail:
each answer is a success or a 4xx in MLflow's error shape, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrack.server import mlflow_routes, tuitrack_routes

ROUTES = [
    (method, endpoint.path)
    for endpoint in (*mlflow_routes.ENDPOINTS, *tuitrack_routes.ENDPOINTS)
    for method in endpoint.methods
]
# Field names the endpoints read, so that random bodies reach past the first check.
NAMES = st.sampled_from(
    [
        "run_id", "experiment_id", "experiment_ids", "name", "key", "value", "metrics",
        "params", "tags", "filter", "max_results", "page_token", "run_ids", "metric_key",
        "metric_keys", "keys", "values", "timestamps", "steps", "max_points", "start_step",
        "end_step", "view_type", "run_view_type", "status", "datasets", "host", "pid",
    ]
)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
)
BODIES = st.dictionaries(NAMES, JSON, max_size=6)


def query_of(body: dict[str, Any]) -> dict[str, Any]:
    """A body as a query string's fields (lists repeat the key; objects as their text)."""
    return {
        key: [str(item) for item in value] if isinstance(value, list) else str(value)
        for key, value in body.items()
        if value is not None
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES)
def test_random_bodies_get_an_answer_or_a_4xx(
    http: httpx.Client, method: str, path: str, body: dict[str, Any]
) -> None:
    if method == "GET":
        answer = http.get(path, params=query_of(body))
    else:
        # Bare NaN and Infinity tokens too: json.dumps writes them, strict parsers refuse them.
        answer = http.post(path, content=json.dumps(body))
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert {"error_code", "message"} <= set(answer.json())
