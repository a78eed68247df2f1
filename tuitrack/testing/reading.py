"""Reads that agree with each other, on whatever a store holds: every store runs these,
those that cannot be written (MLflow's) on their own data, the others on the search cases'
runs and a long metric series logged here first."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Experiment, Metric, Run, ViewType
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.testing.history_reference import as_points, reference_downsample
from tuitrack.testing.plugin import FILLING, StoreFactory
from tuitrack.testing.search_cases import log_fixture_runs

LONG_SERIES = 3_000  # points of the series logged into an empty store, over 12 blocks


@pytest.fixture(scope="module")
def filled(tracking_store_factory: StoreFactory) -> Iterator[TrackingStore]:
    """The store with data in it, for every test of the module."""
    store = tracking_store_factory()
    fillable = all(capability in store.capabilities for capability in FILLING)
    if fillable:
        experiment_id = store.create_experiment("reading")
        run_id = log_fixture_runs(store, experiment_id)["alpha"]
        curve = [
            Metric(key="curve", value=math.sin(i / 40) * (i % 97), timestamp=i, step=i)
            for i in range(LONG_SERIES)
        ]
        store.log_batch(run_id, metrics=curve)
    elif not store.search_runs(
        [e.experiment_id for e in _experiments(store)], run_view_type=ViewType.ALL
    ):
        pytest.skip(f"{type(store).__name__} holds no runs to read and cannot create any")
    yield store
    if fillable:
        tracking_store_factory()


def _experiments(store: TrackingStore) -> list[Experiment]:
    return list(store.search_experiments(ViewType.ALL, max_results=1000))


def _runs(store: TrackingStore) -> list[Run]:
    ids = [experiment.experiment_id for experiment in _experiments(store)]
    return list(store.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000))


def _same_float(first: float, second: float) -> bool:
    return (math.isnan(first) and math.isnan(second)) or first == second


def _same_run(first: Run, second: Run) -> bool:
    metrics = first.data.metrics
    return (
        first.info == second.info
        and (first.data.params, first.data.tags) == (second.data.params, second.data.tags)
        and metrics.keys() == second.data.metrics.keys()
        and all(_same_float(value, second.data.metrics[key]) for key, value in metrics.items())
    )


def _paged_ids(store: TrackingStore, experiment_ids: list[str], page: int) -> list[str]:
    found: list[str] = []
    token = None
    while True:
        runs = store.search_runs(
            experiment_ids, run_view_type=ViewType.ALL, max_results=page, page_token=token
        )
        found.extend(run.info.run_id for run in runs)
        token = runs.token
        if token is None:
            return found


def test_experiments_read_alike(filled: TrackingStore) -> None:
    experiments = _experiments(filled)
    assert experiments
    paged: list[Experiment] = []
    token = None
    while True:
        page = filled.search_experiments(ViewType.ALL, max_results=1, page_token=token)
        paged.extend(page)
        token = page.token
        if token is None:
            break
    assert paged == experiments
    for experiment in experiments:
        assert filled.get_experiment(experiment.experiment_id) == experiment
        assert filled.get_experiment_by_name(experiment.name) == experiment


def test_runs_read_alike(filled: TrackingStore) -> None:
    experiment_ids = [experiment.experiment_id for experiment in _experiments(filled)]
    runs = _runs(filled)
    assert runs
    ids = [run.info.run_id for run in runs]
    assert len(set(ids)) == len(ids)
    assert _paged_ids(filled, experiment_ids, 2) == ids
    assert filled.count_runs(experiment_ids, run_view_type=ViewType.ALL) == len(runs)
    for run in runs:
        assert _same_run(filled.get_run(run.info.run_id), run)
        by_status = f"attributes.status = '{run.info.status.value}'"
        same_status = filled.search_runs(experiment_ids, by_status, ViewType.ALL, 1000)
        assert run.info.run_id in {other.info.run_id for other in same_status}
        for key, value in list(run.data.tags.items())[:3]:
            quoted = value.replace("'", "''")
            tagged = filled.search_runs(
                experiment_ids, f"tags.`{key}` = '{quoted}'", ViewType.ALL, 1000
            )
            assert run.info.run_id in {other.info.run_id for other in tagged}


def test_histories_read_alike(filled: TrackingStore) -> None:
    series = [(run, key) for run in _runs(filled) for key in sorted(run.data.metrics)]
    assert series
    for run, key in series[:40]:
        run_id = run.info.run_id
        whole = filled.get_metric_history(run_id, key)
        assert whole
        assert [(m.step, m.timestamp) for m in whole] == sorted(
            (m.step, m.timestamp) for m in whole
        )
        latest = max(whole, key=lambda m: (m.step, m.timestamp))
        assert _same_float(run.data.metrics[key], latest.value)
        assert as_points(list(filled.iter_metric_history(run_id, key))) == as_points(whole)
        for max_points in (5, 50):
            sampled = filled.get_metric_history(run_id, key, max_points=max_points)
            assert as_points(sampled) == as_points(reference_downsample(whole, max_points))
        first, last = whole[0].step, whole[-1].step
        middle = (first + last) // 2
        inside = [m for m in whole if first <= m.step <= middle]
        assert as_points(filled.get_metric_history(run_id, key, first, middle)) == as_points(inside)
        together = filled.get_metric_histories([run_id], [key], max_points=50)
        assert as_points(together[run_id, key]) == as_points(reference_downsample(whole, 50))


def test_summaries_agree_with_histories(filled: TrackingStore) -> None:
    runs = [run for run in _runs(filled) if run.data.metrics][:10]
    assert runs
    for run in runs:
        summaries = filled.get_metric_summaries(run.info.run_id)
        assert [summary.key for summary in summaries] == sorted(run.data.metrics)
        for summary in summaries:
            whole = filled.get_metric_history(run.info.run_id, summary.key)
            numbers = [m.value for m in whole if not math.isnan(m.value)]
            assert summary.count == len(whole)
            assert _same_float(summary.latest, run.data.metrics[summary.key])
            assert summary.min_value == (min(numbers) if numbers else None)
            assert summary.max_value == (max(numbers) if numbers else None)


def test_tag_summaries_agree_with_runs(filled: TrackingStore) -> None:
    experiment_ids = [experiment.experiment_id for experiment in _experiments(filled)]
    runs = _runs(filled)
    summaries = filled.get_tag_summaries(experiment_ids, 1000, ViewType.ALL)
    counted: dict[str, dict[str, int]] = {}
    for run in runs:
        for key, value in run.data.tags.items():
            values = counted.setdefault(key, {})
            values[value] = values.get(value, 0) + 1
    assert [summary.key for summary in summaries] == sorted(counted)
    for summary in summaries:
        assert summary.runs == sum(counted[summary.key].values())
        assert summary.distinct_values == len(counted[summary.key])
        assert dict(summary.values) == counted[summary.key]


def test_experiment_activity_agrees_with_runs(filled: TrackingStore) -> None:
    activity = list(filled.search_experiment_activity(ViewType.ALL, max_results=1000))
    assert {a.experiment.experiment_id for a in activity} == {
        e.experiment_id for e in _experiments(filled)
    }
    for entry in activity:
        ids = [entry.experiment.experiment_id]
        deleted = entry.experiment.lifecycle_stage.value == "deleted"
        view = ViewType.ALL if deleted else ViewType.ACTIVE_ONLY
        assert entry.run_count == filled.count_runs(ids, run_view_type=view)
        running = filled.count_runs(ids, "attributes.status = 'RUNNING'", view)
        assert entry.running_count == running


def test_unknown_ids_and_bad_arguments(filled: TrackingStore) -> None:
    run = _runs(filled)[0]
    experiment_ids = [run.info.experiment_id]
    with pytest.raises(NotFoundError):
        filled.get_run("0" * 32)
    with pytest.raises(NotFoundError):
        filled.get_experiment("987654321")
    assert filled.get_experiment_by_name("no experiment has this name") is None
    with pytest.raises(NotFoundError):
        filled.get_metric_history("0" * 32, "loss")
    assert filled.get_metric_history(run.info.run_id, "no such metric key") == []
    with pytest.raises(InvalidValueError):
        filled.get_metric_history(run.info.run_id, "loss", max_points=4)
    with pytest.raises(InvalidValueError):
        filled.search_runs(experiment_ids, max_results=0)
    with pytest.raises(InvalidValueError):
        filled.search_runs(experiment_ids, page_token="not a token")
    with pytest.raises(InvalidValueError):
        filled.search_runs(experiment_ids, "metrics.loss >>> 1")
    with pytest.raises(InvalidValueError):
        filled.search_experiments(max_results=0)
