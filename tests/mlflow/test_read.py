"""The read paths over stores written by real MLflow, compared with MLflow's own answers."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.mlflow.fixtures import MlflowFixture, as_logged, same_float
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Run, ViewType
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient
from tuitrack.search import (
    Comparison,
    Node,
    Not,
    matches,
    parse_filter,
    parse_order_by,
    sort_runs,
)

PARENT_TAG = "mlflow.parentRunId"


def _all_runs(store: TrackingStore, fixture: MlflowFixture) -> list[Run]:
    ids = [e["experiment_id"] for e in fixture.answers["experiments"]]
    return list(store.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000))


def test_experiments_equal_mlflow(mlflow_store: TrackingStore, mlflow_data: MlflowFixture) -> None:
    found = mlflow_store.search_experiments(ViewType.ALL)
    expected = mlflow_data.answers["experiments"]
    assert [e.experiment_id for e in found] == [e["experiment_id"] for e in expected]
    for experiment, answer in zip(found, expected, strict=True):
        assert experiment.model_dump(mode="json") == answer
        assert mlflow_store.get_experiment(answer["experiment_id"]) == experiment
        assert mlflow_store.get_experiment_by_name(answer["name"]) == experiment
    active = mlflow_store.search_experiments()
    assert "retired" not in {e.name for e in active}


def test_runs_equal_mlflow(mlflow_store: TrackingStore, mlflow_data: MlflowFixture) -> None:
    runs = {run.info.run_id: run for run in _all_runs(mlflow_store, mlflow_data)}
    assert sorted(runs) == sorted(r["run_id"] for r in mlflow_data.answers["runs"])
    for answer in mlflow_data.answers["runs"]:
        run = mlflow_store.get_run(answer["run_id"])
        assert run.model_dump_json() == runs[answer["run_id"]].model_dump_json()
        info = run.info.model_dump(mode="json")
        for field in ("experiment_id", "run_name", "user_id", "status", "start_time"):
            assert info[field] == answer[field], field
        for field in ("end_time", "artifact_uri", "lifecycle_stage"):
            assert info[field] == answer[field], field
        assert run.data.params == answer["params"]
        assert run.data.tags == answer["tags"]
        assert run.info.parent_run_id == answer["tags"].get(PARENT_TAG)
        assert sorted(run.data.metrics) == sorted(answer["metrics"])
        for key, value in answer["metrics"].items():
            assert same_float(run.data.metrics[key], as_logged(value)), key


def test_special_values_and_latest_rule(
    mlflow_store: TrackingStore, mlflow_data: MlflowFixture
) -> None:
    special = mlflow_store.get_run(mlflow_data.run("special-values")["run_id"])
    assert math.isnan(special.data.metrics["loss"])
    assert special.data.metrics["grad_norm"] == math.inf
    assert special.data.metrics["floor"] == -math.inf
    long = mlflow_store.get_run(mlflow_data.run("long")["run_id"])
    assert long.data.metrics["dup"] == 1.0  # step 5, later timestamp
    running = mlflow_store.get_run(mlflow_data.run("running")["run_id"])
    assert running.info.status == "RUNNING"
    assert running.info.end_time is None
    assert running.info.heartbeat_time is None


def test_histories_equal_mlflow(mlflow_store: TrackingStore, mlflow_data: MlflowFixture) -> None:
    for run_id, by_key in mlflow_data.histories.items():
        for key, points in by_key.items():
            history = mlflow_store.get_metric_history(run_id, key)
            expected = sorted((int(s), int(t), as_logged(v)) for s, t, v in points)
            assert len(history) == len(expected), (run_id, key)
            for metric, (step, timestamp, value) in zip(history, expected, strict=True):
                assert (metric.step, metric.timestamp) == (step, timestamp)
                assert same_float(metric.value, value)
    long_id = mlflow_data.run("long")["run_id"]
    assert len(mlflow_store.get_metric_history(long_id, "loss")) == 2_000
    window = mlflow_store.get_metric_history(long_id, "loss", start_step=100, end_step=199)
    assert [m.step for m in window] == list(range(100, 200))
    assert mlflow_store.get_metric_history(long_id, "no-such-metric") == []


def test_downsampled_history_keeps_shape(
    mlflow_store: TrackingStore, mlflow_data: MlflowFixture
) -> None:
    long_id = mlflow_data.run("long")["run_id"]
    whole = mlflow_store.get_metric_history(long_id, "loss")
    thin = mlflow_store.get_metric_history(long_id, "loss", max_points=100)
    assert 20 <= len(thin) <= 100
    assert thin[0] == whole[0]
    assert thin[-1] == whole[-1]
    assert {m.step for m in thin} <= {m.step for m in whole}
    assert [m.step for m in thin] == sorted(m.step for m in thin)
    special = mlflow_data.run("special-values")["run_id"]
    points = mlflow_store.get_metric_history(special, "loss", max_points=5)
    assert len(points) == 2  # fewer points than the budget: returned whole
    with pytest.raises(InvalidValueError, match="max_points"):
        mlflow_store.get_metric_history(long_id, "loss", max_points=4)


def _metric_keys(node: Node | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, Comparison):
        return {node.key} if node.kind == "metric" else set()
    if isinstance(node, Not):
        return _metric_keys(node.item)
    return set().union(*(_metric_keys(item) for item in node.items))


def _expected_ids(fixture: MlflowFixture, search: dict[str, Any]) -> list[str]:
    expected: list[str] = list(search["run_ids"])
    keys = _metric_keys(parse_filter(search["filter"]))
    if fixture.mlflow_major == 2 and fixture.is_sql and keys:
        # MLflow 2's SQL store compares a NaN metric as 0 (it stores NaN as 0); tuitrack,
        # MLflow 3 and MLflow's file store treat NaN as failing every comparison but !=.
        nan_runs = {
            r["run_id"]
            for r in fixture.answers["runs"]
            if any(math.isnan(v) for k, v in r["metrics"].items() if k in keys)
        }
        expected = [i for i in expected if i not in nan_runs]
    return expected


def test_searches_equal_mlflow(mlflow_store: TrackingStore, mlflow_data: MlflowFixture) -> None:
    for search in mlflow_data.answers["searches"]:
        found = mlflow_store.search_runs(
            search["experiment_ids"],
            search["filter"],
            run_view_type=ViewType(search["view"].lower()),
            order_by=search["order_by"],
        )
        assert [r.info.run_id for r in found] == _expected_ids(mlflow_data, search), search


FILTERS = [
    "metrics.loss != 0.5",
    "metrics.loss IS NULL",
    "metrics.grad_norm > 1e300",
    "metrics.floor < 0",
    "params.lr > 0.05",
    "params.lr <= 0.01",
    "params.lr = 'abc'",
    "NOT params.optimizer = 'adam'",
    "tags.note ILIKE 'NAÏVE%'",
    "tags.team LIKE '_ision'",
    "attributes.end_time IS NULL",
    "run_name IN ('long', 'trial-0') OR status = 'RUNNING'",
    "tags.`mlflow.runName` LIKE 'trial-%' AND metrics.acc >= 0.75",
    "attributes.run_id LIKE '%a%' AND NOT tags.team IS NULL",
    "attributes.parent_run_id IS NULL",
    "parent_run_id IS NOT NULL AND params.lr > 0.005",
    "NOT attributes.parent_run_id LIKE '%a%'",
    "parent_run_id ILIKE '%A%' OR run_name = 'long'",
]


@pytest.mark.parametrize("filter_string", [None, *FILTERS])
@pytest.mark.parametrize("view", [ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL])
def test_count_runs_counts_what_search_returns(
    mlflow_store: TrackingStore, mlflow_data: MlflowFixture, filter_string: str, view: ViewType
) -> None:
    ids = [e["experiment_id"] for e in mlflow_data.answers["experiments"]]
    expected = len(mlflow_store.search_runs(ids, filter_string, view))
    assert mlflow_store.count_runs(ids, filter_string, view) == expected


def test_paging_walks_every_run_once(
    mlflow_store: TrackingStore, mlflow_data: MlflowFixture
) -> None:
    ids = [e["experiment_id"] for e in mlflow_data.answers["experiments"]]
    orders = ([], ["metrics.loss DESC"], ["params.lr ASC", "attributes.run_name"])
    for order_by in (*orders, ["tags.team DESC", "params.optimizer"]):  # 'Vision' != 'vision'
        whole = mlflow_store.search_runs(ids, run_view_type=ViewType.ALL, order_by=order_by)
        paged: list[str] = []
        token = None
        while True:
            page = mlflow_store.search_runs(
                ids, run_view_type=ViewType.ALL, max_results=3, order_by=order_by, page_token=token
            )
            paged += [r.info.run_id for r in page]
            token = page.token
            if token is None:
                break
        assert paged == [r.info.run_id for r in whole]


def test_parent_run_id_is_mlflows_parent_tag(
    mlflow_store: TrackingStore, mlflow_data: MlflowFixture
) -> None:
    sweep = mlflow_data.run("sweep")["run_id"]
    tag_filter = f"tags.`{PARENT_TAG}` = '{sweep}'"
    recorded = next(s for s in mlflow_data.answers["searches"] if s["filter"] == tag_filter)
    children = recorded["run_ids"]
    assert len(children) == 3
    for filter_string in (
        f"attributes.parent_run_id = '{sweep}'",
        f"parent_run_id IN ('{sweep}', 'no-such-run')",
        f"parent_run_id LIKE '{sweep[:8]}%'",
    ):
        found = mlflow_store.search_runs(
            recorded["experiment_ids"], filter_string, order_by=recorded["order_by"]
        )
        assert [r.info.run_id for r in found] == children, filter_string
    ids = [e["experiment_id"] for e in mlflow_data.answers["experiments"]]
    orphans = mlflow_store.search_runs(ids, "parent_run_id IS NULL", ViewType.ALL)
    assert {r.info.run_id for r in orphans}.isdisjoint(children)
    assert len(orphans) == len(mlflow_data.answers["runs"]) - 3
    ordered = mlflow_store.search_runs(ids, None, ViewType.ALL, order_by=["parent_run_id ASC"])
    assert sorted(r.info.run_id for r in ordered[:3]) == sorted(children)  # missing: last


@pytest.mark.parametrize("filter_string", FILTERS)
@pytest.mark.parametrize(
    "order_by", [[], ["metrics.loss ASC"], ["params.lr DESC"], ["attributes.parent_run_id DESC"]]
)
def test_store_search_agrees_with_python_evaluator(
    mlflow_store: TrackingStore, mlflow_data: MlflowFixture, filter_string: str, order_by: list[str]
) -> None:
    everything = _all_runs(mlflow_store, mlflow_data)
    expected = sort_runs(
        [r for r in everything if matches(parse_filter(filter_string), r)],
        parse_order_by(order_by),
    )
    ids = [e["experiment_id"] for e in mlflow_data.answers["experiments"]]
    found = mlflow_store.search_runs(ids, filter_string, ViewType.ALL, order_by=order_by)
    assert [r.info.run_id for r in found] == [r.info.run_id for r in expected]


def test_artifacts_through_fsspec(mlflow_data: MlflowFixture) -> None:
    with TrackingClient(mlflow_data.uri) as client:
        for run_id, listing in mlflow_data.answers["artifacts"].items():
            store = client.artifact_store(run_id)
            ours = [[f.path, f.is_dir, f.file_size] for f in _walk(store, None)]
            assert ours == listing
        run_id = mlflow_data.run("artifacts")["run_id"]
        store = client.artifact_store(run_id)
        assert store.read_bytes("notes/readme.txt") == b"hello from mlflow\n"


def _walk(store: object, path: str | None) -> list:  # type: ignore[type-arg]
    from tuitrack.core.store import ArtifactStore

    assert isinstance(store, ArtifactStore)
    listing = []
    for info in store.list_artifacts(path):
        listing.append(info)
        if info.is_dir:
            listing.extend(_walk(store, info.path))
    return listing
