"""tuitrack.core.wire.tuitrack_json: the JSON of tuitrack's own endpoints round-trips through
JSON text (non-finite values as MLflow writes them), and a malformed document is refused
naming the field."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.orphans import Orphan
from tuitrack.core.store import ExperimentActivity, MarkResult
from tuitrack.core.wire import tuitrack_json as wire
from tuitrack.core.wire.mlflow_json import run_from_json, run_to_json
from tuitrack.entities import Experiment, Metric, MetricSummary, Run, RunInfo, TagSummary
from tuitrack.errors import InvalidValueError

INT64 = st.integers(-(2**63), 2**63 - 1)


def _through_text(data: Any) -> Any:
    """`data` as a client receives it: JSON text, no bare NaN or Infinity tokens."""
    return json.loads(json.dumps(data, allow_nan=False))


def _same_values(found: list[float], expected: list[float]) -> bool:
    return len(found) == len(expected) and all(
        a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(found, expected, strict=True)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(INT64, INT64, st.floats()), max_size=30))
def test_a_history_round_trips_as_columns(points: list[tuple[int, int, float]]) -> None:
    history = MetricHistory(
        "loss", [p[0] for p in points], [p[1] for p in points], [p[2] for p in points]
    )
    back = wire.history_from_json("loss", _through_text(wire.history_to_json(history)))
    assert back.key == "loss"
    assert back.steps == history.steps
    assert back.timestamps == history.timestamps
    assert _same_values(back.values.tolist(), history.values.tolist())


def test_non_finite_values_are_written_as_mlflow_writes_them() -> None:
    points = [Metric("m", v, 10 + i, i) for i, v in enumerate([1.5, math.nan, math.inf, -math.inf])]
    assert wire.history_to_json(points) == {
        "steps": [0, 1, 2, 3],
        "values": [1.5, "NaN", "Infinity", "-Infinity"],
        "timestamps": [10, 11, 12, 13],
    }
    assert wire.history_to_json([]) == {"steps": [], "values": [], "timestamps": []}


def test_int64_columns_may_come_as_strings() -> None:
    data = {"steps": ["1", "2"], "values": [0.5, "NaN"], "timestamps": ["9007199254740993", 5]}
    history = wire.history_from_json("m", data)
    assert history.timestamps.tolist() == [9007199254740993, 5]
    assert history.steps.tolist() == [1, 2]


def test_absent_columns_read_as_an_empty_history() -> None:
    assert len(wire.history_from_json("m", {})) == 0


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"steps": [1], "values": [], "timestamps": [1]}, "different lengths"),
        ({"steps": ["x"], "values": [1.0], "timestamps": [1]}, r"history of 'm'\.steps\[0\]"),
        ({"steps": [1], "values": ["nan"], "timestamps": [1]}, r"history of 'm'\.values\[0\]"),
        ({"steps": [1], "values": [True], "timestamps": [1]}, r"values must hold numbers"),
        ({"steps": [2**63], "values": [1.0], "timestamps": [1]}, r"steps\[0\]"),
        ({"steps": 1}, r"history of 'm'\.steps must be a JSON list"),
        ([], "must be a JSON object"),
    ],
)
def test_a_malformed_history_is_refused_naming_the_field(data: object, named: str) -> None:
    with pytest.raises(InvalidValueError, match=named):
        wire.history_from_json("m", data)


def test_a_run_history_carries_its_run_and_key() -> None:
    history = MetricHistory("acc", [0, 1], [5, 6], [0.5, math.inf])
    run_id, back = wire.run_history_from_json(
        _through_text(wire.run_history_to_json("r1", history))
    )
    assert run_id == "r1"
    assert back == history


def test_metric_columns_round_trip() -> None:
    body = wire.metric_columns_to_json("r1", ["a", "b"], [math.nan, 2.0], [10, 11], [0, 7])
    assert body["values"] == ["NaN", 2.0]
    points = wire.metric_columns_from_json(_through_text(body))
    assert points == [Metric("a", math.nan, 10, 0), Metric("b", 2.0, 11, 7)]


def test_metric_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="different lengths"):
        wire.metric_columns_from_json({"keys": ["a"], "values": [], "timestamps": [], "steps": []})


def test_run_extras_round_trip_and_are_absent_from_mlflow_runs() -> None:
    info = RunInfo("r1", "0", host="gpu-7", pid=4242, heartbeat_time=1_700_000_000_000)
    extras = wire.run_extras_to_json(info)
    assert extras == {"heartbeat_time": 1_700_000_000_000, "host": "gpu-7", "pid": 4242}
    written = _through_text(run_to_json(Run(info), with_extras=True))
    assert written[wire.RUN_EXTRAS_KEY] == extras
    back = run_from_json(written).info
    assert (back.host, back.pid, back.heartbeat_time) == ("gpu-7", 4242, 1_700_000_000_000)
    assert wire.run_extras_to_json(RunInfo("r2", "0")) == {}
    assert wire.run_extras_from_json({}) == {"heartbeat_time": None, "host": None, "pid": None}


def test_bad_run_extras_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValueError, match=r"run r1\.pid"):
        wire.run_extras_from_json({"pid": "many"}, "run r1")


def test_capabilities_round_trip_and_keep_unknown_features() -> None:
    document = wire.ServerCapabilities(
        wire.SERVER_NAME, "0.9.0", wire.API_VERSION, frozenset({"count", "time-travel"})
    )
    text = _through_text(document.to_json())
    assert text == {
        "server": "tuitrack",
        "version": "0.9.0",
        "api_version": 1,
        "features": ["count", "time-travel"],
    }
    back = wire.ServerCapabilities.from_json({**text, "store_capabilities": ["X"]})
    assert back == document
    assert back.supports(wire.ServerFeature.COUNT)
    assert back.supports("time-travel")
    assert not back.supports(wire.ServerFeature.ORPHANS)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"version": "1", "api_version": 1}, r"capabilities\.server"),
        ({"server": "x", "version": "1", "api_version": "one"}, r"capabilities\.api_version"),
        ({"server": "x", "api_version": 1, "features": [3]}, r"capabilities\.features\[0\]"),
        ("<html>", "capabilities must be a JSON object"),
    ],
)
def test_a_malformed_capabilities_document_is_refused(data: object, named: str) -> None:
    with pytest.raises(InvalidValueError, match=named):
        wire.ServerCapabilities.from_json(data)


def test_orphans_and_mark_results_round_trip() -> None:
    result = MarkResult(
        marked=[
            Orphan("r1", "heartbeat stopped 5m ago", 1_700_000_000_000),
            Orphan("r2", "x", None),
        ],
        refused={"r3": "it has finished"},
    )
    written = _through_text(wire.mark_result_to_json(result))
    assert "last_sign_of_life" not in written["marked"][1]
    assert wire.mark_result_from_json(written) == result
    assert wire.orphan_from_json(wire.orphan_to_json(result.marked[0])) == result.marked[0]


def test_last_activity_times_read_as_ints() -> None:
    assert wire.last_activity_from_json({"times": {"r1": 5, "r2": "6"}}) == {"r1": 5, "r2": 6}


def test_experiment_activity_round_trips() -> None:
    activity = ExperimentActivity(
        Experiment("3", "vision", "/art/3", tags={"team": "cv"}, creation_time=1),
        run_count=12,
        running_count=2,
        last_activity=1_700_000_000_000,
    )
    written = _through_text(wire.activity_to_json(activity))
    assert written["experiment"]["tags"] == [{"key": "team", "value": "cv"}]
    assert wire.activity_from_json(written) == activity
    quiet = ExperimentActivity(Experiment("4", "empty", "/art/4"), 0, 0, None)
    assert wire.activity_from_json(_through_text(wire.activity_to_json(quiet))) == quiet


def test_tag_summaries_round_trip() -> None:
    summary = TagSummary(key="team", runs=5, distinct_values=2, values=[("cv", 4), ("nlp", 1)])
    written = _through_text(wire.tag_summary_to_json(summary))
    assert written["values"] == [{"value": "cv", "runs": 4}, {"value": "nlp", "runs": 1}]
    assert wire.tag_summary_from_json(written) == summary


@pytest.mark.parametrize(("low", "high"), [(None, None), (-math.inf, math.inf), (0.5, 2.0)])
def test_metric_summaries_round_trip(low: float | None, high: float | None) -> None:
    summary = MetricSummary(
        key="loss",
        latest=math.inf if high == math.inf else 1.0,
        step=3,
        timestamp=9,
        min_value=low,
        max_value=high,
        count=4,
    )
    assert wire.metric_summary_from_json(_through_text(wire.metric_summary_to_json(summary))) == (
        summary
    )
