"""MLflow's own client (MlflowClient and the fluent API) logs into a `tuitrack server`
subprocess unchanged, and what the server stored, read back directly from its SQLite store
through tuitrack, is what MLflow's client sent and reads back. Needs MLflow (dev extra)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.tuitrack_server import TuitrackServer
from tuitrack.core.store import TrackingStore
from tuitrack.entities import LifecycleStage, RunStatus

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import ViewType as MlflowViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402


@pytest.fixture(scope="module")
def client(server: TuitrackServer) -> MlflowClient:
    return MlflowClient(tracking_uri=server.url)


@pytest.fixture
def fluent(server: TuitrackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """MLflow's fluent API pointed at the server; the tracking URI and any run left active
    are put back afterwards."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    mlflow.set_tracking_uri(server.url)
    try:
        yield mlflow
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def assert_same_values(ours: dict[str, float], theirs: dict[str, float]) -> None:
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        assert same(value, theirs[key]), key


def test_experiments_round_trip(client: MlflowClient, store: TrackingStore) -> None:
    experiment_id = client.create_experiment("exp-round-trip", tags={"team": "vision"})
    theirs = client.get_experiment(experiment_id)
    ours = store.get_experiment(experiment_id)
    assert (theirs.name, theirs.artifact_location) == (ours.name, ours.artifact_location)
    assert theirs.tags == ours.tags == {"team": "vision"}
    named = client.get_experiment_by_name("exp-round-trip")
    assert named is not None
    assert named.experiment_id == experiment_id
    assert client.get_experiment_by_name("no such experiment") is None

    client.set_experiment_tag(experiment_id, "stage", "beta")
    client.delete_experiment_tag(experiment_id, "team")
    client.rename_experiment(experiment_id, "exp-renamed")
    ours = store.get_experiment(experiment_id)
    assert (ours.name, ours.tags) == ("exp-renamed", {"stage": "beta"})
    found = client.search_experiments(filter_string="name LIKE 'exp-ren%'")
    assert [e.experiment_id for e in found] == [experiment_id]

    client.delete_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == LifecycleStage.DELETED
    assert experiment_id not in [e.experiment_id for e in client.search_experiments()]
    deleted = client.search_experiments(view_type=MlflowViewType.DELETED_ONLY)
    assert experiment_id in [e.experiment_id for e in deleted]
    client.restore_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == LifecycleStage.ACTIVE


def test_fluent_logging_reads_back_identically(
    fluent: Any, client: MlflowClient, store: TrackingStore
) -> None:
    fluent.set_experiment("fluent")
    values = [0.5, math.nan, math.inf, -math.inf, 0.25]
    with fluent.start_run(run_name="outer") as outer:
        fluent.log_param("lr", 0.1)
        fluent.log_params({"layers": 3, "optimizer": "adam"})
        for step, value in enumerate(values):
            fluent.log_metric("loss", value, step=step)
        fluent.log_metrics({"acc": 0.9, "f1": 0.8}, step=7)
        fluent.set_tags({"team": "nlp", "empty": ""})
        with fluent.start_run(run_name="inner", nested=True) as inner:
            fluent.log_metric("inner_metric", 1.5, step=3)
    outer_id, inner_id = outer.info.run_id, inner.info.run_id

    for run_id in (outer_id, inner_id):
        theirs, ours = client.get_run(run_id), store.get_run(run_id)
        assert_same_values(theirs.data.metrics, ours.data.metrics)
        assert theirs.data.params == ours.data.params
        assert theirs.data.tags == {**ours.data.tags, **_mlflow_copies(ours.info)}
        assert theirs.info.status == ours.info.status.value == "FINISHED"
        assert theirs.info.run_name == ours.info.run_name
        assert (theirs.info.start_time, theirs.info.end_time) == (
            ours.info.start_time,
            ours.info.end_time,
        )
        assert theirs.info.artifact_uri == ours.info.artifact_uri
    assert store.get_run(inner_id).info.parent_run_id == outer_id
    assert store.get_run(outer_id).data.params == {"lr": "0.1", "layers": "3", "optimizer": "adam"}

    theirs_history = client.get_metric_history(outer_id, "loss")
    ours_history = store.get_metric_history(outer_id, "loss")
    assert [(m.step, m.timestamp) for m in theirs_history] == [
        (m.step, m.timestamp) for m in ours_history
    ]
    assert all(same(a.value, b.value) for a, b in zip(theirs_history, ours_history, strict=True))
    assert [m.step for m in ours_history] == list(range(len(values)))


def _mlflow_copies(info: Any) -> dict[str, str]:
    """The tags MLflow's server writes for a run's name and parent, which tuitrack keeps
    as fields (they are written back as tags over the wire)."""
    copies = {"mlflow.runName": info.run_name}
    if info.parent_run_id:
        copies["mlflow.parentRunId"] = info.parent_run_id
    return copies


def test_search_runs_with_a_filter_and_an_order(
    fluent: Any, client: MlflowClient, store: TrackingStore
) -> None:
    experiment_id = fluent.set_experiment("searching").experiment_id
    for index in range(6):
        with fluent.start_run(run_name=f"run-{index}"):
            fluent.log_param("kind", "a" if index % 2 else "b")
            fluent.log_metric("acc", index / 10)
    query = "params.kind = 'a' and metrics.acc > 0.15"
    order = ["metrics.acc DESC"]
    theirs = client.search_runs([experiment_id], query, order_by=order)
    ours = store.search_runs([experiment_id], query, order_by=order)
    assert [r.info.run_name for r in theirs] == ["run-5", "run-3"]
    assert [r.info.run_id for r in theirs] == [r.info.run_id for r in ours]
    frame = fluent.search_runs(experiment_ids=[experiment_id], filter_string=query)
    assert sorted(frame["tags.mlflow.runName"]) == ["run-3", "run-5"]

    first = client.search_runs([experiment_id], max_results=4)
    rest = client.search_runs([experiment_id], max_results=4, page_token=first.token)
    assert (len(first), len(rest), rest.token) == (4, 2, None)
    every = [r.info.run_id for r in store.search_runs([experiment_id])]
    assert [r.info.run_id for r in (*first, *rest)] == every


def test_delete_and_restore_a_run(fluent: Any, client: MlflowClient, store: TrackingStore) -> None:
    experiment_id = fluent.set_experiment("deleting").experiment_id
    with fluent.start_run() as run:
        fluent.log_metric("m", 1.0)
    run_id = run.info.run_id
    client.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    assert client.search_runs([experiment_id]) == []
    deleted = client.search_runs([experiment_id], run_view_type=MlflowViewType.ALL)
    assert [r.info.run_id for r in deleted] == [run_id]
    client.restore_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
    client.set_terminated(run_id, "KILLED")
    assert store.get_run(run_id).info.status is RunStatus.KILLED


def test_tags_and_batches_through_the_client(client: MlflowClient, store: TrackingStore) -> None:
    from mlflow.entities import Metric, Param, RunTag

    experiment_id = client.create_experiment("batches")
    run_id = client.create_run(experiment_id, tags={"source": "test"}).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("x", float(i), 1000 + i, i) for i in range(50)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "v")],
    )
    client.set_tag(run_id, "gone", "soon")
    client.delete_tag(run_id, "gone")
    ours = store.get_run(run_id)
    assert ours.data.params == {"p": "1"}
    assert {"source": "test", "t": "v"}.items() <= ours.data.tags.items()
    assert "gone" not in ours.data.tags
    assert [m.value for m in store.get_metric_history(run_id, "x")] == [float(i) for i in range(50)]


def test_errors_come_back_as_mlflows_exceptions(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as missing:
        client.get_run("0" * 32)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    taken_id = client.create_experiment("taken")
    with pytest.raises(MlflowException) as taken:
        client.create_experiment("taken")
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS"
    run_id = client.create_run(taken_id).info.run_id
    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(MlflowException) as changed:
        client.log_param(run_id, "lr", "0.2")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"


def test_datasets_and_artifacts(fluent: Any, client: MlflowClient, store: TrackingStore) -> None:
    import pandas as pd  # type: ignore[import-untyped]

    fluent.set_experiment("inputs")
    frame = pd.DataFrame({"a": [1, 2, 3]})
    dataset = fluent.data.from_pandas(frame, name="tiny")
    with fluent.start_run() as run:
        fluent.log_input(dataset, context="training")
        fluent.log_text("hello", "notes/hello.txt")
    ours = store.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(given.dataset.name, given.dataset.digest) for given in ours] == [
        ("tiny", dataset.digest)
    ]
    assert [(tag.key, tag.value) for tag in ours[0].tags] == [("mlflow.data.context", "training")]
    files = client.list_artifacts(run.info.run_id, "notes")
    assert [(f.path, f.is_dir, f.file_size) for f in files] == [("notes/hello.txt", False, 5)]


def test_metric_history_pages_hold_every_point_once(
    client: MlflowClient, store: TrackingStore, server: TuitrackServer
) -> None:
    from mlflow.entities import Metric

    run_id = client.create_run(client.create_experiment("paging")).info.run_id
    # Several points a step, so that pages end inside a step.
    points = [Metric("loss", float(i), 1000 + i, i // 3) for i in range(2500)]
    for start in range(0, len(points), 1000):
        client.log_batch(run_id, metrics=points[start : start + 1000])
    seen: list[tuple[int, int]] = []
    token = None
    with httpx.Client(base_url=server.url) as http:
        while True:
            params = {"run_id": run_id, "metric_key": "loss", "max_results": "7"}
            if token:
                params["page_token"] = token
            if len(seen) > 100:
                params["max_results"] = "1000"
            answer = http.get("/api/2.0/mlflow/metrics/get-history", params=params).json()
            seen.extend((m["step"], m["timestamp"]) for m in answer["metrics"])
            token = answer.get("next_page_token")
            if not token:
                break
    ours = store.get_metric_history(run_id, "loss")
    assert seen == [(m.step, m.timestamp) for m in ours]
    assert len(client.get_metric_history(run_id, "loss")) == 2500
