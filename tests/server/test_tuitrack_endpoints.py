"""tuitrack's own endpoints (/api/2.0/tuitrack/..., docs/rest.md) of a `tuitrack server`
subprocess, asked with httpx: each answer's shape, and that it says what the server's store,
read directly, says."""

from __future__ import annotations

import math
import uuid
from typing import Any

import httpx
import pytest

from tuitrack.core.store import TrackingStore, now_ms
from tuitrack.core.wire import tuitrack_json
from tuitrack.entities import Metric, RunStatus

API = "/api/2.0/tuitrack"


def post(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(f"{API}/{path}", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def refused(http: httpx.Client, path: str, body: object, status: int = 400) -> str:
    """The message of the error the endpoint answers `body` with, in MLflow's shape."""
    answer = http.post(f"{API}/{path}", json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert set(error) - {"tuitrack_error"} == {"error_code", "message"}
    message: str = error["message"]
    return message


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    return store.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")


def test_capabilities_name_the_server_and_its_features(http: httpx.Client) -> None:
    answer = http.get(f"{API}/capabilities")
    assert answer.status_code == 200
    document = answer.json()
    capabilities = tuitrack_json.ServerCapabilities.from_json(document)
    assert (capabilities.server, capabilities.api_version) == ("tuitrack", 1)
    assert {feature.value for feature in tuitrack_json.ServerFeature} <= capabilities.features
    assert {"run-create", "tag-summaries", "metric-summaries"} <= capabilities.features
    assert "LOG_METRICS" in document["store_capabilities"]


def test_runs_search_evaluates_the_whole_filter_language(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    for index in range(4):
        run = store.create_run(experiment_id, run_name=f"r{index}", host="box", pid=10 + index)
        store.log_batch(run.info.run_id, metrics=[Metric(key="acc", value=index, timestamp=1)])
    query = "metrics.acc = 0 OR metrics.acc >= 3"
    answer = post(http, "runs/search", {"experiment_ids": [experiment_id], "filter": query})
    ours = store.search_runs([experiment_id], query)
    assert [r["info"]["run_id"] for r in answer["runs"]] == [r.info.run_id for r in ours]
    assert sorted(r["info"]["run_name"] for r in answer["runs"]) == ["r0", "r3"]
    assert {r["tuitrack"]["host"] for r in answer["runs"]} == {"box"}
    assert "next_page_token" not in answer

    page = post(http, "runs/search", {"experiment_ids": [experiment_id], "max_results": 3})
    assert len(page["runs"]) == 3
    rest = post(
        http,
        "runs/search",
        {"experiment_ids": [experiment_id], "page_token": page["next_page_token"]},
    )
    assert len(rest["runs"]) == 1

    counted = post(http, "runs/count", {"experiment_ids": [experiment_id], "filter": query})
    assert counted == {"count": 2}
    assert "position" in refused(http, "runs/count", {"experiment_ids": ["0"], "filter": "x ="})


def test_runs_create_with_the_clients_run_id_creates_it_once(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    run_id = uuid.uuid4().hex
    body = {
        "experiment_id": experiment_id,
        "run_id": run_id,
        "run_name": "once",
        "host": "gpu-7",
        "pid": 4242,
        "tags": [{"key": "team", "value": "nlp"}],
        "start_time": 1_700_000_000_000,
    }
    first = post(http, "runs/create", body)
    again = post(http, "runs/create", body)
    assert first == again
    assert first["run"]["info"]["run_id"] == run_id
    assert first["run"]["tuitrack"] == {"host": "gpu-7", "pid": 4242}
    assert len(store.search_runs([experiment_id])) == 1
    info = store.get_run(run_id).info
    assert (info.host, info.pid, info.run_name, info.start_time) == (
        "gpu-7",
        4242,
        "once",
        1_700_000_000_000,
    )
    assert "32 lowercase hex" in refused(http, "runs/create", {**body, "run_id": "x"})
    assert "'pid'" in refused(http, "runs/create", {**body, "run_id": uuid.uuid4().hex, "pid": "a"})


def test_heartbeats_and_orphans(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    run = store.create_run(experiment_id, host="a-host-that-is-not-this-one", pid=1)
    run_id = run.info.run_id
    stale = now_ms() - 600_000
    assert post(http, "runs/heartbeat", {"run_id": run_id, "heartbeat_time": stale}) == {}
    assert store.get_run(run_id).info.heartbeat_time == stale
    missing = refused(http, "runs/heartbeat", {"run_id": "f" * 32}, status=404)
    assert "f" * 32 in missing

    store.log_batch(run_id, metrics=[Metric(key="m", value=1.0, timestamp=stale - 5)])
    times = post(http, "runs/last-activity", {"run_ids": [run_id]})
    assert times == {"times": store.last_activity_times([run_id])}

    body = {"experiment_ids": [experiment_id], "stale_after_s": 60}
    orphans = post(http, "runs/orphans", body)["orphans"]
    assert [tuitrack_json.orphan_from_json(item).run_id for item in orphans] == [run_id]
    assert orphans[0]["reason"].startswith("heartbeat stale")

    result = post(http, "runs/mark-failed", {"run_ids": [run_id], "reason": "node lost"})
    assert [item["run_id"] for item in result["marked"]] == [run_id]
    assert result["refused"] == {}
    info = store.get_run(run_id)
    assert info.info.status is RunStatus.FAILED
    assert info.data.tags["tuitrack.orphan_reason"] == "node lost"
    again = post(http, "runs/mark-failed", {"run_ids": [run_id]})
    assert again["marked"] == []
    assert run_id in again["refused"]


def test_metric_columns_and_histories(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    steps = list(range(200))
    values: list[float | str] = [float(step) for step in steps]
    values[3], values[4], values[5] = "NaN", "Infinity", "-Infinity"
    body = {
        "run_id": run_id,
        "keys": ["loss"] * len(steps),
        "values": values,
        "timestamps": [1000 + step for step in steps],
        "steps": steps,
        "batch_id": "batch-1",
    }
    assert post(http, "runs/log-metric-columns", body) == {}
    history = store.get_metric_history(run_id, "loss")
    assert len(history) == 200
    assert math.isnan(history[3].value)
    assert (history[4].value, history[5].value) == (math.inf, -math.inf)

    short = {**body, "steps": steps[:-1]}
    assert "different lengths" in refused(http, "runs/log-metric-columns", short)

    request = {"run_ids": [run_id], "metric_keys": ["loss", "none"], "max_points": 20}
    answer = post(http, "metrics/get-histories", request)
    ours = store.get_metric_histories([run_id], ["loss", "none"], max_points=20)
    got = {
        (item["run_id"], item["key"]): tuitrack_json.history_from_json(item["key"], item)
        for item in answer["histories"]
    }
    assert got.keys() == ours.keys()
    for pair, points in ours.items():
        assert [(m.step, m.timestamp) for m in got[pair]] == [(m.step, m.timestamp) for m in points]
    assert "max_points" in refused(http, "metrics/get-histories", {**request, "max_points": 2})

    summaries = post(http, "runs/metric-summaries", {"run_id": run_id})["metrics"]
    summary = tuitrack_json.metric_summary_from_json(summaries[0])
    assert (summary.key, summary.count, summary.step) == ("loss", 200, 199)


def test_log_batch_with_a_batch_id(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    body = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 1.5, "timestamp": 5, "step": 1}],
        "params": [{"key": "p", "value": "v"}],
        "tags": [{"key": "t", "value": "w"}],
        "batch_id": "once",
    }
    assert post(http, "runs/log-batch", body) == {}
    assert post(http, "runs/log-batch", body) == {}
    run = store.get_run(run_id)
    assert (run.data.params, run.data.tags.get("t")) == ({"p": "v"}, "w")
    assert len(store.get_metric_history(run_id, "m")) in (1, 2)  # stores may ignore batch ids
    too_many = {**body, "batch_id": None, "params": [{"key": f"p{i}"} for i in range(101)]}
    assert "at most 100 params" in refused(http, "runs/log-batch", too_many)
    assert "64 characters" in refused(http, "runs/log-batch", {**body, "batch_id": "x" * 65})


def test_experiment_activity_and_tag_summaries(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    for kind in ("a", "a", "b"):
        store.create_run(experiment_id, tags={"kind": kind})
    name = store.get_experiment(experiment_id).name
    answer = post(http, "experiments/activity", {"filter": f"name = '{name}'"})
    [item] = [tuitrack_json.activity_from_json(entry) for entry in answer["experiments"]]
    assert (item.experiment.experiment_id, item.run_count, item.running_count) == (
        experiment_id,
        3,
        3,
    )
    assert item.last_activity is not None

    tags = post(http, "runs/tag-summaries", {"experiment_ids": [experiment_id], "max_values": 1})
    summaries = {s.key: s for s in map(tuitrack_json.tag_summary_from_json, tags["tags"])}
    assert summaries["kind"].values == [("a", 2)]
    assert summaries["kind"].distinct_values == 2
    assert "max_values" in refused(
        http, "runs/tag-summaries", {"experiment_ids": [experiment_id], "max_values": 0}
    )


def test_the_server_keeps_no_state_between_requests(
    http: httpx.Client, store: TrackingStore, experiment_id: str
) -> None:
    """A change made behind the server's back (another worker, another server) shows at
    once: nothing is cached."""
    run_id = store.create_run(experiment_id).info.run_id
    assert post(http, "runs/count", {"experiment_ids": [experiment_id]}) == {"count": 1}
    store.delete_run(run_id)
    assert post(http, "runs/count", {"experiment_ids": [experiment_id]}) == {"count": 0}
