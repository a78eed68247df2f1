"""tuitrack.core.wire.mlflow_json reads what MLflow writes and writes what MLflow reads.

Compatibility is checked against MLflow itself: MLflow's entities serialized by MLflow's own
`message_to_json(entity.to_proto())` are read here to the same values, and what is written
here is parsed by MLflow's `parse_dict` into its protos and read back by its `from_proto` to
the same fields. Answers recorded from a real `mlflow server` (MLflow 3.17, SQLite) pin the
facts its JSON has beyond the protos: +-inf stored as +-DBL_MAX, empty lists left out.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrack.core.datasets import Dataset, DatasetInput, InputTag, RunInputs
from tuitrack.core.wire import mlflow_json as wire
from tuitrack.core.wire.json_values import float_from_json, float_to_json, int64_from_json
from tuitrack.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    ViewType,
)
from tuitrack.errors import InvalidValueError

mlflow_entities = pytest.importorskip("mlflow.entities")
proto_json = pytest.importorskip("mlflow.utils.proto_json_utils")
service = pytest.importorskip("mlflow.protos.service_pb2")

DBL_MAX = sys.float_info.max
RUN_ID = "257c9ba03a8c4cdfaac422dd4077f859"
PARENT_ID = "f0c140714bcb475f87f753cb05a328da"


def _mlflow_json(entity: Any) -> Any:
    """The entity as MLflow's server writes it: message_to_json of its proto, parsed."""
    return json.loads(proto_json.message_to_json(entity.to_proto()))


def _parsed_by_mlflow(data: dict[str, Any], message: Any) -> Any:
    """`data` as MLflow's server reads a request: parse_dict into the proto."""
    proto_json.parse_dict(data, message)
    return message


def _same_float(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# A run as MLflow's entities build it ---------------------------------------------------------


def _mlflow_run(status: str = "FINISHED", end_time: int | None = 1_700_000_000_900) -> Any:
    e = mlflow_entities
    info = e.RunInfo(
        run_id=RUN_ID,
        experiment_id="7",
        user_id="ana",
        status=status,
        start_time=1_700_000_000_000,
        end_time=end_time,
        lifecycle_stage="active",
        artifact_uri=f"mlflow-artifacts:/7/{RUN_ID}/artifacts",
        run_name="brave-owl",
    )
    data = e.RunData(
        metrics=[
            e.Metric("loss", 0.25, 1_700_000_000_100, 9),
            e.Metric("nan", math.nan, 1_700_000_000_200, 1),
            e.Metric("up", math.inf, 1_700_000_000_300, 2),
            e.Metric("down", -math.inf, 1_700_000_000_400, 3),
        ],
        params=[e.Param("lr", "0.1"), e.Param("layers", "3")],
        tags=[
            e.RunTag("mlflow.runName", "brave-owl"),
            e.RunTag("mlflow.parentRunId", PARENT_ID),
            e.RunTag("note", "héllo"),
        ],
    )
    dataset = e.Dataset(
        "toy", "ae351d10", "local", '{"uri": "/tmp/toy.csv"}', '{"mlflow_colspec": []}', None
    )
    inputs = e.RunInputs([e.DatasetInput(dataset, [e.InputTag("mlflow.data.context", "train")])])
    return e.Run(info, data, inputs)


def test_a_run_mlflow_writes_reads_to_the_same_values() -> None:
    original = _mlflow_run()
    run = wire.run_from_json(_mlflow_json(original))

    info = run.info
    assert info.run_id == RUN_ID
    assert info.experiment_id == "7"
    assert info.user_id == "ana"
    assert info.status is RunStatus.FINISHED
    assert (info.start_time, info.end_time) == (1_700_000_000_000, 1_700_000_000_900)
    assert info.lifecycle_stage is LifecycleStage.ACTIVE
    assert info.artifact_uri == original.info.artifact_uri
    assert info.run_name == "brave-owl"
    assert info.parent_run_id == PARENT_ID
    assert (info.host, info.pid, info.heartbeat_time) == (None, None, None)

    assert run.data.params == original.data.params
    assert run.data.tags == original.data.tags
    assert run.data.metrics.keys() == original.data.metrics.keys()
    for key, value in original.data.metrics.items():
        assert _same_float(run.data.metrics[key], value), key
    assert math.isinf(run.data.metrics["up"])
    assert run.data.metrics["up"] > 0
    assert math.isinf(run.data.metrics["down"])
    assert run.data.metrics["down"] < 0

    [given_input] = run.inputs.dataset_inputs
    assert given_input.dataset == Dataset(
        "toy", "ae351d10", "local", '{"uri": "/tmp/toy.csv"}', '{"mlflow_colspec": []}', None
    )
    assert given_input.tags == [InputTag("mlflow.data.context", "train")]
    assert run.to_dictionary()["outputs"] == {"model_outputs": []}  # read as from a store


def test_mlflow_reads_a_written_run_to_the_same_fields() -> None:
    run = wire.run_from_json(_mlflow_json(_mlflow_run()))
    written = json.loads(json.dumps(wire.run_to_json(run), allow_nan=False))
    proto = _parsed_by_mlflow(written, service.Run())
    assert proto.info.run_uuid == RUN_ID  # MLflow's deprecated copy, as its server writes it
    back = mlflow_entities.Run.from_proto(proto)

    assert back.info.run_id == RUN_ID
    assert back.info.run_name == "brave-owl"
    assert back.info.status == "FINISHED"
    assert back.info.end_time == 1_700_000_000_900
    assert back.data.params == run.data.params
    assert back.data.tags == run.data.tags
    for key, value in run.data.metrics.items():
        assert _same_float(back.data.metrics[key], value), key
    [dataset_input] = back.inputs.dataset_inputs
    assert dataset_input.dataset.name == "toy"
    assert dataset_input.dataset.profile is None  # left out, and read back as absent
    assert [(t.key, t.value) for t in dataset_input.tags] == [("mlflow.data.context", "train")]


def test_a_running_run_has_no_end_time_either_way() -> None:
    running = _mlflow_run(status="RUNNING", end_time=None)
    data = _mlflow_json(running)
    assert "end_time" not in data["info"]
    run = wire.run_from_json(data)
    assert run.info.status is RunStatus.RUNNING
    assert run.info.end_time is None
    assert "end_time" not in wire.run_info_to_json(run.info)


def test_the_name_and_parent_are_written_as_mlflow_keeps_them_in_tags() -> None:
    info = RunInfo(RUN_ID, "7", run_name="quiet-fox", parent_run_id=PARENT_ID)
    written = wire.run_to_json(Run(info, RunData(tags={"note": "x"})))
    back = mlflow_entities.Run.from_proto(_parsed_by_mlflow(written, service.Run()))
    assert back.data.tags == {
        "note": "x",
        "mlflow.runName": "quiet-fox",
        "mlflow.parentRunId": PARENT_ID,
    }
    assert wire.run_from_json(written).info.parent_run_id == PARENT_ID


def test_latest_points_keep_their_step_and_timestamp_when_given() -> None:
    run = Run(RunInfo(RUN_ID, "7"), RunData(metrics={"loss": 0.5, "acc": math.nan}))
    latest = {"loss": Metric("loss", 0.5, 1_234, 7)}
    metrics = wire.run_to_json(run, latest)["data"]["metrics"]
    assert metrics == [
        {"key": "loss", "value": 0.5, "timestamp": 1_234, "step": 7},
        {"key": "acc", "value": "NaN"},
    ]
    back = mlflow_entities.RunData.from_proto(
        _parsed_by_mlflow({"metrics": metrics}, service.RunData())
    )
    assert [(m.key, m.timestamp, m.step) for m in back._metric_objs] == [
        ("loss", 1_234, 7),
        ("acc", 0, 0),
    ]


# What a real MLflow server answered (curl against `mlflow server`, MLflow 3.17, SQLite) -----

SERVER_RUN: dict[str, Any] = {
    "info": {
        "run_uuid": RUN_ID,
        "experiment_id": "1",
        "run_name": "parent",
        "user_id": "root",
        "status": "FINISHED",
        "start_time": 1796321927119,
        "end_time": 1796321927424,
        "artifact_uri": f"mlflow-artifacts:/1/{RUN_ID}/artifacts",
        "lifecycle_stage": "active",
        "run_id": RUN_ID,
    },
    "data": {
        "metrics": [
            {"key": "loss", "value": 0.5, "timestamp": 1796321927172, "step": 1},
            {"key": "nan", "value": "NaN", "timestamp": 1796321927182, "step": 0},
            # MLflow's SQL store keeps +-inf as +-DBL_MAX, and answers that.
            {"key": "pinf", "value": 1.7976931348623157e308, "timestamp": 1796321927190, "step": 0},
        ],
        "params": [{"key": "lr", "value": "0.1"}],
        "tags": [{"key": "mlflow.runName", "value": "parent"}],
    },
    "inputs": {},
    "outputs": {},
}
SERVER_DELETED_RUN: dict[str, Any] = {
    "info": {
        "run_uuid": "02757ff94af14d9681bfc9ddce2c75b4",
        "experiment_id": "1",
        "run_name": "doomed",
        "user_id": "root",
        "status": "FINISHED",
        "start_time": 1796321927441,
        "end_time": 1796321927453,
        "artifact_uri": "mlflow-artifacts:/1/02757ff94af14d9681bfc9ddce2c75b4/artifacts",
        "lifecycle_stage": "deleted",
        "run_id": "02757ff94af14d9681bfc9ddce2c75b4",
    },
    "data": {"tags": [{"key": "mlflow.runName", "value": "doomed"}]},
    "inputs": {},
    "outputs": {},
}
SERVER_EXPERIMENT: dict[str, Any] = {
    "experiment_id": "0",
    "name": "Default",
    "artifact_location": "mlflow-artifacts:/0",
    "lifecycle_stage": "active",
    "last_update_time": 1796321860676,
    "creation_time": 1796321860676,
    "workspace": "default",
}


def test_a_server_answer_reads_with_omitted_lists_as_empty() -> None:
    live, deleted = wire.runs_from_json([SERVER_RUN, SERVER_DELETED_RUN])
    assert live.data.metrics["loss"] == 0.5
    assert math.isnan(live.data.metrics["nan"])
    assert live.data.metrics["pinf"] == DBL_MAX  # as MLflow's own client reads it
    assert live.inputs.dataset_inputs == []
    assert deleted.info.lifecycle_stage is LifecycleStage.DELETED
    assert deleted.data.metrics == {}
    assert deleted.data.params == {}
    experiment = wire.experiment_from_json(SERVER_EXPERIMENT)  # its workspace is ignored
    assert experiment.tags == {}
    assert experiment.creation_time == 1796321860676


def test_latest_metric_time_is_that_of_the_newest_latest_point() -> None:
    assert wire.latest_metric_time(SERVER_RUN) == 1796321927190
    assert wire.latest_metric_time(SERVER_DELETED_RUN) is None


def test_int64_fields_may_come_as_strings() -> None:
    data = json.loads(json.dumps(SERVER_RUN))
    data["info"]["start_time"] = "1796321927119"
    data["data"]["metrics"][0].update(timestamp="1796321927172", step="1")
    run = wire.run_from_json(data)
    assert run.info.start_time == 1796321927119
    # protobuf's own mapping writes every int64 as a string: read the same
    google_json = proto_json.message_to_json(
        _mlflow_run().to_proto(), convert_int64_to_number=False
    )
    assert '"start_time": "1700000000000"' in google_json
    assert wire.run_from_json(json.loads(google_json)).info.start_time == 1_700_000_000_000
    point = wire.metric_from_json({"key": "m", "value": 1, "timestamp": "5", "step": "-3"})
    assert point == Metric("m", 1.0, 5, -3)


def test_run_uuid_stands_in_for_a_missing_run_id() -> None:
    data = json.loads(json.dumps(SERVER_RUN))
    del data["info"]["run_id"]
    assert wire.run_from_json(data).info.run_id == RUN_ID


def test_run_name_falls_back_to_the_run_name_tag() -> None:
    data = json.loads(json.dumps(SERVER_RUN))
    del data["info"]["run_name"]
    assert wire.run_from_json(data).info.run_name == "parent"


# Metrics and non-finite values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (DBL_MAX, DBL_MAX)],
)
def test_non_finite_values_travel_as_mlflow_writes_them(value: float, text: object) -> None:
    mlflow_point = mlflow_entities.Metric("m", value, 5, 1)
    assert _mlflow_json(mlflow_point)["value"] == text
    ours = wire.metric_to_json(Metric("m", value, 5, 1))
    assert ours["value"] == text
    assert _same_float(wire.metric_from_json(_mlflow_json(mlflow_point)).value, value)
    parsed = _parsed_by_mlflow(ours, service.Metric())
    assert _same_float(parsed.value, value)
    assert (parsed.timestamp, parsed.step) == (5, 1)


def test_a_metric_with_its_run_id_reads_both() -> None:
    run_id, point = wire.metric_with_run_id_from_json(
        {"key": "loss", "value": 1.0, "timestamp": 2, "step": 3, "run_id": RUN_ID}
    )
    assert (run_id, point) == (RUN_ID, Metric("loss", 1.0, 2, 3))
    assert wire.metric_point_from_json({"key": "loss", "value": "NaN"})[:2] == (0, 0)


def test_a_get_history_answer_reads_as_columns() -> None:
    answer = [
        {"key": "loss", "value": 1.0, "timestamp": 10, "step": 0},
        {"key": "loss", "value": "-Infinity", "timestamp": 11, "step": 1},
    ]
    history = wire.history_from_json("loss", answer)
    assert list(history) == [Metric("loss", 1.0, 10, 0), Metric("loss", -math.inf, 11, 1)]
    with pytest.raises(InvalidValueError, match="'acc' in the history of 'loss'"):
        wire.history_from_json("loss", [{"key": "acc", "value": 1.0}])


@pytest.mark.parametrize(
    "unusual",
    [
        {"step": "1", "timestamp": "11"},  # int64 as strings
        {"step": 1, "timestamp": 11, "value": 2},  # an int value
        {"step": 1, "timestamp": 11.0},  # an integral float
    ],
)
def test_a_history_with_unusual_points_reads_the_same(unusual: dict[str, Any]) -> None:
    answer = [
        {"key": "loss", "value": 1.0, "timestamp": 10, "step": 0},
        {"key": "loss", "value": 2.0, "timestamp": 11, "step": 1, **unusual},
    ]
    assert list(wire.history_from_json("loss", answer)) == [
        Metric("loss", 1.0, 10, 0),
        Metric("loss", 2.0, 11, 1),
    ]
    assert wire.metric_point_from_json(answer[1]) == (1, 11, 2.0)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"step": 2**63}, "step"),
        ({"step": True}, "step"),
        ({"value": None}, "value"),
        ({"timestamp": "soon"}, "timestamp"),
    ],
)
def test_a_bad_history_point_is_refused_naming_the_field(bad: dict[str, Any], named: str) -> None:
    answer = [{"key": "loss", "value": 1.0, "timestamp": 10, "step": 0, **bad}]
    with pytest.raises(InvalidValueError, match=f"metric 'loss'.{named}"):
        wire.history_from_json("loss", answer)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_double_round_trips_through_json_text(value: float) -> None:
    text = json.dumps(float_to_json(value), allow_nan=False)
    assert _same_float(float_from_json(json.loads(text), "value"), value)


@pytest.mark.parametrize("value", ["nope", None, True, [1.0], "nan", "inf", "1e999"])
def test_a_bad_metric_value_is_refused_naming_it(value: object) -> None:
    with pytest.raises(InvalidValueError, match=r"metric 'm'\.value must be a number"):
        wire.metric_from_json({"key": "m", "value": value, "timestamp": 1, "step": 0})


@pytest.mark.parametrize("value", ["12x", 1.5, True, None, 2**63, "-9223372036854775809"])
def test_a_bad_int64_is_refused_naming_it(value: object) -> None:
    with pytest.raises(InvalidValueError, match="timestamp"):
        int64_from_json(value, "metric 'm'.timestamp")


# Experiments, artifacts, enums, inputs --------------------------------------------------------


def test_an_experiment_mlflow_writes_reads_and_back() -> None:
    e = mlflow_entities
    original = e.Experiment(
        "7",
        "vision",
        "mlflow-artifacts:/7",
        "deleted",
        tags=[e.ExperimentTag("team", "cv"), e.ExperimentTag("mlflow.note.content", "hi")],
        creation_time=1_700_000_000_000,
        last_update_time=1_700_000_000_500,
    )
    experiment = wire.experiment_from_json(_mlflow_json(original))
    assert experiment == Experiment(
        "7",
        "vision",
        "mlflow-artifacts:/7",
        LifecycleStage.DELETED,
        {"team": "cv", "mlflow.note.content": "hi"},
        1_700_000_000_000,
        1_700_000_000_500,
    )
    written = wire.experiment_to_json(experiment)
    assert written["tags"] == [
        {"key": "team", "value": "cv"},
        {"key": "mlflow.note.content", "value": "hi"},
    ]
    back = e.Experiment.from_proto(_parsed_by_mlflow(written, service.Experiment()))
    assert (back.experiment_id, back.name, back.lifecycle_stage) == ("7", "vision", "deleted")
    assert back.tags == experiment.tags
    assert (back.creation_time, back.last_update_time) == (1_700_000_000_000, 1_700_000_000_500)


def test_an_experiment_without_times_or_tags_leaves_them_out() -> None:
    written = wire.experiment_to_json(Experiment("1", "x", "/tmp/a"))
    assert written == {
        "experiment_id": "1",
        "name": "x",
        "artifact_location": "/tmp/a",
        "lifecycle_stage": "active",
    }
    assert wire.experiment_from_json({**written, "creation_time": 0}).creation_time is None


@pytest.mark.parametrize(
    "original",
    [FileInfo("sub", True), FileInfo("sub/hello.txt", False, 2), FileInfo("e", False, 0)],
)
def test_file_infos_round_trip_through_mlflow(original: FileInfo) -> None:
    written = wire.file_info_to_json(original)
    back = mlflow_entities.FileInfo.from_proto(_parsed_by_mlflow(written, service.FileInfo()))
    assert (back.path, back.is_dir) == (original.path, original.is_dir)
    mlflow_side = mlflow_entities.FileInfo(original.path, original.is_dir, original.file_size)
    assert wire.file_info_from_json(_mlflow_json(mlflow_side)) == original


def test_the_server_omits_a_directory_size_and_a_size_of_zero() -> None:
    assert wire.file_info_from_json({"path": "sub", "is_dir": True}) == FileInfo("sub", True)
    assert wire.file_info_from_json({"path": "empty", "is_dir": False}).file_size == 0
    assert wire.file_info_to_json(FileInfo("sub", True)) == {"path": "sub", "is_dir": True}


@pytest.mark.parametrize("status", list(RunStatus))
def test_statuses_use_mlflows_enum_names(status: RunStatus) -> None:
    text = wire.status_to_json(status)
    number = service.RunStatus.Value(text)
    assert wire.status_from_json(text) is status
    assert wire.status_from_json(number) is status
    assert text == mlflow_entities.RunStatus.to_string(number)


@pytest.mark.parametrize("view_type", list(ViewType))
def test_view_types_use_mlflows_enum_names(view_type: ViewType) -> None:
    text = wire.view_type_to_json(view_type)
    request = _parsed_by_mlflow({"run_view_type": text}, service.SearchRuns())
    assert wire.view_type_from_json(text) is view_type
    assert wire.view_type_from_json(request.run_view_type) is view_type


@pytest.mark.parametrize("bad", ["finished", 0, 6, None, [1]])
def test_a_bad_status_is_refused_listing_the_allowed(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="RUNNING"):
        wire.status_from_json(bad)


def test_a_bad_view_type_is_refused_listing_the_allowed() -> None:
    with pytest.raises(InvalidValueError, match="ACTIVE_ONLY"):
        wire.view_type_from_json("active")


def test_a_dataset_input_round_trips_through_mlflows_log_inputs_request() -> None:
    given_input = DatasetInput(
        Dataset("toy", "d1", "http", '{"url": "x"}', None, '{"num_rows": 2}'),
        [InputTag("mlflow.data.context", "eval")],
    )
    body = {"run_id": RUN_ID, "datasets": [wire.dataset_input_to_json(given_input)]}
    request = _parsed_by_mlflow(body, service.LogInputs())
    mlflow_input = mlflow_entities.DatasetInput.from_proto(request.datasets[0])
    assert mlflow_input.dataset.profile == '{"num_rows": 2}'
    assert wire.dataset_input_from_json(_mlflow_json(mlflow_input)) == given_input
    assert wire.dataset_input_from_json(body["datasets"][0]) == given_input


def test_a_log_batch_body_is_what_mlflow_parses() -> None:
    body = {
        "run_id": RUN_ID,
        "metrics": [wire.metric_point_to_json("loss", math.inf, 5, 2)],
        "params": [wire.param_to_json("lr", "0.1")],
        "tags": [wire.tag_to_json("note", "x")],
    }
    request = _parsed_by_mlflow(json.loads(json.dumps(body)), service.LogBatch())
    assert math.isinf(request.metrics[0].value)
    assert (request.params[0].key, request.tags[0].value) == ("lr", "x")
    assert wire.param_from_json(body["params"][0]).value == "0.1"
    assert wire.tag_from_json(body["tags"][0]).key == "note"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"info": {"experiment_id": "1"}}, "run info.run_id"),
        ({"info": {"run_id": "r", "experiment_id": 1}}, "run r.experiment_id"),
        ({"info": {"run_id": "r", "experiment_id": "1", "status": "DONE"}}, "run status"),
        ({"info": {"run_id": "r", "experiment_id": "1", "lifecycle_stage": "gone"}}, "gone"),
        ({"info": {"run_id": "r", "experiment_id": "1"}, "data": {"tags": {}}}, "run r.tags"),
        (
            {"info": {"run_id": "r", "experiment_id": "1"}, "data": {"params": [{"key": 1}]}},
            "run r param.key",
        ),
        ([], "run must be a JSON object"),
    ],
)
def test_a_malformed_run_is_refused_naming_the_field(data: object, named: str) -> None:
    with pytest.raises(InvalidValueError, match=named.replace(".", r"\.")):
        wire.run_from_json(data)


# Round trips and speed ------------------------------------------------------------------------

_text = st.text(max_size=12)
_times = st.none() | st.integers(1, 2**62)
_values = st.floats(allow_nan=True, allow_infinity=True)


@st.composite
def _runs(draw: st.DrawFn) -> Run:
    run_id = draw(st.text("0123456789abcdef", min_size=1, max_size=32))
    info = RunInfo(
        run_id,
        draw(st.text("0123456789", min_size=1, max_size=4)),
        draw(st.none() | _text),
        draw(st.sampled_from(list(RunStatus))),
        draw(_times),
        draw(_times),
        draw(st.sampled_from(list(LifecycleStage))),
        draw(_text),
        draw(st.none() | _text),
        parent_run_id=draw(st.none() | _text),
        host=draw(st.none() | _text),
        pid=draw(st.none() | st.integers(1, 2**31)),
        heartbeat_time=draw(_times),
    )
    tags = draw(st.dictionaries(_text, _text, max_size=3))
    # The name and parent also live in their tags, as MLflow keeps them.
    if info.run_name is not None:
        tags["mlflow.runName"] = info.run_name
    else:
        tags.pop("mlflow.runName", None)
    if info.parent_run_id is not None:
        tags["mlflow.parentRunId"] = info.parent_run_id
    else:
        tags.pop("mlflow.parentRunId", None)
    data = RunData(
        draw(st.dictionaries(_text, _values, max_size=4)),
        draw(st.dictionaries(_text, _text, max_size=3)),
        tags,
    )
    inputs = RunInputs(
        draw(
            st.lists(
                st.builds(
                    DatasetInput,
                    st.builds(Dataset, _text, _text, _text, _text, st.none() | _text),
                    st.lists(st.builds(InputTag, _text, _text), max_size=2),
                ),
                max_size=2,
            )
        )
    )
    return Run(info, data, inputs)


def _same_run(found: Run, expected: Run) -> bool:
    metrics_match = found.data.metrics.keys() == expected.data.metrics.keys() and all(
        _same_float(found.data.metrics[key], value) for key, value in expected.data.metrics.items()
    )
    return (
        found.info == expected.info
        and metrics_match
        and found.data.params == expected.data.params
        and found.data.tags == expected.data.tags
        and found.inputs == expected.inputs
    )


@settings(max_examples=100, deadline=None)
@given(_runs())
def test_runs_round_trip_with_their_extras(run: Run) -> None:
    text = json.dumps(wire.run_to_json(run, with_extras=True), allow_nan=False)
    assert _same_run(wire.run_from_json(json.loads(text)), run)


@settings(max_examples=50, deadline=None)
@given(_runs())
def test_without_extras_a_run_reads_back_as_mlflow_knows_it(run: Run) -> None:
    back = wire.run_from_json(wire.run_to_json(run))
    assert (back.info.host, back.info.pid, back.info.heartbeat_time) == (None, None, None)
    assert back.info.run_name == run.info.run_name
    parsed = _parsed_by_mlflow(json.loads(json.dumps(wire.run_to_json(run))), service.Run())
    assert parsed.info.run_id == run.info.run_id


def _page(runs: int) -> list[dict[str, Any]]:
    """A runs/search page as a server sends it: 20 metrics, 10 params, 8 tags a run."""
    page = []
    for i in range(runs):
        item = json.loads(json.dumps(SERVER_RUN))
        item["info"]["run_id"] = item["info"]["run_uuid"] = f"{i:032x}"
        item["data"]["metrics"] = [
            {"key": f"m{k}", "value": k * 0.5 if k else "NaN", "timestamp": 1_000 + k, "step": k}
            for k in range(20)
        ]
        item["data"]["params"] = [{"key": f"p{k}", "value": str(k)} for k in range(10)]
        item["data"]["tags"] = [{"key": f"t{k}", "value": "v"} for k in range(8)]
        page.append(item)
    return page


def test_a_thousand_run_page_converts_in_well_under_100_ms() -> None:
    page = _page(1000)
    wire.runs_from_json(page[:10])  # warm up: pydantic builds the schemas on first use
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        runs = wire.runs_from_json(page)
        best = min(best, time.perf_counter() - start)
    assert len(runs) == 1000
    assert len(runs[-1].data.metrics) == 20
    # ~40 ms measured on a loaded 2-core machine (load average 13).
    assert best < 0.1, f"{best * 1000:.0f} ms for a 1000-run page"


@settings(max_examples=100, deadline=None)
@given(_runs())
def test_the_fast_and_the_checked_reading_agree(run: Run) -> None:
    item = json.loads(json.dumps(wire.run_to_json(run)))
    fast = wire._well_formed_run(item)
    assert fast is not None
    checked = wire._checked_run(item)
    assert fast[0] == checked[0]
    assert fast[1]["params"] == checked[1]["params"]
    assert fast[1]["tags"] == checked[1]["tags"]
    assert fast[1]["metrics"].keys() == checked[1]["metrics"].keys()
    assert all(
        _same_float(value, checked[1]["metrics"][key]) for key, value in fast[1]["metrics"].items()
    )
    assert fast[2] == checked[2]


def test_a_get_history_page_reads_as_columns_quickly() -> None:
    answer = [
        {"key": "loss", "value": i * 0.5, "timestamp": 1_000 + i, "step": i} for i in range(25_000)
    ]
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        history = wire.history_from_json("loss", answer)
        best = min(best, time.perf_counter() - start)
    assert history.values[-1] == 12_499.5
    # ~25 ms measured on a loaded 2-core machine; a Metric a point took ~450 ms.
    assert best < 0.1, f"{best * 1000:.0f} ms for a 25,000-point page"
