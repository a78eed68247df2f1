"""tuitrack.entities against real MLflow's, in the same run (issue 16, item 1): the names,
the constructors' positional order and keywords, the fields they give, the enums' helpers.

What differs on purpose, checked below:
- MLflow's RunStatus, ViewType and SourceType are classes of ints (`RunStatus.FINISHED ==
  3`); tuitrack's are str enums of the strings MLflow stores (`RunStatus.FINISHED ==
  "FINISHED"`), since every store keeps strings. Their helpers (to_string, from_string,
  is_terminated, all_status) give equal strings, and MLflow's ints are accepted as input.
- Entities are frozen pydantic models: fields are validated when built and cannot be set.
- Run, Metric and Experiment do not carry MLflow's run outputs, model and dataset links or
  workspace settings (see LACKING); giving a Metric or a Run one raises. Run inputs (the
  datasets of log_input) are compared in tests/sdk/test_dataset_inputs.py.
- `RunInfo(artifact_uri=None)` reads back '' (MLflow: None); `to_dictionary` says None.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

mlflow_entities = pytest.importorskip(
    "mlflow.entities", reason="MLflow is not installed: nothing to compare tuitrack with"
)

import tuitrack  # noqa: E402
from tuitrack import entities as tuitrack_entities  # noqa: E402
from tuitrack.core.metric_history import MetricHistory  # noqa: E402
from tuitrack.exceptions import MlflowException  # noqa: E402

SUPPORTED = (
    "Metric",
    "Param",
    "RunTag",
    "ExperimentTag",
    "Experiment",
    "RunInfo",
    "RunData",
    "Run",
    "FileInfo",
    "RunStatus",
    "ViewType",
    "LifecycleStage",
    "SourceType",
    "Dataset",
    "DatasetInput",
    "InputTag",
    "RunInputs",
)

# Names in mlflow.entities that tuitrack.entities deliberately lacks, by reason.
LACKING: dict[str, tuple[str, ...]] = {
    "MLflow's dataset summaries (its search_datasets) are not offered": ("_DatasetSummary",),
    "model logging is out of scope (issue 16)": (
        "LoggedModel",
        "LoggedModelInput",
        "LoggedModelOutput",
        "LoggedModelParameter",
        "LoggedModelStatus",
        "LoggedModelTag",
        "RunOutputs",
    ),
    "tracing and GenAI evaluation: tuitrack tracks training runs": (
        "Assessment",
        "AssessmentError",
        "AssessmentSource",
        "AssessmentSourceType",
        "DatasetRecord",
        "DatasetRecordSource",
        "DatasetRecordSourceType",
        "Document",
        "EntityAssociationType",
        "Expectation",
        "Feedback",
        "InferenceTableLocation",
        "Issue",
        "IssueReference",
        "IssueSeverity",
        "IssueStatus",
        "Link",
        "LiveSpan",
        "MlflowExperimentLocation",
        "NoOpSpan",
        "Prompt",
        "ScorerVersion",
        "Session",
        "Span",
        "SpanEvent",
        "SpanLogLevel",
        "SpanStatus",
        "SpanStatusCode",
        "SpanType",
        "Trace",
        "TraceArchivalConfig",
        "TraceData",
        "TraceInfo",
        "TraceLocation",
        "TraceLocationType",
        "TraceState",
        "UCSchemaLocation",
        "UnityCatalog",
    ),
    "MLflow server features (AI gateway, MCP, webhooks, workspaces)": (
        "BudgetAction",
        "BudgetDuration",
        "BudgetDurationUnit",
        "BudgetTargetScope",
        "BudgetUnit",
        "ConnectOptionSettings",
        "FallbackConfig",
        "FallbackStrategy",
        "GatewayBudgetPolicy",
        "GatewayEndpoint",
        "GatewayEndpointBinding",
        "GatewayEndpointModelConfig",
        "GatewayEndpointModelMapping",
        "GatewayEndpointTag",
        "GatewayGuardrail",
        "GatewayGuardrailConfig",
        "GatewayModelDefinition",
        "GatewayModelLinkageType",
        "GatewayResourceType",
        "GatewaySecretInfo",
        "GuardrailAction",
        "GuardrailStage",
        "MCPAccessEndpoint",
        "MCPRemoteTransportType",
        "MCPServer",
        "MCPServerVersion",
        "MCPStatus",
        "MCPTool",
        "RoutingStrategy",
        "Webhook",
        "WebhookEvent",
        "WebhookStatus",
        "WebhookTestResult",
        "Workspace",
        "WorkspaceDeletionMode",
    ),
}
LACKING_NAMES = {name for names in LACKING.values() for name in names}

# Constructor parameters of MLflow's that tuitrack's lack (the rest match in name and order).
LACKING_PARAMETERS = {
    "Experiment": ("workspace", "trace_location", "effective_trace_archival_retention"),
}


@pytest.mark.parametrize("name", SUPPORTED)
def test_every_supported_name_imports_as_mlflow_has_it(name: str) -> None:
    module = importlib.import_module("tuitrack.entities")
    found = getattr(module, name)
    assert found is getattr(tuitrack.entities, name)
    assert name in mlflow_entities.__all__


def test_every_mlflow_entity_is_supported_or_listed_as_lacking() -> None:
    unaccounted = set(mlflow_entities.__all__) - set(SUPPORTED) - LACKING_NAMES
    assert not unaccounted, f"MLflow has {sorted(unaccounted)}: support them or list them"
    assert not [name for name in LACKING_NAMES if hasattr(tuitrack_entities, name)]


@pytest.mark.parametrize(
    "name", ["Metric", "Param", "RunTag", "ExperimentTag", "Experiment", "RunInfo", "RunData"]
)
def test_constructor_parameters_in_mlflow_order(name: str) -> None:
    def parameters(cls: type) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    theirs = parameters(getattr(mlflow_entities, name))
    ours = parameters(getattr(tuitrack_entities, name))
    expected = [p for p in theirs if p not in LACKING_PARAMETERS.get(name, ())]
    assert ours[: len(expected)] == expected


def test_run_and_file_info_constructor_parameters() -> None:
    run = inspect.signature(tuitrack_entities.Run).parameters
    assert list(run)[:4] == ["run_info", "run_data", "run_inputs", "run_outputs"]
    assert {"info", "data"} <= set(run)  # tuitrack's own keywords stay
    file_info = inspect.signature(tuitrack_entities.FileInfo).parameters
    assert list(file_info) == ["path", "is_dir", "file_size"]


Build = Callable[[ModuleType], Any]

TS = 1_700_000_000_000
# (what is built, the same code for both libraries, the attributes compared)
CASES: list[tuple[str, Build, tuple[str, ...]]] = [
    (
        "Metric positional",
        lambda e: e.Metric("loss", 1.5, TS, 3),
        ("key", "value", "timestamp", "step"),
    ),
    (
        "Metric keywords",
        lambda e: e.Metric(step=3, timestamp=TS, value=0.25, key="acc"),
        ("key", "value", "timestamp", "step"),
    ),
    ("Param", lambda e: e.Param("lr", "0.01"), ("key", "value")),
    ("Param keywords", lambda e: e.Param(value="0.01", key="lr"), ("key", "value")),
    ("RunTag", lambda e: e.RunTag("team", "vision"), ("key", "value")),
    ("ExperimentTag", lambda e: e.ExperimentTag("owner", "ana"), ("key", "value")),
    (
        "Experiment positional, tags as a list",
        lambda e: e.Experiment(
            "7", "exp", "/tmp/art", "active", [e.ExperimentTag("a", "b")], 10, 20
        ),
        (
            "experiment_id",
            "name",
            "artifact_location",
            "lifecycle_stage",
            "tags",
            "creation_time",
            "last_update_time",
        ),
    ),
    (
        "Experiment keywords",
        lambda e: e.Experiment(
            experiment_id="7", name="exp", artifact_location="s3://b/p", lifecycle_stage="deleted"
        ),
        ("experiment_id", "name", "artifact_location", "lifecycle_stage", "tags"),
    ),
    (
        "RunInfo positional",
        lambda e: e.RunInfo(
            "r1", "0", "ana", "FINISHED", TS, TS + 5, "active", "file:///a/r1", "brave-fox-1"
        ),
        (
            "run_id",
            "experiment_id",
            "user_id",
            "status",
            "start_time",
            "end_time",
            "lifecycle_stage",
            "artifact_uri",
            "run_name",
        ),
    ),
    (
        "RunInfo keywords, status from the enum",
        lambda e: e.RunInfo(
            run_id="r1",
            experiment_id="0",
            user_id="ana",
            status=e.RunStatus.to_string(e.RunStatus.KILLED),
            start_time=TS,
            end_time=None,
            lifecycle_stage=e.LifecycleStage.DELETED,
            run_name="n",
        ),
        ("run_id", "status", "end_time", "lifecycle_stage", "run_name"),
    ),
    (
        "RunData from lists",
        lambda e: e.RunData(
            [e.Metric("m", 1.0, TS, 0), e.Metric("m", 2.0, TS, 1), e.Metric("n", 3.0, TS, 0)],
            [e.Param("p", "1")],
            [e.RunTag("t", "x")],
        ),
        ("metrics", "params", "tags"),
    ),
    ("RunData empty", lambda e: e.RunData(), ("metrics", "params", "tags")),
    (
        "Run positional",
        lambda e: e.Run(
            e.RunInfo("r1", "0", "ana", "RUNNING", TS, None, "active", "file:///a", "x"),
            e.RunData([e.Metric("m", 1.0, TS, 0)], [e.Param("p", "1")], []),
        ),
        (
            "info.run_id",
            "info.run_name",
            "info.status",
            "data.metrics",
            "data.params",
            "data.tags",
        ),
    ),
    (
        "Run keywords",
        lambda e: e.Run(
            run_info=e.RunInfo("r2", "3", "u", "FAILED", 1, 2, "active"), run_data=None
        ),
        ("info.run_id", "info.experiment_id", "info.status"),
    ),
    ("FileInfo", lambda e: e.FileInfo("plots/a.png", False, 1234), ("path", "is_dir", "file_size")),
    ("FileInfo dir", lambda e: e.FileInfo("plots", True, None), ("path", "is_dir", "file_size")),
]


def _read(entity: object, path: str) -> object:
    for name in path.split("."):
        entity = getattr(entity, name)
    return entity


@pytest.mark.parametrize(("build", "fields"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_same_construction_gives_the_same_fields(build: Build, fields: tuple[str, ...]) -> None:
    theirs, ours = build(mlflow_entities), build(tuitrack_entities)
    assert type(ours).__name__ == type(theirs).__name__
    assert {f: _read(ours, f) for f in fields} == {f: _read(theirs, f) for f in fields}


@pytest.mark.parametrize(
    "build",
    [
        lambda e: e.Metric("loss", 1.5, TS, 3),
        lambda e: e.RunData([e.Metric("m", 1.0, TS, 0)], [e.Param("p", "1")], [e.RunTag("t", "")]),
        lambda e: e.Run(
            e.RunInfo("r1", "0", "ana", "FINISHED", TS, TS, "active", "file:///a", "x"),
            e.RunData([e.Metric("m", 2.0, TS, 0)]),
        ),
        lambda e: e.Run(e.RunInfo("r1", "0", "u", "RUNNING", 5, None, "active"), e.RunData()),
    ],
    ids=["Metric", "RunData", "Run", "Run without artifact uri"],
)
def test_to_dictionary_is_mlflows(build: Build) -> None:
    assert build(tuitrack_entities).to_dictionary() == build(mlflow_entities).to_dictionary()


def test_the_dictionary_holds_plain_strings() -> None:
    info = tuitrack_entities.Run(tuitrack_entities.RunInfo("r", "0")).to_dictionary()["info"]
    assert type(info["status"]) is str
    assert type(info["lifecycle_stage"]) is str


def test_tuitrack_keywords_and_defaults_still_work() -> None:
    e = tuitrack_entities
    info = e.RunInfo(run_id="r", experiment_id="0", parent_run_id="p", host="h", pid=3)
    run = e.Run(info=info, data=e.RunData(metrics={"m": 1.0}, params={"p": "v"}))
    assert (run.info.parent_run_id, run.info.pid, run.data.metrics) == ("p", 3, {"m": 1.0})
    assert e.Run(info=info).data == e.RunData()
    assert e.Metric(key="m", value=1.0, timestamp=5).step == 0
    assert e.Experiment("1", "n", "/a").lifecycle_stage == e.LifecycleStage.ACTIVE


def test_validation_is_kept() -> None:
    with pytest.raises(ValueError, match="value"):
        tuitrack_entities.Metric("m", "not a number", TS, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status"):
        tuitrack_entities.RunInfo("r", "0", "u", "DONE")
    with pytest.raises(ValueError, match="frozen"):
        tuitrack_entities.Param("k", "v").value = "w"  # type: ignore[misc]


@pytest.mark.parametrize(
    "build",
    [
        lambda e: e.Metric("m", 1.0, TS, 0, run_id="r"),
        lambda e: e.Metric("m", 1.0, TS, 0, "model-1"),
        lambda e: e.Metric("m", 1.0, TS, 0, dataset_name="d", dataset_digest="x"),
        lambda e: e.Run(e.RunInfo("r", "0"), e.RunData(), run_outputs=object()),
    ],
    ids=["run_id", "model_id", "dataset", "run_outputs"],
)
def test_what_tuitrack_does_not_carry_is_refused_not_dropped(build: Build) -> None:
    with pytest.raises(MlflowException, match="does not carry"):
        build(tuitrack_entities)


def test_a_run_needs_its_info_once() -> None:
    info = tuitrack_entities.RunInfo("r", "0")
    with pytest.raises(MlflowException, match="once"):
        tuitrack_entities.Run()
    with pytest.raises(MlflowException, match="once"):
        tuitrack_entities.Run(info, info=info)


@pytest.mark.parametrize("enum_name", ["RunStatus", "ViewType", "SourceType"])
def test_int_enums_helpers_give_mlflows_strings(enum_name: str) -> None:
    theirs, ours = getattr(mlflow_entities, enum_name), getattr(tuitrack_entities, enum_name)
    names = [
        name for name in vars(theirs) if name.isupper() and isinstance(vars(theirs)[name], int)
    ]
    assert sorted(names) == sorted(member.name for member in ours)
    for name in names:
        text = theirs.to_string(getattr(theirs, name))
        assert ours.to_string(getattr(ours, name)) == text
        assert ours.to_string(getattr(theirs, name)) == text  # MLflow's int is understood
        assert ours.from_string(text) is getattr(ours, name)
        assert theirs.from_string(text) == getattr(theirs, name)
        # The difference: MLflow's members are ints, tuitrack's the strings it stores.
        assert getattr(ours, name) == text != getattr(theirs, name)
    with pytest.raises(MlflowException, match="expected one of"):
        ours.from_string("no such thing")


def test_run_status_checks_as_mlflow_calls_them() -> None:
    theirs, ours = mlflow_entities.RunStatus, tuitrack_entities.RunStatus
    assert [ours.to_string(s) for s in ours.all_status()] == [
        theirs.to_string(s) for s in theirs.all_status()
    ]
    for status in theirs.all_status():
        text = theirs.to_string(status)
        expected = theirs.is_terminated(status)
        assert ours.is_terminated(ours.from_string(text)) is expected
        assert ours.is_terminated(text) is expected
        assert ours.from_string(text).is_terminated is expected  # tuitrack's property form


def test_lifecycle_stage_as_mlflow_has_it() -> None:
    theirs, ours = mlflow_entities.LifecycleStage, tuitrack_entities.LifecycleStage
    assert (ours.ACTIVE, ours.DELETED) == (theirs.ACTIVE, theirs.DELETED)
    assert ours.view_type_to_stages() == theirs.view_type_to_stages()
    for name in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL"):
        their_view = getattr(mlflow_entities.ViewType, name)
        our_view = getattr(tuitrack_entities.ViewType, name)
        assert ours.view_type_to_stages(our_view) == theirs.view_type_to_stages(their_view)
        for stage in ("active", "deleted"):
            expected = theirs.matches_view_type(their_view, stage)
            assert ours.matches_view_type(our_view, stage) is expected
    for stage in ("active", "deleted", "ACTIVE", "gone"):
        assert ours.is_valid(stage) is theirs.is_valid(stage)
    with pytest.raises(MlflowException, match="lifecycle stage"):
        ours.matches_view_type(tuitrack_entities.ViewType.ALL, "gone")


def test_experiment_default_name() -> None:
    ours, theirs = tuitrack_entities.Experiment, mlflow_entities.Experiment
    assert ours.DEFAULT_EXPERIMENT_NAME == theirs.DEFAULT_EXPERIMENT_NAME


def test_fast_paths_build_the_same_metric() -> None:
    history = MetricHistory("m", [3], [TS], [1.5])
    made = tuitrack_entities.Metric("m", 1.5, TS, 3)
    assert history[0] == made
    assert list(history) == [made]
    assert history[0].to_dictionary() == mlflow_entities.Metric("m", 1.5, TS, 3).to_dictionary()
