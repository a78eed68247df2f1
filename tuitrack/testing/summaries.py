"""Metric summaries of a run and tag summaries of experiments: every store agrees with the
contract's default (computed from histories and searches)."""

from __future__ import annotations

import math

import pytest

from tuitrack.core.store import TrackingStore
from tuitrack.entities import Metric, MetricSummary, RunTag, TagSummary, ViewType
from tuitrack.errors import InvalidValueError, NotFoundError


def _log(store: TrackingStore, run_id: str, key: str, *points: tuple[int, float, int]) -> None:
    metrics = [Metric(key=key, value=v, timestamp=t, step=s) for s, v, t in points]
    store.log_batch(run_id, metrics=metrics)


def _same(found: list[MetricSummary], expected: list[MetricSummary]) -> None:
    """Equal, NaN included (NaN != NaN, so compare their text)."""
    assert [repr(s) for s in found] == [repr(s) for s in expected]


def test_metric_summaries_hold_latest_range_and_count(
    store: TrackingStore, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    # Logged out of order and in two batches: the latest is the highest step.
    _log(store, run_id, "loss", (5, 0.2, 50), (0, 2.0, 10), (3, math.nan, 30))
    _log(store, run_id, "loss", (4, 0.1, 40))
    _log(store, run_id, "acc", (0, math.inf, 1), (1, -3.5, 2))
    _log(store, run_id, "nan only", (0, math.nan, 1), (2, math.nan, 3))
    _log(store, run_id, "tie", (1, 1.0, 5), (1, 7.0, 9))
    found = store.get_metric_summaries(run_id)
    expected = [
        MetricSummary(
            key="acc", latest=-3.5, step=1, timestamp=2, min_value=-3.5, max_value=math.inf, count=2
        ),
        MetricSummary(
            key="loss", latest=0.2, step=5, timestamp=50, min_value=0.1, max_value=2.0, count=4
        ),
        MetricSummary(
            key="nan only",
            latest=math.nan,
            step=2,
            timestamp=3,
            min_value=None,
            max_value=None,
            count=2,
        ),
        MetricSummary(
            key="tie", latest=7.0, step=1, timestamp=9, min_value=1.0, max_value=7.0, count=2
        ),
    ]
    _same(found, expected)
    _same(TrackingStore.get_metric_summaries(store, run_id), expected)


def test_metric_summaries_of_a_run_without_metrics_and_of_no_run(
    store: TrackingStore, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id).info.run_id
    assert store.get_metric_summaries(run_id) == []
    with pytest.raises(NotFoundError):
        store.get_metric_summaries("0" * 32)


def test_tag_summaries_count_runs_and_values(store: TrackingStore, experiment_id: str) -> None:
    other = store.create_experiment("other")
    tags = [
        {"env": "prod", "team": "vision"},
        {"env": "prod", "team": "nlp"},
        {"env": "dev", "team": "vision", "note": "it's 100%"},
        {"env": "prod"},
        {"env": "staging"},
    ]
    ids = []
    for index, pairs in enumerate(tags):
        run = store.create_run(experiment_id, run_name=f"r{index}", tags=pairs)
        ids.append(run.info.run_id)
    store.create_run(other, tags={"env": "elsewhere", "only": "other"})
    store.delete_run(ids[4])

    found = store.get_tag_summaries([experiment_id], max_values=2)
    by_key = {summary.key: summary for summary in found}
    assert [s.key for s in found] == sorted(by_key)
    assert by_key["env"] == TagSummary(
        key="env", runs=4, distinct_values=2, values=[("prod", 3), ("dev", 1)]
    )
    assert by_key["team"] == TagSummary(
        key="team", runs=3, distinct_values=2, values=[("vision", 2), ("nlp", 1)]
    )
    assert by_key["note"].values == [("it's 100%", 1)]
    assert "only" not in by_key
    assert found == TrackingStore.get_tag_summaries(store, [experiment_id], max_values=2)

    everything = store.get_tag_summaries([experiment_id, other], run_view_type=ViewType.ALL)
    env = next(s for s in everything if s.key == "env")
    assert env.runs == 6
    assert env.values == [("prod", 3), ("dev", 1), ("elsewhere", 1), ("staging", 1)]
    assert everything == TrackingStore.get_tag_summaries(
        store, [experiment_id, other], run_view_type=ViewType.ALL
    )


def test_tag_summaries_of_an_empty_experiment_and_bad_limits(
    store: TrackingStore, experiment_id: str
) -> None:
    assert store.get_tag_summaries([experiment_id]) == []
    assert store.get_tag_summaries(["12345"]) == []
    run_id = store.create_run(experiment_id).info.run_id
    store.log_batch(run_id, tags=[RunTag(key="k", value="v")])
    for bad in (0, -1, True, 2.5):
        with pytest.raises(InvalidValueError, match="max_values"):
            store.get_tag_summaries([experiment_id], max_values=bad)  # type: ignore[arg-type]
