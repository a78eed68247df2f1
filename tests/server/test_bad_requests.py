"""A `tuitrack server` subprocess answers every bad request with a clear 4xx in MLflow's
error shape ({"error_code", "message"}) naming what was wrong, and writes nothing; and it
reads MLflow's GET query strings as MLflow's server does."""

from __future__ import annotations

import httpx
import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, Param

MLFLOW = "/api/2.0/mlflow"


def error_of(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) - {"tuitrack_error"} == {"error_code", "message"}
    assert body["error_code"] == code
    message: str = body["message"]
    return message


def test_health_and_version(http: httpx.Client) -> None:
    assert http.get("/health").text == "OK"
    version = http.get("/version")
    assert version.status_code == 200
    assert version.text[0].isdigit()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nothing/here"),
        ("POST", f"{MLFLOW}/registered-models/create"),
        ("GET", "/api/2.0/tuitrack/no-such-thing"),
        ("GET", "/api/2.0/mlflow-artifacts/no-such-thing"),
    ],
)
def test_unknown_routes_are_404_in_mlflows_shape(
    http: httpx.Client, method: str, path: str
) -> None:
    message = error_of(http.request(method, path), 404, "ENDPOINT_NOT_FOUND")
    assert path in message


def test_a_wrong_method_is_405_in_mlflows_shape(http: httpx.Client) -> None:
    message = error_of(http.get(f"{MLFLOW}/runs/create"), 405, "ENDPOINT_NOT_FOUND")
    assert "does not take GET" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object, got an array"),
        (b'"a string"', "must be a JSON object, got a string"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_bodies_are_refused(http: httpx.Client, content: bytes, expected: str) -> None:
    answer = http.post(f"{MLFLOW}/experiments/create", content=content)
    assert expected in error_of(answer, 400, "INVALID_PARAMETER_VALUE")


def test_a_huge_body_is_refused_before_it_is_read(http: httpx.Client) -> None:
    answer = http.post(f"{MLFLOW}/experiments/create", content=b" " * (5 * 1024 * 1024))
    assert "limit of" in error_of(answer, 413, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        (f"{MLFLOW}/experiments/create", {"name": 5}, "'name'"),
        (f"{MLFLOW}/experiments/create", {}, "'name'"),
        (f"{MLFLOW}/experiments/create", {"name": "x", "tags": "t"}, "'tags'"),
        (f"{MLFLOW}/experiments/create", {"name": "x", "tags": [{"value": "v"}]}, "tags[0].key"),
        (f"{MLFLOW}/experiments/search", {"max_results": "many"}, "'max_results'"),
        (f"{MLFLOW}/experiments/search", {"max_results": 50_001}, "'max_results'"),
        (f"{MLFLOW}/experiments/search", {"view_type": "SOME"}, "view_type"),
        (f"{MLFLOW}/runs/search", {"experiment_ids": "0"}, "'experiment_ids'"),
        (f"{MLFLOW}/runs/search", {"experiment_ids": [0]}, "experiment_ids[0]"),
        (f"{MLFLOW}/runs/search", {"order_by": [1]}, "order_by[0]"),
        (f"{MLFLOW}/runs/update", {"run_id": "a" * 32, "status": "DONE"}, "status"),
        (f"{MLFLOW}/runs/update", {"run_id": "a" * 32, "end_time": True}, "'end_time'"),
        (f"{MLFLOW}/runs/log-batch", {"metrics": []}, "'run_id'"),
        (
            f"{MLFLOW}/runs/log-batch",
            {"run_id": "a" * 32, "metrics": [{"key": "m", "value": "high", "timestamp": 1}]},
            "metrics[0].value",
        ),
        (
            f"{MLFLOW}/runs/log-batch",
            {"run_id": "a" * 32, "metrics": [{"key": "m", "value": 1}]},
            "metrics[0].timestamp",
        ),
        (f"{MLFLOW}/runs/log-metric", {"run_id": "a" * 32, "key": "m"}, "'value'"),
        (f"{MLFLOW}/runs/log-inputs", {"run_id": "a" * 32, "datasets": [{}]}, "datasets[0]"),
        (f"{MLFLOW}/logged-models/search", {"experiment_ids": 1}, "'experiment_ids'"),
    ],
)
def test_wrong_types_name_the_field(
    http: httpx.Client, path: str, body: dict[str, object], named: str
) -> None:
    message = error_of(http.post(path, json=body), 400, "INVALID_PARAMETER_VALUE")
    assert named in message


def test_store_errors_keep_mlflows_codes(http: httpx.Client, store: TrackingStore) -> None:
    missing = http.get(f"{MLFLOW}/runs/get", params={"run_id": "b" * 32})
    assert "b" * 32 in error_of(missing, 404, "RESOURCE_DOES_NOT_EXIST")
    named = http.get(f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": "nope"})
    assert "nope" in error_of(named, 404, "RESOURCE_DOES_NOT_EXIST")
    store.create_experiment("twice")
    again = http.post(f"{MLFLOW}/experiments/create", json={"name": "twice"})
    error_of(again, 400, "RESOURCE_ALREADY_EXISTS")
    bad_filter = http.post(f"{MLFLOW}/runs/search", json={"filter": "metrics.acc >"})
    error_of(bad_filter, 400, "INVALID_PARAMETER_VALUE")
    assert bad_filter.json()["tuitrack_error"] == "FilterSyntaxError"


def test_errors_name_tuitracks_class_where_mlflows_code_cannot(
    http: httpx.Client, store: TrackingStore
) -> None:
    run_id = store.create_run(store.create_experiment("classes")).info.run_id
    store.log_batch(run_id, params=[Param(key="lr", value="0.1")])
    changed = {"run_id": run_id, "key": "lr", "value": "0.2"}
    answer = http.post(f"{MLFLOW}/runs/log-parameter", json=changed)
    error_of(answer, 400, "INVALID_PARAMETER_VALUE")
    assert answer.json()["tuitrack_error"] == "ParamConflictError"
    store.delete_run(run_id)
    answer = http.post(f"{MLFLOW}/runs/set-tag", json={"run_id": run_id, "key": "k", "value": "v"})
    assert "deleted" in error_of(answer, 400, "INVALID_PARAMETER_VALUE")
    assert answer.json()["tuitrack_error"] == "ReadOnlyError"


def test_log_batch_keeps_mlflows_limits_and_writes_nothing_over_them(
    http: httpx.Client, store: TrackingStore
) -> None:
    run_id = store.create_run(store.create_experiment("limits")).info.run_id
    metrics = [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(1001)]
    answer = http.post(f"{MLFLOW}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    assert "at most 1000 metrics, got 1001" in error_of(answer, 400, "INVALID_PARAMETER_VALUE")
    tags = [{"key": f"t{i}", "value": "v"} for i in range(101)]
    answer = http.post(f"{MLFLOW}/runs/log-batch", json={"run_id": run_id, "tags": tags})
    assert "at most 100 tags" in error_of(answer, 400, "INVALID_PARAMETER_VALUE")
    assert store.get_metric_history(run_id, "m") == []
    assert store.get_run(run_id).data.tags.keys().isdisjoint({"t0", "t100"})


def test_get_endpoints_read_the_query_string_as_mlflow_does(
    http: httpx.Client, store: TrackingStore
) -> None:
    experiment_id = store.create_experiment("queries")
    run_ids = [store.create_run(experiment_id).info.run_id for _ in range(2)]
    for run_id in run_ids:
        points = [Metric(key="loss", value=s / 10, timestamp=s, step=s) for s in range(100)]
        store.log_batch(run_id, metrics=points)
    params = {"run_ids": run_ids, "metric_key": "loss", "max_results": "10"}
    answer = http.get(f"{MLFLOW}/metrics/get-history-bulk-interval", params=params)
    assert answer.status_code == 200, answer.text
    metrics = answer.json()["metrics"]
    for run_id in run_ids:
        steps = [m["step"] for m in metrics if m["run_id"] == run_id]
        assert len(steps) <= 10
        assert (steps[0], steps[-1]) == (0, 99)
    both = {**params, "start_step": "10"}
    answer = http.get(f"{MLFLOW}/metrics/get-history-bulk-interval", params=both)
    assert "both" in error_of(answer, 400, "INVALID_PARAMETER_VALUE")

    searched = http.get(
        f"{MLFLOW}/experiments/search",
        params={"filter": "name = 'queries'", "view_type": "ALL", "max_results": "5"},
    )
    assert [e["experiment_id"] for e in searched.json()["experiments"]] == [experiment_id]
    by_number = http.get(f"{MLFLOW}/experiments/search", params={"view_type": "3"})
    assert by_number.status_code == 200
    token = http.get(
        f"{MLFLOW}/metrics/get-history",
        params={"run_id": run_ids[0], "metric_key": "loss", "max_results": "5", "page_token": "?"},
    )
    assert "page_token" in error_of(token, 400, "INVALID_PARAMETER_VALUE")


def test_logged_model_searches_find_none(http: httpx.Client) -> None:
    answer = http.post(f"{MLFLOW}/logged-models/search", json={"experiment_ids": ["0"]})
    assert answer.json() == {"models": []}


@pytest.mark.parametrize("path", ["../secrets", "a/../../b", "/etc"])
def test_artifact_listings_stay_inside_the_run(
    http: httpx.Client, store: TrackingStore, path: str
) -> None:
    run_id = store.create_run(store.create_experiment(f"artifacts {path}")).info.run_id
    answer = http.get(f"{MLFLOW}/artifacts/list", params={"run_id": run_id, "path": path})
    assert path in error_of(answer, 400, "INVALID_PARAMETER_VALUE")
